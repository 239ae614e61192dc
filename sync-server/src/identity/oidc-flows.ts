// The two short-lived secrets of an OIDC sign-in (docs/identity.md, "Messages"), kept in the
// database so any node may take the callback or the exchange:
// - a flow (state → nonce, the relay's PKCE verifier, which app, the app's challenge) from
//   /auth/oidc/start to the callback, for 10 minutes, used once;
// - a one-time Ferry code from the callback to /auth/oidc/exchange, for 60 seconds, used once,
//   and only by the program holding the verifier whose S256 the app sent at start, so a code
//   read from the deep link by another program is worth nothing.
// Only hashes of the state and the code are stored. Both tables are bounded: expired rows go
// at every insert, and past MAX_PENDING flows new sign-ins wait (503) instead of filling disk.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlDb } from '../db/sql';
import type { OidcFlow } from './types';

export const FLOW_TTL_MS = 10 * 60_000;
export const CODE_TTL_MS = 60_000;
export const MAX_PENDING = 10_000;

export type AppKind = 'desktop' | 'web';

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** base64url(SHA-256(verifier)): RFC 7636's S256, as the app computes its challenge. */
export const s256 = sha256;

/** An RFC 7636 challenge: 43 characters of base64url. */
export const CHALLENGE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface PendingFlow extends OidcFlow {
  app: AppKind;
  challenge: string;
}

export class OidcFlows {
  constructor(
    private readonly db: SqlDb,
    private readonly now: () => number,
    private readonly maxPending = MAX_PENDING,
  ) {}

  /** Keeps a new flow; false when too many are pending (the caller answers 503). */
  put(flow: PendingFlow): boolean {
    return this.db.transaction(() => {
      const t = this.now();
      this.db.prepare('DELETE FROM oidc_flows WHERE expires_at <= ?').run(t);
      const n = (this.db.prepare('SELECT COUNT(*) AS n FROM oidc_flows').get() as { n: number }).n;
      if (n >= this.maxPending) return false;
      this.db
        .prepare(
          `INSERT INTO oidc_flows (state_hash, nonce, verifier, app, challenge, expires_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          sha256(flow.state),
          flow.nonce,
          flow.verifier,
          flow.app,
          flow.challenge,
          t + FLOW_TTL_MS,
        );
      return true;
    })();
  }

  /** The flow of `state`, removed (a state works once); null when unknown or expired. */
  take(state: string): PendingFlow | null {
    return this.db.transaction(() => {
      const row = this.db
        .prepare<
          [string],
          {
            nonce: string;
            verifier: string;
            app: AppKind;
            challenge: string;
            expires_at: number;
          }
        >('SELECT * FROM oidc_flows WHERE state_hash = ?')
        .get(sha256(state));
      if (!row) return null;
      this.db.prepare('DELETE FROM oidc_flows WHERE state_hash = ?').run(sha256(state));
      if (row.expires_at <= this.now()) return null;
      return {
        state,
        nonce: row.nonce,
        verifier: row.verifier,
        app: row.app,
        challenge: row.challenge,
      };
    })();
  }

  /** A new one-time code for `user`, redeemable with the verifier of `challenge`. */
  issueCode(user: string, challenge: string, idpSession: string | null): string {
    const code = randomBytes(32).toString('base64url');
    const t = this.now();
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM oidc_codes WHERE expires_at <= ?').run(t);
      this.db
        .prepare(
          `INSERT INTO oidc_codes (code_hash, user, challenge, idp_session, expires_at)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(sha256(code), user, challenge, idpSession, t + CODE_TTL_MS);
    })();
    return code;
  }

  /**
   * Redeems a code: removed whatever happens (a wrong verifier burns it), then checked for
   * expiry and for the verifier. Returns the user and issuer session, or why not in words.
   */
  redeem(
    code: string,
    verifier: string,
  ): { user: string; idpSession: string | null } | { refused: string } {
    const row = this.db.transaction(() => {
      const r = this.db
        .prepare<
          [string],
          {
            user: string;
            challenge: string;
            idp_session: string | null;
            expires_at: number;
          }
        >('SELECT * FROM oidc_codes WHERE code_hash = ?')
        .get(sha256(code));
      if (r) this.db.prepare('DELETE FROM oidc_codes WHERE code_hash = ?').run(sha256(code));
      return r;
    })();
    if (!row) return { refused: 'unknown or already used code' };
    if (row.expires_at <= this.now()) return { refused: 'expired code' };
    const a = Buffer.from(s256(verifier));
    const b = Buffer.from(row.challenge);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { refused: 'wrong verifier' };
    return { user: row.user, idpSession: row.idp_session };
  }
}
