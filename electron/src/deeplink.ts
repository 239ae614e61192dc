// ferry:// links. Anything that reaches this parser came from outside the app (a web
// page, a mail, another program's command line), so it is refused unless it is exactly
// one of the two shapes below.
//
//   ferry://conversation/<convId>[?server=<http(s) url>]
//   ferry://invite/<code>[?server=<http(s) url>]
//   ferry://message/<convId>/<messageId>[?server=<http(s) url>]   (core/src/desktop/links.ts)
//   ferry://auth?code=<one-time code>  |  ferry://auth?error=<code>&message=<words>
//     (the relay's end of single sign-on, docs/identity.md; nothing else is accepted there)
import type { DeepLink } from '../../core/src/desktop/api';
import { messageLinkSegments } from '../../core/src/desktop/links';
import { DEEP_LINK_SCHEME, DESKTOP_LIMITS } from '../../core/src/desktop/api';
import { isId } from '../../core/src/ids';

export type DeepLinkResult = { ok: true; link: DeepLink } | { ok: false; error: string };

const INVITE_CODE = /^[A-Za-z0-9_-]{6,128}$/;
// Printable ASCII only: no spaces, controls, quotes or angle brackets.
const SAFE_CHARS = /^[\x21\x23-\x3b\x3d\x3f-\x7e]+$/;

function refuse(error: string): DeepLinkResult {
  return { ok: false, error: `deep link refused: ${error}` };
}

/** A relay URL carried in a link: http(s), no credentials, no fragment. */
export function parseServerUrl(raw: string): string | null {
  if (raw.length > DESKTOP_LIMITS.urlMax) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  if (url.username || url.password || !url.hostname || url.hash) return null;
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function parseDeepLink(raw: unknown): DeepLinkResult {
  if (typeof raw !== 'string') return refuse('not a string');
  if (raw.length > DESKTOP_LIMITS.urlMax) return refuse('too long');
  if (!SAFE_CHARS.test(raw)) return refuse('unexpected characters');
  const prefix = `${DEEP_LINK_SCHEME}://`;
  if (raw.slice(0, prefix.length).toLowerCase() !== prefix) return refuse(`not a ${prefix} link`);
  // URL parsing would silently fold dot segments; a link that has them is not one we made.
  if (/(^|\/)\.{1,2}(\/|\?|$)/.test(raw.slice(prefix.length))) return refuse('dot segments');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('malformed');
  }
  if (url.username || url.password || url.port) return refuse('credentials or port not allowed');
  if (url.hash) return refuse('fragment not allowed');
  const host = url.hostname.toLowerCase();
  if (host === 'auth') return parseAuthLink(url);
  const segments = url.pathname.replace(/\/$/, '').split('/').slice(1);
  // A message link has two segments (conversation, message); every other kind has one.
  const expected = host === 'message' ? 2 : 1;
  if (segments.length !== expected || segments.some((s) => !s)) {
    return refuse(`expected exactly ${expected === 1 ? 'one path segment' : 'two path segments'}`);
  }
  const value = segments[0] as string;

  let serverUrl: string | null = null;
  for (const key of new Set(url.searchParams.keys())) {
    if (key !== 'server') return refuse(`unknown parameter "${key.slice(0, 32)}"`);
  }
  const servers = url.searchParams.getAll('server');
  if (servers.length > 1) return refuse('server given twice');
  if (servers.length === 1) {
    serverUrl = parseServerUrl(servers[0] ?? '');
    if (!serverUrl) return refuse('server must be an http(s) URL without credentials');
  }

  switch (host) {
    case 'conversation':
      if (!isId(value)) return refuse('not a conversation id');
      return { ok: true, link: { kind: 'conversation', conversationId: value, serverUrl } };
    case 'invite':
      if (!INVITE_CODE.test(value)) return refuse('not an invite code');
      return { ok: true, link: { kind: 'invite', code: value, serverUrl } };
    case 'message': {
      const target = messageLinkSegments(segments);
      if (!target) return refuse('not a conversation and message id');
      return { ok: true, link: { kind: 'message', ...target, serverUrl } };
    }
    default:
      return refuse('unknown link type');
  }
}

const AUTH_CODE = /^[A-Za-z0-9_-]{16,256}$/;
const AUTH_ERROR = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * `ferry://auth?code=…` or `ferry://auth?error=…[&message=…]`: no path, exactly one of code
 * or error, no other parameter, each given once. The message is words for the screen: control
 * characters become spaces, at most 300 characters (the renderer shows it as text).
 */
function parseAuthLink(url: URL): DeepLinkResult {
  if (url.pathname !== '' && url.pathname !== '/') return refuse('auth link with a path');
  const q = url.searchParams;
  for (const key of new Set(q.keys())) {
    if (key !== 'code' && key !== 'error' && key !== 'message') {
      return refuse(`unknown parameter "${key.slice(0, 32)}"`);
    }
    if (q.getAll(key).length !== 1) return refuse(`${key} given twice`);
  }
  const code = q.get('code');
  const error = q.get('error');
  if ((code === null) === (error === null)) return refuse('auth link needs a code or an error');
  if (code !== null) {
    if (q.has('message')) return refuse('auth code with a message');
    if (!AUTH_CODE.test(code)) return refuse('not a sign-in code');
    return { ok: true, link: { kind: 'auth', code } };
  }
  if (!AUTH_ERROR.test(error as string)) return refuse('not a sign-in error code');
  // eslint-disable-next-line no-control-regex
  const words = (q.get('message') ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return {
    ok: true,
    link: {
      kind: 'auth-error',
      error: error as string,
      message: words.slice(0, 300) || 'Company sign-in did not finish.',
    },
  };
}

/**
 * The deep link in a command line (Windows/Linux pass it as an argument, at first start
 * and to the running instance through `second-instance`). macOS uses `open-url` instead.
 */
export function deepLinkFromArgv(argv: readonly string[]): string | null {
  const prefix = `${DEEP_LINK_SCHEME}:`;
  for (const arg of argv) {
    if (arg.slice(0, prefix.length).toLowerCase() === prefix) return arg;
  }
  return null;
}

/**
 * Holds links until the renderer is ready (a link may arrive before the window exists),
 * then delivers them one by one.
 */
export class DeepLinkQueue {
  #pending: DeepLink[] = [];
  #deliver: ((link: DeepLink) => void) | null = null;

  push(link: DeepLink): void {
    if (this.#deliver) this.#deliver(link);
    else if (this.#pending.length < 16) this.#pending.push(link);
  }

  /** Sets the delivery target and flushes what was waiting. Pass null when the window goes away. */
  attach(deliver: ((link: DeepLink) => void) | null): void {
    this.#deliver = deliver;
    if (!deliver) return;
    const waiting = this.#pending;
    this.#pending = [];
    for (const link of waiting) deliver(link);
  }
}
