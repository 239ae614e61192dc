// What the identity benchmark (bench/identity.ts) watches while people are deprovisioned: a
// stock provider's socket, the admin's view of live sessions, refresh tokens, and how long the
// relay takes to answer someone else meanwhile.
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { inboxRoom } from '../../core/src/model/rooms';
import { api, type Tokens } from '../../sync-server/test/accounts-helpers';
import { withDeadline } from '../lib/wait';
import type { BenchRelay } from './relay';

const now = () => performance.now();

/** A stock y-websocket provider in the user's inbox, as the app holds one; resolves synced. */
export async function openSocket(relay: BenchRelay, t: Tokens) {
  const provider = new WebsocketProvider(relay.url, inboxRoom(t.user.id), new Y.Doc(), {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ws is the browser WebSocket surface the provider uses
    WebSocketPolyfill: WebSocket as any,
    disableBc: true,
    params: { token: t.accessToken },
  });
  await withDeadline(
    new Promise<void>((resolve) => provider.on('sync', (s: boolean) => s && resolve())),
    30_000,
    'a socket synced',
  );
  // The first close after this: the relay ending the socket of a disabled account.
  const closed = new Promise<number>((resolve) =>
    provider.once('connection-close', () => {
      resolve(now());
      // Not from inside its own close event: destroy() closes again.
      setImmediate(() => provider.destroy());
    }),
  );
  return { provider, closed };
}

/**
 * Another person's requests meanwhile: GET /healthz back to back until stopped; resolves to
 * the longest answer in ms (how long the relay stopped answering anyone).
 */
export function pinger(relay: BenchRelay) {
  let on = true;
  let longest = 0;
  const loop = (async () => {
    while (on) {
      const t = now();
      await (await fetch(`${relay.http}/healthz`)).body?.cancel();
      longest = Math.max(longest, now() - t);
    }
  })();
  return async () => {
    on = false;
    await loop;
    return longest;
  };
}

/** Live sessions (GET /admin/sessions) belonging to `ids`. */
export async function liveSessions(relay: BenchRelay, admin: Tokens, ids: Set<string>) {
  const r = await api<{ sessions: Array<{ userId: string }> }>(
    relay.http,
    'GET',
    '/admin/sessions',
    {
      token: admin.accessToken,
    },
  );
  return r.body.sessions.filter((s) => ids.has(s.userId)).length;
}

/** POST /auth/refresh for `sample` of the signed-out people: how many still get a token. */
export async function refreshesAccepted(relay: BenchRelay, tokens: Tokens[]) {
  const answers = await Promise.all(
    tokens.map((t) =>
      api(relay.http, 'POST', '/auth/refresh', { body: { refreshToken: t.refreshToken } }),
    ),
  );
  return answers.filter((a) => a.status === 200).length;
}
