import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../src/data/api';
import { firstUnreadOf } from '../../src/ui/lib/unread';

const message = (id: string, extra: Partial<MessageView> = {}): MessageView => ({
  id,
  authorId: 'u1',
  authorName: 'Ingrid',
  text: id,
  createdAt: 0,
  editedAt: null,
  deleted: false,
  parentId: null,
  quoteId: null,
  thread: null,
  writtenOffline: false,
  mine: false,
  delivery: 'stored',
  canEdit: false,
  canDelete: false,
  reactions: [],
  seenBy: [],
  pinnedBy: [],
  ...extra,
});

describe('the "new messages" divider', () => {
  const thread = { count: 2, lastReplyAt: 0, repliers: [], unread: 1 };
  const rows = [message('a'), message('b', { thread }), message('c', { mine: true }), message('d')];

  it('goes above the oldest of the unread messages from others, less unread replies', () => {
    // 1 of the list's unread count is b's unread reply.
    expect(firstUnreadOf(rows, 2)).toBe('d');
    expect(firstUnreadOf(rows, 3)).toBe('b'); // my own message is not counted
    expect(firstUnreadOf(rows, 1)).toBeNull(); // only the reply is unread
  });

  it('is nowhere when nothing is unread or more is unread than is loaded', () => {
    expect(firstUnreadOf(rows, 0)).toBeNull();
    expect(firstUnreadOf(rows, 10)).toBeNull();
  });
});
