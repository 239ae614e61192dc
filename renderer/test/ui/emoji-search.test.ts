// The emoji data and search (renderer/src/ui/lib/emoji.ts over emojibase-data): the full set is
// there in its groups, every emoji (every skin tone too) is a reaction core accepts, search
// ranks an exact name or shortcode first ("heart" → ❤️, not 😍), then prefixes, then keywords,
// recently used first among equals; skin tones apply where the emoji has them; the recent list
// and the tone survive damage.
import { describe, expect, it } from 'vitest';
import { checkEmoji, isOneGrapheme } from '../../../core/src/model/checks';
import {
  RECENT_MAX,
  emojiInfo,
  limitToVersion,
  matchRank,
  qualified,
  reactedLabel,
  recentEmoji,
  rememberEmoji,
  searchEmoji,
  setSkinTone,
  skinTone,
  versionSamples,
  withTone,
} from '../../src/ui/lib/emoji';
import { emojiIndex } from '../../src/ui/lib/emoji-data';

class MemoryStorage {
  readonly values = new Map<string, string>();
  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.values.set(key, value);
  }
}

const index = emojiIndex();
const top = (q: string, recent: string[] = []) => searchEmoji(index, q, recent)[0]?.char;
const chars = (q: string, n: number) =>
  searchEmoji(index, q)
    .slice(0, n)
    .map((e) => e.char);

describe('the emoji data', () => {
  it('is the full Unicode set in the data’s groups, components left out', () => {
    expect(index.all.length).toBeGreaterThan(1800);
    expect(index.groups.map((g) => g.label)).toEqual([
      'Smileys & emotion',
      'People & body',
      'Animals & nature',
      'Food & drink',
      'Travel & places',
      'Activities',
      'Objects',
      'Symbols',
      'Flags',
    ]);
    expect(index.groups[0]?.emoji[0]?.char).toBe('😀');
    expect(new Set(index.all.map((e) => e.char)).size).toBe(index.all.length);
    expect(index.byChar.get('🏻')).toBeUndefined(); // a tone swatch is not an emoji to pick
  });

  it('every emoji and every skin tone is one grapheme that core accepts as a reaction', () => {
    let longest = 0;
    for (const e of index.all) {
      for (const c of [e.char, ...(e.skins ?? [])]) {
        expect(() => checkEmoji(c, 'test'), c).not.toThrow();
        expect(isOneGrapheme(c), c).toBe(true);
        longest = Math.max(longest, c.length);
      }
      expect(e.name.length, e.char).toBeGreaterThan(0);
    }
    expect(longest).toBeLessThanOrEqual(32);
  });

  it('stores the fully qualified form, as the old table did: 👍 without VS16, ❤️ with it', () => {
    expect(qualified('👍\ufe0f')).toBe('👍');
    expect(qualified('❤\ufe0f')).toBe('❤️');
    expect(index.byShortcode.get('+1')?.char).toBe('👍');
    expect(index.byShortcode.get('heart')?.char).toBe('❤️');
    expect(emojiInfo(index, '❤').name).toBe('red heart');
    expect(index.all.every((e) => e.shortcodes.length > 0)).toBe(true);
    expect(index.byShortcode.get('hairy_creature')?.name).toBe('hairy creature'); // from its name
    expect(emojiInfo(index, '👍🏽').name).toBe('thumbs up');
    expect(emojiInfo(index, ':ship:')).toMatchObject({ char: ':ship:', name: ':ship:' });
    expect(emojiInfo(null, '👍').name).toBe('👍');
  });
});

describe('search ranking', () => {
  it('an exact name or shortcode wins: "heart" is ❤️ first, above 😍', () => {
    const hits = searchEmoji(index, 'heart').map((e) => e.char);
    expect(hits[0]).toBe('❤️');
    expect(hits.indexOf('😍')).toBeGreaterThan(0);
    expect(top(':heart:')).toBe('❤️');
    expect(top('HEART')).toBe('❤️');
    expect(top('red heart')).toBe('❤️');
    expect(top('thumbs up')).toBe('👍');
    expect(top('+1')).toBe('👍');
    expect(top('tada')).toBe('🎉');
    expect(top('rocket')).toBe('🚀');
    expect(top('ship')).toBe('🚢');
  });

  it('then prefixes of the name or a shortcode, then name words, then keywords', () => {
    const e = index.byShortcode.get('heart_eyes');
    if (!e) throw new Error('no heart_eyes');
    expect(matchRank(e, 'heart')).toBe(1); // :heart_eyes: starts with it, a whole word
    expect(matchRank(e, 'heart_ey')).toBe(2); // starts with it
    expect(matchRank(e, 'eyes')).toBe(3); // a word of "smiling face with heart-eyes"
    expect(matchRank(e, 'love')).toBe(4); // a keyword
    expect(matchRank(e, 'lov')).toBe(5); // a keyword's prefix
    expect(matchRank(e, 'zzqq')).toBeNull();
    // A keyword-only match comes after every name match.
    const love = searchEmoji(index, 'love');
    expect(love[0] && matchRank(love[0], 'love')).toBeLessThan(4);
    // A whole word before a longer one: "party popper" before "partying face".
    expect(top('party')).toBe('🎉');
    expect(love.some((x) => x.char === '😍')).toBe(true);
    expect(chars('thanks', 3)).toContain('🙏');
  });

  it('several words must all match; nothing for an empty or unknown query', () => {
    expect(top('face tears joy')).toBe('😂');
    expect(searchEmoji(index, '')).toEqual([]);
    expect(searchEmoji(index, '   ')).toEqual([]);
    expect(searchEmoji(index, 'zzqqxx')).toEqual([]);
    expect(searchEmoji(index, 'a', [], 10)).toHaveLength(10);
  });

  it('recently used come first among equal matches, never above a better one', () => {
    const plain = chars('heart', 4);
    const recentHeart = plain[3] as string;
    const withRecent = searchEmoji(index, 'heart', [recentHeart]).map((e) => e.char);
    expect(withRecent[0]).toBe('❤️'); // the exact match still wins
    expect(withRecent.indexOf(recentHeart)).toBeLessThan(3);
    // A toned recent counts for its emoji.
    expect(searchEmoji(index, 'thumbs', ['👎🏽'])[0]?.char).toBe('👎');
  });
});

