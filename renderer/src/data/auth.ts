// The auth client (README.md, Accounts): sign-in, first admin, refresh with rotation, sign-out.
// The access token lives in memory only; the refresh token in the platform's secret store
// (accounts.ts). Refreshes are serialized: one in flight per client, and across windows of the
// same origin by a Web Lock where there is one, since presenting a rotated-away refresh token
// again ends the whole session on the relay (docs/accounts.md, Tokens and sessions).
import { ApiError, type AuthStatus, type Observe, type Session, type WorkspaceRole } from './api';
import { refreshKey, type SecretStore } from './accounts';
import { call, messageOf, type Http } from './http';
import type { ServerInfo, SetupAdminInput, SignInInput, SignInResult } from './backend';

/** What `/auth/login`, `/auth/refresh` (and `/setup`) answer. */
export interface TokenAnswer {
  accessToken: string;
  /** ms since the epoch. */
  accessExpiresAt: number;
  refreshToken: string;
  user: { id: string; username: string; displayName: string; role: WorkspaceRole };
  /** An admin chose the password: the session may only change it (docs/accounts.md, Onboarding). */
  passwordChangeRequired?: boolean;
}

export function isTokenAnswer(v: unknown): v is TokenAnswer {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as Partial<TokenAnswer>;
  const u = t.user as Partial<TokenAnswer['user']> | undefined;
  return (
    typeof t.accessToken === 'string' &&
    typeof t.accessExpiresAt === 'number' &&
    typeof t.refreshToken === 'string' &&
    typeof u?.id === 'string' &&
    typeof u.username === 'string' &&
    typeof u.displayName === 'string' &&
    (u.role === 'admin' || u.role === 'member' || u.role === 'guest')
  );
}

/** Runs `fn` holding an exclusive lock (navigator.locks.request(name, fn)), if the platform has one. */
export type LockFn = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** Refresh this long before the access token expires (a minute ahead, docs/accounts.md). */
export const REFRESH_MARGIN_MS = 60_000;

type Ended = Extract<AuthStatus, { state: 'ended' }>;

/** Why a session ended, from the relay's message (its code is always `session-ended`). */
export function endedOf(message: string): Ended {
  const m = message.toLowerCase();
  const reason: Ended['reason'] = /disabled/.test(m)
    ? 'disabled'
    : /revoked|signed out|logged out|password/.test(m)
      ? 'revoked'
      : /expired/.test(m)
        ? 'expired'
        : 'unknown';
  const why =
    reason === 'disabled'
      ? 'Your account was disabled.'
      : reason === 'revoked'
        ? 'Your session was ended on the server.'
        : reason === 'expired'
          ? 'Your session expired.'
          : 'Your session ended.';
  return { state: 'ended', reason, message: `${why} Sign in again; everything on this device is kept.` };
}

export class Auth {
  private access: { token: string; expiresAt: number; ttl: number } | null;
  private inflight: Promise<string> | null = null;
  private state: AuthStatus = { state: 'ok' };
  private readonly listeners = new Set<(s: AuthStatus) => void>();
  private readonly tokenListeners = new Set<(token: string, expiresAt: number) => void>();

  constructor(
    readonly session: Session,
    private readonly http: Http,
    private readonly secrets: SecretStore,
    private readonly now: () => number = () => Date.now(),
    initial?: { token: string; expiresAt: number },
    private readonly lock?: LockFn,
  ) {
    this.access = initial ? { ...initial, ttl: Math.max(0, initial.expiresAt - this.now()) } : null;
  }

  /**
   * How long before expiry a token counts as stale: a minute, or a third of its lifetime for
   * short-lived tokens (a relay run with a short `--access-token-ttl`).
   */
  margin(): number {
    const ttl = this.access?.ttl ?? Infinity;
    return Math.min(REFRESH_MARGIN_MS, ttl / 3);
  }

  get status(): AuthStatus {
    return this.state;
  }

  get ended(): boolean {
    return this.state.state === 'ended';
  }

  observe: Observe<AuthStatus> = (listener) => {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  };

