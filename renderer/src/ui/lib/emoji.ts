// Emoji for the picker, the composer's `:shortcode:` completion and reactions: the full Unicode
// set from the maintained `emojibase-data` package (names and keywords from CLDR, Slack-style
// shortcodes from its `iamcal` preset, group names from its messages). The data is large
// (about 1,900 emoji), so it is not in the first screen's script: `loadEmoji()` imports
// `emoji-data.ts` (a chunk of its own, built into the app, so it works offline) the first time
// the picker or the completion is used. Everything else here is pure: building the index from
// the data, search with ranking, skin tones, the recent list (this device), and the labels of
// reaction chips.

import { keyOf, limitToVersion, versionSamples, type Emoji, type EmojiIndex } from './emoji-index';
export * from './emoji-index';

let loading: Promise<EmojiIndex> | null = null;

/** The index, loaded once (the data's own chunk) the first time something needs it. */
export function loadEmoji(): Promise<EmojiIndex> {
  loading ??= import('./emoji-data')
    .then((m) => {
      const index = m.emojiIndex();
      return limitToVersion(index, m.drawableVersion(versionSamples(index)));
    })
    .catch((e: unknown) => {
      loading = null; // a later try may succeed (e.g. the chunk could not be read once)
      throw e;
    });
  return loading;
}

/** The picker's entry for a character, or a bare one for an emoji outside the data. */
export function emojiInfo(index: EmojiIndex | null, char: string): Emoji {
  return (
    index?.byChar.get(keyOf(char)) ?? {
      char,
      name: char,
      shortcodes: [],
      keywords: [],
      group: -1,
      order: Number.MAX_SAFE_INTEGER,
    }
  );
}

/** Lower case, trimmed, without the colons of a shortcode. */
function normalise(query: string): string {
  return query
    .trim()
    .toLowerCase()
    .replace(/^:+|:+$/g, '');
}

interface Query {
  asName: string;
  asCode: string;
  key: string;
  words: string[];
}

let lastQuery: [string, Query | null] = ['', null];

function compile(query: string): Query | null {
  if (lastQuery[0] === query) return lastQuery[1];
  const q = normalise(query);
  const asName = q.replace(/_/g, ' ');
  const compiled = q
    ? {
        asName,
        asCode: q.replace(/\s+/g, '_'),
        key: keyOf(q),
        words: asName.split(/\s+/).filter(Boolean),
      }
    : null;
  lastQuery = [query, compiled];
  return compiled;
}

/** Words of the name and parts of the shortcodes, split once per emoji. */
const PARTS = new WeakMap<Emoji, string[]>();
function partsOf(e: Emoji): string[] {
  let parts = PARTS.get(e);
  if (!parts) {
    parts = [...e.name.split(/[\s\-:,]+/), ...e.shortcodes.flatMap((c) => c.split(/[_-]/))];
    PARTS.set(e, parts);
  }
  return parts;
}

/** Whether `s` starts with `prefix` followed by a word boundary. */
function startsWithWord(s: string, prefix: string): boolean {
  return s.startsWith(prefix) && /^[\s_:,-]/.test(s.slice(prefix.length));
}

/**
 * How well one emoji matches a query, lower is better, null for no match:
 * 0 the exact name or shortcode (or the emoji itself); 1 the name or a shortcode starts with it
 * as a whole word ("party" → "party popper", `:heart_eyes:`); 2 starts with it ("partying
 * face"); 3 a word of the name or a part of a shortcode starts with it; 4 an exact keyword;
 * 5 a keyword starts with it; 6 it appears inside the name or a shortcode. A query of several
 * words matches when every word does, ranked by its worst word (never better than 3).
 */
export function matchRank(e: Emoji, query: string): number | null {
  const q = compile(query);
  if (!q) return null;
  if (e.name === q.asName || e.shortcodes.includes(q.asCode) || keyOf(e.char) === q.key) return 0;
  if (startsWithWord(e.name, q.asName) || e.shortcodes.some((c) => startsWithWord(c, q.asCode))) {
    return 1;
  }
  if (e.name.startsWith(q.asName) || e.shortcodes.some((c) => c.startsWith(q.asCode))) return 2;
  if (q.words.length > 1) {
    let worst = 3;
    for (const w of q.words) {
      const r = wordRank(e, w);
      if (r === null) return null;
      worst = Math.max(worst, r);
    }
    return worst;
  }
  return wordRank(e, q.asName);
}

function wordRank(e: Emoji, w: string): number | null {
  if (partsOf(e).some((p) => p.startsWith(w))) return 3;
  if (e.keywords.includes(w)) return 4;
  if (e.keywords.some((k) => k.startsWith(w))) return 5;
  if (e.name.includes(w) || e.shortcodes.some((c) => c.includes(w))) return 6;
  return null;
}

