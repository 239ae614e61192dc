// Invite links, the side of the person who opens one (docs/accounts.md, Onboarding): look the
// link up (which role it gives, or why it no longer works) and make the account with it. The
// token travels in the request body, never in a URL path the relay would log. The admin's side
// (create, list, withdraw) is in admin.ts.
import { ApiError } from './api';
import type { InviteInfo } from './backend';
import { call, type Http } from './http';
import type { TokenAnswer } from './auth';
import { isTokenAnswer } from './auth';

/** A link's token: 32 bytes in base64url. Anything else is not looked up at all. */
export const INVITE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** The token of an app URL's hash (`#/invite/<token>`), or null. */
export function inviteTokenOf(hash: string): string | null {
  const m = /^#\/invite\/([A-Za-z0-9_-]{43})\/?$/.exec(hash.trim());
  return m ? (m[1] as string) : null;
}

const WORDS: Record<string, string> = {
  'not-found': 'This invite link is not valid. Check that it was copied whole, or ask for a new one.',
  'rate-limited': 'Too many attempts with invite links. Wait a few minutes, then try again.',
};

/** The relay's words for a link that ended ("has expired; ask…") as a sentence. */
function sentence(message: string): string {
  const m = message.trim();
  const first = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

function reworded(e: unknown): never {
  if (!(e instanceof ApiError)) throw e;
  if (e.code === 'gone' || e.code === 'invalid' || e.code === 'conflict') {
    throw new ApiError(e.code, sentence(e.message), e.retryAfter);
  }
  const w = WORDS[e.code];
  throw w ? new ApiError(e.code, w, e.retryAfter) : e;
}

export async function lookupInvite(http: Http, serverUrl: string, token: string): Promise<InviteInfo> {
  if (!INVITE_TOKEN.test(token)) throw new ApiError('not-found', WORDS['not-found'] as string);
  let v: unknown;
  try {
    v = await call<unknown>(http, serverUrl, 'POST', '/invites/lookup', { token });
  } catch (e) {
    reworded(e);
  }
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  if (typeof o.expiresAt !== 'number') throw new ApiError('error', 'The server answered the invite link with something unexpected.');
  return { role: o.role === 'guest' ? 'guest' : 'member', expiresAt: o.expiresAt };
}

export async function acceptInvite(
  http: Http,
  input: { serverUrl: string; token: string; username: string; displayName: string; password: string },
  device: string,
): Promise<TokenAnswer> {
  let v: unknown;
  try {
    v = await call<unknown>(http, input.serverUrl, 'POST', '/invites/accept', {
      token: input.token,
      username: input.username.trim().toLowerCase(),
      displayName: input.displayName.trim(),
      password: input.password,
      device,
    });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'conflict') {
      throw new ApiError('conflict', `The username "${input.username.trim().toLowerCase()}" is taken. Choose another.`);
    }
    reworded(e);
  }
  if (!isTokenAnswer(v)) throw new ApiError('error', 'The server answered the sign-up with something unexpected.');
  return v;
}
