// A small JSON API layer for `/api/v1/*` (docs/accounts.md, HTTP API): method + path routing
// with `:params`, JSON bodies (64 KiB), valibot validation into the contract's error shape,
// bearer authentication, per-address and per-user token buckets, CORS without credentials,
// `Cache-Control: no-store`, an `X-Request-Id` per request and one log line per request
// (method, path without the query string, status, time; never bodies or tokens).
import { DatabaseError, isDatabaseUnavailable } from '../db/sql';
import type http from 'node:http';
import * as v from 'valibot';
import type { AccessInfo, Accounts } from '../accounts/service';
import { localLimiters, type BucketSpec, type Limiter, type LimiterFactory } from '../limits';
import { correlationId, type Logger } from '../log';
import { ApiError, forbidden, rateLimited } from './errors';

export const API_PREFIX = '/api/v1';
export const MAX_BODY_BYTES = 64 * 1024;

/**
 * Who may call a route: anyone, anyone (the caller is known when a token is sent), users,
 * admins; 'self': anyone, and the handler spends the rate-limit token itself (`takeAnonymous`
 * or `takeKeyed`), for calls that name their own key (a refresh token names its session).
 */
export type RouteAuth = 'none' | 'optional' | 'user' | 'admin' | 'self';

export interface RouteContext {
  req: http.IncomingMessage;
  requestId: string;
  /** The peer's address (the reverse proxy's, behind one). */
  ip: string;
  /** True when the request came over loopback directly (no proxy headers). */
  loopback: boolean;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Parsed JSON body; undefined when there was none. */
  body: unknown;
  log: Logger;
  /** The caller: set for 'user' and 'admin' routes, and for 'optional' ones given a valid token. */
  access: AccessInfo | null;
}

export interface Reply {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /**
   * A page for a person in a browser instead of JSON (the end of a single sign-on): sent with
   * a policy that runs no script and loads nothing.
   */
  html?: string;
}

export type Handler = (ctx: RouteContext) => Promise<Reply> | Reply;

interface Route {
  method: string;
  parts: string[];
  auth: RouteAuth;
  handler: Handler;
  /** Open to a session that must change its password first (docs/accounts.md, Onboarding). */
  beforePasswordChange: boolean;
  /** Takes a form body too (only where a third party posts one: OIDC back-channel logout). */
  form: boolean;
}

export interface RouteOptions {
  /** The route stays open while the caller must change the password an admin gave them. */
  beforePasswordChange?: boolean;
  /** Accept application/x-www-form-urlencoded as well as JSON. */
  form?: boolean;
}

export interface RouterOptions {
  accounts: Accounts;
  log: Logger;
  /** Unauthenticated calls per address. */
  anonymousPerAddress: BucketSpec;
  /** Authenticated calls per user. */
  apiPerUser: BucketSpec;
  /** Counts refusals: `ferry_rate_limited_total{what}`. */
  onRateLimited?: (what: string) => void;
  /** `--trust-proxy`: see clientAddress. */
  trustProxy?: boolean;
  /** Where the buckets live: this process (default) or Redis, shared by every node. */
  limiters?: LimiterFactory;
}

