// A real OpenID provider for tests (issue 15): `oidc-provider` in a process of its own
// (oidc-issuer.mjs) on 127.0.0.1, an ephemeral port, plain http. Production issuers are https;
// openid-client refuses http unless told (`allowInsecureRequests`), which the relay only does
// with `identity.oidc.allowHttp` and a loopback issuer.
//
//   const idp = await startIssuer({ users: [{ username: 'alice', password: 'alice-pw',
//     groups: ['ferry-admins', 'staff'] }], redirectUri: 'http://127.0.0.1:7880/api/v1/auth/oidc/callback' });
//   idp.issuer                     // http://127.0.0.1:PORT
//   await signInAtIssuer(authorizationUrl, { username: 'alice', password: 'alice-pw' })
//                                  // → the callback URL with code and state (no browser)
//   await idp.logout({ sid })      // back-channel logout to the client's backchannel_logout_uri
//   await idp.dispose()            // also done at process exit; the process dies with ours
//
// No vitest here: Playwright specs and benchmarks use it too (vitest's useIssuer() is in
// use-issuer.ts).
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exited, spawnEngine } from './common';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oidc-issuer.mjs');

export interface IssuerUser {
  username: string;
  password: string;
  groups?: string[];
  /** Default `sub-<username>`. */
  sub?: string;
  name?: string;
  email?: string;
}

export interface IssuerOptions {
  users: IssuerUser[];
  /** The client's only redirect URI: the issuer refuses any other, even one character off. */
  redirectUri: string;
  /** Where logout tokens go; default the issuer's own sink (read with logoutTokens()). */
  backchannelLogoutUri?: string;
  postLogoutRedirectUri?: string;
  /** true (default): profile, email and groups claims in the ID token; false: userinfo only. */
  claimsInIdToken?: boolean;
  clientId?: string;
  clientSecret?: string;
  readyTimeoutMs?: number;
}

export interface IssuerEngine {
  /** http://127.0.0.1:PORT (no trailing slash), the `iss` of its tokens. */
  readonly issuer: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  running(): boolean;
  /** Adds or replaces a user; resolves to their `sub`. */
  addUser(user: IssuerUser): Promise<string>;
  removeUser(username: string): Promise<void>;
  setGroups(username: string, groups: string[]): Promise<void>;
  /**
   * Ends the issuer's sessions of `sub` (or the one with `sid`) and sends a back-channel logout
   * token for each to the client; resolves to what was ended.
   */
  logout(which: { sub?: string; sid?: string }): Promise<Array<{ sub: string; sid: string }>>;
  /** Logout tokens sent to the issuer's own sink (when no backchannelLogoutUri was given). */
  logoutTokens(): Promise<string[]>;
  /** Starts again after stop() on the same port: same client and users, new signing key. */
  start(): Promise<void>;
  /** "The issuer is down": the process ends, the port refuses connections. */
  stop(): Promise<void>;
  log(): string;
  dispose(): Promise<void>;
}

