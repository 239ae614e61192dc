// The "new messages" divider (components/MessageList.svelte): which message it goes above.
import type { MessageView } from '../../data/api';

/**
 * The first message unread when the conversation opened, from the conversation list's unread
 * count then: the list counts unread replies too, and the divider sits among top-level
 * messages, so those are taken off; the rest are the newest messages from others. Null when
 * nothing is unread.
 */
export function firstUnreadOf(messages: readonly MessageView[], unread: number): string | null {
  const replies = messages.reduce((n, m) => n + (m.thread?.unread ?? 0), 0);
  let left = unread - replies;
  if (left <= 0) return null;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m || m.mine) continue;
    left--;
    if (left === 0) return m.id;
  }
  return null;
}
