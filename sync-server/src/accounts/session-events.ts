// Session-ended notifications: sessions that end here (logout, revocation, a disabled user, a
// password change, refresh reuse), and those another process (the admin CLI) ended, noticed by
// polling the database's change counter (SqlDb.changeCounter) and re-checking the sessions this process has seen tokens for.
import { AccountsPart, type AccountsContext } from './rows';
import type { SessionEnded } from './types';

interface StateRow {
  id: string;
  revokedAt: number | null;
  revokedReason: string | null;
  expiresAt: number;
  disabledAt: number | null;
  userId: string | null;
}

export class SessionEvents extends AccountsPart {
  private readonly listeners = new Set<(e: SessionEnded) => void>();
  private readonly changeListeners = new Set<() => void>();
  /** Sessions this process has seen a valid access token for: re-checked on outside changes. */
  private readonly watched = new Map<string, { userId: string; exp: number }>();
  private dataVersion: number;
  private poller: NodeJS.Timeout | null = null;

  constructor(ctx: AccountsContext) {
    super(ctx);
    this.dataVersion = this.readDataVersion();
  }

  /** A valid access token of this session was seen (`exp` in ms): watch it for outside changes. */
  watchSession(sessionId: string, userId: string, exp: number): void {
    this.watched.set(sessionId, { userId, exp });
  }

  /** Called when `watch()` sees another process commit to the database (the admin CLI). */
  onDatabaseChanged(listener: () => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /**
   * Calls `listener` whenever a session ends (logout, revocation, a disabled user, a password
   * change, refresh reuse), here or, via `watch()`, in another process (the admin CLI).
   * Returns a function that removes the listener.
   */
  onSessionEnded(listener: (e: SessionEnded) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  ended(e: SessionEnded): void {
    this.watched.delete(e.sessionId);
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // a listener's failure must not stop the others
      }
    }
  }

  private readDataVersion(): number {
    return this.db.changeCounter();
  }

  /**
   * Polls `PRAGMA data_version` (it changes when another connection commits) every
   * `intervalMs`; on a change re-checks the sessions this process has seen tokens for and
   * reports those that ended. Returns a stop function.
   */
  watch(intervalMs = 250): () => void {
    this.poller ??= setInterval(() => this.recheck(), intervalMs);
    this.poller.unref();
    return () => {
      if (this.poller) clearInterval(this.poller);
      this.poller = null;
    };
  }

  /** Re-checks watched sessions if another process changed the database. */
  recheck(force = false): void {
    const version = this.readDataVersion();
    const now = this.now();
    for (const [sid, w] of this.watched) {
      // Tokens that expired a while ago cannot be used again; sockets close 30 s after exp.
      if (w.exp + 120_000 < now) this.watched.delete(sid);
    }
    if (!force && version === this.dataVersion) return;
    this.dataVersion = version;
    for (const l of [...this.changeListeners]) {
      try {
        l();
      } catch {
        // a listener's failure must not stop the session checks
      }
    }
    // One statement per 500 sessions (with several nodes this runs after every audited change
    // anywhere, so not one query per session).
    const ids = [...this.watched.keys()];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare<string[], StateRow>(
          `SELECT s.id AS id, s.revoked_at AS revokedAt, s.revoked_reason AS revokedReason,
                  s.expires_at AS expiresAt, u.disabled_at AS disabledAt, u.id AS userId
             FROM sessions s LEFT JOIN users u ON u.id = s.user
            WHERE s.id IN (${chunk.map(() => '?').join(', ')})`,
        )
        .all(...chunk);
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const sid of chunk) {
        const w = this.watched.get(sid);
        if (!w) continue;
        const s = byId.get(sid);
        let reason: string | null = null;
        if (!s || s.userId === null) reason = 'revoked';
        else if (s.revokedAt !== null) reason = s.revokedReason ?? 'revoked';
        else if (s.disabledAt !== null) reason = 'user disabled';
        else if (now >= s.expiresAt) reason = 'expired';
        if (reason !== null) this.ended({ sessionId: sid, userId: w.userId, reason });
      }
    }
  }

  close(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.listeners.clear();
    this.changeListeners.clear();
  }
}

/**
 * What a client is told when its session has ended, by the reason the session row keeps. The
 * app shows a different sentence for each ("Your account was disabled", "… ended on the
 * server"), so the words `disabled`, `revoked`, `signed out`, `password` and `expired` matter.
 */
export function endedMessage(reason: string | null): string {
  switch (reason) {
    case 'user disabled':
      return 'your account was disabled; ask your administrator';
    case 'password changed':
      return 'your password was changed; sign in again';
    case 'logout':
      return 'you signed out of this session; sign in again';
    case 'refresh reused':
      return 'this sign-in was used from two places, so it was revoked; sign in again';
    case 'expired':
      return 'your session expired; sign in again';
    case 'signed out at the issuer':
      return 'you signed out of your company account; sign in again';
    default:
      return 'your session was revoked; sign in again';
  }
}