export const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * The client's address for rate limits, logs and the audit: the peer's, or, with
 * `--trust-proxy` and a peer on loopback (the reverse proxy), the last address the proxy
 * appended to X-Forwarded-For (earlier entries are the client's own claims).
 */
export function clientAddress(req: http.IncomingMessage, trustProxy: boolean): string {
  const peer = req.socket.remoteAddress ?? '';
  if (!trustProxy || !LOOPBACK.has(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const value = Array.isArray(header) ? header[header.length - 1] : header;
  const last = value?.split(',').pop()?.trim();
  return last || peer;
}

/** Validates `value` with `schema`, or throws 400 `invalid` listing each issue (path, message). */
export function parse<S extends v.GenericSchema>(schema: S, value: unknown): v.InferOutput<S> {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const details = result.issues.map((issue) => ({
    path: v.getDotPath(issue) ?? '',
    message: issue.message,
  }));
  const first = details[0];
  throw new ApiError(
    400,
    'invalid',
    first ? `${first.path ? first.path + ': ' : ''}${first.message}` : 'invalid request',
    details,
  );
}

export class Router {
  private readonly routes: Route[] = [];
  private readonly perAddress: Limiter;
  private readonly perUser: Limiter;

  constructor(private readonly options: RouterOptions) {
    const limiters = options.limiters ?? localLimiters;
    this.perAddress = limiters('api-address', options.anonymousPerAddress);
    this.perUser = limiters('api-user', options.apiPerUser);
  }

  /** Adds a route; `path` is relative to /api/v1, e.g. `/admin/users/:id`. */
  add(
    method: string,
    path: string,
    auth: RouteAuth,
    handler: Handler,
    options: RouteOptions = {},
  ): this {
    this.routes.push({
      method: method.toUpperCase(),
      parts: split(path),
      auth,
      handler,
      beforePasswordChange: options.beforePasswordChange ?? false,
      form: options.form ?? false,
    });
    return this;
  }

  get(path: string, auth: RouteAuth, handler: Handler, options?: RouteOptions) {
    return this.add('GET', path, auth, handler, options);
  }
  post(path: string, auth: RouteAuth, handler: Handler, options?: RouteOptions) {
    return this.add('POST', path, auth, handler, options);
  }
  patch(path: string, auth: RouteAuth, handler: Handler) {
    return this.add('PATCH', path, auth, handler);
  }
  delete(path: string, auth: RouteAuth, handler: Handler) {
    return this.add('DELETE', path, auth, handler);
  }

  /** Spends one unauthenticated-call token of `ip`, or throws 429. */
  async takeAnonymous(ip: string): Promise<void> {
    const r = await this.perAddress.take(ip);
    if (!r.ok) {
      this.options.onRateLimited?.('api-address');
      throw rateLimited(r.retryAfterMs);
    }
  }

  /** Spends one token of the per-user bucket under `key` (e.g. `session:<id>`), or throws 429. */
  async takeKeyed(key: string, what = 'api-user'): Promise<void> {
    const r = await this.perUser.take(key);
    if (!r.ok) {
      this.options.onRateLimited?.(what);
      throw rateLimited(r.retryAfterMs);
    }
  }

  /** Handles a request whose path starts with /api/v1. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = correlationId('r');
    const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?');
    const path = rawPath.slice(API_PREFIX.length) || '/';
    const peer = req.socket.remoteAddress ?? '';
    const ip = clientAddress(req, this.options.trustProxy ?? false);
    const proxied =
      req.headers['x-forwarded-for'] !== undefined || req.headers.forwarded !== undefined;
    const log = this.options.log.child({ rid: requestId });
    let access: AccessInfo | null = null;
    let status = 500;

    res.setHeader('X-Request-Id', requestId);
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After');
    res.setHeader('X-Content-Type-Options', 'nosniff');

    const send = (code: number, body: unknown, headers: Record<string, string> = {}) => {
      status = code;
      if (res.headersSent) return;
      for (const [k, value] of Object.entries(headers)) res.setHeader(k, value);
      if (body === undefined || code === 204) {
        res.writeHead(code).end();
      } else {
        res.writeHead(code, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body) + '\n');
      }
    };

    try {
      const method = (req.method ?? 'GET').toUpperCase();
      if (method === 'OPTIONS') {
        // CORS preflight: no credentials, so any origin may call with a bearer token.
        send(204, undefined, {
          'Access-Control-Allow-Methods': 'GET, POST, PATCH, DELETE, OPTIONS',
          'Access-Control-Allow-Headers': 'Authorization, Content-Type',
          'Access-Control-Max-Age': '600',
        });
        return;
      }
      const parts = split(path);
      const matching = this.routes
        .map((r) => ({ r, params: match(r.parts, parts) }))
        .filter((m): m is { r: Route; params: Record<string, string> } => m.params !== null);
      const found = matching.find(
        (m) => m.r.method === method || (method === 'HEAD' && m.r.method === 'GET'),
      );
      if (!found) {
        if (matching.length > 0) {
          const allow = [...new Set(matching.map((m) => m.r.method))].join(', ');
          throw Object.assign(new ApiError(405, 'method-not-allowed', `use ${allow}`), { allow });
        }
        throw new ApiError(404, 'not-found', `no such endpoint: ${method} ${API_PREFIX}${path}`);
      }
      const { r: route, params } = found;

      const authenticates = route.auth === 'user' || route.auth === 'admin';
      if (authenticates || (route.auth === 'optional' && req.headers.authorization)) {
        const result = await this.options.accounts.authenticateRequest(req);
        if (typeof result === 'string') {
          await this.takeAnonymous(ip);
          throw authError(result);
        }
        access = result;
      }
      if (access) {
        const r = await this.perUser.take(access.userId);
        if (!r.ok) {
          this.options.onRateLimited?.('api-user');
          throw rateLimited(r.retryAfterMs);
        }
        // A password an admin chose must be replaced before the session does anything else:
        // enforced here for every route, not only by the app.
        if (access.mustChangePassword && !route.beforePasswordChange) {
          throw new ApiError(
            403,
            'password-change-required',
            'choose your own password first (POST /me/password)',
          );
        }
        if (route.auth === 'admin' && access.role !== 'admin') {
          throw forbidden('only workspace admins may do this');
        }
      } else if (route.auth !== 'self') {
        await this.takeAnonymous(ip);
      }

      const body = await readJson(req, route.form);
      const ctx: RouteContext = {
        req,
        requestId,
        ip,
        loopback: LOOPBACK.has(peer) && !proxied,
        params,
        query: new URLSearchParams(rawQuery),
        body,
        log,
        access,
      };
      const reply = await route.handler(ctx);
      if (reply.html !== undefined) {
        status = reply.status ?? 200;
        for (const [k, value] of Object.entries(reply.headers ?? {})) res.setHeader(k, value);
        res.writeHead(status, {
          'Content-Type': 'text/html; charset=utf-8',
          'Content-Security-Policy':
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'",
          'Cache-Control': 'no-store',
          'Referrer-Policy': 'no-referrer',
        });
        res.end(req.method === 'HEAD' ? undefined : reply.html);
        return;
      }
      send(reply.status ?? (reply.body === undefined ? 204 : 200), reply.body, reply.headers);
    } catch (error) {
      if (error instanceof ApiError) {
        const headers: Record<string, string> = {};
        if (error.retryAfter !== undefined) headers['Retry-After'] = String(error.retryAfter);
        const allow = (error as ApiError & { allow?: string }).allow;
        if (allow) headers.Allow = allow;
        send(error.status, error.toBody(), headers);
      } else if (
        error instanceof DatabaseError &&
        (error.code === '22021' || error.code === '22P05')
      ) {
        // Text PostgreSQL cannot hold (a NUL character) that no validation caught first.
        send(
          400,
          new ApiError(400, 'invalid', 'text may not contain NUL or control characters').toBody(),
        );
      } else if (isDatabaseUnavailable(error)) {
        // PostgreSQL is away (several nodes): nothing was done; the app retries 5xx.
        log.error({ err: error }, 'api request abandoned: database unavailable');
        send(
          503,
          new ApiError(
            503,
            'unavailable',
            'The server cannot reach its database right now; try again in a moment.',
            undefined,
            5,
          ).toBody(),
          { 'Retry-After': '5' },
        );
      } else {
        log.error({ err: error }, 'api handler failed');
        send(500, new ApiError(500, 'internal', `internal error (request ${requestId})`).toBody());
      }
    } finally {
      const ms = Math.round((performance.now() - started) * 10) / 10;
      const line = {
        method: req.method,
        path: rawPath.slice(0, 200),
        status,
        ms,
        user: access?.userId,
      };
      if (status >= 500) log.error(line, 'api request');
      else log.info(line, 'api request');
    }
  }
}

export function authError(
  error: 'token expired' | 'session ended' | 'not authenticated',
): ApiError {
  if (error === 'session ended') {
    return new ApiError(401, 'session-ended', 'your session ended; sign in again');
  }
  return new ApiError(401, 'unauthenticated', error);
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p !== '');
}

function match(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    const value = parts[i] as string;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(value);
      } catch {
        return null;
      }
    } else if (p !== value) return null;
  }
  return params;
}

/**
 * Reads a JSON body of at most 64 KiB: 413 when larger, 415 when not JSON, 400 when malformed.
 * A form (application/x-www-form-urlencoded: what an OIDC issuer posts a logout token as)
 * becomes an object of its fields.
 */
async function readJson(req: http.IncomingMessage, allowForm: boolean): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw new ApiError(413, 'too-large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw new ApiError(413, 'too-large', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  if (size === 0) return undefined;
  const type = String(req.headers['content-type'] ?? '');
  if (allowForm && /^application\/x-www-form-urlencoded\b/i.test(type)) {
    return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
  }
  if (!/^application\/json\b/i.test(type)) {
    throw new ApiError(
      415,
      'unsupported-media-type',
      'send JSON with Content-Type: application/json',
    );
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ApiError(400, 'invalid', 'the body is not valid JSON');
  }
}
