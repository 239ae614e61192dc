// Input checks shared by the model's writers and by the schema validator.
import { isId } from '../ids';
import { isHlc } from '../hlc';
import { check, show } from './errors';

/** Longest message text, in UTF-16 code units (JavaScript string length). */
export const MAX_MESSAGE_CHARS = 10_000;
/**
 * Longest reaction, in UTF-16 code units. A reaction is one grapheme (an emoji, a ZWJ sequence,
 * a flag, a skin-toned emoji: the longest of the emoji data Ferry offers is 15) or a short
 * name like `:ship:` that early clients could write.
 */
export const MAX_EMOJI_CHARS = 32;
/** Longest conversation title or display name. */
export const MAX_LABEL_CHARS = 200;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const EMOJI_FORBIDDEN = /[|\s\u0000-\u001f\u007f]/;
// Invisible and direction-changing characters (soft hyphen, zero-width space and joiners other
// than ZWJ, bidi marks, embeddings, overrides and isolates, word joiner, BOM, fillers): a
// reaction of them shows as nothing or reorders the chip. ZWJ, variation selectors and tag
// characters stay allowed: emoji sequences are made of them.
const EMOJI_INVISIBLE =
  /\u034f|\u17b4|\u17b5|[\u00ad\u061c\u115f\u1160\u180e\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff0-\ufffb]/;
/** A short name such as `:ship:`, as early clients could store it; still shown as written. */
const EMOJI_SHORT_NAME = /^:[a-z0-9_+-]{1,30}:$/;
/** More combining marks than any emoji has (a keycap or 🏳️‍⚧️ has two): stacked-mark noise. */
const EMOJI_MAX_MARKS = 4;
const GRAPHEMES = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** Whether `text` is exactly one user-perceived character (grapheme cluster). */
export function isOneGrapheme(text: string): boolean {
  const it = GRAPHEMES.segment(text)[Symbol.iterator]();
  return !it.next().done && it.next().done === true;
}

/** Well-formed text: Yjs encodes as UTF-8, so a lone surrogate would differ on other replicas. */
export function isWellFormed(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

export function checkText(text: unknown, fn: string): asserts text is string {
  check(typeof text === 'string', `${fn}: text must be a string, got ${show(text)}`);
  check(text.trim().length > 0, `${fn}: text is empty`);
  check(
    text.length <= MAX_MESSAGE_CHARS,
    `${fn}: text is ${text.length} characters, the limit is ${MAX_MESSAGE_CHARS}`,
  );
  check(isWellFormed(text), `${fn}: text contains a broken character (lone UTF-16 surrogate)`);
}

export function checkTime(at: unknown, what: string, fn: string): asserts at is number {
  check(
    typeof at === 'number' && Number.isFinite(at) && at >= 0,
    `${fn}: ${what} must be ms since the epoch, got ${show(at)}`,
  );
}

export function checkUser(user: unknown, what: string, fn: string): asserts user is string {
  check(isId(user), `${fn}: ${what} must be a 16-character user id, got ${show(user)}`);
}

export function checkMessageId(id: unknown, what: string, fn: string): asserts id is string {
  check(isHlc(id), `${fn}: ${what} must be a clock id, got ${show(id)}`);
}

export function checkEmoji(emoji: unknown, fn: string): asserts emoji is string {
  check(typeof emoji === 'string' && emoji.length > 0, `${fn}: emoji must be a non-empty string`);
  check(
    emoji.length <= MAX_EMOJI_CHARS,
    `${fn}: emoji is ${emoji.length} characters, the limit is ${MAX_EMOJI_CHARS}`,
  );
  check(
    !EMOJI_FORBIDDEN.test(emoji) && isWellFormed(emoji),
    `${fn}: emoji may not contain '|', spaces or control characters: ${show(emoji)}`,
  );
  check(
    !EMOJI_INVISIBLE.test(emoji),
    `${fn}: emoji may not contain invisible or direction-changing characters: ${show(emoji)}`,
  );
  check(
    (emoji.match(/\p{M}/gu)?.length ?? 0) <= EMOJI_MAX_MARKS,
    `${fn}: emoji has too many combining marks: ${show(emoji)}`,
  );
  check(
    isOneGrapheme(emoji) || EMOJI_SHORT_NAME.test(emoji),
    `${fn}: a reaction is one emoji (or a :short_name:), got ${show(emoji)}`,
  );
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const LABEL_FORBIDDEN = /[\u0000-\u001f\u007f]/;

/** A title or a name: one line, not blank, at most MAX_LABEL_CHARS. */
export function checkLabel(label: unknown, what: string, fn: string): asserts label is string {
  check(typeof label === 'string', `${fn}: ${what} must be a string, got ${show(label)}`);
  check(label.trim().length > 0, `${fn}: ${what} is empty`);
  check(
    label.length <= MAX_LABEL_CHARS,
    `${fn}: ${what} is ${label.length} characters, the limit is ${MAX_LABEL_CHARS}`,
  );
  check(
    !LABEL_FORBIDDEN.test(label) && isWellFormed(label),
    `${fn}: ${what} may not contain line breaks or control characters`,
  );
}
