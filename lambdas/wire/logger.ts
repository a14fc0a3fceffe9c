import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs with the request id on every line (Powertools). Never log secrets. */
export const logger = new Logger({ serviceName: 'b24-event-hub' });
