export const TEST_PRODUCER_KEY = 'test-producer-key-0123456789abcdef';
