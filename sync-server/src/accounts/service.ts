// The accounts service: users, passwords, sessions and tokens, TOTP, backoff and lockout
// (docs/accounts.md). One instance per process over the relay's SQLite database; the admin CLI
// makes its own over the same file while the relay runs, and the relay notices what it changed
// by watching `PRAGMA data_version`.
//
// `Accounts` is the facade the rest of the relay (and the tests) use; each concern is a part in
// its own file of this folder (see sync-server/README.md, "Source layout"), wired here.
import type { IncomingMessage } from 'node:http';
import type { SqlDb } from '../db/sql';
import type { Audit } from '../audit';
import { RefusalAudit } from '../refusals';
import { ExternalAccounts } from './external';
import { Invites } from './invites';
import { Lockout } from './lockout';
import { PasswordHasher } from './passwords';
import { RefreshTokens } from './refresh';
import type { AccountsContext, UserRow } from './rows';
import { ApiError } from '../http/errors';
import { SecondFactor } from './second-factor';
import { SessionEvents } from './session-events';
import { Sessions } from './sessions';
import { SignIn, type DirectorySignIn } from './sign-in';
import { refreshKey, signingKey } from './tokens';
import {
  DEFAULT_ACCOUNTS_OPTIONS,
  type AccessError,
  type AccessInfo,
  type AccountsOptions,
  type Actor,
  type LoginResult,
  type SessionEnded,
  type SessionInfo,
  type User,
} from './types';
import { Users } from './users';
import type { Role } from './validation';

export type {
  AccessError,
  AccessInfo,
  AccountsOptions,
  Actor,
  LockoutPolicy,
  LoginResult,
  Role,
  SessionEnded,
  SessionInfo,
  User,
} from './types';
export { DAY_MS, DEFAULT_ACCOUNTS_OPTIONS } from './types';
export { endedMessage } from './session-events';

export class Accounts {
  readonly options: AccountsOptions;
  readonly passwords: PasswordHasher;
  /** Refusals audited once per (subject, reason) and window, with a count. */
  readonly refusals: RefusalAudit;
  private readonly users: Users;
  /** Invite links (invites.ts). */
  readonly invites: Invites;
  private readonly secondFactor: SecondFactor;
  private readonly lockout: Lockout;
  private readonly sessions: Sessions;
  private readonly refreshTokens: RefreshTokens;
  private readonly signIn: SignIn;
  private readonly events: SessionEvents;
  /** Accounts from the company directory or issuer (external.ts, docs/identity.md). */
  readonly external: ExternalAccounts;

  constructor(
    readonly db: SqlDb,
    readonly audit: Audit,
    options: Partial<AccountsOptions> = {},
  ) {
    this.options = { ...DEFAULT_ACCOUNTS_OPTIONS, ...options };
    this.passwords = new PasswordHasher(this.options.argon2);
    const keys = { access: signingKey(db), refresh: refreshKey(db) };
    const ctx: AccountsContext = { db, audit, options: this.options };
    this.lockout = new Lockout(ctx);
    this.refusals = new RefusalAudit(audit, {
      windowMs: this.options.refusalAuditWindowMs,
      now: () => this.options.now(),
    });
    this.events = new SessionEvents(ctx);
    this.sessions = new Sessions(ctx, keys, this.events);
    this.refreshTokens = new RefreshTokens(ctx, keys, this.sessions);
    this.users = new Users(ctx, this.passwords, this.sessions);
    this.invites = new Invites(ctx, this.users);
    this.secondFactor = new SecondFactor(ctx);
    this.external = new ExternalAccounts(ctx);
    this.signIn = new SignIn(ctx, {
      passwords: this.passwords,
      refusals: this.refusals,
      lockout: this.lockout,
      secondFactor: this.secondFactor,
      sessions: this.sessions,
    });
  }

  // ---- users (users.ts) ----

  userCount(): number {
    return this.users.userCount();
  }

  getUser(id: string): User | null {
    return this.users.getUser(id);
  }

  getUserByUsername(username: string): User | null {
    return this.users.getUserByUsername(username);
  }

  listUsers(): User[] {
    return this.users.listUsers();
  }

