// The accounts service: users, passwords, sessions and tokens, TOTP, backoff and lockout
// (docs/accounts.md). One instance per process over the relay's SQLite database; the admin CLI
// makes its own over the same file while the relay runs, and the relay notices what it changed
// by watching `PRAGMA data_version`.
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type Database from 'better-sqlite3';
import { newId } from '../../../core/src/ids';
import type { Audit } from '../audit';
import { ApiError, conflict, notFound } from '../http/errors';
import { LruMap, TokenBuckets, type BucketSpec } from '../limits';
import { RefusalAudit } from '../refusals';
import { OWASP_ARGON2, PasswordHasher, passwordProblem, type Argon2Cost } from './passwords';
import {
  parseRefreshToken,
  refreshKey,
  refreshTokenFor,
  sameHash,
  sha256,
  signAccess,
  signingKey,
  verifyAccessToken,
} from './tokens';
import { checkTotp, newRecoveryCodes, newTotpSecret, recoveryCodeHash, totpUri } from './totp';
import * as v from 'valibot';
import { DisplayName, USERNAME_PATTERN, type Role } from './validation';

export type { Role };

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  totp: boolean;
  createdAt: number;
}

/** What a valid access token (with a live session) says. `exp` is in ms. */
export interface AccessInfo {
  userId: string;
  sessionId: string;
  role: Role;
  exp: number;
}

export type AccessError = 'token expired' | 'session ended' | 'not authenticated';

export interface SessionEnded {
  sessionId: string;
  userId: string;
  /** e.g. 'logout', 'revoked', 'user disabled', 'password changed', 'refresh reused', 'expired'. */
  reason: string;
}

export interface SessionInfo {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  /** When it ends without use: the earlier of 30 days idle and 90 days after login. */
  expiresAt: number;
  device: string | null;
  ip: string | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

export interface LoginResult {
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  user: User;
}

export interface LockoutPolicy {
  /** Failures after which each attempt waits 2^(n - backoffAfter) s. */
  backoffAfter: number;
  maxBackoffMs: number;
  /** Failures at which the account locks. */
  lockAfter: number;
  lockMs: number;
}

export interface AccountsOptions {
  accessTokenTtlSeconds: number;
  sessionIdleMs: number;
  sessionMaxMs: number;
  argon2: Argon2Cost;
  lockout: LockoutPolicy;
  /** The first backoff wait (ms); it doubles with each further failure. */
  backoffBaseMs: number;
  loginPerUsername: BucketSpec;
  /**
   * Names that are no account whose failed sign-ins are counted (a capped LRU), so they wait
   * and lock exactly like real accounts do: the backoff tells no one which names exist.
   */
  unknownNamesTracked: number;
  /** Repeated refusals of one (subject, reason) within this window make one audit entry. */
  refusalAuditWindowMs: number;
  /** Name shown by authenticator apps. */
  issuer: string;
  now: () => number;
  /** Called for every login attempt's outcome (metrics). */
  onLogin?: (result: 'success' | 'failure' | 'totp-required' | 'locked' | 'rate-limited') => void;
  onRateLimited?: (what: string) => void;
}

export const DAY_MS = 24 * 3600 * 1000;

export const DEFAULT_ACCOUNTS_OPTIONS: AccountsOptions = {
  accessTokenTtlSeconds: 600,
  sessionIdleMs: 30 * DAY_MS,
  sessionMaxMs: 90 * DAY_MS,
  argon2: OWASP_ARGON2,
  lockout: { backoffAfter: 5, maxBackoffMs: 15 * 60_000, lockAfter: 10, lockMs: 15 * 60_000 },
  backoffBaseMs: 1000,
  loginPerUsername: { burst: 10, perSecond: 5 / 60 },
  unknownNamesTracked: 50_000,
  refusalAuditWindowMs: 60_000,
  issuer: 'Ferry',
  now: () => Date.now(),
};

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled_at: number | null;
  totp_secret: string | null;
  totp_pending: string | null;
  totp_last_step: number | null;
  failed_logins: number;
  last_failed_at: number | null;
  locked_until: number | null;
  created_at: number;
  password_changed_at: number;
}

