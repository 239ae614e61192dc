// Sessions: opening one (sign-in, `admin token`), listing, purging, revoking (each end
// announced through session-events.ts), and checking access tokens against their session.
import { conflict, notFound } from '../http/errors';
import {
  AccountsPart,
  newUserId,
  toUser,
  type AccountsContext,
  type SessionRow,
  type UserRow,
} from './rows';
import type { SessionEvents } from './session-events';
import { refreshTokenFor, sha256, signAccess, verifyAccessToken } from './tokens';
import type { AccessError, AccessInfo, Actor, LoginResult, SessionInfo } from './types';

/** The database's token keys (tokens.ts): access-token signing and refresh-token HMAC. */
export interface TokenKeys {
  access: Uint8Array;
  refresh: Uint8Array;
}

export class Sessions extends AccountsPart {
  constructor(
    ctx: AccountsContext,
    private readonly keys: TokenKeys,
    private readonly events: SessionEvents,
  ) {
    super(ctx);
  }

  /** Creates a session for `r` and its first token pair. */
  async openSession(
    r: UserRow,
    device: string | null,
    ip: string | null,
    accessTtlSeconds = this.options.accessTokenTtlSeconds,
    /** The issuer's session (OIDC `sid`): its back-channel logout ends this session. */
    idpSession: string | null = null,
  ): Promise<{ sessionId: string; login: LoginResult }> {
    const now = this.now();
    const sessionId = newUserId();
    const refreshToken = refreshTokenFor(this.keys.refresh, sessionId, 1);
    this.db
      .prepare(
        `INSERT INTO sessions (id, user, created_at, last_used_at, expires_at, refresh_hash, device, ip, refresh_generation, idp_session)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
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
        idpSession,
      );
    const access = await signAccess(
      this.keys.access,
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
        ...(r.must_change_password === 1 ? { passwordChangeRequired: true as const } : {}),
      },
    };
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

  sessionLive(s: SessionRow, now: number): boolean {
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
    this.events.ended({ sessionId: id, userId: s.user, reason });
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

  /** Ends the live sessions opened through the issuer's session `sid`; returns how many. */
  revokeIdpSessions(idpSession: string, reason: string, by: Actor): number {
    const ids = this.db
      .prepare<[string], { id: string }>(
        'SELECT id FROM sessions WHERE idp_session = ? AND revoked_at IS NULL',
      )
      .all(idpSession)
      .map((r) => r.id);
    let n = 0;
    for (const id of ids) if (this.revokeSession(id, reason, by)) n++;
    return n;
  }

  /**
   * Checks an access token: its signature and expiry (jose), its session (live, not revoked)
   * and its user (exists, not disabled). The role is the user's current one.
   */
  async verifyAccess(token: string): Promise<AccessInfo | AccessError> {
    const now = this.now();
    const check = await verifyAccessToken(this.keys.access, token, now);
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
    this.events.watchSession(sid, sub, exp * 1000);
    return {
      userId: sub,
      sessionId: sid,
      role: u.role,
      exp: exp * 1000,
      mustChangePassword: u.must_change_password === 1,
    };
  }
}
