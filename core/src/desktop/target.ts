// Validation of a notification target (docs/messaging.md, "Notification targets"). A target
// crosses two process boundaries in the desktop app (renderer → main with the notification,
// main → renderer with the click), so main and preload both check it with this one function.
import { isHlc } from '../hlc';
import { isId } from '../ids';
import type { NotificationTarget } from './api';

/**
 * The target in `raw` (any object with these fields; others are ignored), or null when the
 * conversation id is not an id or a message id present is not a clock id. A thread root
 * without a message is refused too: a thread is opened at a message.
 */
export function parseNotificationTarget(raw: unknown): NotificationTarget | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { conversationId, messageId, threadRootId } = raw as Record<string, unknown>;
  if (!isId(conversationId)) return null;
  if (messageId !== undefined && !isHlc(messageId)) return null;
  if (threadRootId !== undefined && (messageId === undefined || !isHlc(threadRootId))) return null;
  return {
    conversationId,
    ...(messageId !== undefined ? { messageId } : {}),
    ...(threadRootId !== undefined ? { threadRootId } : {}),
  };
}
