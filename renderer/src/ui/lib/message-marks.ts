// Quieter marks on messages and previews (issue 12, defect 9). Pure.
import type { ConversationSummary, MessageView } from '../../data/api';
import { fullTime } from './time';

/**
 * The "offline" chip is for a message written offline that has not reached the server yet;
 * once stored, "written offline" moves to the time's tooltip (`timeTitle`).
 */
export function showOfflineChip(
  m: Pick<MessageView, 'writtenOffline' | 'mine' | 'delivery'>,
): boolean {
  return m.writtenOffline && m.mine && m.delivery === 'pending';
}

/** The message time's tooltip: the full time, and "written offline" when it was. */
export function timeTitle(
  m: Pick<MessageView, 'createdAt' | 'writtenOffline'>,
  locale?: string,
): string {
  const full = fullTime(m.createdAt, locale);
  return m.writtenOffline ? `${full} · written offline` : full;
}

/**
 * Who said the last message, for a preview under a title: in a DM the title already names the
 * other person, so their messages need no "Name:" (mine say "You:"); a channel names the author.
 * Null: no prefix.
 */
export function previewSayer(
  c: Pick<ConversationSummary, 'kind' | 'dmWith'>,
  last: { authorName: string; authorId?: string },
): string | null {
  if (c.kind !== 'dm') return last.authorName;
  if (last.authorId === undefined || c.dmWith === null) return null;
  return last.authorId === c.dmWith ? null : 'You';
}

/** The composer's offline line for a connection state; null while online or connecting. */
export function offlineHintText(connection: string): string | null {
  return connection === 'offline' || connection === 'unreachable'
    ? 'You’re offline — messages will be sent when you reconnect.'
    : null;
}

/** Longest text shown whole: beyond it (or beyond this many lines) a message may collapse. */
export const COLLAPSE_CHARS = 700;
export const COLLAPSE_LINES = 12;

/**
 * Whether a message is worth measuring for "Show more": only long ones are, so short messages
 * cost nothing. Whether it collapses is decided by its rendered height (MessageBody).
 */
export function mayCollapse(text: string): boolean {
  if (text.length > COLLAPSE_CHARS) return true;
  let lines = 1;
  for (let i = 0; i < text.length; i++)
    if (text.charCodeAt(i) === 10 && ++lines > COLLAPSE_LINES) return true;
  return false;
}
