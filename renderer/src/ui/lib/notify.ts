// Which notifications to raise when the conversation list changes: one per conversation
// with new unread messages that the reader is not looking at, or a single summary when a
// catch-up brings news to many conversations at once. Pure, so it is tested on its own.

import type { DesktopNotification } from '../../../../core/src/desktop/api';
import type { ConversationSummary } from '../../data/api';
import { toPlainText } from './markdown';

/** More conversations than this with news in one update get one summary notification. */
export const SUMMARY_OVER = 3;

export function notificationsFor(
  before: ReadonlyMap<string, number>,
  list: readonly ConversationSummary[],
  lookingAt: string | null,
): DesktopNotification[] {
  const fresh = list.filter(
    (c) => c.unread > (before.get(c.id) ?? 0) && c.id !== lookingAt && c.lastMessage !== null,
  );
  if (fresh.length > SUMMARY_OVER) {
    const count = fresh.reduce((n, c) => n + c.unread - (before.get(c.id) ?? 0), 0);
    return [
      {
        title: 'Ferry',
        body: `${count} new messages in ${fresh.length} conversations`,
        conversationId: fresh[0]?.id ?? '',
      },
    ];
  }
  return fresh.map((c) => ({
    title: c.title,
    // Notifications show text, not markup: "**now**" reads "now".
    body: c.lastMessage ? `${c.lastMessage.authorName}: ${toPlainText(c.lastMessage.text)}` : '',
    conversationId: c.id,
  }));
}
