// Finds links in message text. The result is plain segments the component renders as text
// nodes and <a> elements: message text is never interpreted as HTML.

export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** True for URLs Ferry may hand to the system browser: http, https and mailto only. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    return SAFE_PROTOCOLS.has(new URL(url).protocol);
  } catch {
    return false;
  }
}

// Candidates: scheme URLs, www. hosts and mailto addresses, up to whitespace or <>"'.
const CANDIDATE = /\b(?:https?:\/\/|www\.|mailto:)[^\s<>"']+/gi;
const TRAILING = /[.,;:!?'"*_~]+$/;

/** Trims punctuation that ends a sentence and closing brackets that the URL never opened. */
function trimCandidate(raw: string): string {
  let s = raw;
  for (;;) {
    const before = s;
    s = s.replace(TRAILING, '');
    for (const [open, close] of [
      ['(', ')'],
      ['[', ']'],
      ['{', '}'],
    ] as const) {
      if (s.endsWith(close)) {
        const opens = s.split(open).length - 1;
        const closes = s.split(close).length - 1;
        if (closes > opens) s = s.slice(0, -1);
      }
    }
    if (s === before) return s;
  }
}

function hrefFor(text: string): string | null {
  const href = /^www\./i.test(text) ? `https://${text}` : text;
  if (!isSafeExternalUrl(href)) return null;
  const url = new URL(href);
  // "http://" alone, or "mailto:" with no address, is not a link.
  if (url.protocol === 'mailto:' ? url.pathname.length === 0 : url.hostname.length === 0) {
    return null;
  }
  return href;
}

/** Splits `text` into text and link segments. Concatenating every segment's text gives `text`. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    const candidate = trimCandidate(match[0]);
    const href = candidate.length > 0 ? hrefFor(candidate) : null;
    if (href === null) continue;
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) });
    out.push({ kind: 'link', text: candidate, href });
    last = start + candidate.length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}