  /** Users whose username or display name contains `q` (case-insensitive), enabled ones only. */
  searchUsers(q: string, limit = 50): User[] {
    return this.users.searchUsers(q, limit);
  }

  createUser(
    input: {
      username: string;
      displayName?: string | undefined;
      role: Role;
      password: string;
      mustChangePassword?: boolean;
    },
    by: Actor,
  ): Promise<User> {
    return this.users.createUser(input, by);
  }

  /** Lifts a sign-in lock and the backoff (audited `user.unlocked`); false when there was none. */
  unlock(id: string, by: Actor): boolean {
    return this.users.unlock(id, by);
  }

  /** Changes role, display name or disabled state; disabling ends every session of the user. */
  updateUser(
    id: string,
    patch: { role?: Role; displayName?: string; disabled?: boolean },
    by: Actor,
  ): User {
    return this.users.updateUser(id, patch, by);
  }

  /**
   * Sets a new password. Ends every session of the user except `keepSession` (the caller's own,
   * when a user changes their own password).
   */
  setPassword(
    id: string,
    password: string,
    by: Actor,
    keepSession: string | null = null,
    mustChange = false,
  ): Promise<void> {
    return this.users.setPassword(id, password, by, keepSession, mustChange);
  }

  /** Checks a user's current password (for re-authentication); counts as a login attempt. */
  checkPassword(id: string, password: string): Promise<boolean> {
    return this.users.checkPassword(id, password);
  }

  // ---- TOTP and recovery codes (second-factor.ts) ----

  /** Starts enrolment: a new secret, kept pending until a code from it is confirmed. */
  startTotp(id: string): { secret: string; uri: string } {
    return this.secondFactor.startTotp(id);
  }

  /** Confirms enrolment with a code from the pending secret; returns ten recovery codes. */
  enableTotp(id: string, code: string, by: Actor): Promise<string[]> {
    return this.secondFactor.enableTotp(id, code, by);
  }

  disableTotp(id: string, by: Actor): void {
    this.secondFactor.disableTotp(id, by);
  }

  /** For re-authentication: a valid TOTP code or recovery code of `id` (used up). */
  checkSecondFactor(
    id: string,
    input: { totp?: string | undefined; recoveryCode?: string | undefined },
  ): Promise<boolean> {
    return this.secondFactor.checkSecondFactor(id, input);
  }

  recoveryCodesLeft(id: string): number {
    return this.secondFactor.recoveryCodesLeft(id);
  }

  // ---- sign-in (sign-in.ts, lockout.ts), refresh and logout (refresh.ts) ----

  /**
   * Checks credentials and opens a session. Throws ApiError: 401 invalid-credentials (wrong
   * username or password or code, the same for unknown users), 401 totp-required, 429
   * rate-limited (backoff or the per-username bucket), 423 locked, 403 forbidden (disabled).
   */
  login(
    input: {
      username: string;
      password: string;
      totp?: string | undefined;
      recoveryCode?: string | undefined;
      device?: string | undefined;
    },
    ip: string | null,
  ): Promise<LoginResult> {
    return this.signIn.login(input, ip);
  }

  /**
   * Company sign-in (identity/service.ts): the directory that checks passwords of its
   * accounts and of names Ferry does not know, and whether local passwords are for admins only.
   */
  configureSignIn(directory: DirectorySignIn | null, localSignIn: 'everyone' | 'admins'): void {
    this.signIn.directory = directory;
    this.signIn.localSignIn = localSignIn;
  }

  /**
   * A session for a person the issuer vouched for (OIDC): no password, the same checks of a
   * disabled account as a sign-in, audited `auth.login` with the source.
   */
  async openExternalSession(
    userId: string,
    input: { device: string | null; ip: string | null; idpSession: string | null },
  ): Promise<LoginResult> {
    const user = this.getUser(userId);
    if (!user) throw new ApiError(401, 'invalid-credentials', 'that sign-in is no longer valid');
    if (user.disabled)
      throw new ApiError(403, 'forbidden', 'this account is disabled; ask an admin');
    const row = this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?').get(userId);
    const result = await this.sessions.openSession(
      row as UserRow,
      input.device,
      input.ip,
      this.options.accessTokenTtlSeconds,
      input.idpSession,
    );
    this.options.onLogin?.('success');
    this.audit.append({
      actor: userId,
      action: 'auth.login',
      target: result.sessionId,
      ip: input.ip,
      detail: { source: user.source },
    });
    return result.login;
  }

