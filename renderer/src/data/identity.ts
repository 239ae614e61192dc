// Company sign-in as the app sees it (docs/identity.md, issue 15): which sign-ins the relay
// offers (`GET /auth/providers`), single sign-on with a PKCE-like verifier the app keeps, the
// return from the issuer (`#/auth?code=` in the web build, `ferry://auth?code=` on the
// desktop) and the exchange of the one-time code for Ferry's tokens. No secret is ever logged
// or put in a message; the verifier never leaves this device except in the final exchange.
import { ApiError, type AuthReturn, type Providers } from './api';
import { isTokenAnswer, signInFailure, type SignInFailure, type TokenAnswer } from './auth';
import { apiBase, call, type Http } from './http';

export type { AuthReturn, Providers };

/** What a relay from before issue 15 offers. */
export const LEGACY_PROVIDERS: Readonly<Providers> = Object.freeze({
  local: 'everyone',
  ldap: null,
  oidc: null,
  offlineGraceDays: null,
});

function label(v: unknown): { label: string } | null {
  if (typeof v !== 'object' || v === null) return null;
  const l = (v as { label?: unknown }).label;
  return { label: typeof l === 'string' && l.trim() ? l.trim().slice(0, 80) : 'your company account' };
}

/** Reads the relay's answer; anything missing or odd falls back to the safe old behaviour. */
export function parseProviders(v: unknown): Providers {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const days = o.offlineGraceDays;
  return {
    local: o.local === 'admins' ? 'admins' : 'everyone',
    ldap: label(o.ldap),
    oidc: label(o.oidc),
    offlineGraceDays: typeof days === 'number' && Number.isFinite(days) && days >= 0 ? days : null,
  };
}

/**
 * `GET /auth/providers` (no token). A relay that answers 404 predates company sign-in: local
 * only, no limit. Throws ApiError ('offline', 'unreachable', ...) when the relay is not reached.
 */
export async function fetchProviders(http: Http, serverUrl: string): Promise<Providers> {
  try {
    return parseProviders(await call<unknown>(http, serverUrl, 'GET', '/auth/providers'));
  } catch (e) {
    if (isMissingRoute(e)) return { ...LEGACY_PROVIDERS };
    throw e;
  }
}

/** The relay answered 404: a route it does not have (http.ts words a bare 404 as 'unreachable'). */
function isMissingRoute(e: unknown): boolean {
  return e instanceof ApiError && (e.code === 'not-found' || (e.code === 'unreachable' && /\(404\)/.test(e.message)));
}

/** base64url without padding (RFC 4648 §5). */
export function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** A fresh verifier: 32 random bytes, base64url (43 characters, as RFC 7636 asks). */
export function makeVerifier(random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n))): string {
  return base64url(random(32));
}

