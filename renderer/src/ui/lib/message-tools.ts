// Copy link and Forward on any message row (issue 12; docs/messaging.md "Message links" and
// "Forwarded messages"). The workspace provides them through a context, so the rows of the
// timeline and of the thread panel get them without a prop through every list in between.
import { getContext, setContext } from 'svelte';
import type { ConversationSummary, ForwardView, MessageView } from '../../data/api';
import {
  appMessageLink,
  webMessageLink,
  type MessageLinkTarget,
} from '../../../../core/src/desktop/links';

export interface MessageTools {
  /** Copies the message's link (the web URL; the notice offers the ferry:// link). */
  copyLink(m: MessageView): void;
  /** Opens the forward dialog for the message. */
  forward(m: MessageView): void;
  /** A forward's origin, when I may read its conversation: opens it there. */
  openOrigin(f: ForwardView): void;
  /** Whether I am a member of that conversation (the origin link is offered only then). */
  canOpen(conversationId: string): boolean;
}

const KEY = Symbol('ferry.message-tools');

export function provideMessageTools(tools: MessageTools): void {
  setContext(KEY, tools);
}

export function useMessageTools(): MessageTools | null {
  return getContext<MessageTools | undefined>(KEY) ?? null;
}

/**
 * The address the web link starts with: the page's own in a browser (the relay serves the app),
 * the relay's in the desktop app (its pages come from `app://`, which no browser can open).
 */
export function appAddress(kind: 'electron' | 'browser', href: string, serverUrl: string): string {
  return kind === 'browser' && /^https?:/.test(href) ? href : `${serverUrl.replace(/\/+$/, '')}/`;
}

/** Both links of a message. */
export function messageLinks(appUrl: string, t: MessageLinkTarget): { web: string; app: string } {
  return { web: webMessageLink(appUrl, t), app: appMessageLink(t) };
}

/**
 * What opening a link to a message says when it cannot show it, or null when it can (the
 * conversation is in my list). Plain words; what to do.
 */
export function linkProblem(
  conversationId: string,
  conversations: readonly ConversationSummary[],
): string | null {
  if (conversations.some((c) => c.id === conversationId)) return null;
  return 'You are not in the conversation this link points to (or this device has not synced it yet). Ask someone in it to add you.';
}
