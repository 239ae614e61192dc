// Access tokens (JWT, HS256, jose) and refresh tokens (`<sessionId>.<generation>.<HMAC>`, only
// their SHA-256 kept). docs/accounts.md, Tokens and sessions.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import type { SqlDb } from '../db/sql';

export const ISSUER = 'ferry';
const KEY_NAME = 'access-token-hs256';
const REFRESH_KEY_NAME = 'refresh-token-hmac';

/** A 32-byte secret made once per database and kept in `secrets` under `name`. */
function secret(db: SqlDb, name: string): Uint8Array {
  db.prepare('INSERT OR IGNORE INTO secrets (name, value, created_at) VALUES (?, ?, ?)').run(
    name,
    randomBytes(32),
    Date.now(),
  );
  const row = db
    .prepare<[string], { value: Buffer }>('SELECT value FROM secrets WHERE name = ?')
    .get(name);
  if (!row || row.value.length < 32) throw new Error(`the secret ${name} is missing or short`);
  return new Uint8Array(row.value);
}

/** The access token signing key. */
export function signingKey(db: SqlDb): Uint8Array {
  return secret(db, KEY_NAME);
}

/** The key that makes refresh tokens (a separate key: the two never sign the same bytes). */
export function refreshKey(db: SqlDb): Uint8Array {
  return secret(db, REFRESH_KEY_NAME);
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

/**
 * The refresh token of generation `generation` of a session: `<sid>.<generation>.<tag>`, tag =
 * HMAC-SHA256(refresh key, sid and generation). Each rotation issues the next generation, so
 * the relay can tell any earlier token of a session (a valid tag, a lower generation) from a
 * made-up one (no valid tag) while keeping only the current generation and hash: reuse of a
 * token of ANY age is detected, in constant storage per session.
 */
export function refreshTokenFor(key: Uint8Array, sessionId: string, generation: number): string {
  return `${sessionId}.${generation}.${refreshTag(key, sessionId, generation)}`;
}

function refreshTag(key: Uint8Array, sessionId: string, generation: number): string {
  return createHmac('sha256', key)
    .update(`ferry-refresh\n${sessionId}\n${generation}`)
    .digest('base64url');
}

export interface ParsedRefreshToken {
  sessionId: string;
  /** null for a token made before generations (`<sid>.<32 random bytes>`, still accepted). */
  generation: number | null;
  /** For a generation token: whether its tag is the relay's own (it was issued here). */
  authentic: boolean;
}

const SID = '[0-9A-HJKMNP-TV-Z]{16}';
const LEGACY_TOKEN = new RegExp(`^(${SID})\\.[A-Za-z0-9_-]{43}$`);
const GENERATION_TOKEN = new RegExp(`^(${SID})\\.(0|[1-9][0-9]{0,9})\\.([A-Za-z0-9_-]{43})$`);

/** Splits a refresh token and checks its tag; null when it is not shaped like one. */
export function parseRefreshToken(key: Uint8Array, token: string): ParsedRefreshToken | null {
  const g = GENERATION_TOKEN.exec(token);
  if (g) {
    const sessionId = g[1] as string;
    const generation = Number(g[2]);
    const expected = Buffer.from(refreshTag(key, sessionId, generation));
    const given = Buffer.from(g[3] as string);
    return { sessionId, generation, authentic: timingSafeEqual(expected, given) };
  }
  const l = LEGACY_TOKEN.exec(token);
  return l ? { sessionId: l[1] as string, generation: null, authentic: false } : null;
}

/** The session id a refresh token names (either shape), or null when it is not shaped like one. */
export function refreshSessionId(token: string): string | null {
  return (GENERATION_TOKEN.exec(token) ?? LEGACY_TOKEN.exec(token))?.[1] ?? null;
}

export function sameHash(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