/**
 * Emoji matching a query, best first: by `matchRank`, then the recently used (most recent
 * first), then the data's order. An empty query gives nothing (the picker shows the groups).
 */
export function searchEmoji(
  index: EmojiIndex,
  query: string,
  recent: readonly string[] = [],
  limit = 200,
): Emoji[] {
  const recentRank = new Map<string, number>();
  recent.forEach((c, i) => {
    const e = index.byChar.get(keyOf(c));
    if (e && !recentRank.has(e.char)) recentRank.set(e.char, i);
  });
  const scored: [Emoji, number, number][] = [];
  for (const e of index.all) {
    const r = matchRank(e, query);
    if (r !== null) scored.push([e, r, recentRank.get(e.char) ?? recent.length]);
  }
  scored.sort((a, b) => a[1] - b[1] || a[2] - b[2] || a[0].order - b[0].order);
  return scored.slice(0, limit).map((s) => s[0]);
}

// ---- skin tones (one choice per device) ----

const TONE_KEY = 'ferry.emojiTone';
export const TONE_NAMES = [
  'No skin tone',
  'Light skin tone',
  'Medium-light skin tone',
  'Medium skin tone',
  'Medium-dark skin tone',
  'Dark skin tone',
] as const;

/** The tone chosen on this device: 0 (none, the default yellow) or 1-5. */
export function skinTone(storage: Pick<Storage, 'getItem'> = localStorage): number {
  try {
    const n = Number(storage.getItem(TONE_KEY));
    return Number.isInteger(n) && n >= 0 && n <= 5 ? n : 0;
  } catch {
    return 0;
  }
}

export function setSkinTone(tone: number, storage: Pick<Storage, 'setItem'> = localStorage): void {
  try {
    storage.setItem(TONE_KEY, String(Number.isInteger(tone) && tone >= 0 && tone <= 5 ? tone : 0));
  } catch {
    // storage disabled: the tone lasts until the app closes
  }
}

/** The emoji in the tone, when it has skin tones; otherwise as it is. */
export function withTone(e: Emoji, tone: number): string {
  return (tone >= 1 && tone <= 5 && e.skins?.[tone - 1]) || e.char;
}

// ---- recently used (this device) ----

const RECENT_KEY = 'ferry.recentEmoji';
export const RECENT_MAX = 24;
/** Longer entries are not emoji (see core's MAX_EMOJI_CHARS): a damaged list stays small. */
const RECENT_ENTRY_MAX = 32;

/** Recently used emoji on this device (as picked, with their tone), most recent first. */
export function recentEmoji(storage: Pick<Storage, 'getItem'> = localStorage): string[] {
  try {
    const raw: unknown = JSON.parse(storage.getItem(RECENT_KEY) ?? '[]');
    if (!Array.isArray(raw)) return [];
    const out: string[] = [];
    for (const x of raw) {
      if (typeof x !== 'string' || x.length === 0 || x.length > RECENT_ENTRY_MAX) continue;
      if (!out.includes(x)) out.push(x);
      if (out.length === RECENT_MAX) break;
    }
    return out;
  } catch {
    return []; // a damaged entry only loses the recent list
  }
}

export function rememberEmoji(
  char: string,
  storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage,
): void {
  if (char.length === 0 || char.length > RECENT_ENTRY_MAX) return;
  const next = [char, ...recentEmoji(storage).filter((c) => c !== char)].slice(0, RECENT_MAX);
  try {
    storage.setItem(RECENT_KEY, JSON.stringify(next));
  } catch {
    // storage full or disabled: the list is a convenience
  }
}

// ---- labels and display ----

/** "Ada, Bo and 3 others reacted with 👍" (the chip's tooltip and accessible name). */
export function reactedLabel(names: readonly string[], emoji: string): string {
  const shown = names;
  let who: string;
  if (shown.length <= 3) who = shown.join(', ');
  else
    who = `${shown.slice(0, 3).join(', ')} and ${shown.length - 3} other${shown.length === 4 ? '' : 's'}`;
  return `${who} reacted with ${emoji}`;
}

const SEGMENTER = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Whether a message is only emoji (at most `max`, spaces between allowed), which the list
 * shows large. Digits, # and * are emoji components but not emoji on their own: "42" is text.
 */
export function emojiOnly(text: string, max = 5): boolean {
  const t = text.trim();
  if (t === '' || t.length > 80) return false;
  let count = 0;
  for (const { segment } of SEGMENTER.segment(t)) {
    if (/^\s+$/u.test(segment)) continue;
    if (!/\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(segment)) return false;
    count += 1;
    if (count > max) return false;
  }
  return count > 0;
}