  /** Ends the sessions opened through one issuer session (OIDC back-channel logout). */
  revokeIdpSessions(idpSession: string, reason: string, by: Actor): number {
    return this.sessions.revokeIdpSessions(idpSession, reason, by);
  }

  /** Unknown names whose failures are counted now (for tests of the bound). */
  get unknownNamesHeld(): number {
    return this.lockout.unknownNamesHeld;
  }

  /** 0, or how long after the last failure the next attempt must wait. */
  backoffMs(failures: number): number {
    return this.lockout.backoffMs(failures);
  }

  /**
   * Rotates a refresh token. Presenting any earlier token of the session again ends the
   * session (audited): it means two parties hold it.
   */
  refresh(refreshToken: string, ip: string | null): Promise<LoginResult> {
    return this.refreshTokens.refresh(refreshToken, ip);
  }

  /**
   * Signs out with the refresh token (when the access token has expired). An earlier token of
   * the session is reuse (the session ends, audited, as on refresh); any other token that is
   * not the session's current one changes nothing: 401.
   */
  logoutWithRefresh(refreshToken: string, ip: string | null): void {
    this.refreshTokens.logoutWithRefresh(refreshToken, ip);
  }

  // ---- sessions (sessions.ts) ----

  /** A token for `admin token`: a new session named 'cli token' with its own access TTL. */
  issueToken(userId: string, ttlSeconds: number, by: Actor): Promise<LoginResult> {
    return this.sessions.issueToken(userId, ttlSeconds, by);
  }

  getSession(id: string): SessionInfo | null {
    return this.sessions.getSession(id);
  }

  /** Live sessions, newest first; of one user when `userId` is given. */
  listSessions(userId?: string): SessionInfo[] {
    return this.sessions.listSessions(userId);
  }

  /** Deletes sessions that ended (revoked or expired) more than `olderThanMs` ago. */
  purgeSessions(olderThanMs: number): number {
    return this.sessions.purgeSessions(olderThanMs);
  }

  activeSessionCount(): number {
    return this.sessions.activeSessionCount();
  }

  /** Ends one session (logout, revoke). false when it was not live. */
  revokeSession(id: string, reason: string, by: Actor): boolean {
    return this.sessions.revokeSession(id, reason, by);
  }

  /** Ends every live session of a user (except `keep`); returns how many. */
  revokeUserSessions(
    userId: string,
    reason: string,
    by: Actor,
    keep: string | null = null,
  ): number {
    return this.sessions.revokeUserSessions(userId, reason, by, keep);
  }

  // ---- access tokens ----

  /**
   * Checks an access token: its signature and expiry (jose), its session (live, not revoked)
   * and its user (exists, not disabled). The role is the user's current one.
   */
  verifyAccess(token: string): Promise<AccessInfo | AccessError> {
    return this.sessions.verifyAccess(token);
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

  // ---- session-ended notifications (session-events.ts) ----

  /** Called when `watch()` sees another process commit to the database (the admin CLI). */
  onDatabaseChanged(listener: () => void): () => void {
    return this.events.onDatabaseChanged(listener);
  }

  /**
   * Calls `listener` whenever a session ends (logout, revocation, a disabled user, a password
   * change, refresh reuse), here or, via `watch()`, in another process (the admin CLI).
   * Returns a function that removes the listener.
   */
  onSessionEnded(listener: (e: SessionEnded) => void): () => void {
    return this.events.onSessionEnded(listener);
  }

  /**
   * Polls `PRAGMA data_version` (it changes when another connection commits) every
   * `intervalMs`; on a change re-checks the sessions this process has seen tokens for and
   * reports those that ended. Returns a stop function.
   */
  watch(intervalMs = 250): () => void {
    return this.events.watch(intervalMs);
  }

  /** Re-checks watched sessions if another process changed the database. */
  recheck(force = false): void {
    this.events.recheck(force);
  }

  close(): void {
    this.events.close();
    this.refusals.close();
  }
}
