// The query language: free words, "quoted phrases" and filters.
//
//   from:<username or name>   in:<channel title>   before:YYYY-MM-DD   after:YYYY-MM-DD
//   on:YYYY-MM-DD             a filter value may be quoted: from:"Ana María" in:"team chat"
//   has:file  has:image  has:voice   (issue 13: messages with attachments of that kind)
//
// The parser never throws. Odd input keeps as much meaning as it can and says what it did in
// `notes`: an unbalanced quote runs to the end of the query; an empty filter (`from:`) is
// ignored; an unknown prefix (`foo:bar`, `http://x`) is kept as text; an invalid date is kept
// as text. Dates are days in the local time zone: before: is before that day starts, after:
// is after that day ends, on: is within that day (as Slack and Teams read them).

export type FilterKey = 'from' | 'in' | 'before' | 'after' | 'on' | 'has';
const FILTERS = new Set<string>(['from', 'in', 'before', 'after', 'on', 'has']);

/** What `has:` accepts: file (any attachment), image, voice; the letter SearchDoc.has uses. */
export type HasKind = 'file' | 'image' | 'voice';
const HAS: Record<string, HasKind> = {
  file: 'file',
  files: 'file',
  attachment: 'file',
  image: 'image',
  images: 'image',
  picture: 'image',
  voice: 'voice',
  audio: 'voice',
};
export const HAS_LETTER: Record<HasKind, string> = { file: 'f', image: 'i', voice: 'v' };

export interface ParsedQuery {
  /** Free text words and unknown `foo:bar` tokens, as typed (not folded). */
  words: string[];
  /** Quoted phrases, as typed. */
  phrases: string[];
  from: string[];
  in: string[];
  /** `has:` kinds every match must have. */
  has: HasKind[];
  /** Local-day bounds in ms: at >= since and at < until. */
  since: number | null;
  until: number | null;
  /** The last thing typed is a free word with no space after it: match it as a prefix. */
  prefixLast: boolean;
  /** What the parser did with odd input, for a hint under the search box. */
  notes: string[];
}

/** Start of a local day, or null for anything that is not a real YYYY-MM-DD date. */
export function parseDay(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(y, mo - 1, d);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

function nextDay(start: number): number {
  const d = new Date(start);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

interface Piece {
  /** The filter key when the piece was `key:value`. */
  key: string | null;
  value: string;
  quoted: boolean;
  /** The piece as typed, to keep unknown filters as text. */
  raw: string;
  /** Whitespace (or the end) followed it. */
  closed: boolean;
}

function split(input: string, notes: string[]): Piece[] {
  const pieces: Piece[] = [];
  let i = 0;
  const n = input.length;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/u.test(c);
  while (i < n) {
    while (i < n && isSpace(input[i])) i++;
    if (i >= n) break;
    const begin = i;
    let key: string | null = null;
    // key: letters followed by ':' and something that is not a space
    const km = /^([A-Za-z]+):/.exec(input.slice(i, i + 16));
    if (km) {
      key = (km[1] as string).toLowerCase();
      i += km[0].length;
    }
    let value: string;
    let quoted = false;
    if (input[i] === '"') {
      quoted = true;
      const close = input.indexOf('"', i + 1);
      if (close === -1) {
        notes.push('A quote was not closed: it runs to the end of the query.');
        value = input.slice(i + 1);
        i = n;
      } else {
        value = input.slice(i + 1, close);
        i = close + 1;
      }
    } else {
      const start = i;
      while (i < n && !isSpace(input[i]) && input[i] !== '"') i++;
      value = input.slice(start, i);
    }
    pieces.push({ key, value, quoted, raw: input.slice(begin, i), closed: i < n });
  }
  return pieces;
}

export function parseQuery(input: string): ParsedQuery {
  const q: ParsedQuery = {
    words: [],
    phrases: [],
    from: [],
    in: [],
    has: [],
    since: null,
    until: null,
    prefixLast: false,
    notes: [],
  };
  const text = typeof input === 'string' ? input : '';
  const pieces = split(text, q.notes);
  const asText = (p: Piece) => {
    if (p.quoted && p.key === null) {
      if (p.value.trim()) q.phrases.push(p.value);
    } else if (p.raw.trim()) q.words.push(p.raw.replace(/"/g, ' ').trim());
  };
  const since = (t: number) => (q.since = q.since === null ? t : Math.max(q.since, t));
  const until = (t: number) => (q.until = q.until === null ? t : Math.min(q.until, t));
  let last: 'word' | 'other' = 'other';
  for (const p of pieces) {
    last = 'other';
    if (p.key === null || !FILTERS.has(p.key)) {
      asText(p);
      if (!p.quoted && p.key === null && !p.closed) last = 'word';
      continue;
    }
    const key = p.key as FilterKey;
    const value = p.value.trim();
    if (!value) {
      q.notes.push(`Empty ${key}: filter ignored.`);
      continue;
    }
    if (key === 'from' || key === 'in') {
      q[key].push(value);
      continue;
    }
    if (key === 'has') {
      const kind = HAS[value.toLowerCase()];
      if (kind) {
        if (!q.has.includes(kind)) q.has.push(kind);
      } else {
        q.notes.push(
          `has:${value} is not known (has:file, has:image, has:voice): searched as text.`,
        );
        q.words.push(p.raw);
      }
      continue;
    }
    const day = parseDay(value);
    if (day === null) {
      q.notes.push(`${key}:${value} is not a date (YYYY-MM-DD): searched as text.`);
      q.words.push(p.raw);
      continue;
    }
    if (key === 'before') until(day);
    else if (key === 'after') since(nextDay(day));
    else {
      since(day);
      until(nextDay(day));
    }
  }
  q.prefixLast = last === 'word' && !/\s$/u.test(text);
  if (q.since !== null && q.until !== null && q.since >= q.until) {
    q.notes.push('The date filters leave no day to search.');
  }
  return q;
}
