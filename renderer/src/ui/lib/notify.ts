// Which notifications to raise when the conversation list changes: one per conversation with
// new unread messages that the reader is not looking at and whose preference asks for them, or
// a single summary when a catch-up brings news to many conversations at once. Pure, so it is
// tested on its own.
//
// Preferences (this device's, FerryClient.notifyPrefs): `all` notifies every new message,
// `mentions` only new messages that mention me (@me, @channel, @here), `mute` nothing. Without
// one, DMs are `all` and channels `mentions`. Do-not-disturb silences everything. My own
// messages never count as unread, so they never notify. A reply in a thread I started or
// replied in (`lastMessage.threadWithMe`) notifies under `mentions` too (docs/messaging.md
// "Threads"), and its notification carries the thread's root.
//
// A notification carries its target (docs/messaging.md, "Notification targets"): the
// conversation and its newest message, which a click opens highlighted; a summary carries the
// first conversation only.

import type { DesktopNotification } from '../../../../core/src/desktop/api';
import type {
  ConversationKind,
  ConversationSummary,
  NotifyPref,
  NotifyPrefs,
} from '../../data/api';
import { toPlainText } from './markdown';

/** More conversations than this with news in one update get one summary notification. */
export const SUMMARY_OVER = 3;

/** What the previous list said of a conversation (a bare number: its unread count). */
export type Seen = number | { unread: number; mentions: number };

export const NO_PREFS: NotifyPrefs = { dnd: false, conversations: {} };

/** DMs notify every message; channels and announcements only mentions. */
export function defaultNotifyPref(kind: ConversationKind): NotifyPref {
  return kind === 'dm' ? 'all' : 'mentions';
}

/** The preference in force for a conversation. */
export function notifyPrefOf(
  c: Pick<ConversationSummary, 'id' | 'kind'>,
  prefs: NotifyPrefs = NO_PREFS,
): NotifyPref {
  return prefs.conversations[c.id] ?? defaultNotifyPref(c.kind);
}

/** The `before` map for the next call. */
export function seenOf(list: readonly ConversationSummary[]): Map<string, Seen> {
  return new Map(list.map((c) => [c.id, { unread: c.unread, mentions: c.mentions }]));
}

function seen(before: ReadonlyMap<string, Seen>, id: string): { unread: number; mentions: number } {
  const s = before.get(id);
  if (s === undefined) return { unread: 0, mentions: 0 };
  return typeof s === 'number' ? { unread: s, mentions: 0 } : s;
}

export function notificationsFor(
  before: ReadonlyMap<string, Seen>,
  list: readonly ConversationSummary[],
  lookingAt: string | null,
  prefs: NotifyPrefs = NO_PREFS,
): DesktopNotification[] {
  if (prefs.dnd) return [];
  const fresh = list.filter((c) => {
    const was = seen(before, c.id);
    if (c.unread <= was.unread || c.id === lookingAt || c.lastMessage === null) return false;
    const pref = notifyPrefOf(c, prefs);
    if (pref === 'mute') return false;
    return (
      pref === 'all' || (c.mentions ?? 0) > was.mentions || c.lastMessage.threadWithMe === true
    );
  });
  if (fresh.length > SUMMARY_OVER) {
    const count = fresh.reduce((n, c) => n + c.unread - seen(before, c.id).unread, 0);
    return [
      {
        title: 'Ferry',
        body: `${count} new messages in ${fresh.length} conversations`,
        conversationId: fresh[0]?.id ?? '',
      },
    ];
  }
  return fresh.map((c) => {
    const mentioned = (c.mentions ?? 0) > seen(before, c.id).mentions;
    const messageId = c.lastMessage?.id;
    const rootId = messageId ? c.lastMessage?.threadRootId : undefined;
    const inMyThread = !mentioned && c.lastMessage?.threadWithMe === true && c.kind !== 'dm';
    return {
      title:
        mentioned && c.kind !== 'dm'
          ? `${c.title}: you were mentioned`
          : inMyThread
            ? `${c.title}: a reply in your thread`
            : c.title,
      // Notifications show text, not markup: "**now**" reads "now".
      // A DM's title is the sender: the body does not name them again (issue 12).
      body: c.lastMessage
        ? c.kind === 'dm'
          ? toPlainText(c.lastMessage.text)
          : `${c.lastMessage.authorName}: ${toPlainText(c.lastMessage.text)}`
        : '',
      conversationId: c.id,
      // A click opens the conversation at the newest message, highlighted (a reply in its
      // thread: `threadRootId` is its root).
      ...(messageId ? { messageId } : {}),
      ...(rootId ? { threadRootId: rootId } : {}),
    };
  });
}