  /** Called with every new access token (the client sends it as an AUTH frame). */
  onToken(listener: (token: string, expiresAt: number) => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  /** The access token if it is valid for at least `marginMs` more, else null (no I/O). */
  fresh(marginMs = this.margin()): string | null {
    if (!this.access || this.ended) return null;
    return this.access.expiresAt - this.now() > marginMs ? this.access.token : null;
  }

  /** When the access token expires (ms), or null when there is none. */
  get expiresAt(): number | null {
    return this.access?.expiresAt ?? null;
  }

  /** A valid access token, refreshing first when it expires within `marginMs`. */
  async token(marginMs = this.margin()): Promise<string> {
    return this.fresh(marginMs) ?? this.refresh();
  }

  /** The relay said the token is no longer good (4401 token expired): the next use refreshes. */
  invalidate(): void {
    this.access = null;
  }

  /** Rotates the refresh token and gets a new access token; one refresh in flight at a time. */
  refresh(): Promise<string> {
    if (this.ended) return Promise.reject(new ApiError('session-ended', this.endedMessage()));
    this.inflight ??= (this.lock ? this.lock(`ferry-refresh:${this.session.userId}`, () => this.doRefresh()) : this.doRefresh()).finally(
      () => {
        this.inflight = null;
      },
    );
    return this.inflight;
  }

  private endedMessage(): string {
    return this.state.state === 'ended' ? this.state.message : 'Your session ended.';
  }

  private async doRefresh(): Promise<string> {
    // Read inside the lock: another window may have rotated it since.
    const key = refreshKey(this.session.userId);
    const refreshToken = await this.secrets.get(key);
    if (!refreshToken) {
      this.end({ state: 'ended', reason: 'unknown', message: 'You are signed out on this device. Sign in again; everything on this device is kept.' });
      throw new ApiError('session-ended', this.endedMessage());
    }
    let answer: unknown;
    try {
      answer = await call<unknown>(this.http, this.session.serverUrl, 'POST', '/auth/refresh', { refreshToken });
    } catch (e) {
      if (e instanceof ApiError && ['session-ended', 'unauthenticated', 'invalid-credentials', 'invalid'].includes(e.code)) {
        this.end(endedOf(e.message));
        throw new ApiError('session-ended', this.endedMessage());
      }
      throw e;
    }
    if (!isTokenAnswer(answer)) throw new ApiError('error', 'The server answered the token refresh with something unexpected.');
    // Stored before anything else: the old token is now spent.
    await this.secrets.set(key, answer.refreshToken);
    if (this.ended) throw new ApiError('session-ended', this.endedMessage());
    this.access = {
      token: answer.accessToken,
      expiresAt: answer.accessExpiresAt,
      ttl: Math.max(0, answer.accessExpiresAt - this.now()),
    };
    for (const l of [...this.tokenListeners]) l(answer.accessToken, answer.accessExpiresAt);
    return answer.accessToken;
  }

  /** The relay ended the session: tokens are wiped, local data is not touched. */
  end(status: Ended): void {
    if (this.ended) return;
    this.state = status;
    this.access = null;
    this.secrets.set(refreshKey(this.session.userId), null).catch(() => undefined);
    for (const l of [...this.listeners]) l(status);
  }

  /** Revokes the session on the relay when reachable; the tokens are wiped either way. */
  async signOut(): Promise<void> {
    const token = this.access?.token;
    if (token && !this.ended) {
      await call(this.http, this.session.serverUrl, 'POST', '/auth/logout', {}, token).catch(() => undefined);
    } else if (!this.ended) {
      const t = await this.refresh().catch(() => null);
      if (t) await call(this.http, this.session.serverUrl, 'POST', '/auth/logout', {}, t).catch(() => undefined);
    }
    this.access = null;
    await this.secrets.set(refreshKey(this.session.userId), null);
    if (!this.ended) {
      this.state = { state: 'ended', reason: 'revoked', message: 'You signed out. Everything on this device is kept.' };
      for (const l of [...this.listeners]) l(this.state);
    }
  }

  /** An authenticated API call; refreshes once and retries when the access token was refused. */
  async api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const token = await this.token(Math.min(5_000, this.margin()));
    try {
      return await call<T>(this.http, this.session.serverUrl, method, path, body, token);
    } catch (e) {
      if (e instanceof ApiError && e.code === 'session-ended') {
        this.end(endedOf(e.message));
        throw e;
      }
      if (!(e instanceof ApiError) || e.code !== 'unauthenticated') throw e;
      this.invalidate();
      const again = await this.refresh();
      return call<T>(this.http, this.session.serverUrl, method, path, body, again);
    }
  }
}

export type SignInFailure = Extract<SignInResult, { ok: false }>;

