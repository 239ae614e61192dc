// A message longer than the model allows (core MAX_MESSAGE_CHARS, checked again by the relay) is
// stopped in the composer before it is sent (issue 12): a counter from 90% of the limit, the Send
// button disabled with the reason, and an offer to send it as several messages, split where a
// reader would expect (paragraphs, then lines, then sentences, then spaces). The person chooses.
import { MAX_MESSAGE_CHARS } from '../../../../core/src/model/checks';

/** The counter shows from this share of the limit. */
export const COUNTER_FROM = 0.9;

export interface LengthState {
  /** Characters as the model counts them (UTF-16 code units) of the text as it will be sent. */
  count: number;
  limit: number;
  /** Show the counter. */
  near: boolean;
  /** Too long to send as one message. */
  over: boolean;
}

export function lengthState(text: string, limit = MAX_MESSAGE_CHARS): LengthState {
  const count = text.trim().length;
  return { count, limit, near: count >= Math.floor(limit * COUNTER_FROM), over: count > limit };
}

const fmt = (n: number) => n.toLocaleString('en');

/** The counter's text: "9,512 / 10,000". */
export function counterText(s: LengthState): string {
  return `${fmt(s.count)} / ${fmt(s.limit)}`;
}

/** Why Send is disabled, in words (the button's title and the note under the composer). */
export function overReason(s: LengthState): string {
  return `This message is ${fmt(s.count - s.limit)} characters over the limit of ${fmt(s.limit)}. Shorten it, or send it as several messages.`;
}

/** Where to cut `text` (at most `limit` long): the last good boundary, or `limit` itself. */
function cutAt(text: string, limit: number): number {
  const window = text.slice(0, limit);
  const min = Math.floor(limit / 2); // never a tiny part: a boundary in the second half only
  for (const boundary of [/\n\s*\n/g, /\n/g, /[.!?]["')\]]?\s/g, /\s/g]) {
    let best = -1;
    for (const m of window.matchAll(boundary)) {
      const end = m.index + m[0].length;
      if (end <= limit && m.index >= min) best = end;
    }
    if (best > 0) return best;
  }
  // No boundary: do not cut a surrogate pair in half.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/**
 * `text` as parts of at most `limit` characters each (trimmed, none empty), in order; a text
 * within the limit is one part.
 */
export function splitMessage(text: string, limit = MAX_MESSAGE_CHARS): string[] {
  if (limit < 2) throw new RangeError('splitMessage: limit must be at least 2');
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const at = cutAt(rest, limit);
    const part = rest.slice(0, at).trim();
    if (part) parts.push(part);
    rest = rest.slice(at).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}
