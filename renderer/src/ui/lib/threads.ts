// Threads and quotes in the UI: the words of a thread summary and of a quoted message. Pure,
// so they are tested on their own (renderer/test/ui/threads.test.ts).
import type { MessageLookup, ThreadSummary } from '../../data/api';
import { previewText } from './preview';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min ago", "3 h ago", "yesterday", "4 days ago", then a date. */
export function agoText(at: number, now: number, locale?: string): string {
  const diff = Math.max(0, now - at);
  if (diff < MINUTE) return 'just now';
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)} min ago`;
  if (diff < DAY) return `${Math.floor(diff / HOUR)} h ago`;
  if (diff < 2 * DAY) return 'yesterday';
  if (diff < 7 * DAY) return `${Math.floor(diff / DAY)} days ago`;
  return `on ${new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' }).format(at)}`;
}

/** "1 reply · last reply 5 min ago", the way a root's row says it. */
export function threadLine(t: ThreadSummary, now: number): string {
  const n = `${t.count} ${t.count === 1 ? 'reply' : 'replies'}`;
  return `${n} · last reply ${agoText(t.lastReplyAt, now)}`;
}

/** The words for a looked-up message that cannot be shown as it is now. */
export interface LookupWords {
  loading: string;
  /** Online, and the page synced without it. */
  notFound: string;
  deleted: string;
}

/**
 * What a looked-up message (a quote, a pinned message) shows for each lookup state: its
 * author and plain text when found, else the words saying why (`online`: this device reaches
 * the relay; offline, a missing message is "not available offline").
 */
export function lookupShown(
  l: MessageLookup,
  online: boolean,
  words: LookupWords,
): { state: 'loading' | 'missing' | 'deleted' | 'found'; author: string | null; text: string } {
  if (l.state === 'loading') return { state: 'loading', author: null, text: words.loading };
  if (l.state === 'missing') {
    return {
      state: 'missing',
      author: null,
      text: online ? words.notFound : 'Message not available offline',
    };
  }
  const m = l.message;
  if (m.deleted) return { state: 'deleted', author: m.authorName, text: words.deleted };
  return { state: 'found', author: m.authorName, text: previewText(m.text) };
}

const QUOTE_WORDS: LookupWords = {
  loading: 'Loading the quoted message…',
  notFound: 'Original message not found',
  deleted: 'Original message deleted',
};

/** What a quoted block shows for each lookup state (`online`: this device reaches the relay). */
export function quoteText(
  l: MessageLookup,
  online: boolean,
): { state: 'loading' | 'missing' | 'deleted' | 'found'; author: string | null; text: string } {
  return lookupShown(l, online, QUOTE_WORDS);
}
