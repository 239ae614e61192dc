// The Activity and Threads views in words, and where each entry opens. Pure, so they are tested
// on their own (renderer/test/ui/activity.test.ts).
//
// Opening a message in context: `openInContext` is the workspace's one router for it: Activity
// entries, followed threads, search hits, notifications and message links all go through it
// (Workspace.svelte `openFound`).
import type { ActivityItem, FollowedThread } from '../../data/api';
import { toPlainText } from './markdown';
import { agoText } from './threads';

/** A message to show: its conversation scrolled to it, or (`thread`) its thread panel opened. */
export interface OpenTarget {
  conversationId: string;
  messageId: string;
  /** Open the thread of `messageId` (a root) rather than scroll to it. */
  thread: boolean;
}

/** What the workspace does to show a target (Workspace.svelte gives these). */
export interface Navigator {
  /** Leave the Activity / Threads view for the conversation. */
  closeViews(): void;
  /** Open the conversation and hand the pane what to show (a reply opens its thread there). */
  focus(target: OpenTarget): void;
}

export function openInContext(target: OpenTarget, nav: Navigator): void {
  nav.closeViews();
  nav.focus(target);
}

/** An Activity item opens its message: a reply in its thread (the pane finds the thread). */
export function targetOfItem(item: ActivityItem): OpenTarget {
  return { conversationId: item.conversationId, messageId: item.messageId, thread: false };
}

/** A followed thread opens its thread panel. */
export function targetOfThread(t: FollowedThread): OpenTarget {
  return { conversationId: t.conversationId, messageId: t.rootId, thread: true };
}

/** "mentioned you", "replied in a thread you follow", "reacted 🎉 to your message". */
export function activityVerb(item: ActivityItem): string {
  switch (item.kind) {
    case 'mention':
      return item.rootId ? 'mentioned you in a thread' : 'mentioned you';
    case 'reply':
      return 'replied in a thread you follow';
    case 'reaction':
      return `reacted ${item.emoji ?? ''} to your message`.replace('  ', ' ');
  }
}

/** Why I follow a thread, in words. */
export function followReason(t: FollowedThread): string {
  switch (t.reason) {
    case 'started':
      return 'You started it';
    case 'replied':
      return 'You replied';
    case 'mentioned':
      return 'You were mentioned';
    case 'followed':
      return 'You follow it';
  }
}

/** "3 replies", "1 reply", "No replies yet". */
export function repliesText(n: number): string {
  if (n === 0) return 'No replies yet';
  return `${n} ${n === 1 ? 'reply' : 'replies'}`;
}

/** "2 replies · Bo: looks good · 5 min ago", or "No replies yet". */
export function threadLastLine(t: FollowedThread, now: number): string {
  if (t.replies === 0) return repliesText(0);
  const last = toPlainText(t.lastReplyText);
  return `${repliesText(t.replies)} · ${t.lastReplyAuthorName}: ${last} · ${agoText(t.lastReplyAt, now)}`;
}

export type ActivityFilter = 'all' | 'mention' | 'reply' | 'reaction';

export function filterItems(items: ActivityItem[], f: ActivityFilter): ActivityItem[] {
  return f === 'all' ? items : items.filter((i) => i.kind === f);
}

/** The count the sidebar shows: nothing at 0, 99+ past 99. */
export function countText(n: number): string {
  return n <= 0 ? '' : n > 99 ? '99+' : String(n);
}
