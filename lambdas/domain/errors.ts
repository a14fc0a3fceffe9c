/**
 * Typed errors of the Bitrix24 REST contract (docs/rest-api.md). The domain throws these;
 * the wire layer is the only place that turns them into HTTP responses.
 */
export class BitrixError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    readonly status: number,
    readonly argument?: string,
  ) {
    super(`${code}: ${description}`);
    this.name = 'BitrixError';
  }
}

export const errors = {
  noAuth: () => new BitrixError('NO_AUTH_FOUND', 'Wrong authorization data', 401),
  invalidToken: () => new BitrixError('invalid_token', 'The access token provided is invalid.', 401),
  expiredToken: () => new BitrixError('expired_token', 'The access token provided has expired.', 401),
  invalidCredentials: () => new BitrixError('INVALID_CREDENTIALS', 'Invalid request credentials', 401),
  insufficientScope: () =>
    new BitrixError('insufficient_scope', 'The request requires higher privileges than provided by the access token.', 401),
  accessDenied: (reason: string) => new BitrixError('ACCESS_DENIED', reason, 403),
  methodNotFound: () => new BitrixError('ERROR_METHOD_NOT_FOUND', 'Method not found!', 404),
  argument: (argument: string, description: string) => new BitrixError('ERROR_ARGUMENT', description, 400, argument),
  argumentEmpty: (argument: string) =>
    new BitrixError('ERROR_ARGUMENT', `Argument '${argument.toUpperCase()}' is null or empty`, 400, argument.toUpperCase()),
  eventNotFound: () => new BitrixError('ERROR_EVENT_NOT_FOUND', 'Event not found', 400),
  wrongHandlerUrl: (detail: string) => new BitrixError('ERROR_WRONG_HANDLER_URL', `Wrong handler URL: ${detail}`, 400),
  unsupportedProtocol: () =>
    new BitrixError('ERROR_UNSUPPORTED_PROTOCOL', 'Unsupported event handler protocol: only http and https are allowed', 400),
  handlerAlreadyBound: () => new BitrixError('ERROR_CORE', 'Unable to set event handler: Handler already binded', 400),
  bodyTooLarge: (limit: number) => new BitrixError('ERROR_ARGUMENT', `Request body is larger than ${limit} bytes`, 413),
  badRequest: (description: string) => new BitrixError('ERROR_ARGUMENT', description, 400),
  unavailable: () => new BitrixError('QUERY_LIMIT_EXCEEDED', 'Too many requests or the service is busy; retry later', 503),
  queueFull: () =>
    new BitrixError('QUERY_LIMIT_EXCEEDED', 'An offline queue of this application is full (10 GB): it must be drained with event.offline.get before more is journaled', 503),
  rateLimited: () => new BitrixError('QUERY_LIMIT_EXCEEDED', 'Too many requests: the application is over its request rate limit; retry later', 503),
  internal: () => new BitrixError('INTERNAL_SERVER_ERROR', 'Internal server error', 500),
};
