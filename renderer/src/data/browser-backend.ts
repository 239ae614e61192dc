// browserBackend: the UI's Backend (backend.ts) over the real window: sign-in, the kept
// session, and the client of the signed-in user (client.ts). See README.md, "Entry points".
import { ApiError, type Session } from './api';
import { AccountsDb, refreshKey, userDbName, withMemoryFallback, type SecretStore } from './accounts';
import {
  Auth,
  fetchServerInfo,
  login,
  setupAdmin as setupAdminCall,
  signInFailure,
  type LockFn,
  type TokenAnswer,
} from './auth';
import { normalizeServerUrl, type Backend, type SignInResult } from './backend';
import { createFerryClient } from './client';
import { call } from './http';
import { acceptInvite, lookupInvite } from './invites';
import {
  challengeOf,
  exchangeReturn,
  fetchProviders,
  makeVerifier,
  memoryKeeper,
  ssoFailure,
  ssoStartUrl,
  storageKeeper,
  type VerifierKeeper,
} from './identity';
import type { FetchLike, Http } from './http';
import type { LocksLike } from './node';
import type { FerryDesktopApi } from '../../../core/src/desktop/api';

/** What the browser gives the data layer; defaults to the real window's. */
export interface BrowserEnv {
  indexedDB: IDBFactory;
  locks?: LocksLike & { request(name: string, callback: () => Promise<unknown>): Promise<unknown> };
  WebSocket?: unknown;
  events?: EventTarget;
  online?: boolean;
  /** The window's fetch (the relay's HTTP API). */
  fetch?: FetchLike;
  /** Where refresh tokens are kept; default: the desktop's safeStorage, else IndexedDB. */
  secrets?: SecretStore;
  /** The database of who is signed in (default `ferry-accounts`). */
  accountsDb?: string;
  /** How this device is named in the user's list of sessions. */
  device?: string;
  /** Where a started single sign-on keeps its verifier (default: sessionStorage, or memory on the desktop). */
  ssoKeeper?: VerifierKeeper;
  /** Sends the browser to the issuer (default: `location.assign`, or the system browser on the desktop). */
  openSso?: (url: string) => Promise<boolean>;
  now?: () => number;
  /** Rooms synced at once during catch-up (the client's default when absent; benchmarks). */
  catchUpConcurrency?: number;
}

/** The desktop app's secret store (Electron safeStorage through the preload), if present. */
function desktopSecrets(): SecretStore | null {
  const ferry = (globalThis as { ferry?: Partial<FerryDesktopApi> }).ferry;
  if (ferry?.kind !== 'electron' || !ferry.getSecret || !ferry.setSecret) return null;
  const get = ferry.getSecret.bind(ferry);
  const set = ferry.setSecret.bind(ferry);
  return { get: (key) => get(key), set: (key, value) => set(key, value) };
}

/** The desktop app's way to the system browser (RFC 8252: never a window of our own). */
function desktopOpener(): ((url: string) => Promise<boolean>) | null {
  const ferry = (globalThis as { ferry?: Partial<FerryDesktopApi> }).ferry;
  if (ferry?.kind !== 'electron' || !ferry.openExternal) return null;
  const open = ferry.openExternal.bind(ferry);
  return (url) => open(url);
}

/** The verifier survives the web page leaving for the issuer in this tab's sessionStorage. */
function defaultKeeper(desktop: boolean): VerifierKeeper {
  const storage = (globalThis as { sessionStorage?: Storage }).sessionStorage;
  return !desktop && storage ? storageKeeper(storage) : memoryKeeper();
}

/**
 * The UI's Backend (renderer/src/ui/backend.ts): restore() opens the kept session's client with
 * no network; serverInfo/signIn/setupAdmin talk to the relay and, on success, keep the session
 * (user and server in `ferry-accounts`, the refresh token in the secret store) and open the
 * user's own database `ferry-<userId>`.
 */
