// The reaction picker's data (renderer/src/ui/lib/emoji.ts): the curated set is well formed
// and every emoji in it is accepted by core's reaction rules, search finds by name and keyword,
// the recent list survives damage, the chip label names who reacted.
import { describe, expect, it } from 'vitest';
import { checkEmoji } from '../../../core/src/model/checks';
import {
  ALL_EMOJI,
  CATEGORIES,
  RECENT_MAX,
  emojiInfo,
  reactedLabel,
  recentEmoji,
  rememberEmoji,
  searchEmoji,
} from '../../src/ui/lib/emoji';

class MemoryStorage {
  readonly values = new Map<string, string>();
  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.values.set(key, value);
  }
}

describe('the curated emoji set', () => {
  it('has about 250 distinct emoji in named categories, each a valid reaction with a name', () => {
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(5);
    expect(ALL_EMOJI.length).toBeGreaterThanOrEqual(180);
    expect(ALL_EMOJI.length).toBeLessThanOrEqual(300);
    expect(new Set(ALL_EMOJI.map((e) => e.char)).size).toBe(ALL_EMOJI.length);
    const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
    for (const e of ALL_EMOJI) {
      expect(() => checkEmoji(e.char, 'test'), e.char).not.toThrow();
      expect([...segmenter.segment(e.char)], e.char).toHaveLength(1);
      expect(e.name.length, e.char).toBeGreaterThan(2);
      expect(e.keywords.every((k) => k === k.toLowerCase() && k.length > 0), e.char).toBe(true);
    }
  });
});

describe('search', () => {
  it('finds by name and keyword, best match first; nothing for an empty or unknown query', () => {
    expect(searchEmoji('thumbs up')[0]?.char).toBe('👍');
    expect(searchEmoji('+1')[0]?.char).toBe('👍');
    expect(searchEmoji('party')[0]?.char).toBe('🎉');
    expect(searchEmoji('tada')[0]?.char).toBe('🎉');
    expect(searchEmoji('THANKS')[0]?.char).toBe('🙏');
    expect(searchEmoji('heart').length).toBeGreaterThan(5);
    expect(searchEmoji('')).toEqual([]);
    expect(searchEmoji('   ')).toEqual([]);
    expect(searchEmoji('zzqqxx')).toEqual([]);
  });

  it('knows the names of its emoji; others show as themselves', () => {
    expect(emojiInfo('🚀').name).toBe('rocket');
    expect(emojiInfo(':ship:')).toEqual({ char: ':ship:', name: ':ship:', keywords: [] });
  });
});

describe('recent emoji (this device)', () => {
  it('most recent first, no duplicates, at most RECENT_MAX', () => {
    const s = new MemoryStorage();
    expect(recentEmoji(s)).toEqual([]);
    rememberEmoji('👍', s);
    rememberEmoji('🎉', s);
    rememberEmoji('👍', s);
    expect(recentEmoji(s)).toEqual(['👍', '🎉']);
    for (const e of ALL_EMOJI.slice(0, RECENT_MAX + 5)) rememberEmoji(e.char, s);
    expect(recentEmoji(s)).toHaveLength(RECENT_MAX);
  });

  it('a damaged entry loses only the list', () => {
    const s = new MemoryStorage();
    s.setItem('ferry.recentEmoji', '{not json');
    expect(recentEmoji(s)).toEqual([]);
    s.setItem('ferry.recentEmoji', JSON.stringify({ a: 1 }));
    expect(recentEmoji(s)).toEqual([]);
    s.setItem('ferry.recentEmoji', JSON.stringify(['👍', 3, '', null, '🎉']));
    expect(recentEmoji(s)).toEqual(['👍', '🎉']);
    rememberEmoji('🚀', s);
    expect(recentEmoji(s)).toEqual(['🚀', '👍', '🎉']);
  });
});

describe('the chip label', () => {
  it('names who reacted, earliest first, and counts the rest', () => {
    expect(reactedLabel(['Ada'], '👍')).toBe('Ada reacted with 👍');
    expect(reactedLabel(['Ada', 'Bo'], '👍')).toBe('Ada, Bo reacted with 👍');
    expect(reactedLabel(['Ada', 'Bo', 'Cy', 'Di'], '🎉')).toBe('Ada, Bo, Cy and 1 other reacted with 🎉');
    expect(reactedLabel(['Ada', 'Bo', 'Cy', 'Di', 'Ed'], '🎉')).toBe('Ada, Bo, Cy and 2 others reacted with 🎉');
  });
});
