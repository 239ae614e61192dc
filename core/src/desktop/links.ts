// Links to a message (docs/messaging.md, "Message links"): a web URL with a hash route, which the
// relay-served app opens, and a `ferry://` link, which the desktop app opens. Both name only ids:
// the app that opens one looks the message up among what its user may read. Anything parsed here
// came from outside (a mail, a web page, another program), so only exactly these shapes pass.
//
//   <app origin>/#/c/<conversationId>/m/<messageId>
//   ferry://message/<conversationId>/<messageId>
import { isHlc } from '../hlc';
import { isId } from '../ids';
import { DEEP_LINK_SCHEME } from './api';

export interface MessageLinkTarget {
  conversationId: string;
  messageId: string;
}

/** The hash route of a message: `#/c/<conversationId>/m/<messageId>`. */
export function messageHash(t: MessageLinkTarget): string {
  return `#/c/${t.conversationId}/m/${t.messageId}`;
}

/**
 * The web URL of a message: the app's address (origin and path, e.g. the relay that serves the
 * app) with the hash route. Any query or fragment of `appUrl` is dropped.
 */
export function webMessageLink(appUrl: string, t: MessageLinkTarget): string {
  // core has no URL class (no DOM, no Node): the address up to its query or fragment.
  const base = /^[^?#]*/.exec(appUrl)?.[0] ?? appUrl;
  return `${base}${messageHash(t)}`;
}

/** `ferry://message/<conversationId>/<messageId>`. */
export function appMessageLink(t: MessageLinkTarget): string {
  return `${DEEP_LINK_SCHEME}://message/${t.conversationId}/${t.messageId}`;
}

const HASH_ROUTE = /^#\/c\/([^/]+)\/m\/([^/]+)$/;

/** The message a hash route names (`location.hash`), or null when it is not exactly one. */
export function parseMessageHash(hash: unknown): MessageLinkTarget | null {
  if (typeof hash !== 'string' || hash.length > 128) return null;
  const m = HASH_ROUTE.exec(hash);
  if (!m) return null;
  const [, conversationId, messageId] = m;
  return isId(conversationId) && isHlc(messageId) ? { conversationId, messageId } : null;
}

/** The two path segments of a `ferry://message/…` link, checked; null when they are not ids. */
export function messageLinkSegments(segments: readonly string[]): MessageLinkTarget | null {
  if (segments.length !== 2) return null;
  const [conversationId, messageId] = segments;
  return isId(conversationId) && isHlc(messageId) ? { conversationId, messageId } : null;
}
