// Reaction keys from hostile members (issue 12): the relay accepts any one emoji (the full
// Unicode set the app's picker offers, skin tones, ZWJ sequences, flags, keycaps) and the short
// names early clients could write, and refuses anything else: several characters, invisible or
// direction-changing characters, oversized graphemes.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  addMessage,
  createUpdateChecker,
  encodeHlc,
  periodOfMessage,
  react,
  reactionKey,
  type Problem,
  type RoomRef,
} from '../src/index';
import { checkEmoji, isOneGrapheme } from '../src/model/checks';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 10, 27, 9);
const NOW = T + 60_000;
const id = (wall: number) => encodeHlc({ wall, counter: 0, node: 'DEV1' });
const PAGE: RoomRef = { kind: 'page', convId: CONV, period: periodOfMessage(id(T)) };

function page(): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 100;
  addMessage(doc, { id: id(T), author: ANN, text: 'hello', createdAt: T });
  return doc;
}

/** What the relay's checker finds in Bob writing the reaction key for `emoji` by hand. */
function problemsOf(emoji: string): Problem[] {
  const live = page();
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(live));
  const updates: Uint8Array[] = [];
  replica.on('update', (u: Uint8Array) => updates.push(u));
  replica.getMap('reactions').set(reactionKey(id(T), emoji, BOB), T);
  const checker = createUpdateChecker(PAGE, live);
  try {
    return checker.inspect(Y.mergeUpdates(updates), BOB, { now: NOW }).problems;
  } finally {
    checker.destroy();
  }
}

const ACCEPTED = [
  '👍',
  '👍🏽', // skin tone
  '❤️', // with VS16
  '❤', // without
  '🧑🏻‍🤝‍🧑🏿', // two tones, ZWJ
  '👩🏻‍❤️‍💋‍👨🏼', // 15 UTF-16 units, the longest of the data set
  '🏴󠁧󠁢󠁳󠁣󠁴󠁿', // tag sequence (Scotland)
  '🇳🇴', // flag
  '#️⃣', // keycap
  ':ship:', // a short name an early client could store
  ':+1:',
  'a', // any one grapheme, bounded
  'e\u0301', // with a combining mark
];

const REFUSED: [string, string][] = [
  ['👍👍', 'two emoji'],
  ['🇳🇴🇸🇪', 'two flags'],
  ['ok', 'a word'],
  ['<b>', 'markup'],
  ['👍\u200b', 'a zero-width space'],
  ['\u202e👍', 'a bidi override'],
  ['\u2066👍\u2069', 'a bidi isolate'],
  ['\u200f', 'a direction mark alone'],
  ['\ufeff', 'a byte order mark'],
  ['\u00ad', 'a soft hyphen'],
  [`e${'\u0301'.repeat(31)}`, 'a grapheme of 32 units (stacked combining marks)'],
  [`e${'\u0301'.repeat(40)}`, 'an oversized grapheme'],
  [':ship', 'half a short name'],
  [':Ship_It:', 'a short name in capitals'],
  [`:${'a'.repeat(31)}:`, 'a long short name'],
  ['a b', 'a space'],
  ['x|y', 'the key separator'],
  ['\ud83d', 'a lone surrogate'],
  ['', 'nothing'],
];

describe('reaction keys', () => {
  it('accepts one emoji of any kind, and the short names early clients wrote', () => {
    for (const emoji of ACCEPTED) {
      expect(() => checkEmoji(emoji, 'test'), emoji).not.toThrow();
      expect(problemsOf(emoji), emoji).toEqual([]);
      const doc = page();
      expect(() => react(doc, id(T), emoji, BOB, true, T + 1), emoji).not.toThrow();
    }
  });

  it('refuses several characters, invisible ones and oversized graphemes, at the relay too', () => {
    for (const [emoji, why] of REFUSED) {
      expect(() => checkEmoji(emoji, 'test'), why).toThrow();
      if (emoji !== '' && !emoji.includes('|') && why !== 'a lone surrogate') {
        // (an empty emoji or a '|' makes a key of another shape: refused as a bad key too;
        // a lone surrogate does not survive Yjs's UTF-8 encoding, the relay sees U+FFFD)
        expect(
          problemsOf(emoji).map((p) => p.rule),
          why,
        ).toContain('bad-key');
      }
    }
    expect(problemsOf('x|y').map((p) => p.rule)).toContain('bad-key');
    expect(problemsOf('').map((p) => p.rule)).toContain('bad-key');
  });

  it('says what is wrong in words', () => {
    expect(() => checkEmoji('👍👍', 'react')).toThrow(/one emoji/);
    expect(() => checkEmoji('\u202e👍', 'react')).toThrow(/invisible or direction-changing/);
  });

  it('counts graphemes', () => {
    expect(isOneGrapheme('👨‍👩‍👧‍👦')).toBe(true);
    expect(isOneGrapheme('')).toBe(false);
    expect(isOneGrapheme('ab')).toBe(false);
  });
});