/** A failed sign-in or setup, as the sign-in screen shows it. */
export function signInFailure(e: unknown, setup = false): SignInFailure {
  if (!(e instanceof ApiError)) {
    return { ok: false, code: 'error', message: e instanceof Error ? e.message : String(e) };
  }
  const retry = e.retryAfter === undefined ? {} : { retryAfter: e.retryAfter };
  switch (e.code) {
    case 'invalid-credentials':
    case 'totp-required':
      return { ok: false, code: e.code, message: messageOf(e.code) };
    case 'locked': {
      const mins = e.retryAfter ? Math.max(1, Math.ceil(e.retryAfter / 60)) : null;
      const message = mins
        ? `This account is locked after too many failed sign-ins. Try again in ${mins} minute${mins === 1 ? '' : 's'}.`
        : messageOf('locked');
      return { ok: false, code: 'locked', message, ...retry };
    }
    case 'rate-limited': {
      const message = e.retryAfter
        ? `Too many attempts. Try again in ${e.retryAfter} second${e.retryAfter === 1 ? '' : 's'}.`
        : messageOf('rate-limited');
      return { ok: false, code: 'rate-limited', message, ...retry };
    }
    case 'offline':
    case 'unreachable':
      return { ok: false, code: 'unreachable', message: e.message };
    case 'invalid':
      return { ok: false, code: 'invalid', message: e.message };
    case 'setup-code':
      return { ok: false, code: 'setup-code', message: e.message };
    case 'forbidden':
      if (setup) {
        return {
          ok: false,
          code: 'setup-code',
          message: 'Enter the setup code the server printed when it started (or set it up from the server itself).',
        };
      }
      return { ok: false, code: 'error', message: e.message };
    case 'conflict':
      if (setup) return { ok: false, code: 'error', message: 'This server already has an administrator. Sign in instead.' };
      return { ok: false, code: 'error', message: e.message };
    default:
      return { ok: false, code: 'error', message: e.message };
  }
}

/** `GET /server`. Throws ApiError ('offline', 'unreachable', ...). */
export async function fetchServerInfo(http: Http, serverUrl: string): Promise<ServerInfo> {
  const v = await call<unknown>(http, serverUrl, 'GET', '/server');
  const o = (typeof v === 'object' && v !== null ? v : {}) as Partial<ServerInfo>;
  if (typeof o.setupRequired !== 'boolean') {
    throw new ApiError('unreachable', `The server at ${serverUrl} does not answer like a Ferry relay.`);
  }
  return {
    name: typeof o.name === 'string' ? o.name : 'Ferry',
    version: typeof o.version === 'string' ? o.version : '',
    setupRequired: o.setupRequired,
  };
}

/** `POST /auth/login`: the token answer, or the failure to show. */
export async function login(
  http: Http,
  input: SignInInput,
  device: string,
): Promise<{ ok: true; answer: TokenAnswer } | SignInFailure> {
  const username = input.username.trim().toLowerCase();
  if (!username || !input.password) {
    return { ok: false, code: 'invalid', message: 'Enter your username and password.' };
  }
  const body: Record<string, string> = { username, password: input.password, device };
  if (input.totp?.trim()) body.totp = input.totp.replace(/\s+/g, '');
  if (input.recoveryCode?.trim()) body.recoveryCode = input.recoveryCode.trim();
  try {
    const answer = await call<unknown>(http, input.serverUrl, 'POST', '/auth/login', body);
    if (!isTokenAnswer(answer)) return { ok: false, code: 'error', message: 'The server answered the sign-in with something unexpected.' };
    return { ok: true, answer };
  } catch (e) {
    return signInFailure(e);
  }
}

/** `POST /setup` (the first admin), then signs in as them unless the relay already did. */
export async function setupAdmin(
  http: Http,
  input: SetupAdminInput,
  device: string,
): Promise<{ ok: true; answer: TokenAnswer } | SignInFailure> {
  const username = input.username.trim().toLowerCase();
  const body: Record<string, string> = { username, displayName: input.displayName.trim(), password: input.password };
  if (input.setupCode?.trim()) body.setupCode = input.setupCode.trim();
  let answer: unknown;
  try {
    answer = await call<unknown>(http, input.serverUrl, 'POST', '/setup', body);
  } catch (e) {
    return signInFailure(e, true);
  }
  if (isTokenAnswer(answer)) return { ok: true, answer };
  return login(http, { serverUrl: input.serverUrl, username, password: input.password }, device);
}
