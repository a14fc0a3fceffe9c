// Loaded before every test file of `npm run test:unit` (jest.unit.config.js), where no global
// setup starts DynamoDB Local or the SQS emulator. Tests that build the configuration without
// reaching a service (wire tests with mocked SDK clients) get one whose endpoints point at a
// closed port on loopback: anything that does try to reach a service fails at once instead of
// waiting or leaving the machine.
const NOWHERE = 'http://127.0.0.1:9';

const defaults: Record<string, string> = {
  TABLE_REGISTRY: 'unit-registry',
  TABLE_BINDINGS: 'unit-bindings',
  TABLE_JOURNAL: 'unit-journal',
  TABLE_DELIVERIES: 'unit-deliveries',
  DYNAMODB_ENDPOINT: NOWHERE,
  SQS_ENDPOINT: NOWHERE,
  DELIVERY_QUEUE_URL: `${NOWHERE}/000000000000/deliveries`,
  DELIVERY_DLQ_URL: `${NOWHERE}/000000000000/deliveries-dlq`,
  AWS_REGION: 'us-east-1',
  PUBLIC_URL: 'http://127.0.0.1:3000',
  PRODUCER_AUTH: 'key',
  PRODUCER_KEY: 'unit-producer-key-0123456789abcdef',
  SCHEDULER: 'dynamodb',
};
for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
