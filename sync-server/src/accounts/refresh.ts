// Refresh-token rotation (docs/accounts.md, "Refresh tokens"): each refresh issues the next
// generation; any earlier token of the session coming back is reuse, which ends the session.
// Signing out with a refresh token follows the same rules.
import { ApiError } from '../http/errors';
import { AccountsPart, toUser, type AccountsContext, type SessionRow } from './rows';
import { endedMessage } from './session-events';
import type { Sessions, TokenKeys } from './sessions';
import { parseRefreshToken, refreshTokenFor, sameHash, sha256, signAccess } from './tokens';
import type { LoginResult } from './types';

export class RefreshTokens extends AccountsPart {
  constructor(
    ctx: AccountsContext,
    private readonly keys: TokenKeys,
    private readonly sessions: Sessions,
  ) {
    super(ctx);
  }

  /**
   * What a presented refresh token is to its session: the current one; an earlier one of this
   * session (any generation below the current, or the token before a pre-generation one):
   * reuse; or neither (made up, or from a restored backup's future): invalid.
   */
  private refreshVerdict(s: SessionRow, token: string): 'current' | 'reused' | 'invalid' {
    const parsed = parseRefreshToken(this.keys.refresh, token);
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
    this.sessions.revokeSession(s.id, 'refresh reused', { actor: null, ip });
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
    const sid = parseRefreshToken(this.keys.refresh, refreshToken)?.sessionId;
    if (!sid) throw new ApiError(401, 'unauthenticated', 'that is not a refresh token');
    const s = this.sessionRow(sid);
    if (!s) throw ended();
    const now = this.now();
    if (s.revoked_at !== null) throw ended(endedMessage(s.revoked_reason));
    if (!this.sessions.sessionLive(s, now)) throw ended('your session expired; sign in again');
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
    const next = refreshTokenFor(this.keys.refresh, sid, generation);
    const res = this.db
      .prepare(
        `UPDATE sessions SET refresh_hash = ?, refresh_generation = ?, last_used_at = ?, ip = COALESCE(?, ip),
           previous_refresh_hash = CASE refresh_generation WHEN 0 THEN refresh_hash ELSE previous_refresh_hash END
         WHERE id = ? AND refresh_hash = ? AND refresh_generation = ? AND revoked_at IS NULL`,
      )
      .run(sha256(next), generation, now, ip, sid, sha256(refreshToken), s.refresh_generation);
    if (res.changes !== 1) throw ended(); // a concurrent refresh won, or a revocation
    const access = await signAccess(
      this.keys.access,
      { sub: u.id, sid, role: u.role },
      now,
      this.options.accessTokenTtlSeconds,
    );
    return {
      accessToken: access.token,
      accessExpiresAt: access.expiresAt,
      refreshToken: next,
      user: toUser(u),
      ...(u.must_change_password === 1 ? { passwordChangeRequired: true as const } : {}),
    };
  }

  /**
   * Signs out with the refresh token (when the access token has expired). An earlier token of
   * the session is reuse (the session ends, audited, as on refresh); any other token that is
   * not the session's current one changes nothing: 401.
   */
  logoutWithRefresh(refreshToken: string, ip: string | null): void {
    const sid = parseRefreshToken(this.keys.refresh, refreshToken)?.sessionId;
    const s = sid ? this.sessionRow(sid) : undefined;
    const verdict = s && s.revoked_at === null ? this.refreshVerdict(s, refreshToken) : 'invalid';
    if (s && verdict === 'reused') throw this.refreshReused(s, ip);
    if (!s || verdict !== 'current') {
      throw new ApiError(401, 'session-ended', 'that session has already ended');
    }
    this.sessions.revokeSession(s.id, 'logout', { actor: s.user, ip });
  }
}