interface SessionRow {
  id: string;
  user: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  refresh_hash: string | null;
  previous_refresh_hash: string | null;
  /** The generation of the current refresh token; 0 for a token from before generations. */
  refresh_generation: number;
  device: string | null;
  ip: string | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** What decides whether a sign-in attempt may be checked now (a user row, or an unknown name). */
interface FailureState {
  failures: number;
  lastFailedAt: number | null;
  lockedUntil: number | null;
}

const rowFailures = (r: UserRow): FailureState => ({
  failures: r.failed_logins,
  lastFailedAt: r.last_failed_at,
  lockedUntil: r.locked_until,
});

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled_at !== null,
  totp: r.totp_secret !== null,
  createdAt: r.created_at,
});

/** The display name, trimmed, or 400 invalid (1-64 characters, no control characters). */
function displayNameOrThrow(name: string): string {
  const r = v.safeParse(DisplayName, name);
  if (!r.success) throw new ApiError(400, 'invalid', r.issues[0].message);
  return r.output;
}

const newUserId = () => newId((n) => new Uint8Array(randomBytes(n)));

/** Who did something: a user id, 'cli' (admin CLI), 'setup', or null. */
export interface Actor {
  actor: string | null;
  ip?: string | null;
}

export class Accounts {
  readonly options: AccountsOptions;
  readonly passwords: PasswordHasher;
  private readonly key: Uint8Array;
  private readonly refreshKey: Uint8Array;
  /** Failed sign-ins of names that are no account: bounded (see `unknownNamesTracked`). */
  private readonly unknownNames: LruMap<string, FailureState>;
  /** Refusals audited once per (subject, reason) and window, with a count. */
  readonly refusals: RefusalAudit;
  private readonly listeners = new Set<(e: SessionEnded) => void>();
  /** Sessions this process has seen a valid access token for: re-checked on outside changes. */
  private readonly watched = new Map<string, { userId: string; exp: number }>();
  private readonly usernameBuckets: TokenBuckets;
  private dataVersion: number;
  private poller: NodeJS.Timeout | null = null;

  constructor(
    readonly db: Database.Database,
    readonly audit: Audit,
    options: Partial<AccountsOptions> = {},
  ) {
    this.options = { ...DEFAULT_ACCOUNTS_OPTIONS, ...options };
    this.passwords = new PasswordHasher(this.options.argon2);
    this.key = signingKey(db);
    this.refreshKey = refreshKey(db);
    this.unknownNames = new LruMap(this.options.unknownNamesTracked);
    this.refusals = new RefusalAudit(audit, {
      windowMs: this.options.refusalAuditWindowMs,
      now: () => this.now(),
    });
    this.usernameBuckets = new TokenBuckets(this.options.loginPerUsername);
    this.dataVersion = this.readDataVersion();
  }

  private now(): number {
    return this.options.now();
  }

  // ---- users ----

  userCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  private row(id: string): UserRow | undefined {
    return this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?').get(id);
  }

  private rowByName(username: string): UserRow | undefined {
    return this.db
      .prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?')
      .get(username.trim().toLowerCase());
  }

  getUser(id: string): User | null {
    const r = this.row(id);
    return r ? toUser(r) : null;
  }

  getUserByUsername(username: string): User | null {
    const r = this.rowByName(username);
    return r ? toUser(r) : null;
  }

  listUsers(): User[] {
    return this.db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username').all().map(toUser);
  }

  /** Users whose username or display name contains `q` (case-insensitive), enabled ones only. */
  searchUsers(q: string, limit = 50): User[] {
    const like = '%' + q.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    return this.db
      .prepare<[string, string, number], UserRow>(
        `SELECT * FROM users WHERE disabled_at IS NULL
           AND (username LIKE ? ESCAPE '\\' OR lower(display_name) LIKE ? ESCAPE '\\')
         ORDER BY username LIMIT ?`,
      )
      .all(like, like, limit)
      .map(toUser);
  }

