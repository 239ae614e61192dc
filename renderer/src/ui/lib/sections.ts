// The sidebar's sections as data: channels (open, private, announcement) and direct messages,
// each in the data layer's order (most recent activity first), archived channels last. The
// flat order is what Alt+↑/↓ walks through, top to bottom as shown.

import type { ConversationKind, ConversationSummary, Visibility } from '../../data/api';

export interface Sections {
  channels: ConversationSummary[];
  dms: ConversationSummary[];
}

export function sectionConversations(list: readonly ConversationSummary[]): Sections {
  const channels: ConversationSummary[] = [];
  const archived: ConversationSummary[] = [];
  const dms: ConversationSummary[] = [];
  for (const c of list) {
    if (c.kind === 'dm') dms.push(c);
    else if (c.archived) archived.push(c);
    else channels.push(c);
  }
  return { channels: [...channels, ...archived], dms };
}

/** Every conversation in the order the sidebar shows them. */
export function shownOrder(s: Sections): ConversationSummary[] {
  return [...s.channels, ...s.dms];
}

export type KindIcon = 'hash' | 'lock' | 'megaphone' | 'person';

/** # for an open channel, a lock for a private one, a megaphone for announcements. */
export function kindIcon(c: { kind: ConversationKind; visibility: Visibility }): KindIcon {
  if (c.kind === 'dm') return 'person';
  if (c.kind === 'announcement') return 'megaphone';
  return c.visibility === 'private' ? 'lock' : 'hash';
}

/** Words for the kind, for screen readers and tooltips. */
export function kindLabel(c: { kind: ConversationKind; visibility: Visibility }): string {
  if (c.kind === 'dm') return 'Direct message';
  const vis = c.visibility === 'private' ? 'private' : 'open';
  return c.kind === 'announcement'
    ? `Announcement channel (${vis})`
    : `${vis === 'open' ? 'Open' : 'Private'} channel`;
}
