// ONE plain-text rendering of a message for every preview (issue 12): the pinned list, search
// results, quote blocks and chips (lib/threads.ts), the conversation list and notifications all
// show markdown.ts's `toPlainText` (markup removed: `**bold**` reads "bold", a code fence its
// code), never the text as typed.
import { toPlainText } from './markdown';

/** Marks around a search match while the snippet goes through the plain rendering. */
const OPEN = '\uE000';
const CLOSE = '\uE001';
const MARKS = /[\uE000\uE001]/g;

/** A message's text as one line of plain text, at most about `max` characters (then "…"). */
export function previewText(text: string, max = 300): string {
  const plain = toPlainText(text);
  if (plain.length <= max) return plain;
  const cut = plain.lastIndexOf(' ', max);
  return `${plain.slice(0, cut > max / 2 ? cut : max)}…`;
}

/**
 * A search snippet (the text as typed, with the matched ranges) as plain-text pieces, the
 * matched ones marked: the ranges are carried through the plain rendering as private-use marks.
 */
export function plainSnippet(
  text: string,
  ranges: readonly (readonly [number, number])[],
): { text: string; match: boolean }[] {
  let marked = '';
  let at = 0;
  const clean = text.replace(MARKS, '');
  for (const [start, end] of ranges) {
    if (start < at || end <= start) continue;
    marked += clean.slice(at, start) + OPEN + clean.slice(start, end) + CLOSE;
    at = end;
  }
  marked += clean.slice(at);
  const plain = toPlainText(marked);
  const out: { text: string; match: boolean }[] = [];
  let match = false;
  for (const part of plain.split(/([\uE000\uE001])/)) {
    if (part === OPEN) match = true;
    else if (part === CLOSE) match = false;
    else if (part) out.push({ text: part, match });
  }
  return out;
}
