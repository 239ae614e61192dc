// What createFerryClient (client.ts) takes, and what its client offers beyond api.ts.
import type { RandomBytes } from '../../../core/src/ids';
import type { Session } from './api';
import type { Auth } from './auth';
import type { Transport } from './docs';
import type { FetchLike } from './http';
import type { LocksLike } from './node';
import type { SearchFeedOptions } from './search';

export interface FerryClientOptions {
  session: Session;
  /** The browser's `indexedDB` (or fake-indexeddb's IDBFactory in tests). */
  indexedDB: IDBFactory;
  /** A WebSocket constructor (the browser's, or `ws` in Node). Without one, no sync at all. */
  WebSocket?: unknown;
  /** A ready transport; takes precedence over `WebSocket`. */
  transport?: Transport;
  /** Sync every document over one `/_mux` socket (default true); false: one socket per document. */
  mux?: boolean;
  /** Where `online`/`offline`/`pagehide`/`visibilitychange` arrive (the window). */
  events?: EventTarget;
  /** Presence (awareness.ts): idle time before 'away' (default 5 min), whether the window is hidden. */
  presence?: { awayAfterMs?: number; hidden?: () => boolean };
  /** Initial connectivity (navigator.onLine); default true. */
  online?: boolean;
  dbName?: string;
  now?: () => number;
  random?: RandomBytes;
  /** Conversations whose meta documents sync at the same time during catch-up. */
  catchUpConcurrency?: number;
  /** The browser's `navigator.locks`: lets the installation reuse its clock node ids (node.ts). */
  locks?: LocksLike;
  /**
   * Accounts (issue 4): the signed-in session's tokens. With it the socket carries the access
   * token, conversations and people come from the directory document, membership calls the
   * relay's API. Without it (benchmarks, `--no-auth` relays) the previous release's workspace
   * catalogue is used.
   */
  auth?: Auth;
  /** After signOut(): forget the kept session (the backend's `current` record). */
  onSignedOut?: () => Promise<void>;
  /** The directory changed my name or role: keep it for the next (offline) start. */
  onProfile?: (session: Session) => void;
  /** The window's fetch (file uploads' HEAD and downloads); default globalThis.fetch. */
  fetch?: FetchLike;
  /** The workspace's offline limit as heard at sign-in (`/auth/providers`); null: none. */
  offlineGraceDays?: number | null;
  /** Offline search (search.ts): false turns it off (benchmarks); default on, in a worker if any. */
  search?: false | SearchFeedOptions;
}

/** Beyond api.ts: what tests, benchmarks and diagnostics use. */
export interface ClientExtras {
  /** Bytes and rows held in the local store. */
  storedBytes(): Promise<{ updates: number; rows: number; other: number }>;
  /** Resolves when sync status says everything is confirmed (or rejects after `timeoutMs`). */
  whenSettled(timeoutMs?: number): Promise<void>;
  /** Goes offline/online now, as the window's events do. */
  setOnline(online: boolean): void;
  /** Errors of documents whose local copy has unreadable records. */
  readonly errors: ReadonlyMap<string, Error>;
  /** Rooms the last catch-up synced (accounts: what changed since, not every conversation). */
  readonly lastCatchUp: readonly string[];
}