export function browserBackend(env?: BrowserEnv): Backend {
  const nav = globalThis.navigator as (Navigator & { locks?: BrowserEnv['locks'] }) | undefined;
  const e: BrowserEnv = env ?? {
    indexedDB: globalThis.indexedDB,
    WebSocket: globalThis.WebSocket,
    events: globalThis as unknown as EventTarget,
    online: nav?.onLine ?? true,
    ...(nav?.locks ? { locks: nav.locks } : {}),
  };
  const accounts = new AccountsDb(e.indexedDB, e.accountsDb);
  const secrets = withMemoryFallback(e.secrets ?? desktopSecrets() ?? accounts.secrets());
  const fetchFn: FetchLike = e.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const http: Http = { fetch: fetchFn, online: () => (env ? true : (globalThis.navigator?.onLine ?? true)) };
  const locks = e.locks;
  // Web Locks where the browser has them (secure contexts), else a lease in ferry-accounts.
  const lock: LockFn = locks
    ? <T,>(name: string, fn: () => Promise<T>) => locks.request(name, fn) as Promise<T>
    : <T,>(name: string, fn: () => Promise<T>) => accounts.withLease(name, fn);
  const device =
    e.device ?? `${desktopSecrets() ? 'Ferry desktop' : 'Ferry web'}${nav?.platform ? ` (${nav.platform})` : ''}`;
  const desktopOpen = desktopOpener();
  const keeper = e.ssoKeeper ?? defaultKeeper(desktopOpen !== null);
  const openSso =
    e.openSso ??
    desktopOpen ??
    (async (target: string) => {
      globalThis.location.assign(target);
      return true;
    });
  const now = e.now ?? (() => Date.now());
  const open = (session: Session, initial?: { token: string; expiresAt: number }, offlineGraceDays?: number | null) => {
    const auth = new Auth(session, http, secrets, e.now, initial, lock);
    return createFerryClient({
      session,
      auth,
      indexedDB: e.indexedDB,
      dbName: userDbName(session.userId),
      fetch: fetchFn,
      onSignedOut: () => accounts.setCurrent(null),
      onProfile: (next) => {
        accounts
          .current()
          .then((cur) => (cur?.userId === next.userId ? accounts.setCurrent(next) : undefined))
          .catch(() => undefined);
      },
      ...(e.WebSocket ? { WebSocket: e.WebSocket } : {}),
      ...(e.events ? { events: e.events } : {}),
      ...(e.online === undefined ? {} : { online: e.online }),
      ...(e.locks ? { locks: e.locks } : {}),
      ...(e.now ? { now: e.now } : {}),
      ...(offlineGraceDays === undefined ? {} : { offlineGraceDays }),
      ...(e.catchUpConcurrency === undefined ? {} : { catchUpConcurrency: e.catchUpConcurrency }),
    });
  };
  const adopt = async (serverUrl: string, answer: TokenAnswer): Promise<SignInResult> => {
    const session: Session = {
      userId: answer.user.id,
      username: answer.user.username,
      displayName: answer.user.displayName,
      role: answer.user.role,
      serverUrl,
    };
    await secrets.set(refreshKey(session.userId), answer.refreshToken);
    await accounts.setCurrent(session);
    // The workspace's offline limit, heard at sign-in (the client asks again whenever online).
    const days = await fetchProviders(http, serverUrl).then(
      (p) => p.offlineGraceDays,
      () => undefined,
    );
    const client = await open(session, { token: answer.accessToken, expiresAt: answer.accessExpiresAt }, days);
    return { ok: true, client };
  };
  const url = (raw: string): string | null => {
    try {
      return normalizeServerUrl(raw);
    } catch {
      return null;
    }
  };
  /**
   * The relay allows this session nothing but choosing a new password (an admin set the
   * current one): the sign-in screen asks for it, then the session is kept as usual.
   */
  const changeFirst = (serverUrl: string, answer: TokenAnswer, given: string): SignInResult => ({
    ok: false,
    code: 'password-change-required',
    message: 'Choose your own password to finish signing in.',
    changePassword: async (newPassword) => {
      if (newPassword.length < 10) return { ok: false, code: 'invalid', message: 'A password needs at least 10 characters.' };
      if (newPassword === given) return { ok: false, code: 'invalid', message: 'Choose a password other than the one you were given.' };
      try {
        await call(http, serverUrl, 'POST', '/me/password', { currentPassword: given, newPassword }, answer.accessToken);
      } catch (err) {
        const f = signInFailure(err);
        // The session ended meanwhile (an admin reset it again): start over.
        if (err instanceof ApiError && ['session-ended', 'unauthenticated'].includes(err.code)) {
          return { ok: false, code: 'error', message: 'This sign-in ended before the new password was saved. Sign in again.' };
        }
        return f;
      }
      return adopt(serverUrl, { ...answer, passwordChangeRequired: false });
    },
  });
  const badUrl = { ok: false as const, code: 'invalid' as const, message: 'Enter the address of your server (http:// or https://).' };
  return {
    async restore() {
      const session = await accounts.current();
      return session ? open(session) : null;
    },
    async serverInfo(serverUrl) {
      const u = url(serverUrl);
      if (!u) throw new ApiError('invalid', badUrl.message);
      return fetchServerInfo(http, u);
    },
    async signIn(input) {
      const u = url(input.serverUrl);
      if (!u) return badUrl;
      const r = await login(http, { ...input, serverUrl: u }, device);
      if (r.ok && r.answer.passwordChangeRequired) return changeFirst(u, r.answer, input.password);
      return r.ok ? adopt(u, r.answer) : r;
    },
    async setupAdmin(input) {
      const u = url(input.serverUrl);
      if (!u) return badUrl;
      const r = await setupAdminCall(http, { ...input, serverUrl: u }, device);
      return r.ok ? adopt(u, r.answer) : r;
    },
    async providers(serverUrl) {
      const u = url(serverUrl);
      if (!u) throw new ApiError('invalid', badUrl.message);
      return fetchProviders(http, u);
    },
    async startSso(serverUrl) {
      const u = url(serverUrl);
      if (!u) return badUrl;
      const verifier = makeVerifier();
      const challenge = await challengeOf(verifier);
      keeper.put({ verifier, serverUrl: u, at: now() });
      const opened = await openSso(ssoStartUrl(u, desktopOpen ? 'desktop' : 'web', challenge)).catch(() => false);
      if (!opened) {
        keeper.take();
        return ssoFailure('Ferry could not open your browser for company sign-in.');
      }
      return { ok: true };
    },
    async finishSso(ret) {
      const r = await exchangeReturn(http, ret, keeper.take(), now(), device);
      return r.ok ? adopt(r.serverUrl, r.answer) : r;
    },
    async lookupInvite(serverUrl, token) {
      const u = url(serverUrl);
      if (!u) throw new ApiError('invalid', badUrl.message);
      return lookupInvite(http, u, token);
    },
    async acceptInvite(input) {
      const u = url(input.serverUrl);
      if (!u) return badUrl;
      try {
        return await adopt(u, await acceptInvite(http, { ...input, serverUrl: u }, device));
      } catch (err) {
        if (err instanceof ApiError && ['gone', 'not-found', 'conflict'].includes(err.code)) {
          return { ok: false, code: 'invalid', message: err.message };
        }
        return signInFailure(err);
      }
    },
  };
}
