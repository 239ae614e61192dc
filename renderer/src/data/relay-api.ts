// The relay's HTTP API as the client calls it: only signed in, only online (auth.ts renews
// the token). Answers are checked by the caller.
import { ApiError } from './api';
import type { Auth } from './auth';

export type RelayApi = <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => Promise<T>;

/** `auth`: the session's tokens (none in workspace mode); `online`: the client's connectivity. */
export function relayApi(auth: Auth | undefined, online: () => boolean): RelayApi {
  return async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> => {
    if (!auth) throw new ApiError('unauthenticated', 'This needs an account on the server.');
    if (auth.ended) throw new ApiError('session-ended', auth.status.state === 'ended' ? auth.status.message : 'Your session ended.');
    if (!online()) throw new ApiError('offline', 'You are offline. This needs a connection to the server.');
    return auth.api<T>(method, path, body);
  };
}
