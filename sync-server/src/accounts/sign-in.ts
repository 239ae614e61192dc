// Sign-in: the per-username bucket, backoff and lockout (lockout.ts), the password (or, for a
// name that is no account, a hash of nobody's, so timing says nothing), the second factor,
// then a new session (sessions.ts). Every outcome is counted and audited.
import { ApiError } from '../http/errors';
import { localLimiters, type Limiter } from '../limits';
import type { RefusalAudit } from '../refusals';
import type { Lockout } from './lockout';
import type { PasswordHasher } from './passwords';
import { AccountsPart, rowFailures, type AccountsContext, type UserRow } from './rows';
import type { SecondFactor } from './second-factor';
import type { Sessions } from './sessions';
import type { LoginResult } from './types';
import { USERNAME_PATTERN } from './validation';

export interface SignInParts {
  passwords: PasswordHasher;
  refusals: RefusalAudit;
  lockout: Lockout;
  secondFactor: SecondFactor;
  sessions: Sessions;
}

/**
 * Sign-in against the company directory (identity/service.ts): the account id of the person
 * the directory accepted (made or updated), null for wrong credentials (counted here), or an
 * ApiError: 503 when the directory cannot answer, 403 when the person may not use Ferry.
 */
export interface DirectorySignIn {
  signIn(username: string, password: string, ip: string | null): Promise<string | null>;
}

export class SignIn extends AccountsPart {
  /** Set when LDAP is configured. */
  directory: DirectorySignIn | null = null;
  /** 'admins': only admins may sign in with a local password (docs/identity.md). */
  localSignIn: 'everyone' | 'admins' = 'everyone';
  private readonly usernameBuckets: Limiter;
  private readonly passwords: PasswordHasher;
  private readonly refusals: RefusalAudit;
  private readonly lockout: Lockout;
  private readonly secondFactor: SecondFactor;
  private readonly sessions: Sessions;

  constructor(ctx: AccountsContext, parts: SignInParts) {
    super(ctx);
    this.passwords = parts.passwords;
    this.refusals = parts.refusals;
    this.lockout = parts.lockout;
    this.secondFactor = parts.secondFactor;
    this.sessions = parts.sessions;
    const limiters = this.options.limiters ?? localLimiters;
    this.usernameBuckets = limiters('login-username', this.options.loginPerUsername);
  }

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
    const bucket = await this.usernameBuckets.take(username);
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
    let r = USERNAME_PATTERN.test(username) ? this.rowByName(username) : undefined;
    // An unknown name waits and locks by the same rules as an account, from the same kind of
    // state, so no answer (status, Retry-After, whether a password hash is checked) says
    // which names exist.
    const key = username.slice(0, 128);
    const refusal = this.lockout.attemptRefusal(r ? rowFailures(r) : this.lockout.unknownName(key));
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
    const checked = await this.checkPassword(r, username, input.password, key, ip);
    if (checked === null) throw bad();
    r = checked;
    if (r.totp_secret) {
      if (!input.totp && !input.recoveryCode) {
        o.onLogin?.('totp-required');
        throw new ApiError(
          401,
          'totp-required',
          'enter the code from your authenticator app or a recovery code',
        );
      }
      if (!(await this.secondFactor.useSecondFactor(r, input))) {
        this.lockout.failure(r, ip, input.totp ? 'wrong totp code' : 'wrong recovery code');
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
    if (r.source === 'local' && r.role !== 'admin' && this.localSignIn === 'admins') {
      o.onLogin?.('failure');
      this.refusals.refused({
        actor: r.id,
        action: 'auth.login_failed',
        target: r.id,
        ip,
        reason: 'local sign-in is for admins only',
      });
      throw new ApiError(
        403,
        'local-sign-in-off',
        'sign in with your company account: local accounts are for admins only here',
      );
    }
    const result = await this.sessions.openSession(r, input.device ?? null, ip);
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
   * The password check of one attempt: a local account's hash, or the company directory for
   * its accounts and (with a directory) for names Ferry does not know yet. A wrong password
   * counts towards backoff and lockout exactly as for a local account. Returns the account
   * (made or brought up to date by the directory), or null for wrong credentials.
   */
  private async checkPassword(
    r: UserRow | undefined,
    username: string,
    password: string,
    key: string,
    ip: string | null,
  ): Promise<UserRow | null> {
    const directory = this.directory;
    if (directory && (r === undefined || r.source === 'ldap') && password.length > 0) {
      const outcome = await directory.signIn(username, password, ip);
      if (outcome !== null) return this.row(outcome) ?? null;
      if (r) this.lockout.failure(r, ip, 'wrong password (directory)');
      else this.unknownNameFailed(key, ip);
      return null;
    }
    if (!r) {
      await this.passwords.verifyNobody(password);
      this.unknownNameFailed(key, ip);
      return null;
    }
    // A directory account's stored "hash" matches no password (external.ts): with the
    // directory switched off, or for an OIDC account, the password form cannot open it.
    if (!(await this.passwords.verify(r.password_hash, password))) {
      this.lockout.failure(r, ip, 'wrong password');
      return null;
    }
    return r;
  }

  /** A failed attempt on a name that is no account: counted like an account's, audited per address. */
  private unknownNameFailed(key: string, ip: string | null): void {
    this.lockout.unknownNameFailed(key);
    this.options.onLogin?.('failure');
    // Per address, coalesced: trying a million names must not write a million entries.
    this.refusals.refused({ actor: null, action: 'auth.login_failed', ip, reason: 'unknown user' });
  }
}
