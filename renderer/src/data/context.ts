// What every service of the client (client.ts wires them) shares: who I am, the local store,
// the open documents and the client's change signals. Services take this plus the few other
// services they use, never the Client itself.
import type { Session } from './api';
import type { DocHost } from './docs';
import type { DocRecord, LocalStore } from './store';

export interface ClientContext {
  /** My user id. */
  readonly me: string;
  /** The signed-in user; name and role follow the directory's profile of me. */
  readonly session: Session;
  /** Signed in with an account; false: the previous release's workspace mode (workspace-mode.ts). */
  readonly accounts: boolean;
  readonly store: LocalStore;
  readonly host: DocHost;
  /** Errors of documents whose local copy has unreadable records, by room. */
  readonly errors: Map<string, Error>;
  /** Per-room records (relay state vector, directory version, page counts), read after start. */
  readonly records: Map<string, DocRecord>;
  readonly recordsLoaded: Promise<void>;
  /** True once close() has begun: late callbacks do nothing. */
  readonly closed: boolean;
  now(): number;
  /** A conversation's state changed (null: names, people or the relay's schema). */
  convChanged(convId: string | null): void;
  /** Something the sync status reads changed. */
  syncChanged(): void;
  /**
   * Why nothing may be written now, in words (offline past the workspace's limit,
   * offline-grace.ts), or null. Absent: never blocked.
   */
  writeBlocked?(): string | null;
}
