// The quick switcher's and forward dialog's list (issue 12): conversations and people ranked
// together, a person with a DM listed once (as the DM), me never.
import { describe, expect, it } from 'vitest';
import type { ConversationSummary, DirectoryPerson } from '../../src/data/api';
import { matchLevel, switchItems, type SwitchItem } from '../../src/ui/lib/switch-items';

const conv = (
  id: string,
  title: string,
  over: Partial<ConversationSummary> = {},
): ConversationSummary => ({
  id,
  kind: 'channel',
  visibility: 'open',
  title,
  createdAt: 1,
  lastMessage: null,
  unread: 0,
  mentions: 0,
  role: 'member',
  archived: false,
  memberCount: 2,
  dmWith: null,
  registered: true,
  removed: false,
  undelivered: 0,
  ...over,
});
const person = (id: string, displayName: string, username: string): DirectoryPerson => ({
  id,
  displayName,
  username,
  status: null,
  avatar: null,
  role: 'member',
});
const names = (items: SwitchItem[]) =>
  items.map((i) =>
    i.kind === 'conversation' ? `#${i.conversation.title}` : `@${i.person.displayName}`,
  );

const ME = 'ME00000000000000';
const convs = [
  conv('C1', 'general', { lastMessage: { text: '', authorName: '', at: 50 } }),
  conv('C2', 'design-reviews', { unread: 2 }),
  conv('C3', 'Bo Chen', { kind: 'dm', dmWith: 'BO00000000000000' }),
];
const people = [
  person(ME, 'Me Myself', 'me'),
  person('BO00000000000000', 'Bo Chen', 'bo'),
  person('CY00000000000000', 'Cyd Rivera', 'cyd'),
  person('DA00000000000000', 'Dana Design', 'dana'),
  person('EL00000000000000', 'Eli Gen', 'eli'),
];

describe('switchItems', () => {
  it('lists conversations (unread, then recent) before the people without a DM, never me', () => {
    const presence = new Map([['EL00000000000000', 'online' as const]]);
    expect(names(switchItems(convs, people, '', { me: ME, presence }))).toEqual([
      '#design-reviews',
      '#general',
      '#Bo Chen',
      '@Eli Gen',
      '@Cyd Rivera',
      '@Dana Design',
    ]);
  });

  it('ranks by how well the name matches, then conversations before people', () => {
    expect(names(switchItems(convs, people, 'de', { me: ME }))).toEqual([
      '#design-reviews',
      '@Dana Design',
    ]);
    expect(names(switchItems(convs, people, 'gen', { me: ME }))).toEqual(['#general', '@Eli Gen']);
    // A username matches too; the DM stands for Bo, once.
    expect(names(switchItems(convs, people, 'bo', { me: ME }))).toEqual(['#Bo Chen']);
    expect(names(switchItems(convs, people, 'cyd', { me: ME }))).toEqual(['@Cyd Rivera']);
  });

  it('skips what it is told to and stops at the limit', () => {
    const items = switchItems(convs, people, '', { me: ME, skip: (c) => c.id === 'C2', limit: 2 });
    expect(names(items)).toEqual(['#general', '#Bo Chen']);
  });

  it('matchLevel: start, word start, anywhere', () => {
    expect(matchLevel('Design reviews', 'des')).toBe(0);
    expect(matchLevel('Design reviews', 'rev')).toBe(1);
    expect(matchLevel('design-reviews', 'rev')).toBe(1);
    expect(matchLevel('Design reviews', 'sign')).toBe(2);
    expect(matchLevel('Design reviews', 'xyz')).toBeNull();
  });
});
