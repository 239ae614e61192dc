// The API's error shape (docs/accounts.md, HTTP API):
// `{"error": {"code", "message", "details"?, "retryAfter"?}}` with the HTTP status.

export type ErrorCode =
  | 'invalid'
  | 'unauthenticated'
  | 'invalid-credentials'
  | 'totp-required'
  | 'session-ended'
  | 'forbidden'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media-type'
  | 'locked'
  | 'rate-limited'
  | 'password-change-required'
  | 'gone'
  | 'unavailable'
  /** The company directory or issuer cannot answer (docs/identity.md). */
  | 'directory-unavailable'
  /** Local passwords are for admins only on this relay: use the company sign-in. */
  | 'local-sign-in-off'
  | 'internal';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown[],
    /** Seconds; sent as `Retry-After` and as `retryAfter` in the body. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  toBody(): { error: Record<string, unknown> } {
    const error: Record<string, unknown> = { code: this.code, message: this.message };
    if (this.details !== undefined) error.details = this.details;
    if (this.retryAfter !== undefined) error.retryAfter = this.retryAfter;
    return { error };
  }
}

export const unauthenticated = (message = 'not authenticated') =>
  new ApiError(401, 'unauthenticated', message);
export const forbidden = (message = 'not allowed') => new ApiError(403, 'forbidden', message);
export const notFound = (message = 'not found') => new ApiError(404, 'not-found', message);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);
export const rateLimited = (retryAfterMs: number, message = 'too many requests; try again later') =>
  new ApiError(
    429,
    'rate-limited',
    message,
    undefined,
    Math.max(1, Math.ceil(retryAfterMs / 1000)),
  );
