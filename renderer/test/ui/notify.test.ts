import { describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src/data/api';
import { notificationsFor } from '../../src/ui/lib/notify';

const conv = (id: string, unread: number, text = 'hi'): ConversationSummary => ({
  id,
  title: `Conversation ${id}`,
  createdAt: 0,
  lastMessage: { text, authorName: 'Ann', at: 1 },
  unread,
  kind: 'channel',
  visibility: 'open',
  role: 'member',
  archived: false,
  memberCount: 2,
  dmWith: null,
  registered: true,
  removed: false,
  undelivered: 0,
});

describe('notificationsFor', () => {
  it('notifies once per conversation whose unread count grew', () => {
    const before = new Map([
      ['a', 0],
      ['b', 2],
    ]);
    expect(notificationsFor(before, [conv('a', 1, 'news'), conv('b', 2)], null)).toEqual([
      { title: 'Conversation a', body: 'Ann: news', conversationId: 'a' },
    ]);
  });

  it('shows the text of a formatted message, not its markup', () => {
    expect(
      notificationsFor(new Map(), [conv('a', 1, '**Ship** it: `v2` _today_')], null)[0]?.body,
    ).toBe('Ann: Ship it: v2 today');
  });

  it('stays quiet for the conversation on screen, for read messages and for empty ones', () => {
    const before = new Map([['a', 0]]);
    expect(notificationsFor(before, [conv('a', 3)], 'a')).toEqual([]);
    expect(notificationsFor(new Map([['a', 3]]), [conv('a', 0)], null)).toEqual([]);
    expect(notificationsFor(before, [{ ...conv('a', 1), lastMessage: null }], null)).toEqual([]);
  });

  it('counts a conversation it has not seen before from zero', () => {
    expect(notificationsFor(new Map(), [conv('new', 2)], null)).toHaveLength(1);
  });

  it('sums a catch-up into one notification beyond three conversations', () => {
    const list = ['a', 'b', 'c', 'd'].map((id) => conv(id, 2));
    expect(notificationsFor(new Map([['a', 1]]), list, null)).toEqual([
      { title: 'Ferry', body: '7 new messages in 4 conversations', conversationId: 'a' },
    ]);
  });
});
