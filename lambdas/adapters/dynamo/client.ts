import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { traceAwsCalls } from '../tracing';

export interface DynamoSettings {
  region: string;
  endpoint?: string;
}

/**
 * A document client. With an endpoint (DynamoDB Local) it uses static local credentials,
 * so nothing on the machine needs AWS configuration. Each call is an X-Ray subsegment on Lambda
 * (adapters/tracing.ts).
 */
export function documentClient(settings: DynamoSettings): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: settings.region,
    maxAttempts: 5,
    ...(settings.endpoint
      ? { endpoint: settings.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  traceAwsCalls(client, 'DynamoDB');
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
