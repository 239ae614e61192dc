import { describe, expect, it } from 'vitest';
import { parseDay, parseQuery } from '../../src/search/query';

const day = (s: string) => parseDay(s) as number;
const next = (s: string) => {
  const d = new Date(day(s));
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
};

describe('parseQuery', () => {
  it('splits free words, phrases and filters', () => {
    const q = parseQuery('deploy from:ana in:"team chat" "release notes" after:2026-01-31 fix');
    expect(q.words).toEqual(['deploy', 'fix']);
    expect(q.phrases).toEqual(['release notes']);
    expect(q.from).toEqual(['ana']);
    expect(q.in).toEqual(['team chat']);
    expect(q.since).toBe(next('2026-01-31'));
    expect(q.until).toBeNull();
    expect(q.prefixLast).toBe(true);
    expect(q.notes).toEqual([]);
  });

  it('reads dates as local days: before is before the day, on is the day', () => {
    expect(parseQuery('before:2026-03-10').until).toBe(day('2026-03-10'));
    const on = parseQuery('on:2026-03-10');
    expect([on.since, on.until]).toEqual([day('2026-03-10'), next('2026-03-10')]);
    // Several bounds narrow each other.
    const both = parseQuery(
      'after:2026-03-01 after:2026-03-05 before:2026-04-01 before:2026-03-20',
    );
    expect([both.since, both.until]).toEqual([next('2026-03-05'), day('2026-03-20')]);
  });

  it('says when date filters leave nothing', () => {
    const q = parseQuery('after:2026-03-10 before:2026-03-05');
    expect(q.notes.join(' ')).toMatch(/no day/);
  });

  it('keeps an invalid date as text and says so', () => {
    const q = parseQuery('before:2026-02-30 on:yesterday');
    expect(q.until).toBeNull();
    expect(q.since).toBeNull();
    expect(q.words).toEqual(['before:2026-02-30', 'on:yesterday']);
    expect(q.notes).toHaveLength(2);
  });

  it('runs an unbalanced quote to the end', () => {
    const q = parseQuery('hello "release notes from:bob');
    expect(q.words).toEqual(['hello']);
    expect(q.phrases).toEqual(['release notes from:bob']);
    expect(q.from).toEqual([]);
    expect(q.notes[0]).toMatch(/quote/);
    expect(q.prefixLast).toBe(false);
  });

  it('ignores empty filters and keeps unknown prefixes and URLs as text', () => {
    const q = parseQuery('from: in:"" foo:bar http://example.com/x');
    expect(q.from).toEqual([]);
    expect(q.in).toEqual([]);
    expect(q.words).toEqual(['foo:bar', 'http://example.com/x']);
    expect(q.notes.filter((n) => n.startsWith('Empty'))).toHaveLength(2);
  });

  it('matches filter keys in any case, quoted names with spaces', () => {
    const q = parseQuery('FROM:"Ana María" In:general');
    expect(q.from).toEqual(['Ana María']);
    expect(q.in).toEqual(['general']);
    expect(q.words).toEqual([]);
  });

  it('prefix-matches only a last free word still being typed', () => {
    expect(parseQuery('deplo').prefixLast).toBe(true);
    expect(parseQuery('deploy ').prefixLast).toBe(false);
    expect(parseQuery('deploy from:ana').prefixLast).toBe(false);
    expect(parseQuery('"exact words"').prefixLast).toBe(false);
  });

  it('survives odd input', () => {
    for (const input of [
      '',
      '   ',
      '"',
      '""',
      ':',
      'from:"',
      '::::',
      'a"b"c',
      '\u0000',
      'x'.repeat(10_000),
    ]) {
      const q = parseQuery(input);
      expect(Array.isArray(q.words)).toBe(true);
    }
    expect(parseQuery('a"b"c').phrases).toEqual(['b']);
    expect(parseQuery(undefined as unknown as string).words).toEqual([]);
  });
});

describe('parseDay', () => {
  it('accepts real dates only', () => {
    expect(parseDay('2024-02-29')).not.toBeNull();
    expect(parseDay('2025-02-29')).toBeNull();
    expect(parseDay('2025-13-01')).toBeNull();
    expect(parseDay('2025-1-01')).toBeNull();
  });
});
