// The composer's @-autocomplete, pure: where an `@word` is being typed, which members match it
// (username or display name, case and diacritics folded) and the text after picking one.

import { MENTION_BLOCKER } from '../../../../core/src/model/mentions';

export interface MentionCandidate {
  id: string;
  username: string;
  displayName: string;
}

/** Most suggestions shown at once. */
export const MAX_SUGGESTIONS = 8;

/** Lower case, accents removed: "Émile" → "emile". */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/**
 * The `@word` the caret is at the end of: `start` is the index of the `@`, `query` what follows
 * it. Null when the caret is not in one (no `@` at a word start, a space since, or a selection).
 */
export function mentionQuery(
  text: string,
  caret: number,
  selectionEnd = caret,
): { start: number; query: string } | null {
  if (selectionEnd !== caret || caret > text.length) return null;
  const m = /(^|[^])@([\p{L}\p{N}._-]{0,32})$/u.exec(text.slice(Math.max(0, caret - 40), caret));
  const query = m?.[2];
  if (query === undefined) return null;
  const start = caret - query.length - 1;
  const before = start > 0 ? text[start - 1] : '';
  if (before && MENTION_BLOCKER.test(before)) return null;
  // Not inside an open inline code span (an odd number of backticks before it on the line).
  const line = text.slice(text.lastIndexOf('\n', start - 1) + 1, start);
  if ((line.match(/`/g)?.length ?? 0) % 2 === 1) return null;
  return { start, query };
}

/** Members matching the query (prefix of username or of any word of the name first), not me. */
export function mentionCandidates(
  members: readonly MentionCandidate[],
  query: string,
  me: string | null,
  channel = true,
): MentionCandidate[] {
  const q = fold(query);
  const scored: { c: MentionCandidate; score: number }[] = [];
  for (const c of members) {
    if (c.id === me) continue;
    const user = fold(c.username);
    const name = fold(c.displayName);
    let score = -1;
    if (user.startsWith(q)) score = 0;
    else if (name.startsWith(q) || name.split(/\s+/).some((w) => w.startsWith(q))) score = 1;
    else if (user.includes(q) || name.includes(q)) score = 2;
    if (score >= 0) scored.push({ c, score });
  }
  scored.sort((a, b) => a.score - b.score || a.c.displayName.localeCompare(b.c.displayName) || 0);
  const out = scored.map((s) => s.c);
  if (channel) {
    for (const word of ['channel', 'here']) {
      if (word.startsWith(q)) {
        out.push({ id: `@${word}`, username: word, displayName: 'Everyone in this conversation' });
      }
    }
  }
  return out.slice(0, MAX_SUGGESTIONS);
}

/** The text with `@query` replaced by `@username ` and where the caret goes. */
export function insertMention(
  text: string,
  start: number,
  caret: number,
  username: string,
): { text: string; caret: number } {
  const after = text.slice(caret);
  const insert = `@${username}${/^\s/.test(after) ? '' : ' '}`;
  return { text: text.slice(0, start) + insert + after, caret: start + insert.length };
}
