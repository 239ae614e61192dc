import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../src/data/api';
import { agoText, lookupShown, quoteText, threadLine } from '../../src/ui/lib/threads';

const NOW = new Date(2026, 10, 27, 18).getTime();
const MIN = 60_000;

const message = (extra: Partial<MessageView> = {}): MessageView => ({
  id: 'm1',
  authorId: 'u1',
  authorName: 'Ingrid',
  text: '**Sensor 4** reads [high](https://x.example)\nagain',
  createdAt: NOW - 10 * MIN,
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

describe('threads: words', () => {
  it('says when the last reply was, in plain words', () => {
    expect(agoText(NOW - 20_000, NOW)).toBe('just now');
    expect(agoText(NOW + 60_000, NOW)).toBe('just now'); // a clock ahead of ours
    expect(agoText(NOW - 5 * MIN, NOW)).toBe('5 min ago');
    expect(agoText(NOW - 3 * 60 * MIN, NOW)).toBe('3 h ago');
    expect(agoText(NOW - 30 * 60 * MIN, NOW)).toBe('yesterday');
    expect(agoText(NOW - 4 * 24 * 60 * MIN, NOW)).toBe('4 days ago');
    expect(agoText(NOW - 40 * 24 * 60 * MIN, NOW, 'en-US')).toMatch(/^on [A-Z][a-z]{2} \d+$/);
  });

  it('a thread line counts replies', () => {
    const t = { count: 1, lastReplyAt: NOW - 5 * MIN, repliers: [], unread: 0 };
    expect(threadLine(t, NOW)).toBe('1 reply · last reply 5 min ago');
    expect(threadLine({ ...t, count: 3 }, NOW)).toBe('3 replies · last reply 5 min ago');
  });

  it('a quote shows plain text as it is now, or why it cannot', () => {
    expect(quoteText({ state: 'found', message: message() }, true)).toEqual({
      state: 'found',
      author: 'Ingrid',
      text: 'Sensor 4 reads high again',
    });
    expect(
      quoteText({ state: 'found', message: message({ deleted: true, text: '' }) }, true),
    ).toEqual({
      state: 'deleted',
      author: 'Ingrid',
      text: 'Original message deleted',
    });
    expect(quoteText({ state: 'missing' }, false).text).toBe('Message not available offline');
    expect(quoteText({ state: 'missing' }, true).text).toBe('Original message not found');
    expect(quoteText({ state: 'loading' }, true).state).toBe('loading');
  });

  it('a pinned message says the same states in its own words (lookupShown)', () => {
    const words = {
      loading: 'Loading…',
      notFound: 'Message not found',
      deleted: 'Message deleted',
    };
    expect(lookupShown({ state: 'loading' }, true, words).text).toBe('Loading…');
    expect(lookupShown({ state: 'missing' }, true, words).text).toBe('Message not found');
    expect(lookupShown({ state: 'missing' }, false, words).text).toBe(
      'Message not available offline',
    );
    expect(
      lookupShown({ state: 'found', message: message({ deleted: true, text: '' }) }, true, words),
    ).toEqual({ state: 'deleted', author: 'Ingrid', text: 'Message deleted' });
  });
});