export async function startIssuer(options: IssuerOptions): Promise<IssuerEngine> {
  const clientId = options.clientId ?? 'ferry';
  const clientSecret = options.clientSecret ?? randomBytes(24).toString('base64url');
  const hookToken = randomBytes(16).toString('hex');
  const users = new Map(options.users.map((u) => [u.username.toLowerCase(), { ...u }]));
  const readyTimeoutMs = options.readyTimeoutMs ?? 15_000;
  let port = 0;
  let child: ChildProcess | null = null;
  let output = '';

  const start = async (): Promise<void> => {
    if (child) return;
    const config = {
      port,
      clientId,
      clientSecret,
      hookToken,
      redirectUri: options.redirectUri,
      backchannelLogoutUri: options.backchannelLogoutUri,
      postLogoutRedirectUri: options.postLogoutRedirectUri,
      claimsInIdToken: options.claimsInIdToken ?? true,
      users: [...users.values()],
    };
    const arg = Buffer.from(JSON.stringify(config)).toString('base64');
    const proc = spawnEngine(process.execPath, ['--no-warnings', SCRIPT, arg], null);
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`OIDC issuer not ready after ${readyTimeoutMs} ms:\n${output}`));
      }, readyTimeoutMs);
      const keep = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-20_000);
        const ready = /READY (\d+)/.exec(output);
        if (ready) {
          clearTimeout(timer);
          resolve(Number(ready[1]));
        }
      };
      proc.stdout?.on('data', keep);
      proc.stderr?.on(
        'data',
        (chunk: Buffer) => (output = (output + chunk.toString()).slice(-20_000)),
      );
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`OIDC issuer exited (${code ?? signal}):\n${output}`));
      });
    });
    output = output.replace(/READY \d+\n?/, '');
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGKILL');
    await exited(proc);
  };

  const hook = async (method: 'GET' | 'POST', route: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`http://127.0.0.1:${port}/_test/${route}`, {
      method,
      headers: { authorization: `Bearer ${hookToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`issuer hook ${route}: ${response.status}`);
    return response;
  };

  await start();
  return {
    get issuer() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    clientId,
    clientSecret,
    running: () => child !== null,
    addUser: async (user) => {
      users.set(user.username.toLowerCase(), { ...user });
      const answer = (await (await hook('POST', 'users', user)).json()) as { sub: string };
      return answer.sub;
    },
    removeUser: async (username) => {
      users.delete(username.toLowerCase());
      await hook('POST', 'users/remove', { username });
    },
    setGroups: async (username, groups) => {
      const user = users.get(username.toLowerCase());
      if (user) user.groups = [...groups];
      await hook('POST', 'users/groups', { username, groups });
    },
    logout: async (which) => {
      const answer = (await (await hook('POST', 'logout', which)).json()) as {
        ended: Array<{ sub: string; sid: string }>;
      };
      return answer.ended;
    },
    logoutTokens: async () => (await (await hook('GET', 'logout-tokens')).json()) as string[],
    start,
    stop: halt,
    log: () => output,
    dispose: halt,
  };
}

/** The issuer's page that stopped a sign-in (wrong password, bad redirect URI), in words. */
export class IssuerPageError extends Error {
  constructor(
    readonly status: number,
    readonly text: string,
  ) {
    super(`the issuer answered ${status}: ${text}`);
    this.name = 'IssuerPageError';
  }
}

/** Cookies per origin, enough for the issuer's session and interaction cookies. */
export class CookieJar {
  private readonly byOrigin = new Map<string, Map<string, string>>();

  header(url: URL): string | undefined {
    const cookies = this.byOrigin.get(url.origin);
    if (!cookies || cookies.size === 0) return undefined;
    return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  store(url: URL, response: Response): void {
    const cookies = this.byOrigin.get(url.origin) ?? new Map<string, string>();
    this.byOrigin.set(url.origin, cookies);
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = attributes.some((a) => {
        const [key = '', v = ''] = a.trim().split('=');
        if (/^max-age$/i.test(key)) return Number(v) <= 0;
        if (/^expires$/i.test(key)) return Date.parse(v) <= Date.now();
        return false;
      });
      if (gone || value === '') cookies.delete(name);
      else cookies.set(name, value);
    }
  }
}

function unescapeHtml(text: string): string {
  return text.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code)));
}

function textOf(html: string): string {
  const error = /<p id="(?:login-)?error">([^<]*)<\/p>/.exec(html);
  const text = error?.[1] ?? html.replace(/<[^>]+>/g, ' ');
  return unescapeHtml(text).replace(/\s+/g, ' ').trim().slice(0, 300);
}

/** A form post the issuer's page asks for: where to, and its fields. */
const post = (url: URL, fields: URLSearchParams) => ({
  url,
  init: {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: fields.toString(),
  } satisfies RequestInit,
});

/**
 * Browses the issuer like a browser without one: requests with the cookie jar, follows its
 * redirects, and resolves to the first URL outside the issuer. A page (not a redirect) goes to
 * `onPage`: the next request to make, a URL to resolve to, or null (the flow stops there:
 * IssuerPageError with the page's text).
 */
async function browse(
  start: string,
  jar: CookieJar,
  onPage: (page: {
    status: number;
    html: string;
    url: URL;
  }) => { url: URL; init: RequestInit } | string | null,
): Promise<string> {
  const issuerOrigin = new URL(start).origin;
  let url = new URL(start);
  let init: RequestInit = { method: 'GET' };
  for (let hops = 0; hops < 20; hops++) {
    const headers = new Headers(init.headers);
    const cookie = jar.header(url);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    jar.store(url, response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== issuerOrigin) return next.href;
      url = next;
      init = { method: 'GET' };
      continue;
    }
    const html = await response.text();
    const next = onPage({ status: response.status, html, url });
    if (typeof next === 'string') return next;
    if (next === null) throw new IssuerPageError(response.status, textOf(html));
    ({ url, init } = next);
  }
  throw new Error('the issuer redirected more than 20 times');
}

/**
 * Drives the sign-in a browser would do, without one: GET the authorization URL, post the
 * issuer's login form (unless the jar already holds a session and `credentials` is null),
 * follow redirects with the cookie jar, and resolve to the first URL outside the issuer — the
 * callback URL with `code` and `state` (or `error`). A page that stops the flow (wrong
 * password, unknown redirect URI) rejects with IssuerPageError.
 */
export async function signInAtIssuer(
  authorizationUrl: string,
  credentials: { username: string; password: string } | null,
  jar: CookieJar = new CookieJar(),
): Promise<string> {
  let posted = false;
  return browse(authorizationUrl, jar, ({ status, html, url }) => {
    const form = /<form id="login" method="post" action="([^"]+)"/.exec(html);
    if (status !== 200 || !form || !credentials || posted) return null;
    posted = true;
    return post(new URL(unescapeHtml(form[1] ?? ''), url), new URLSearchParams(credentials));
  });
}

/**
 * RP-initiated logout without a browser: GET the end_session URL, confirm the issuer's
 * "Sign out" form with the session in `jar`, follow redirects; resolves to where the issuer
 * sent the person last (its "signed out" page or the post-logout redirect URI). The issuer
 * sends back-channel logout tokens on the way.
 */
export async function signOutAtIssuer(endSessionUrl: string, jar: CookieJar): Promise<string> {
  return browse(endSessionUrl, jar, ({ status, html, url }) => {
    const form = /<form id="op\.logoutForm" method="post" action="([^"]+)">(.*?)<\/form>/.exec(
      html,
    );
    if (status === 200 && form) {
      const fields = new URLSearchParams({ logout: 'yes' });
      for (const input of (form[2] ?? '').matchAll(/name="([^"]+)" value="([^"]*)"/g)) {
        fields.set(input[1] ?? '', unescapeHtml(input[2] ?? ''));
      }
      return post(new URL(unescapeHtml(form[1] ?? ''), url), fields);
    }
    return status >= 200 && status < 300 ? url.href : null;
  });
}
