import { describe, it, expect, fc } from './harness';
import * as Y from 'yjs';
import {
  addMessage,
  deleteMessage,
  encodeHlc,
  markRead,
  maskNonMentionText,
  mentionsIn,
  unreadMentionCount,
} from '../src/index';

const members = [
  { id: 'A', username: 'ada' },
  { id: 'B', username: 'bo.li' },
  { id: 'C', username: 'cy_2' },
];
const who = (text: string) => mentionsIn(text, members);

describe('mentionsIn', () => {
  it('finds members by username, case-insensitively, once each, in order', () => {
    expect(who('@bo.li and @ADA, again @ada')).toEqual({ users: ['B', 'A'], channel: false });
    expect(who('hi @Cy_2!')).toEqual({ users: ['C'], channel: false });
  });

  it('@channel and @here mention everyone', () => {
    expect(who('@channel deploy')).toEqual({ users: [], channel: true });
    expect(who('ping @HERE.')).toEqual({ users: [], channel: true });
    expect(who('@channels')).toEqual({ users: [], channel: false });
  });

  it('drops sentence punctuation after a name, but not letters', () => {
    expect(who('thanks @ada.')).toEqual({ users: ['A'], channel: false });
    expect(who('thanks @ada...')).toEqual({ users: ['A'], channel: false });
    expect(who("@ada's idea")).toEqual({ users: ['A'], channel: false });
    expect(who('(@ada)')).toEqual({ users: ['A'], channel: false });
    expect(who('@adam @ada_x @bo')).toEqual({ users: [], channel: false });
  });

  it('needs a word boundary before the @: no emails, URLs or handles inside words', () => {
    expect(who('mail ada@ada.org or x@ada')).toEqual({ users: [], channel: false });
    expect(who('see https://x.org/@ada and www.x.org/@ada')).toEqual({
      users: [],
      channel: false,
    });
    expect(who('@@ada é@ada 1@ada')).toEqual({ users: [], channel: false });
    expect(who('\\@ada is escaped')).toEqual({ users: [], channel: false });
  });

  it('ignores code spans, code blocks and links', () => {
    expect(who('`@ada` and ``x @ada ``')).toEqual({ users: [], channel: false });
    expect(who('```\n@ada\n@channel\n```\n@bo.li')).toEqual({ users: ['B'], channel: false });
    expect(who('~~~\n@ada')).toEqual({ users: [], channel: false });
    expect(who('[@ada](https://x.org) <https://x.org/@ada>')).toEqual({
      users: [],
      channel: false,
    });
    // An unclosed backtick is a literal backtick, not code: after it the mention counts.
    expect(who('` @ada')).toEqual({ users: ['A'], channel: false });
  });

  it('takes odd input without throwing', () => {
    expect(who('')).toEqual({ users: [], channel: false });
    expect(who('@')).toEqual({ users: [], channel: false });
    expect(who('@ @. @-ada')).toEqual({ users: [], channel: false });
    expect(mentionsIn('@ada', [])).toEqual({ users: [], channel: false });
    expect(mentionsIn(undefined as unknown as string, members)).toEqual({
      users: [],
      channel: false,
    });
    expect(who('@ada\u0000@bo.li\n@cy_2')).toEqual({ users: ['A', 'B', 'C'], channel: false });
    const long = '@ada '.repeat(20_000);
    expect(who(long)).toEqual({ users: ['A'], channel: false });
  });

  it('never throws and only names members, whatever the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const m = who(s);
        for (const id of m.users) expect(['A', 'B', 'C']).toContain(id);
        expect(maskNonMentionText(s)).toHaveLength(s.length);
      }),
    );
  });
});

describe('unreadMentionCount', () => {
  const ME = 'ANNANNANNANNANN0';
  const BOB = 'B0BB0BB0BB0BB0B0';
  const T = Date.UTC(2026, 10, 27, 9);
  const mid = (n: number) => encodeHlc({ wall: T + n, counter: 0, node: 'DEV1' });

  it('counts unread messages of others that name me or everyone, not mine, deleted or read', () => {
    const page = new Y.Doc();
    const say = (n: number, author: string, text: string) =>
      addMessage(page, { id: mid(n), author, text, createdAt: T + n });
    say(1, BOB, 'hi @ann');
    expect(unreadMentionCount(page, ME, 'ann')).toBe(1);
    markRead(page, ME, T + 2);
    expect(unreadMentionCount(page, ME, 'ann')).toBe(0);
    say(3, BOB, '@ANN look');
    say(4, BOB, '@here deploy');
    say(5, BOB, 'no mention, `@ann` in code, ann@x.org');
    say(6, ME, '@ann talking to myself');
    say(7, BOB, '@ann gone');
    deleteMessage(page, mid(7), BOB, T + 8);
    expect(unreadMentionCount(page, ME, 'ann')).toBe(2);
    expect(unreadMentionCount(page, BOB, 'bob')).toBe(0);
    expect(unreadMentionCount(new Y.Doc(), ME, 'ann')).toBe(0);
  });
});
