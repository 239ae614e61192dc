import { describe, expect, it } from 'vitest';
import type { ConversationSummary, Person } from '../../src/data/api';
import { mergePeople } from '../../src/ui/lib/people';
import { kindIcon, kindLabel, sectionConversations, shownOrder } from '../../src/ui/lib/sections';

const conv = (id: string, extra: Partial<ConversationSummary> = {}): ConversationSummary => ({
  id,
  title: id,
  createdAt: 0,
  lastMessage: null,
  unread: 0,
  mentions: 0,
  kind: 'channel',
  visibility: 'open',
  role: 'member',
  archived: false,
  memberCount: 2,
  dmWith: null,
  registered: true,
  removed: false,
  undelivered: 0,
  ...extra,
});

describe('sidebar sections', () => {
  it('puts channels and announcements under Channels, DMs under Direct messages, in order', () => {
    const list = [
      conv('dm1', { kind: 'dm' }),
      conv('a'),
      conv('news', { kind: 'announcement' }),
      conv('dm2', { kind: 'dm' }),
      conv('p', { visibility: 'private' }),
    ];
    const s = sectionConversations(list);
    expect(s.channels.map((c) => c.id)).toEqual(['a', 'news', 'p']);
    expect(s.dms.map((c) => c.id)).toEqual(['dm1', 'dm2']);
    expect(shownOrder(s).map((c) => c.id)).toEqual(['a', 'news', 'p', 'dm1', 'dm2']);
  });
  it('moves archived channels to the end of Channels; removed ones stay where they are', () => {
    const s = sectionConversations([
      conv('old', { archived: true }),
      conv('gone', { removed: true }),
      conv('b'),
    ]);
    expect(s.channels.map((c) => c.id)).toEqual(['gone', 'b', 'old']);
  });
  it('gives each kind its icon and words', () => {
    expect(kindIcon({ kind: 'channel', visibility: 'open' })).toBe('hash');
    expect(kindIcon({ kind: 'channel', visibility: 'private' })).toBe('lock');
    expect(kindIcon({ kind: 'announcement', visibility: 'open' })).toBe('megaphone');
    expect(kindIcon({ kind: 'dm', visibility: 'private' })).toBe('person');
    expect(kindLabel({ kind: 'channel', visibility: 'private' })).toBe('Private channel');
    expect(kindLabel({ kind: 'announcement', visibility: 'open' })).toMatch(/Announcement/);
  });
});

describe('people pickers', () => {
  const p = (id: string, displayName: string): Person => ({
    id,
    username: id,
    displayName,
    status: null,
    avatar: null,
  });
  it('lists known matches first (by name), then the server finds, without duplicates or excluded', () => {
    const known = [p('zoe', 'Zoe Berg'), p('ann', 'Ann Lind'), p('me', 'Me')];
    const found = [p('anna', 'Anna Holm'), p('ann', 'Ann Lind')];
    expect(mergePeople(known, found, '', new Set(['me'])).map((x) => x.id)).toEqual([
      'ann',
      'zoe',
      'anna',
    ]);
    expect(mergePeople(known, found, 'ANN', new Set(['me'])).map((x) => x.id)).toEqual([
      'ann',
      'anna',
    ]);
    expect(mergePeople(known, [], 'x', new Set())).toEqual([]);
  });
});
