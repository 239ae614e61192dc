// Access tokens (JWT, HS256, jose) and refresh tokens (`<sessionId>.<32 random bytes>`, only
// their SHA-256 kept). docs/accounts.md, Tokens and sessions.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type Database from 'better-sqlite3';

export const ISSUER = 'ferry';
const KEY_NAME = 'access-token-hs256';

/** The signing key: 32 random bytes made once per database and kept in `secrets`. */
export function signingKey(db: Database.Database): Uint8Array {
  db.prepare('INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)').run(
    KEY_NAME,
    randomBytes(32),
    Date.now(),
  );
  const row = db
    .prepare<[string], { value: Buffer }>('SELECT value FROM secrets WHERE name = ?')
    .get(KEY_NAME);
  if (!row || row.value.length < 32) throw new Error('the token signing key is missing or short');
  return new Uint8Array(row.value);
}

export interface AccessClaims {
  sub: string;
  sid: string;
  role: string;
  iat: number;
  exp: number;
}

export async function signAccess(
  key: Uint8Array,
  claims: { sub: string; sid: string; role: string },
  nowMs: number,
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: number }> {
  const iat = Math.floor(nowMs / 1000);
  // JWT times are whole seconds: rounding the expiry up makes the TTL a minimum. Rounded down,
  // a token issued at x.99 s with a 1 s TTL would expire 10 ms later.
  const exp = Math.ceil(nowMs / 1000) + ttlSeconds;
  const token = await new SignJWT({ sid: claims.sid, role: claims.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key);
  return { token, expiresAt: exp * 1000 };
}

export type AccessCheck = { ok: true; claims: AccessClaims } | { ok: false; expired: boolean };

export async function verifyAccessToken(
  key: Uint8Array,
  token: string,
  nowMs: number,
): Promise<AccessCheck> {
  try {
    const { payload } = await jwtVerify(token, key, {
      algorithms: ['HS256'],
      issuer: ISSUER,
      currentDate: new Date(nowMs),
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    const { sub, sid, role, iat, exp } = payload;
    if (
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof role !== 'string' ||
      typeof iat !== 'number' ||
      typeof exp !== 'number'
    ) {
      return { ok: false, expired: false };
    }
    return { ok: true, claims: { sub, sid, role, iat, exp } };
  } catch (error) {
    return { ok: false, expired: error instanceof joseErrors.JWTExpired };
  }
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function newRefreshToken(sessionId: string): string {
  return `${sessionId}.${randomBytes(32).toString('base64url')}`;
}

/** The session id a refresh token names, or null when it is not shaped like one. */
export function refreshSessionId(token: string): string | null {
  const m = /^([0-9A-HJKMNP-TV-Z]{16})\.[A-Za-z0-9_-]{43}$/.exec(token);
  return m ? (m[1] as string) : null;
}

export function sameHash(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
