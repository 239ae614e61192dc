// A conversation's unread and mention counts for the list, from the counts of its pages
// (README.md, "The conversation list"): every page from the newest back to the newest one that
// holds my read marker counts; older pages do not (I read past them). Pure, unit tested.
import type * as Y from 'yjs';
import * as meta from '../../../core/src/model/meta';
import { unreadMentionCount } from '../../../core/src/model/mentions';
import type { PageCounts } from './records';

/** One loaded page's counts, or null when it holds neither a message nor my marker. */
export function countsOfPage(doc: Y.Doc, me: string, username: string): PageCounts | null {
  const marked = meta.readMarker(doc, me) !== null;
  const hasMessages = Object.keys(meta.deviceCounts(doc)).length > 0;
  if (!marked && !hasMessages) return null;
  const unread = meta.unreadCount(doc, me);
  const mentions = unread > 0 ? unreadMentionCount(doc, me, username) : 0;
  return { unread, mentions, marked };
}

/** A stored `pageCounts` value, keeping only well-formed entries (a record of any release). */
export function readPageCounts(x: unknown): Record<string, PageCounts> {
  const out: Record<string, PageCounts> = {};
  if (typeof x !== 'object' || x === null) return out;
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    if (!Number.isSafeInteger(Number(k)) || typeof v !== 'object' || v === null) continue;
    const e = v as Record<string, unknown>;
    const n = (y: unknown) => (typeof y === 'number' && Number.isFinite(y) && y >= 0 ? y : 0);
    out[k] = { unread: n(e.unread), mentions: n(e.mentions), marked: e.marked === true };
  }
  return out;
}

/**
 * The list's counts from the pages' counts, `newest` being the conversation's newest period:
 * the sum over the pages from `newest` back to the newest page with my marker (only `newest`
 * when no known page has one). `kept` is what is worth keeping: those pages (older ones never
 * count again, since a marker never moves backwards).
 */
export function sumCounts(
  pages: Record<string, PageCounts>,
  newest: number,
): { unread: number; mentions: number; kept: Record<string, PageCounts> } {
  const periods = Object.keys(pages)
    .map(Number)
    .filter((p) => p <= newest)
    .sort((a, b) => b - a);
  const floor = periods.find((p) => pages[p]?.marked) ?? newest;
  let unread = 0;
  let mentions = 0;
  const kept: Record<string, PageCounts> = {};
  for (const p of periods) {
    if (p < floor) break;
    const c = pages[p] as PageCounts;
    unread += c.unread;
    mentions += c.mentions;
    kept[p] = c;
  }
  return { unread, mentions, kept };
}
