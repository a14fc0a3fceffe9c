export const TEST_PRODUCER_KEY = 'test-producer-key-0123456789abcdef';

/** The variable carrying the test run's Node engine (dynalite) endpoint (global-setup.ts). */
export const NODE_ENGINE_ENDPOINT_VARIABLE = 'TEST_NODE_ENGINE_ENDPOINT';
/** The test run's Node engine sweeps expired items this often (npm start: every 5 s). */
export const NODE_ENGINE_TTL_SWEEP_MS = 1000;
