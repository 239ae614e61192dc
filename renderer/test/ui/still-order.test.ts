import { describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src/data/api';
import { sectionConversations } from '../../src/ui/lib/sections';
import { holdOrder, orderOf } from '../../src/ui/lib/still-order';

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

const ids = (s: { channels: ConversationSummary[]; dms: ConversationSummary[] }) => ({
  channels: s.channels.map((c) => c.id),
  dms: s.dms.map((c) => c.id),
});

describe('still sidebar order', () => {
  const before = sectionConversations([
    conv('a'),
    conv('b'),
    conv('c'),
    conv('d1', { kind: 'dm' }),
    conv('d2', { kind: 'dm' }),
  ]);

  it('holds the order while activity re-sorts the list, showing the fresh summaries', () => {
    const held = orderOf(before);
    // Someone writes in c and d2: the data layer moves them to the top of their sections.
    const fresh = sectionConversations([
      conv('c', { unread: 3 }),
      conv('a'),
      conv('b'),
      conv('d2', { kind: 'dm', unread: 1 }),
      conv('d1', { kind: 'dm' }),
    ]);
    const shown = holdOrder(fresh, held);
    expect(ids(shown)).toEqual({ channels: ['a', 'b', 'c'], dms: ['d1', 'd2'] });
    expect(shown.channels[2]?.unread).toBe(3);
    expect(shown.dms[1]?.unread).toBe(1);
  });

  it('shows the fresh order once released', () => {
    const fresh = sectionConversations([conv('c'), conv('a'), conv('b')]);
    expect(holdOrder(fresh, null)).toBe(fresh);
    expect(ids(holdOrder(fresh, null)).channels).toEqual(['c', 'a', 'b']);
  });

  it('appends conversations that arrive while held at the end of their section', () => {
    const held = orderOf(before);
    const fresh = sectionConversations([
      conv('new'),
      conv('d3', { kind: 'dm' }),
      conv('c'),
      conv('a'),
      conv('newer'),
      conv('b'),
      conv('d1', { kind: 'dm' }),
      conv('d2', { kind: 'dm' }),
    ]);
    expect(ids(holdOrder(fresh, held))).toEqual({
      channels: ['a', 'b', 'c', 'new', 'newer'],
      dms: ['d1', 'd2', 'd3'],
    });
  });

  it('drops conversations that are gone, keeping the others in place', () => {
    const held = orderOf(before);
    const fresh = sectionConversations([conv('c'), conv('a'), conv('d2', { kind: 'dm' })]);
    expect(ids(holdOrder(fresh, held))).toEqual({ channels: ['a', 'c'], dms: ['d2'] });
  });

  it('keeps a channel archived while held in its place until released', () => {
    const held = orderOf(before);
    const fresh = sectionConversations([conv('a', { archived: true }), conv('b'), conv('c')]);
    expect(ids(holdOrder(fresh, held)).channels).toEqual(['a', 'b', 'c']);
    expect(ids(holdOrder(fresh, null)).channels).toEqual(['b', 'c', 'a']);
  });
});
