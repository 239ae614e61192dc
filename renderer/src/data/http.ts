// The relay's HTTP API (`/api/v1`, sync-server/API.md) as the data layer calls it: JSON both
// ways, the access token in `Authorization: Bearer`, every failure an ApiError with a code the
// UI can act on and a message it can show as is.
import { ApiError } from './api';

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface Http {
  fetch: FetchLike;
  /** False when the device knows it has no network (navigator.onLine). */
  online?: () => boolean;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

/** `https://relay.example/path` → `https://relay.example/path/api/v1`. */
export function apiBase(serverUrl: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/api/v1`;
}

const MESSAGES: Record<string, string> = {
  'invalid-credentials': 'The username or password is not right.',
  'totp-required': 'Enter the code from your authenticator app.',
  locked: 'This account is locked for a while after too many failed sign-ins.',
  'rate-limited': 'Too many attempts. Wait a moment and try again.',
  'session-ended': 'Your session ended. Sign in again.',
  unauthenticated: 'You are not signed in.',
  forbidden: 'You are not allowed to do that.',
  'not-found': 'That no longer exists on the server.',
  conflict: 'That conflicts with what the server has.',
  invalid: 'The server did not accept this input.',
  'too-large': 'That is too large for the server.',
};

function retryAfterOf(res: Response, body: unknown): number | undefined {
  const header = res.headers.get('Retry-After');
  if (header && /^\d+$/.test(header.trim())) return Number(header.trim());
  const err = (body as { error?: { retryAfter?: unknown; details?: unknown } } | null)?.error;
  if (typeof err?.retryAfter === 'number') return err.retryAfter;
  return undefined;
}

/**
 * One API call. Resolves with the parsed JSON body (undefined for 204). Throws ApiError:
 * `offline` (the device has no network), `unreachable` (no answer from the relay), the relay's
 * own error code with its message, or `error` for anything the relay should never answer.
 */
export async function call<T>(
  http: Http,
  serverUrl: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  token?: string,
): Promise<T> {
  if (http.online && !http.online()) {
    throw new ApiError('offline', 'You are offline. This needs a connection to the server.');
  }
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const controller = typeof AbortController === 'function' ? new AbortController() : null;
  const timer = controller ? setTimeout(() => controller.abort(), http.timeoutMs ?? 15_000) : null;
  let res: Response;
  try {
    res = await http.fetch(`${apiBase(serverUrl)}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(controller ? { signal: controller.signal } : {}),
    });
  } catch {
    if (http.online && !http.online()) {
      throw new ApiError('offline', 'You are offline. This needs a connection to the server.');
    }
    throw new ApiError('unreachable', `Can't reach the server at ${serverUrl}.`);
  } finally {
    if (timer !== null) clearTimeout(timer);
  }
  let parsed: unknown = undefined;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (res.ok) return parsed as T;
  const top = parsed as { error?: unknown; message?: unknown } | undefined;
  // The relay's shape is `{ error: { code, message } }`; `{ error: code, message }` is read too.
  const err =
    typeof top?.error === 'string'
      ? { code: top.error, message: top.message }
      : (top?.error as { code?: unknown; message?: unknown } | undefined);
  if (err && typeof err.code === 'string') {
    const message = typeof err.message === 'string' && err.message ? err.message : (MESSAGES[err.code] ?? err.code);
    throw new ApiError(err.code, message, retryAfterOf(res, parsed));
  }
  if (res.status === 429) throw new ApiError('rate-limited', MESSAGES['rate-limited'] as string, retryAfterOf(res, parsed));
  if (res.status === 404) {
    throw new ApiError('unreachable', `The server at ${serverUrl} does not answer like a Ferry relay (404).`);
  }
  throw new ApiError('error', `The server answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`);
}

/** The human message for an error code, when the relay sent none. */
export function messageOf(code: string): string {
  return MESSAGES[code] ?? 'Something went wrong.';
}

/** An authenticated JSON call to the relay's API (the account and admin APIs are built on one). */
export type ApiCall = <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => Promise<T>;
