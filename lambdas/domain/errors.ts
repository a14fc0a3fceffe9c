/**
 * Typed errors of the Bitrix24 REST contract (docs/rest-api.md, "Errors"). The domain and the
 * use cases throw these with a Bitrix error code; the wire layer alone knows which HTTP status
 * each code answers with (wire/response.ts).
 */
export class BitrixError extends Error {
  constructor(
    readonly code: string,
    readonly description: string,
    /** With ERROR_ARGUMENT: the argument at fault, upper-case. */
    readonly argument?: string,
  ) {
    super(`${code}: ${description}`);
    this.name = 'BitrixError';
  }
}

export const errors = {
  noAuth: () => new BitrixError('NO_AUTH_FOUND', 'Wrong authorization data'),
  /** Says where the credential comes from, so that a wrong key is fixed without reading the code. */
  producerUnauthorized: (mode: 'key' | 'iam') =>
    new BitrixError(
      'NO_AUTH_FOUND',
      mode === 'key'
        ? 'Producer key missing or wrong: send Authorization: Bearer <key>, the key `npm start` prints and keeps in $DATA_DIR/producer-key (or PRODUCER_KEY)'
        : 'Producer credentials missing: sign the request with SigV4 as an IAM principal allowed execute-api:Invoke on this route',
    ),
  invalidToken: () => new BitrixError('invalid_token', 'The access token provided is invalid.'),
  expiredToken: () => new BitrixError('expired_token', 'The access token provided has expired.'),
  invalidCredentials: () => new BitrixError('INVALID_CREDENTIALS', 'Invalid request credentials'),
  insufficientScope: () => new BitrixError('insufficient_scope', 'The request requires higher privileges than provided by the access token.'),
  accessDenied: (reason: string) => new BitrixError('ACCESS_DENIED', reason),
  methodNotFound: () => new BitrixError('ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  argument: (argument: string, description: string) => new BitrixError('ERROR_ARGUMENT', description, argument),
  argumentEmpty: (argument: string) => new BitrixError('ERROR_ARGUMENT', `Argument '${argument.toUpperCase()}' is null or empty`, argument.toUpperCase()),
  eventNotFound: () => new BitrixError('ERROR_EVENT_NOT_FOUND', 'Event not found'),
  wrongHandlerUrl: (detail: string) => new BitrixError('ERROR_WRONG_HANDLER_URL', `Wrong handler URL: ${detail}`),
  unsupportedProtocol: () => new BitrixError('ERROR_UNSUPPORTED_PROTOCOL', 'Unsupported event handler protocol: only http and https are allowed'),
  handlerAlreadyBound: () => new BitrixError('ERROR_CORE', 'Unable to set event handler: Handler already binded'),
  badRequest: (description: string) => new BitrixError('ERROR_ARGUMENT', description),
  unavailable: () => new BitrixError('QUERY_LIMIT_EXCEEDED', 'Too many requests or the service is busy; retry later'),
  /** Capacity of the service itself (with the reason, for the log and the producer). */
  busy: (reason: string) => new BitrixError('QUERY_LIMIT_EXCEEDED', `The service is busy; retry later (${reason})`),
  queueFull: () =>
    new BitrixError('QUERY_LIMIT_EXCEEDED', 'An offline queue of this application is full (10 GB): it must be drained with event.offline.get before more is journaled'),
  rateLimited: () => new BitrixError('QUERY_LIMIT_EXCEEDED', 'Too many requests: the application is over its request rate limit; retry later'),
  /** feature.get without CODE (api-reference/common/system/feature-get.md). */
  codeEmpty: () => new BitrixError('CODE_EMPTY', "CODE can't be empty", 'CODE'),
  /** OAuth errors use the OAuth 2.0 codes Bitrix24's server answers with. */
  oauth: (code: 'unsupported_grant_type' | 'invalid_client' | 'invalid_request' | 'invalid_grant', description: string) => new BitrixError(code, description),
  internal: () => new BitrixError('INTERNAL_SERVER_ERROR', 'Internal server error'),
};
