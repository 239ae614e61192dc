// Mentions are plain text in a message body: `@username` names one member, `@channel` and
// `@here` everyone in the conversation. No schema change: every replica finds them in the text
// with the same rules, so "does this message mention me" needs nothing but the text and the
// member list.
//
// Rules (the renderer's highlighting in renderer/src/ui/lib/markdown.ts follows the same ones):
// - `@` must start a word: at the start of the text or after a character that is not a letter,
//   digit, `_`, `.`, `+`, `-`, `/`, `@` or a backtick (so `ada@example.com` and
//   `https://x.org/@bo` are not mentions).
// - the name is the longest run of `[A-Za-z0-9._-]` starting with a letter or digit, compared
//   case-insensitively; trailing `.`, `_`, `-` are dropped one by one until a member's username
//   matches ("thanks @bo." mentions bo). A name that is not a member's is no mention.
// - not inside code (fenced blocks, inline code spans), links (`[text](url)`, `<url>`, bare
//   http(s):// and www. URLs) nor after a backslash (`\@bo` is the text "@bo").

import type * as Y from 'yjs';
import { readMarker } from './meta';
import { messagesOf, readMessage } from './page';

/** A member as far as mentions care. */
export interface MentionMember {
  id: string;
  username: string;
}

/** Who a message mentions: member ids (first mention first, once each); channel: @channel or @here. */
export interface Mentions {
  users: string[];
  channel: boolean;
}

/** Words that mention everyone in the conversation. */
export const CHANNEL_MENTIONS: readonly string[] = ['channel', 'here'];

/** A character after which `@` does not start a mention. */
export const MENTION_BLOCKER = /[\p{L}\p{N}_.+\-/@`\\]/u;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*/;

const FENCE = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\1[`~]*[ \t]*$|(?![\s\S]))/gm;
const CODE_SPAN = /(?<!`)(`+)(?!`)[\s\S]*?[^`]\1(?!`)/g;
const LINK = /!?\[[^\]\n]*\]\([^)\n]*\)|<[^>\s]+>|\b(?:https?:\/\/|www\.)[^\s<]+/gi;

function blank(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

/** The text with code and links replaced by spaces (same length, so offsets still hold). */
export function maskNonMentionText(text: string): string {
  return text.replace(FENCE, blank).replace(CODE_SPAN, blank).replace(LINK, blank);
}

/**
 * The mention the text at `at` (an `@`) makes, given the previous character: the username as
 * written (its length is how much to highlight) and who it names, or null.
 */
export function mentionAt(
  text: string,
  at: number,
  usernames: ReadonlyMap<string, string>,
): { raw: string; id: string | null; channel: boolean } | null {
  if (text[at] !== '@') return null;
  const before = at > 0 ? text[at - 1] : '';
  if (before && MENTION_BLOCKER.test(before)) return null;
  let name = NAME.exec(text.slice(at + 1, at + 1 + 80))?.[0] ?? '';
  while (name.length > 0) {
    const lower = name.toLowerCase();
    if (CHANNEL_MENTIONS.includes(lower)) return { raw: '@' + name, id: null, channel: true };
    const id = usernames.get(lower);
    if (id !== undefined) return { raw: '@' + name, id, channel: false };
    if (!/[._-]$/.test(name)) return null;
    name = name.slice(0, -1);
  }
  return null;
}

/** Username (lower case) → member id. */
export function usernameIndex(members: readonly MentionMember[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const m of members) map.set(m.username.toLowerCase(), m.id);
  return map;
}

/** Who `text` mentions among `members` (see the rules above). Never throws. */
export function mentionsIn(text: string, members: readonly MentionMember[]): Mentions {
  const out: Mentions = { users: [], channel: false };
  if (typeof text !== 'string' || !text.includes('@')) return out;
  const names = usernameIndex(members);
  const masked = maskNonMentionText(text);
  for (let at = masked.indexOf('@'); at !== -1; at = masked.indexOf('@', at + 1)) {
    const m = mentionAt(masked, at, names);
    if (m === null) continue;
    if (m.channel) out.channel = true;
    else if (m.id !== null && !out.users.includes(m.id)) out.users.push(m.id);
  }
  return out;
}

/**
 * How many messages on a history page mention `user` (by `username`, or @channel / @here) that
 * they have not read: written by someone else, not deleted, newer than their read marker on the
 * page (its message id; a marker without one counts by time). Counted like `unreadCount`, from
 * one page (the newest, for the conversation list).
 */
export function unreadMentionCount(page: Y.Doc, user: string, username: string): number {
  const marker = readMarker(page, user);
  const me = [{ id: user, username }];
  let n = 0;
  messagesOf(page).forEach((value, key) => {
    const m = readMessage(key, value);
    if (m === null || m.deleted || m.author === user) return;
    if (marker !== null && (marker.id !== null ? m.id <= marker.id : m.createdAt <= marker.at)) {
      return;
    }
    const found = mentionsIn(m.text, me);
    if (found.channel || found.users.length > 0) n++;
  });
  return n;
}