describe('skin tones', () => {
  const thumbs = index.byShortcode.get('+1');
  const heart = index.byShortcode.get('heart');
  const holding = index.byShortcode.get('people_holding_hands');
  it('apply to emoji that have them, not to others', () => {
    if (!thumbs || !heart || !holding) throw new Error('missing');
    expect(withTone(thumbs, 0)).toBe('👍');
    expect(withTone(thumbs, 1)).toBe('👍🏻');
    expect(withTone(thumbs, 3)).toBe('👍🏽');
    expect(withTone(thumbs, 5)).toBe('👍🏿');
    expect(withTone(heart, 3)).toBe('❤️');
    // Two people: both in the chosen tone.
    expect(withTone(holding, 4)).toBe('🧑🏾‍🤝‍🧑🏾');
    expect(withTone(thumbs, 9)).toBe('👍');
  });

  it('the choice is kept on the device, a damaged value is no tone', () => {
    const s = new MemoryStorage();
    expect(skinTone(s)).toBe(0);
    setSkinTone(4, s);
    expect(skinTone(s)).toBe(4);
    s.setItem('ferry.emojiTone', 'dark');
    expect(skinTone(s)).toBe(0);
    setSkinTone(17, s);
    expect(skinTone(s)).toBe(0);
  });
});

describe('recent emoji (this device)', () => {
  it('most recent first, no duplicates, at most RECENT_MAX', () => {
    const s = new MemoryStorage();
    expect(recentEmoji(s)).toEqual([]);
    rememberEmoji('👍', s);
    rememberEmoji('🎉', s);
    rememberEmoji('👍🏽', s);
    rememberEmoji('👍', s);
    expect(recentEmoji(s)).toEqual(['👍', '👍🏽', '🎉']);
    for (const e of index.all.slice(0, RECENT_MAX + 5)) rememberEmoji(e.char, s);
    expect(recentEmoji(s)).toHaveLength(RECENT_MAX);
  });

  it('a damaged entry loses only the list, and stays small', () => {
    const s = new MemoryStorage();
    s.setItem('ferry.recentEmoji', '{not json');
    expect(recentEmoji(s)).toEqual([]);
    s.setItem('ferry.recentEmoji', JSON.stringify({ a: 1 }));
    expect(recentEmoji(s)).toEqual([]);
    s.setItem(
      'ferry.recentEmoji',
      JSON.stringify(['👍', 3, '', null, 'x'.repeat(500), '🎉', '👍']),
    );
    expect(recentEmoji(s)).toEqual(['👍', '🎉']);
    s.setItem('ferry.recentEmoji', JSON.stringify(Array.from({ length: 5000 }, (_, i) => `${i}`)));
    expect(recentEmoji(s)).toHaveLength(RECENT_MAX);
    rememberEmoji('🚀', s);
    expect(recentEmoji(s)[0]).toBe('🚀');
  });
});

describe('the chip label', () => {
  it('names who reacted, earliest first, and counts the rest', () => {
    expect(reactedLabel(['Ada'], '👍')).toBe('Ada reacted with 👍');
    expect(reactedLabel(['Ada', 'Bo'], '👍')).toBe('Ada, Bo reacted with 👍');
    expect(reactedLabel(['Ada', 'Bo', 'Cy', 'Di'], '🎉')).toBe(
      'Ada, Bo, Cy and 1 other reacted with 🎉',
    );
    expect(reactedLabel(['Ada', 'Bo', 'Cy', 'Di', 'Ed'], '🎉')).toBe(
      'Ada, Bo, Cy and 2 others reacted with 🎉',
    );
  });
});

describe('speed', () => {
  it('a search over the whole set takes a few milliseconds (the completion runs it per key)', () => {
    const queries = ['h', 'he', 'hea', 'heart', 'thumbs up', 'zzz', 'face', 'ship'];
    for (let i = 0; i < 3; i++) for (const q of queries) searchEmoji(index, q); // warm (JIT)
    const t0 = performance.now();
    for (const q of queries) searchEmoji(index, q);
    // About 2 ms each on an idle machine; the bound leaves room for a busy one.
    expect((performance.now() - t0) / queries.length).toBeLessThan(20);
  });
});

describe('emoji this system cannot draw', () => {
  it('the newest are left out of the picker and search, but keep their names', () => {
    const samples = versionSamples(index);
    expect(samples[0]?.[0]).toBe(17);
    expect(samples.map(([v]) => v)).toEqual([...samples.map(([v]) => v)].sort((a, b) => b - a));
    const upTo15 = limitToVersion(index, 15.1);
    expect(upTo15.all.length).toBeLessThan(index.all.length);
    expect(upTo15.all.every((e) => (e.version ?? 0) <= 15.1)).toBe(true);
    expect(upTo15.groups.flatMap((g) => g.emoji)).toHaveLength(upTo15.all.length);
    const hairy = index.byShortcode.get('hairy_creature'); // Emoji 17
    expect(hairy?.version).toBe(17);
    expect(searchEmoji(upTo15, 'hairy creature')).toEqual([]);
    expect(upTo15.byShortcode.get('hairy_creature')).toBe(hairy);
    expect(limitToVersion(index, Infinity)).toBe(index);
  });
});
