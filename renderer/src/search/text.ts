// Text handling shared by indexing, queries and snippets: one fold and one tokenizer, so a word
// is the same term wherever it is seen.
//
// - Folding: NFKD, combining marks dropped, lowercased, a few letters that do not decompose
//   mapped (ß → ss, ø → o, ł → l, æ → ae, ...). "Crème", "CREME" and "crème" are one term.
// - Words: runs of Unicode letters, digits and combining marks, so "naïve" written with a
//   combining diaeresis stays one word. Han, Hiragana and Katakana characters are one term
//   each (those scripts do not separate words with spaces), so "東京" is found as 東 AND 京.

const EXTRA: Record<string, string> = {
  ß: 'ss',
  ẞ: 'ss',
  ø: 'o',
  Ø: 'o',
  ł: 'l',
  Ł: 'l',
  đ: 'd',
  Đ: 'd',
  ð: 'd',
  æ: 'ae',
  Æ: 'ae',
  œ: 'oe',
  Œ: 'oe',
  þ: 'th',
  ı: 'i',
};
const EXTRA_RE = /[ßẞøØłŁđĐðæÆœŒþı]/g;
const MARKS_RE = /\p{M}/gu;
const NON_WORD_RE = /[^\p{L}\p{N}]/gu;
const NON_ASCII_RE = /[^ -~\t\n\r]/;
const ASCII_WORD_RE = /[A-Za-z0-9]+/g;

/** Folds case and diacritics: the form every term is indexed and searched under. */
export function fold(text: string): string {
  if (!NON_ASCII_RE.test(text)) return text.toLowerCase();
  return text
    .normalize('NFKD')
    .replace(MARKS_RE, '')
    .replace(EXTRA_RE, (c) => EXTRA[c] ?? c)
    .toLowerCase();
}

const CJK = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}';
const WORD_RE = new RegExp(`[${CJK}]|(?:(?![${CJK}])[\\p{L}\\p{N}\\p{M}])+`, 'gu');

/** A word of the original text: its folded term and where it is, in UTF-16 offsets. */
export interface Token {
  term: string;
  start: number;
  end: number;
}

/** Longest term kept; longer runs (hashes, base64) are cut, not dropped. */
export const MAX_TERM = 40;

/** The words of `text` with their positions in `text` itself (not in the folded form). */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  if (!NON_ASCII_RE.test(text)) {
    // Most chat text: the same words as below, found without Unicode property classes.
    for (const m of text.matchAll(ASCII_WORD_RE)) {
      const term = m[0].toLowerCase().slice(0, MAX_TERM);
      out.push({ term, start: m.index, end: m.index + m[0].length });
    }
    return out;
  }
  for (const m of text.matchAll(WORD_RE)) {
    const term = fold(m[0]).replace(NON_WORD_RE, '').slice(0, MAX_TERM);
    if (term.length === 0) continue;
    out.push({ term, start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** The folded terms of `text`, in order, repeats kept. */
export function terms(text: string): string[] {
  return tokenize(text).map((t) => t.term);
}
