// Loaded before every test file of the `node-engine` jest project (jest.config.js), after
// setup.ts: the service under test uses the Node engine (dynalite) the global setup started.
import { NODE_ENGINE_ENDPOINT_VARIABLE } from './constants';

const endpoint = process.env[NODE_ENGINE_ENDPOINT_VARIABLE];
if (!endpoint) throw new Error(`${NODE_ENGINE_ENDPOINT_VARIABLE} is not set: the global setup starts the Node engine`);
process.env.DYNAMODB_ENDPOINT = endpoint;
process.env.TEST_DYNAMODB_ENGINE = 'node';
