// The composer's `:shortcode:` completion, pure: where a `:word` is being typed, which emoji
// match it, the text after picking one, and turning completed `:shortcode:`s into emoji (as
// they are typed and again on send). Message text stores the emoji itself, never the
// shortcode, so every app shows it. Code (inline spans and fenced blocks) is left alone.

import { searchEmoji, withTone, type Emoji, type EmojiIndex } from './emoji';

/** Most suggestions shown at once. */
export const MAX_EMOJI_SUGGESTIONS = 8;
/** Letters after the colon before suggestions show: "10:30" or "Note:" do not open it. */
export const MIN_QUERY = 2;

const SHORTCODE_CHARS = /[a-z0-9_+-]/i;

/** Whether `index` of `text` is inside code: an open inline span on its line, or a fence. */
export function inCode(text: string, index: number): boolean {
  const before = text.slice(0, index);
  const fences = before.match(/^ {0,3}(`{3,}|~{3,})/gm)?.length ?? 0;
  if (fences % 2 === 1) return true;
  const line = before.slice(before.lastIndexOf('\n') + 1);
  return (line.match(/`/g)?.length ?? 0) % 2 === 1;
}

/**
 * The `:word` the caret is at the end of: `start` is the index of the colon, `query` what
 * follows it (at least MIN_QUERY characters). Null when the caret is not in one: no colon at
 * a word start, a space since, a selection, or inside code.
 */
export function shortcodeQuery(
  text: string,
  caret: number,
  selectionEnd = caret,
): { start: number; query: string } | null {
  if (selectionEnd !== caret || caret > text.length) return null;
  const m = /(^|[\s([{"'])(:([a-z0-9_+-]{2,40}))$/i.exec(
    text.slice(Math.max(0, caret - 48), caret),
  );
  const query = m?.[3];
  if (query === undefined || query.length < MIN_QUERY) return null;
  const start = caret - query.length - 1;
  if (inCode(text, start)) return null;
  return { start, query: query.toLowerCase() };
}

export interface EmojiSuggestion {
  emoji: Emoji;
  /** What to insert (in the device's skin tone when the emoji has tones). */
  char: string;
  /** The shortcode to show, the one that matched when one did: "heart_eyes". */
  shortcode: string;
}

/** The emoji matching a `:query`, best first (see `searchEmoji`), with the shortcode to show. */
export function emojiSuggestions(
  index: EmojiIndex,
  query: string,
  tone = 0,
  recent: readonly string[] = [],
): EmojiSuggestion[] {
  const q = query.toLowerCase();
  return searchEmoji(index, q, recent, MAX_EMOJI_SUGGESTIONS).map((emoji) => ({
    emoji,
    char: withTone(emoji, tone),
    shortcode:
      emoji.shortcodes.find((c) => c === q) ??
      emoji.shortcodes.find((c) => c.startsWith(q)) ??
      emoji.shortcodes.find((c) => c.includes(q)) ??
      emoji.shortcodes[0] ??
      emoji.name.replace(/\s+/g, '_'),
  }));
}

/** The text with `:query` (from `start` to the caret) replaced by the emoji and a space. */
export function insertEmoji(
  text: string,
  start: number,
  caret: number,
  char: string,
): { text: string; caret: number } {
  const after = text.slice(caret);
  const insert = `${char}${/^\s/.test(after) ? '' : ' '}`;
  return { text: text.slice(0, start) + insert + after, caret: start + insert.length };
}

/** The text with `char` put in place of the selection (the emoji button), and the new caret. */
export function insertAtCaret(
  text: string,
  selectionStart: number,
  selectionEnd: number,
  char: string,
): { text: string; caret: number } {
  const a = Math.max(0, Math.min(selectionStart, text.length));
  const b = Math.max(a, Math.min(selectionEnd, text.length));
  return { text: text.slice(0, a) + char + text.slice(b), caret: a + char.length };
}

/**
 * A `:shortcode:` just completed at the caret (the closing colon typed), as its emoji: the
 * text and caret after the swap, or null when the caret does not end a known shortcode.
 */
export function completedShortcode(
  index: EmojiIndex,
  text: string,
  caret: number,
  tone = 0,
): { text: string; caret: number } | null {
  const m = /(^|[\s([{"'])(:([a-z0-9_+-]{1,40}):)$/i.exec(
    text.slice(Math.max(0, caret - 48), caret),
  );
  const code = m?.[3]?.toLowerCase();
  if (!code) return null;
  const emoji = index.byShortcode.get(code);
  const start = caret - code.length - 2;
  if (!emoji || inCode(text, start)) return null;
  const char = withTone(emoji, tone);
  return { text: text.slice(0, start) + char + text.slice(caret), caret: start + char.length };
}

/**
 * Every known `:shortcode:` of the text as its emoji (on send), outside code. Unknown ones and
 * colons in times or URLs stay as written.
 */
export function replaceShortcodes(index: EmojiIndex, text: string, tone = 0): string {
  if (!text.includes(':')) return text;
  let out = '';
  let last = 0;
  const re = /:([a-z0-9_+-]{1,40}):/gi;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const before = m.index > 0 ? (text[m.index - 1] ?? '') : '';
    const next = text[m.index + m[0].length] ?? '';
    const emoji = index.byShortcode.get((m[1] ?? '').toLowerCase());
    // A shortcode stands alone: not glued to a word before it or after it (a:b:c, 10:30:00).
    const alone = !SHORTCODE_CHARS.test(before) && !SHORTCODE_CHARS.test(next);
    if (!emoji || !alone || inCode(text, m.index)) {
      re.lastIndex = m.index + 1; // the closing colon may open the next one (":a::b:")
      continue;
    }
    out += text.slice(last, m.index) + withTone(emoji, tone);
    last = m.index + m[0].length;
  }
  return out + text.slice(last);
}
