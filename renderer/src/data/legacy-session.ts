// The previous release's session (no accounts): server URL and display name kept in the
// database `ferry`, the user id minted on this device. Used by the workspace mode only
// (benchmarks, `--no-auth` relays); signed-in sessions live in accounts.ts.
import { newId, type RandomBytes } from '../../../core/src/ids';
import type { Session } from './api';
import { DB_NAME, LocalStore } from './store';
import { relaySocketUrl } from './transport';

const defaultRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/** Reads the saved session (null on first run). */
export async function loadSession(indexedDB: IDBFactory, dbName = DB_NAME): Promise<Session | null> {
  const store = await LocalStore.open(indexedDB, dbName);
  try {
    const s = (await store.getMeta('session')) as Partial<Session> | undefined;
    if (s && typeof s.userId === 'string' && typeof s.serverUrl === 'string' && typeof s.displayName === 'string') {
      return {
        userId: s.userId,
        serverUrl: s.serverUrl,
        displayName: s.displayName,
        username: typeof s.username === 'string' ? s.username : s.userId,
        role: s.role === 'admin' || s.role === 'guest' ? s.role : 'member',
      };
    }
    return null;
  } finally {
    await store.close();
  }
}

/**
 * Saves the first-run answers (or changes them). The user id is minted locally once and kept
 * (accounts come later); the server URL is checked here so a typo is refused with a clear error.
 */
export async function saveSession(
  indexedDB: IDBFactory,
  input: { serverUrl: string; displayName: string; userId?: string },
  dbName = DB_NAME,
  random: RandomBytes = defaultRandom,
): Promise<Session> {
  const displayName = input.displayName.trim();
  if (displayName.length === 0 || displayName.length > 100) {
    throw new Error('The display name must be 1 to 100 characters.');
  }
  relaySocketUrl(input.serverUrl);
  const store = await LocalStore.open(indexedDB, dbName);
  try {
    const prev = (await store.getMeta('session')) as Partial<Session> | undefined;
    const userId = input.userId ?? prev?.userId ?? newId(random);
    const session: Session = {
      userId,
      username: prev?.username ?? userId.toLowerCase(),
      role: prev?.role ?? 'member',
      serverUrl: input.serverUrl.trim().replace(/\/+$/, ''),
      displayName,
    };
    await store.putMeta('session', session);
    return session;
  } finally {
    await store.close();
  }
}
