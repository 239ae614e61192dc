import { describe, expect, it } from 'vitest';
import {
  MAX_SUGGESTIONS,
  fold,
  insertMention,
  mentionCandidates,
  mentionQuery,
} from '../../src/ui/lib/mention-complete';

const members = [
  { id: 'me', username: 'ann', displayName: 'Ann Me' },
  { id: 'b', username: 'bo', displayName: 'Bo Ek' },
  { id: 'e', username: 'emile', displayName: 'Émile Zöla' },
  { id: 'z', username: 'zed', displayName: 'Zed Bower' },
];

describe('mentionQuery', () => {
  it('finds the @word the caret ends', () => {
    expect(mentionQuery('hi @b', 5)).toEqual({ start: 3, query: 'b' });
    expect(mentionQuery('@', 1)).toEqual({ start: 0, query: '' });
    expect(mentionQuery('x\n@Émi', 6)).toEqual({ start: 2, query: 'Émi' });
    expect(mentionQuery('(@bo', 4)).toEqual({ start: 1, query: 'bo' });
  });

  it('is null after a space, in an email, in code, with a selection', () => {
    expect(mentionQuery('@bo x', 5)).toBeNull();
    expect(mentionQuery('ann@bo', 6)).toBeNull();
    expect(mentionQuery('`@bo', 4)).toBeNull();
    expect(mentionQuery('`x` @bo', 7)).toEqual({ start: 4, query: 'bo' });
    expect(mentionQuery('@bo', 1, 3)).toBeNull();
    expect(mentionQuery('', 0)).toBeNull();
    expect(mentionQuery('@bo', 99)).toBeNull();
  });
});

describe('mentionCandidates', () => {
  it('matches username and display name, folding case and accents, never me', () => {
    expect(mentionCandidates(members, 'emi', 'me', false).map((c) => c.id)).toEqual(['e']);
    expect(mentionCandidates(members, 'ZOL', 'me', false).map((c) => c.id)).toEqual(['e']);
    expect(mentionCandidates(members, 'ann', 'me', false)).toEqual([]);
    // Username prefix before a display-name word: "bo" is Bo's username, Zed Bower's surname.
    expect(mentionCandidates(members, 'bo', 'me', false).map((c) => c.id)).toEqual(['b', 'z']);
  });

  it('offers @channel and @here, and shows at most a screenful', () => {
    expect(mentionCandidates(members, 'h', 'me').map((c) => c.username)).toEqual(['here']);
    expect(mentionCandidates(members, '', 'me').map((c) => c.username)).toEqual([
      'bo',
      'emile',
      'zed',
      'channel',
      'here',
    ]);
    const many = Array.from({ length: 30 }, (_, i) => ({
      id: `u${i}`,
      username: `u${i}`,
      displayName: `U ${i}`,
    }));
    expect(mentionCandidates(many, 'u', null)).toHaveLength(MAX_SUGGESTIONS);
  });

  it('folds', () => expect(fold('Ångström É')).toBe('angstrom e'));
});

describe('insertMention', () => {
  it('replaces the typed @word with the username and a space, caret after it', () => {
    expect(insertMention('hi @b', 3, 5, 'bo')).toEqual({ text: 'hi @bo ', caret: 7 });
    expect(insertMention('@e and', 0, 2, 'emile')).toEqual({ text: '@emile and', caret: 6 });
  });
});
