import { describe, expect, it } from 'vitest';
import { fold, terms, tokenize } from '../../src/search/text';

describe('fold and tokenize', () => {
  it('folds case and diacritics, composed or combining', () => {
    expect(fold('Crème BRÛLÉE')).toBe('creme brulee');
    expect(terms('naïve nai\u0308ve NAÏVE')).toEqual(['naive', 'naive', 'naive']);
    expect(terms('Straße Øresund Łódź Æther')).toEqual(['strasse', 'oresund', 'lodz', 'aether']);
  });

  it('finds Unicode words, not just ASCII', () => {
    expect(terms('Привет, мир! Γειά σου κόσμε')).toEqual(['привет', 'мир', 'γεια', 'σου', 'κοσμε']);
    expect(terms('مرحبا بالعالم')).toEqual(['مرحبا', 'بالعالم']);
    expect(terms('v2.1 is out: 100% ✅')).toEqual(['v2', '1', 'is', 'out', '100']);
  });

  it('splits CJK text into characters', () => {
    expect(terms('東京へ行く')).toEqual(['東', '京', 'へ', '行', 'く']);
    expect(terms('meet in東京')).toEqual(['meet', 'in', '東', '京']);
  });

  it('keeps the original offsets of every word', () => {
    const text = 'Ça va, NAÏVE 東京?';
    for (const t of tokenize(text)) expect(fold(text.slice(t.start, t.end))).toBe(t.term);
    const combining = 'e\u0301cole';
    expect(tokenize(combining)).toEqual([{ term: 'ecole', start: 0, end: combining.length }]);
  });

  it('ignores emoji and punctuation, cuts very long runs', () => {
    expect(terms('🎉🎉 -- !!')).toEqual([]);
    expect(terms('a'.repeat(100))[0]).toHaveLength(40);
  });
});

describe('the ASCII fast path', () => {
  it('gives the same words as the Unicode path', () => {
    const ascii = "Don't DEPLOY v2.1_beta on Friday!! 42x";
    // A non-ASCII character at the end sends the same words through the Unicode path.
    expect(tokenize(ascii)).toEqual(tokenize(`${ascii} é`).slice(0, -1));
    expect(fold('MiXeD 123')).toBe('mixed 123');
  });
});
