import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs with the request id on every line (Powertools). Never log secrets.
 * `service` is the stage's (POWERTOOLS_SERVICE_NAME, set by the stack), `b24-event-hub` locally.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'b24-event-hub' });