/** `base64url(SHA-256(verifier))` with WebCrypto (RFC 7636 S256). */
export async function challengeOf(verifier: string, subtle: SubtleCrypto = crypto.subtle): Promise<string> {
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

/** Where the app sends the browser to start single sign-on. */
export function ssoStartUrl(serverUrl: string, app: 'web' | 'desktop', challenge: string): string {
  const q = new URLSearchParams({ app, challenge });
  return `${apiBase(serverUrl)}/auth/oidc/start?${q.toString()}`;
}


const CODE = /^[A-Za-z0-9_-]{16,256}$/;
const ERROR_CODE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Printable words only, at most 300 characters: the relay's message shown as text, never markup. */
function words(raw: string | null): string {
  // eslint-disable-next-line no-control-regex
  const clean = (raw ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return clean.slice(0, 300);
}

/**
 * Reads `code=…` or `error=…&message=…` (the query of `#/auth?…` or of `ferry://auth?…`).
 * Anything else (both, neither, an odd code, unknown keys) is null: not a return we expect.
 */
export function parseAuthQuery(query: string): AuthReturn | null {
  let q: URLSearchParams;
  try {
    q = new URLSearchParams(query.startsWith('?') ? query.slice(1) : query);
  } catch {
    return null;
  }
  for (const key of q.keys()) if (key !== 'code' && key !== 'error' && key !== 'message') return null;
  const codes = q.getAll('code');
  const errors = q.getAll('error');
  if (codes.length + errors.length !== 1 || q.getAll('message').length > 1) return null;
  if (codes.length === 1) {
    const code = codes[0] as string;
    return CODE.test(code) && !q.has('message') ? { kind: 'code', code } : null;
  }
  const error = errors[0] as string;
  if (!ERROR_CODE.test(error)) return null;
  return { kind: 'error', error, message: words(q.get('message')) || 'Company sign-in did not finish.' };
}

/** The web build's return: `#/auth?code=…` or `#/auth?error=…`; null for any other hash. */
export function authReturnOfHash(hash: string): AuthReturn | null {
  const m = /^#\/auth\?(.*)$/.exec(hash);
  return m ? parseAuthQuery(m[1] as string) : null;
}

/** Where the verifier waits for the return: the tab's sessionStorage (web), memory (desktop). */
export interface VerifierKeeper {
  put(pending: PendingSso): void;
  /** Returns and forgets it (a verifier is used once). */
  take(): PendingSso | null;
}

export interface PendingSso {
  verifier: string;
  serverUrl: string;
  /** ms since the epoch: a pending sign-in older than 10 minutes is dropped. */
  at: number;
}

export const SSO_PENDING_MAX_MS = 10 * 60_000;
const SSO_KEY = 'ferry.sso.pending';

export function memoryKeeper(): VerifierKeeper {
  let held: PendingSso | null = null;
  return {
    put: (p) => void (held = p),
    take: () => {
      const p = held;
      held = null;
      return p;
    },
  };
}

export function storageKeeper(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>): VerifierKeeper {
  return {
    put: (p) => storage.setItem(SSO_KEY, JSON.stringify(p)),
    take: () => {
      const raw = storage.getItem(SSO_KEY);
      storage.removeItem(SSO_KEY);
      if (!raw) return null;
      try {
        const p = JSON.parse(raw) as Partial<PendingSso>;
        if (typeof p.verifier === 'string' && typeof p.serverUrl === 'string' && typeof p.at === 'number') {
          return { verifier: p.verifier, serverUrl: p.serverUrl, at: p.at };
        }
      } catch {
        // a damaged record is no pending sign-in
      }
      return null;
    },
  };
}

/** What a failed return or exchange says, in words. */
export function ssoFailure(message: string): SignInFailure {
  return { ok: false, code: 'error', message };
}

/**
 * Checks the return against the pending sign-in and trades the one-time code for Ferry's
 * tokens (`POST /auth/oidc/exchange { code, verifier }`), the same answer as `/auth/login`.
 */
export async function exchangeReturn(
  http: Http,
  ret: AuthReturn,
  pending: PendingSso | null,
  now: number,
  device?: string,
): Promise<{ ok: true; serverUrl: string; answer: TokenAnswer } | SignInFailure> {
  if (ret.kind === 'error') return ssoFailure(ret.message);
  if (!pending) {
    return ssoFailure('This sign-in was not started on this device (or this window was reloaded). Start it again.');
  }
  if (now - pending.at > SSO_PENDING_MAX_MS) return ssoFailure('This sign-in took too long. Start it again.');
  try {
    const answer = await call<unknown>(http, pending.serverUrl, 'POST', '/auth/oidc/exchange', {
      code: ret.code,
      verifier: pending.verifier,
      ...(device ? { device } : {}),
    });
    if (!isTokenAnswer(answer)) return ssoFailure('The server answered the sign-in with something unexpected.');
    return { ok: true, serverUrl: pending.serverUrl, answer };
  } catch (e) {
    if (isMissingRoute(e)) return ssoFailure('This server does not offer company sign-in (it may be an older version).');
    if (e instanceof ApiError && (e.code === 'invalid' || e.code === 'unauthenticated' || e.code === 'invalid-credentials')) {
      // The relay's words ("that sign-in is no longer valid; start again") as a sentence.
      const m = e.message.trim();
      return ssoFailure(`${m.charAt(0).toUpperCase()}${m.slice(1)}${/[.!?]$/.test(m) ? '' : '.'}`);
    }
    return signInFailure(e);
  }
}
