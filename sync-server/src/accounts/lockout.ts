// Backoff and lockout after failed sign-ins (docs/accounts.md): per account in its row, and for
// names that are no account in a bounded map, by the same rules, so that no answer says which
// names exist.
import { ApiError } from '../http/errors';
import { LruMap } from '../limits';
import { AccountsPart, type AccountsContext, type FailureState, type UserRow } from './rows';

export class Lockout extends AccountsPart {
  /** Failed sign-ins of names that are no account: bounded (see `unknownNamesTracked`). */
  private readonly unknownNames: LruMap<string, FailureState>;

  constructor(ctx: AccountsContext) {
    super(ctx);
    this.unknownNames = new LruMap(this.options.unknownNamesTracked);
  }

  /** The failures counted for a name that is no account (`key`: the name, at most 128 characters). */
  unknownName(key: string): FailureState | undefined {
    return this.unknownNames.get(key);
  }

  /**
   * Whether an attempt with this failure state must wait: 423 while locked, 429 inside the
   * backoff after the last failure, null when it may be checked now.
   */
  attemptRefusal(s: FailureState | undefined): ApiError | null {
    if (!s) return null;
    const now = this.now();
    if (s.lockedUntil !== null && s.lockedUntil > now) {
      return new ApiError(
        423,
        'locked',
        'this account is locked after too many failed sign-ins; try again later or ask an admin',
        undefined,
        Math.ceil((s.lockedUntil - now) / 1000),
      );
    }
    // After a lock, the lock was the wait (a further failure locks again at once).
    const lockServed =
      s.lockedUntil !== null && s.lastFailedAt !== null && s.lockedUntil > s.lastFailedAt;
    const wait = lockServed ? 0 : this.backoffMs(s.failures);
    if (wait > 0 && s.lastFailedAt !== null && now < s.lastFailedAt + wait) {
      return new ApiError(
        429,
        'rate-limited',
        'too many failed sign-ins; wait before trying again',
        undefined,
        Math.ceil((s.lastFailedAt + wait - now) / 1000),
      );
    }
    return null;
  }

  /** Counts a failed sign-in of a name that is no account, as `failure` counts an account's. */
  unknownNameFailed(key: string): void {
    const p = this.options.lockout;
    const now = this.now();
    const s = this.unknownNames.get(key) ?? { failures: 0, lastFailedAt: null, lockedUntil: null };
    s.failures++;
    s.lastFailedAt = now;
    if (s.failures >= p.lockAfter) s.lockedUntil = now + p.lockMs;
    this.unknownNames.set(key, s);
  }

  /** Unknown names whose failures are counted now (for tests of the bound). */
  get unknownNamesHeld(): number {
    return this.unknownNames.size;
  }

  /** 0, or how long after the last failure the next attempt must wait. */
  backoffMs(failures: number): number {
    const p = this.options.lockout;
    if (failures < p.backoffAfter) return 0;
    return Math.min(p.maxBackoffMs, this.options.backoffBaseMs * 2 ** (failures - p.backoffAfter));
  }

  failure(r: UserRow, ip: string | null, reason: string): void {
    const p = this.options.lockout;
    const now = this.now();
    // One statement: concurrent failed attempts each count (none is lost to a race).
    const failures = (
      this.db
        .prepare(
          'UPDATE users SET failed_logins = failed_logins + 1, last_failed_at = ? WHERE id = ? RETURNING failed_logins',
        )
        .get(now, r.id) as { failed_logins: number }
    ).failed_logins;
    const lock = failures >= p.lockAfter ? now + p.lockMs : null;
    if (lock !== null) {
      this.db.prepare('UPDATE users SET locked_until = ? WHERE id = ?').run(lock, r.id);
    }
    this.options.onLogin?.('failure');
    this.audit.append({
      actor: null,
      action: 'auth.login_failed',
      target: r.id,
      ip,
      detail: { reason, failures },
    });
    if (lock !== null) {
      this.audit.append({
        actor: null,
        action: 'auth.locked',
        target: r.id,
        ip,
        detail: { failures, until: lock },
      });
    }
  }
}
