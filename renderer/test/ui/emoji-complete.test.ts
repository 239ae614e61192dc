// The composer's `:shortcode:` completion (renderer/src/ui/lib/emoji-complete.ts): which `:word`
// the caret is in, what it suggests (❤️ first for `:heart`), what picking inserts, and the
// conversion of completed shortcodes — never inside code, never in times or URLs.
import { describe, expect, it } from 'vitest';
import {
  MAX_EMOJI_SUGGESTIONS,
  completedShortcode,
  emojiSuggestions,
  inCode,
  insertAtCaret,
  insertEmoji,
  replaceShortcodes,
  shortcodeQuery,
} from '../../src/ui/lib/emoji-complete';
import { emojiIndex } from '../../src/ui/lib/emoji-data';

const index = emojiIndex();
const at = (text: string) => shortcodeQuery(text, text.length);

describe('shortcode parsing', () => {
  it('finds the :word at the caret once two letters are typed', () => {
    expect(at(':hea')).toEqual({ start: 0, query: 'hea' });
    expect(at('I :Hea')).toEqual({ start: 2, query: 'hea' });
    expect(at('(:+1')).toEqual({ start: 1, query: '+1' });
    expect(at('so :thumbs_up')).toEqual({ start: 3, query: 'thumbs_up' });
    expect(at(':h')).toBeNull(); // one letter: too early
    expect(at(':')).toBeNull();
    expect(at('Note:he')).toBeNull(); // not at a word start
    expect(at('at 10:30')).toBeNull();
    expect(at('https://ex')).toBeNull();
    expect(at(':heart ')).toBeNull(); // a space since
    expect(shortcodeQuery(':heart', 3)).toEqual({ start: 0, query: 'he' });
    expect(shortcodeQuery(':heart', 2, 5)).toBeNull(); // a selection
  });

  it('not inside code', () => {
    expect(at('`code :hea')).toBeNull();
    expect(at('`code` :hea')).toEqual({ start: 7, query: 'hea' });
    expect(at('```\nx :hea')).toBeNull();
    expect(at('```\nx\n```\n:hea')).toEqual({ start: 10, query: 'hea' });
    expect(inCode('~~~\n', 4)).toBe(true);
  });
});

describe('suggestions', () => {
  it(':heart suggests ❤️ first, with the shortcode that matched', () => {
    const s = emojiSuggestions(index, 'heart');
    expect(s[0]).toMatchObject({ char: '❤️', shortcode: 'heart' });
    expect(s[1]?.shortcode.startsWith('heart')).toBe(true);
    expect(s.length).toBe(MAX_EMOJI_SUGGESTIONS);
    expect(emojiSuggestions(index, 'hea')[0]?.shortcode).toMatch(/^hea/);
    expect(emojiSuggestions(index, 'zzqq')).toEqual([]);
  });

  it('in the device’s skin tone where the emoji has one', () => {
    expect(emojiSuggestions(index, '+1', 2)[0]?.char).toBe('👍🏼');
    expect(emojiSuggestions(index, 'heart', 2)[0]?.char).toBe('❤️');
  });
});

describe('inserting', () => {
  it('replaces :query with the emoji and a space, keeping what follows', () => {
    expect(insertEmoji('I :hea', 2, 6, '❤️')).toEqual({ text: 'I ❤️ ', caret: 5 });
    expect(insertEmoji('I :hea you', 2, 6, '❤️')).toEqual({ text: 'I ❤️ you', caret: 4 });
  });

  it('the emoji button puts the emoji at the caret, over a selection', () => {
    expect(insertAtCaret('ab', 1, 1, '🎉')).toEqual({ text: 'a🎉b', caret: 3 });
    expect(insertAtCaret('abc', 1, 2, '🎉')).toEqual({ text: 'a🎉c', caret: 3 });
    expect(insertAtCaret('', 5, 9, '🎉')).toEqual({ text: '🎉', caret: 2 });
  });
});

describe('completed shortcodes', () => {
  it('turn into the emoji as the closing colon is typed', () => {
    expect(completedShortcode(index, 'I :heart:', 9)).toEqual({ text: 'I ❤️', caret: 4 });
    expect(completedShortcode(index, ':+1: ok', 4, 5)).toEqual({ text: '👍🏿 ok', caret: 4 });
    expect(completedShortcode(index, 'I :nope:', 8)).toBeNull();
    expect(completedShortcode(index, 'at 10:30:', 9)).toBeNull();
    expect(completedShortcode(index, '`:heart:', 8)).toBeNull();
  });

  it('and on send, every known one outside code', () => {
    expect(replaceShortcodes(index, 'I :heart: it :tada::rocket:')).toBe('I ❤️ it 🎉🚀');
    expect(replaceShortcodes(index, ':HEART:')).toBe('❤️');
    expect(replaceShortcodes(index, 'keep :not_an_emoji: and 10:30:00')).toBe(
      'keep :not_an_emoji: and 10:30:00',
    );
    expect(replaceShortcodes(index, 'a:heart:b')).toBe('a:heart:b');
    expect(replaceShortcodes(index, 'see `:heart:` and :heart:')).toBe('see `:heart:` and ❤️');
    expect(replaceShortcodes(index, '```\n:heart:\n```\n:heart:')).toBe('```\n:heart:\n```\n❤️');
    expect(replaceShortcodes(index, ':+1:', 3)).toBe('👍🏽');
    expect(replaceShortcodes(index, 'no colons')).toBe('no colons');
  });
});