  async createUser(
    input: { username: string; displayName?: string; role: Role; password: string },
    by: Actor,
  ): Promise<User> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(username)) {
      throw new ApiError(400, 'invalid', `"${input.username}" is not a valid username`);
    }
    const problem = passwordProblem(input.password);
    if (problem) throw new ApiError(400, 'invalid', problem);
    const displayName = displayNameOrThrow(input.displayName ?? username);
    if (this.rowByName(username)) throw conflict(`the username "${username}" is taken`);
    const hash = await this.passwords.hash(input.password);
    const id = newUserId();
    const now = this.now();
    try {
      this.db
        .prepare(
          `INSERT INTO users (id, username, display_name, role, password_hash, created_at, password_changed_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, username, displayName, input.role, hash, now, now);
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw conflict(`the username "${username}" is taken`);
      }
      throw error;
    }
    this.audit.append({
      actor: by.actor,
      action: 'user.created',
      target: id,
      ip: by.ip ?? null,
      detail: { username, role: input.role },
    });
    return this.getUser(id) as User;
  }

  /** Changes role, display name or disabled state; disabling ends every session of the user. */
  updateUser(
    id: string,
    patch: { role?: Role; displayName?: string; disabled?: boolean },
    by: Actor,
  ): User {
    const before = this.row(id);
    if (!before) throw notFound('no such user');
    const demote = patch.role !== undefined && patch.role !== 'admin';
    if (before.role === 'admin' && before.disabled_at === null && (demote || patch.disabled)) {
      const admins = (
        this.db
          .prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL")
          .get() as { n: number }
      ).n;
      if (admins <= 1) throw conflict('this is the last active admin; make another admin first');
    }
    if (patch.displayName !== undefined)
      patch = { ...patch, displayName: displayNameOrThrow(patch.displayName) };
    const now = this.now();
    const changed: Record<string, unknown> = {};
    this.db.transaction(() => {
      if (patch.role !== undefined && patch.role !== before.role) {
        this.db.prepare('UPDATE users SET role = ? WHERE id = ?').run(patch.role, id);
        changed.role = patch.role;
      }
      if (patch.displayName !== undefined && patch.displayName !== before.display_name) {
        this.db
          .prepare('UPDATE users SET display_name = ? WHERE id = ?')
          .run(patch.displayName, id);
        changed.displayName = patch.displayName;
      }
      if (patch.disabled !== undefined && patch.disabled !== (before.disabled_at !== null)) {
        this.db
          .prepare('UPDATE users SET disabled_at = ? WHERE id = ?')
          .run(patch.disabled ? now : null, id);
        changed.disabled = patch.disabled;
      }
    })();
    if ('role' in changed || 'displayName' in changed) {
      const detail: Record<string, unknown> = {};
      if ('role' in changed) detail.role = changed.role;
      if ('displayName' in changed) detail.displayName = changed.displayName;
      this.audit.append({
        actor: by.actor,
        action: 'user.updated',
        target: id,
        ip: by.ip ?? null,
        detail,
      });
    }
    if ('disabled' in changed) {
      this.audit.append({
        actor: by.actor,
        action: patch.disabled ? 'user.disabled' : 'user.enabled',
        target: id,
        ip: by.ip ?? null,
      });
      if (patch.disabled) this.revokeUserSessions(id, 'user disabled', by);
    }
    return this.getUser(id) as User;
  }

  /**
   * Sets a new password. Ends every session of the user except `keepSession` (the caller's own,
   * when a user changes their own password).
   */
  async setPassword(
    id: string,
    password: string,
    by: Actor,
    keepSession: string | null = null,
  ): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new ApiError(400, 'invalid', problem);
    if (!this.row(id)) throw notFound('no such user');
    const hash = await this.passwords.hash(password);
    this.db
      .prepare(
        'UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = NULL WHERE id = ?',
      )
      .run(hash, this.now(), id);
    this.audit.append({
      actor: by.actor,
      action: 'user.password_reset',
      target: id,
      ip: by.ip ?? null,
      detail: { self: by.actor === id },
    });
    this.revokeUserSessions(id, 'password changed', by, keepSession);
  }

  /** Checks a user's current password (for re-authentication); counts as a login attempt. */
  async checkPassword(id: string, password: string): Promise<boolean> {
    const r = this.row(id);
    if (!r) return false;
    return this.passwords.verify(r.password_hash, password);
  }

  // ---- TOTP ----

  /** Starts enrolment: a new secret, kept pending until a code from it is confirmed. */
  startTotp(id: string): { secret: string; uri: string } {
    const r = this.row(id);
    if (!r) throw notFound('no such user');
    if (r.totp_secret) throw conflict('two-factor authentication is already on; turn it off first');
    const secret = newTotpSecret();
    this.db.prepare('UPDATE users SET totp_pending = ? WHERE id = ?').run(secret, id);
    return { secret, uri: totpUri(secret, r.username, this.options.issuer) };
  }

  /** Confirms enrolment with a code from the pending secret; returns ten recovery codes. */
  async enableTotp(id: string, code: string, by: Actor): Promise<string[]> {
    const r = this.row(id);
    if (!r) throw notFound('no such user');
    if (r.totp_secret) throw conflict('two-factor authentication is already on');
    if (!r.totp_pending) throw conflict('start with POST /me/totp/setup');
    const step = await checkTotp(r.totp_pending, code, null, this.now());
    if (step === null)
      throw new ApiError(400, 'invalid', 'that code is not valid; check the device clock');
    const codes = newRecoveryCodes();
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ? WHERE id = ?',
        )
        .run(step, id);
      this.db.prepare('DELETE FROM recovery_codes WHERE user = ?').run(id);
      const insert = this.db.prepare('INSERT INTO recovery_codes (user, hash) VALUES (?, ?)');
      for (const c of codes) insert.run(id, recoveryCodeHash(c));
    })();
    this.audit.append({
      actor: by.actor,
      action: 'user.totp_enabled',
      target: id,
      ip: by.ip ?? null,
    });
    return codes;
  }

  disableTotp(id: string, by: Actor): void {
    if (!this.row(id)) throw notFound('no such user');
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = ?',
        )
        .run(id);
      this.db.prepare('DELETE FROM recovery_codes WHERE user = ?').run(id);
    })();
    this.audit.append({
      actor: by.actor,
      action: 'user.totp_disabled',
      target: id,
      ip: by.ip ?? null,
    });
  }

  /** For re-authentication: a valid TOTP code or recovery code of `id` (used up). */
  async checkSecondFactor(
    id: string,
    input: { totp?: string | undefined; recoveryCode?: string | undefined },
  ): Promise<boolean> {
    const r = this.row(id);
    return r ? this.useSecondFactor(r, input) : false;
  }

  /** A TOTP code (each step once) or an unused recovery code (then used up). */
  private async useSecondFactor(
    r: UserRow,
    input: { totp?: string | undefined; recoveryCode?: string | undefined },
  ): Promise<boolean> {
    if (!r.totp_secret) return true;
    if (input.totp) {
      const step = await checkTotp(r.totp_secret, input.totp, r.totp_last_step, this.now());
      if (step === null) return false;
      // Conditional: two racing logins with the same code cannot both win.
      const res = this.db
        .prepare(
          'UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
        )
        .run(step, r.id, step);
      return res.changes === 1;
    }
    if (input.recoveryCode) {
      const res = this.db
        .prepare(
          'UPDATE recovery_codes SET used_at = ? WHERE user = ? AND hash = ? AND used_at IS NULL',
        )
        .run(this.now(), r.id, recoveryCodeHash(input.recoveryCode));
      return res.changes === 1;
    }
    return false;
  }

  recoveryCodesLeft(id: string): number {
    return (
      this.db
        .prepare('SELECT COUNT(*) AS n FROM recovery_codes WHERE user = ? AND used_at IS NULL')
        .get(id) as { n: number }
    ).n;
  }

  // ---- login, refresh, logout ----

  /**
   * Checks credentials and opens a session. Throws ApiError: 401 invalid-credentials (wrong
   * username or password or code, the same for unknown users), 401 totp-required, 429
   * rate-limited (backoff or the per-username bucket), 423 locked, 403 forbidden (disabled).
   */
  async login(
    input: {
      username: string;
      password: string;
      totp?: string | undefined;
      recoveryCode?: string | undefined;
      device?: string | undefined;
    },
    ip: string | null,
  ): Promise<LoginResult> {
    const o = this.options;
    const username = input.username.trim().toLowerCase();
    const bad = () => new ApiError(401, 'invalid-credentials', 'wrong username or password');
    const bucket = this.usernameBuckets.take(username);
    if (!bucket.ok) {
      o.onRateLimited?.('login-username');
      o.onLogin?.('rate-limited');
      throw new ApiError(
        429,
        'rate-limited',
        'too many sign-in attempts for this account; try again later',
        undefined,
        Math.ceil(bucket.retryAfterMs / 1000),
      );
    }
    const r = USERNAME_PATTERN.test(username) ? this.rowByName(username) : undefined;
    // An unknown name waits and locks by the same rules as an account, from the same kind of
    // state, so no answer (status, Retry-After, whether a password hash is checked) says
    // which names exist.
    const key = username.slice(0, 128);
    const refusal = this.attemptRefusal(r ? rowFailures(r) : this.unknownNames.get(key));
    if (refusal) {
      if (refusal.code === 'locked') o.onLogin?.('locked');
      else {
        o.onRateLimited?.('login-backoff');
        o.onLogin?.('rate-limited');
      }
      if (r) {
        this.refusals.refused({
          actor: null,
          action: 'auth.login_failed',
          target: r.id,
          ip,
          reason: refusal.code === 'locked' ? 'locked' : 'backoff',
        });
      }
      throw refusal;
    }
    if (!r) {
      await this.passwords.verifyNobody(input.password);
      this.unknownNameFailed(key);
      o.onLogin?.('failure');
      // Per address, coalesced: trying a million names must not write a million entries.
      this.refusals.refused({
        actor: null,
        action: 'auth.login_failed',
        ip,
        reason: 'unknown user',
      });
      throw bad();
    }
    const passwordOk = await this.passwords.verify(r.password_hash, input.password);
    if (!passwordOk) {
      this.failure(r, ip, 'wrong password');
      throw bad();
    }
    if (r.totp_secret) {
      if (!input.totp && !input.recoveryCode) {
        o.onLogin?.('totp-required');
        throw new ApiError(
          401,
          'totp-required',
          'enter the code from your authenticator app or a recovery code',
        );
      }
      if (!(await this.useSecondFactor(r, input))) {
        this.failure(r, ip, input.totp ? 'wrong totp code' : 'wrong recovery code');
        throw new ApiError(
          401,
          'invalid-credentials',
          'that code is not valid (or was already used)',
        );
      }
    }
    if (r.disabled_at !== null) {
      o.onLogin?.('failure');
      this.audit.append({
        actor: r.id,
        action: 'auth.login_failed',
        target: r.id,
        ip,
        detail: { reason: 'disabled' },
      });
      throw new ApiError(403, 'forbidden', 'this account is disabled; ask an admin');
    }
    this.db
      .prepare(
        'UPDATE users SET failed_logins = 0, last_failed_at = NULL, locked_until = NULL WHERE id = ?',
      )
      .run(r.id);
    const result = await this.openSession(r, input.device ?? null, ip);
    o.onLogin?.('success');
    this.audit.append({
      actor: r.id,
      action: 'auth.login',
      target: result.sessionId,
      ip,
      detail: input.recoveryCode && !input.totp ? { recoveryCode: true } : null,
    });
    return result.login;
  }

  /**
   * Whether an attempt with this failure state must wait: 423 while locked, 429 inside the
   * backoff after the last failure, null when it may be checked now.
   */
  private attemptRefusal(s: FailureState | undefined): ApiError | null {
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
  private unknownNameFailed(key: string): void {
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

  private failure(r: UserRow, ip: string | null, reason: string): void {
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

  /** Creates a session for `r` and its first token pair. */
  private async openSession(
    r: UserRow,
    device: string | null,
    ip: string | null,
    accessTtlSeconds = this.options.accessTokenTtlSeconds,
  ): Promise<{ sessionId: string; login: LoginResult }> {
    const now = this.now();
    const sessionId = newUserId();
    const refreshToken = refreshTokenFor(this.refreshKey, sessionId, 1);
    this.db
      .prepare(
        `INSERT INTO sessions (id, user, created_at, last_used_at, expires_at, refresh_hash, device, ip, refresh_generation)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1)`,
      )
      .run(
        sessionId,
        r.id,
        now,
        now,
        now + this.options.sessionMaxMs,
        sha256(refreshToken),
        device,
        ip,
      );
    const access = await signAccess(
      this.key,
      { sub: r.id, sid: sessionId, role: r.role },
      now,
      accessTtlSeconds,
    );
    return {
      sessionId,
      login: {
        accessToken: access.token,
        accessExpiresAt: access.expiresAt,
        refreshToken,
        user: toUser(r),
      },
    };
  }

  /**
   * What a presented refresh token is to its session: the current one; an earlier one of this
   * session (any generation below the current, or the token before a pre-generation one):
   * reuse; or neither (made up, or from a restored backup's future): invalid.
   */
  private refreshVerdict(s: SessionRow, token: string): 'current' | 'reused' | 'invalid' {
    const parsed = parseRefreshToken(this.refreshKey, token);
    if (!parsed || parsed.sessionId !== s.id) return 'invalid';
    const presented = sha256(token);
    if (parsed.generation === null) {
      if (s.refresh_generation === 0 && sameHash(s.refresh_hash, presented)) return 'current';
      // A pre-generation token: only the last one rotated away is still known.
      return sameHash(s.previous_refresh_hash, presented) ? 'reused' : 'invalid';
    }
    if (!parsed.authentic) return 'invalid';
    if (parsed.generation < s.refresh_generation) return 'reused';
    if (parsed.generation === s.refresh_generation && sameHash(s.refresh_hash, presented)) {
      return 'current';
    }
    return 'invalid';
  }

  /**
   * An earlier refresh token came back: two parties hold the session (a stolen copy racing
   * the owner). Ends it (its sockets close) and audits it once; returns the error to answer.
   */
  private refreshReused(s: SessionRow, ip: string | null): ApiError {
    this.revokeSession(s.id, 'refresh reused', { actor: null, ip });
    this.audit.append({
      actor: null,
      action: 'auth.refresh_reused',
      target: s.id,
      ip,
      detail: { user: s.user },
    });
    return new ApiError(
      401,
      'session-ended',
      'this sign-in was used from two places, so it was ended; sign in again',
    );
  }

  /**
   * Rotates a refresh token. Presenting any earlier token of the session again ends the
   * session (audited): it means two parties hold it.
   */
  async refresh(refreshToken: string, ip: string | null): Promise<LoginResult> {
    const ended = (message = 'your session ended; sign in again') =>
      new ApiError(401, 'session-ended', message);
    const sid = parseRefreshToken(this.refreshKey, refreshToken)?.sessionId;
    if (!sid) throw new ApiError(401, 'unauthenticated', 'that is not a refresh token');
    const s = this.sessionRow(sid);
    if (!s) throw ended();
    const now = this.now();
    if (s.revoked_at !== null) throw ended(endedMessage(s.revoked_reason));
    if (!this.sessionLive(s, now)) throw ended('your session expired; sign in again');
    const verdict = this.refreshVerdict(s, refreshToken);
    if (verdict === 'reused') throw this.refreshReused(s, ip);
    if (verdict === 'invalid') {
      throw new ApiError(401, 'unauthenticated', 'that refresh token is not valid');
    }
    const u = this.row(s.user);
    if (!u || u.disabled_at !== null) throw ended(endedMessage('user disabled'));
    // Generation tokens need no hash of earlier ones; the hash of the last pre-generation token
    // (an upgraded database) stays in previous_refresh_hash, so that one is reuse for good.
    const generation = s.refresh_generation + 1;
    const next = refreshTokenFor(this.refreshKey, sid, generation);
    const res = this.db
      .prepare(
        `UPDATE sessions SET refresh_hash = ?, refresh_generation = ?, last_used_at = ?, ip = COALESCE(?, ip),
           previous_refresh_hash = CASE refresh_generation WHEN 0 THEN refresh_hash ELSE previous_refresh_hash END
         WHERE id = ? AND refresh_hash = ? AND refresh_generation = ? AND revoked_at IS NULL`,
      )
      .run(sha256(next), generation, now, ip, sid, sha256(refreshToken), s.refresh_generation);
    if (res.changes !== 1) throw ended(); // a concurrent refresh won, or a revocation
    const access = await signAccess(
      this.key,
      { sub: u.id, sid, role: u.role },
      now,
      this.options.accessTokenTtlSeconds,
    );
    return {
      accessToken: access.token,
      accessExpiresAt: access.expiresAt,
      refreshToken: next,
      user: toUser(u),
    };
  }

  /**
   * Signs out with the refresh token (when the access token has expired). An earlier token of
   * the session is reuse (the session ends, audited, as on refresh); any other token that is
   * not the session's current one changes nothing: 401.
   */
  logoutWithRefresh(refreshToken: string, ip: string | null): void {
    const sid = parseRefreshToken(this.refreshKey, refreshToken)?.sessionId;
    const s = sid ? this.sessionRow(sid) : undefined;
    const verdict = s && s.revoked_at === null ? this.refreshVerdict(s, refreshToken) : 'invalid';
    if (s && verdict === 'reused') throw this.refreshReused(s, ip);
    if (!s || verdict !== 'current') {
      throw new ApiError(401, 'session-ended', 'that session has already ended');
    }
    this.revokeSession(s.id, 'logout', { actor: s.user, ip });
  }

  /** A token for `admin token`: a new session named 'cli token' with its own access TTL. */
  async issueToken(userId: string, ttlSeconds: number, by: Actor): Promise<LoginResult> {
    const r = this.row(userId);
    if (!r) throw notFound('no such user');
    if (r.disabled_at !== null) throw conflict('that user is disabled');
    const { sessionId, login } = await this.openSession(r, 'cli token', by.ip ?? null, ttlSeconds);
    this.audit.append({
      actor: by.actor,
      action: 'admin.token_issued',
      target: sessionId,
      ip: by.ip ?? null,
      detail: { user: userId, ttlSeconds },
    });
    return login;
  }

  // ---- sessions ----

  private sessionRow(id: string): SessionRow | undefined {
    return this.db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?').get(id);
  }

  private sessionLive(s: SessionRow, now: number): boolean {
    return (
      s.revoked_at === null &&
      now < s.expires_at &&
      now < s.last_used_at + this.options.sessionIdleMs
    );
  }

  private toSession(s: SessionRow): SessionInfo {
    return {
      id: s.id,
      userId: s.user,
      createdAt: s.created_at,
      lastUsedAt: s.last_used_at,
      expiresAt: Math.min(s.expires_at, s.last_used_at + this.options.sessionIdleMs),
      device: s.device,
      ip: s.ip,
      revokedAt: s.revoked_at,
      revokedReason: s.revoked_reason,
    };
  }

  getSession(id: string): SessionInfo | null {
    const s = this.sessionRow(id);
    return s ? this.toSession(s) : null;
  }

  /** Live sessions, newest first; of one user when `userId` is given. */
  listSessions(userId?: string): SessionInfo[] {
    const now = this.now();
    const rows = userId
      ? this.db
          .prepare<[string], SessionRow>(
            'SELECT * FROM sessions WHERE user = ? AND revoked_at IS NULL ORDER BY created_at DESC',
          )
          .all(userId)
      : this.db
          .prepare<[], SessionRow>(
            'SELECT * FROM sessions WHERE revoked_at IS NULL ORDER BY created_at DESC',
          )
          .all();
    return rows.filter((s) => this.sessionLive(s, now)).map((s) => this.toSession(s));
  }

  /** Deletes sessions that ended (revoked or expired) more than `olderThanMs` ago. */
  purgeSessions(olderThanMs: number): number {
    const cutoff = this.now() - olderThanMs;
    return this.db
      .prepare(
        `DELETE FROM sessions WHERE (revoked_at IS NOT NULL AND revoked_at < ?)
           OR expires_at < ? OR last_used_at + ? < ?`,
      )
      .run(cutoff, cutoff, this.options.sessionIdleMs, cutoff).changes;
  }

  activeSessionCount(): number {
    const now = this.now();
    return (
      this.db
        .prepare(
          'SELECT COUNT(*) AS n FROM sessions WHERE revoked_at IS NULL AND expires_at > ? AND last_used_at > ?',
        )
        .get(now, now - this.options.sessionIdleMs) as { n: number }
    ).n;
  }

  /** Ends one session (logout, revoke). false when it was not live. */
  revokeSession(id: string, reason: string, by: Actor): boolean {
    const s = this.sessionRow(id);
    if (!s || s.revoked_at !== null) return false;
    this.db
      .prepare(
        'UPDATE sessions SET revoked_at = ?, revoked_reason = ? WHERE id = ? AND revoked_at IS NULL',
      )
      .run(this.now(), reason, id);
    if (reason === 'logout') {
      this.audit.append({ actor: by.actor, action: 'auth.logout', target: id, ip: by.ip ?? null });
    } else {
      this.audit.append({
        actor: by.actor,
        action: 'session.revoked',
        target: id,
        ip: by.ip ?? null,
        detail: { user: s.user, reason },
      });
    }
    this.ended({ sessionId: id, userId: s.user, reason });
    return true;
  }

  /** Ends every live session of a user (except `keep`); returns how many. */
  revokeUserSessions(
    userId: string,
    reason: string,
    by: Actor,
    keep: string | null = null,
  ): number {
    const ids = this.db
      .prepare<[string], { id: string }>(
        'SELECT id FROM sessions WHERE user = ? AND revoked_at IS NULL',
      )
      .all(userId)
      .map((r) => r.id)
      .filter((id) => id !== keep);
    let n = 0;
    for (const id of ids) if (this.revokeSession(id, reason, by)) n++;
    return n;
  }

  // ---- access tokens ----

  /**
   * Checks an access token: its signature and expiry (jose), its session (live, not revoked)
   * and its user (exists, not disabled). The role is the user's current one.
   */
  async verifyAccess(token: string): Promise<AccessInfo | AccessError> {
    const now = this.now();
    const check = await verifyAccessToken(this.key, token, now);
    if (!check.ok) return check.expired ? 'token expired' : 'not authenticated';
    const { sub, sid, exp } = check.claims;
    const s = this.sessionRow(sid);
    if (!s || s.user !== sub) return 'not authenticated';
    if (s.revoked_at !== null) return 'session ended';
    // A session may go idle while tokens are used (tokens do not touch last_used_at, only
    // refreshes do), so only the absolute end applies to access tokens.
    if (now >= s.expires_at) return 'session ended';
    const u = this.row(sub);
    if (!u || u.disabled_at !== null) return 'session ended';
    this.watched.set(sid, { userId: sub, exp: exp * 1000 });
    return { userId: sub, sessionId: sid, role: u.role, exp: exp * 1000 };
  }

  /** The bearer token of a request: `Authorization: Bearer …`, else `?token=` (sockets). */
  static bearer(req: IncomingMessage, allowQuery = false): string | null {
    const h = req.headers.authorization;
    if (typeof h === 'string') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
      if (m) return m[1] as string;
    }
    if (allowQuery) {
      const q = (req.url ?? '').split('?')[1];
      if (q) {
        const t = new URLSearchParams(q).get('token');
        if (t) return t;
      }
    }
    return null;
  }

  /** verifyAccess on the request's bearer token (header; `?token=` too with allowQuery). */
  async authenticateRequest(
    req: IncomingMessage,
    allowQuery = false,
  ): Promise<AccessInfo | AccessError> {
    const token = Accounts.bearer(req, allowQuery);
    if (!token) return 'not authenticated';
    return this.verifyAccess(token);
  }

  // ---- session-ended notifications ----

  private readonly changeListeners = new Set<() => void>();

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

  private ended(e: SessionEnded): void {
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
    return this.db.pragma('data_version', { simple: true }) as number;
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
    for (const [sid, w] of [...this.watched]) {
      const s = this.sessionRow(sid);
      const u = s ? this.row(s.user) : undefined;
      let reason: string | null = null;
      if (!s || !u) reason = 'revoked';
      else if (s.revoked_at !== null) reason = s.revoked_reason ?? 'revoked';
      else if (u.disabled_at !== null) reason = 'user disabled';
      else if (now >= s.expires_at) reason = 'expired';
      if (reason !== null) this.ended({ sessionId: sid, userId: w.userId, reason });
    }
  }

  close(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    this.refusals.close();
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
    default:
      return 'your session was revoked; sign in again';
  }
}
