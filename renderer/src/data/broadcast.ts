// "Also send to channel" (schema 3, docs/messaging.md): a thread reply with `broadcast` shows in
// the main timeline too. Its row names the thread's root ("replied to a thread: …"), read from
// the timeline itself: a root sorts before its replies and the loaded pages are contiguous from
// the newest, so when such a reply is on screen its root is loaded unless it is on no page here.
import type { MessageView } from './api';

/** Root excerpt length on a broadcast reply's row. */
export const ROOT_EXCERPT_CHARS = 80;

export function excerpt(text: string, max = ROOT_EXCERPT_CHARS): string {
  const one = text.replace(/\s+/g, ' ').trim();
  if (one.length <= max) return one;
  let end = max - 1;
  const c = one.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return one.slice(0, end) + '…';
}

/** The timeline (top-level messages and broadcast replies, ascending) with each reply's root. */
export function withBroadcastRoots(messages: MessageView[]): MessageView[] {
  if (!messages.some((m) => m.broadcast === true)) return messages;
  const byId = new Map(messages.map((m) => [m.id, m]));
  return messages.map((m) => {
    if (m.broadcast !== true || m.parentId === null) return m;
    const root = byId.get(m.parentId);
    return {
      ...m,
      broadcastRoot: root
        ? { id: root.id, authorName: root.authorName, text: excerpt(root.text), deleted: root.deleted }
        : null,
    };
  });
}
