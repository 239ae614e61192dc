// A conversation's meta document: what the conversation list and the pager need without
// opening any history page.
//
// Roots (every key names its one owner):
// - `info`: written once by the creator: v, title, createdBy, createdAt.
// - `pages`: `p<period>|<userId>|<node>` -> messages that author wrote on that page from
//   that device. The set of periods is the page index.
// - `last`: `<userId>|<node>` -> { id, text, at, count, deleted? }: the newest message that
//   author wrote from that device, and how many they wrote from it.
// - `reads`: `<userId>` -> { id, at, counts: { [author]: n } }: the newest message the
//   reader has seen and each author's total count at that moment.
// Counts are kept per device (the node of the message id) because one person writing from
// two devices while offline would otherwise overwrite one count with the other and lose
// messages from the unread count; each device key has exactly one writer.
import type * as Y from 'yjs';
import { parseHlc } from '../hlc';
import { SCHEMA_VERSION } from '../version';
import { ModelError, check, show } from './errors';
import { checkLabel, checkMessageId, checkText, checkTime, checkUser } from './checks';
import { periodOfMessage } from './rooms';

/** Length of the preview of a message kept in `last`. */
export const PREVIEW_CHARS = 200;

export interface ConversationInfo {
  v: number;
  title: string;
  createdBy: string;
  createdAt: number;
  /** Written by a newer Ferry. */
  readOnly: boolean;
}

export interface LastEntry {
  id: string;
  text: string;
  at: number;
  count: number;
  deleted?: boolean;
}

export interface ReadEntry {
  id: string | null;
  at: number;
  counts: Record<string, number>;
}

export interface LastMessage {
  id: string;
  author: string;
  text: string;
  at: number;
  deleted: boolean;
}

export function infoOf(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap<unknown>('info');
}
export function pagesOf(doc: Y.Doc): Y.Map<number> {
  return doc.getMap<number>('pages');
}
export function lastOf(doc: Y.Doc): Y.Map<LastEntry> {
  return doc.getMap<LastEntry>('last');
}
export function readsOf(doc: Y.Doc): Y.Map<ReadEntry> {
  return doc.getMap<ReadEntry>('reads');
}

/** Writes the conversation's info. Only once: throws `ModelError('exists')` the second time. */
export function initConversation(
  doc: Y.Doc,
  input: { title: string; createdBy: string; createdAt: number },
): ConversationInfo {
  const fn = 'initConversation';
  check(typeof input === 'object' && input !== null, `${fn}: expected the conversation's info`);
  checkLabel(input.title, 'title', fn);
  checkUser(input.createdBy, 'createdBy', fn);
  checkTime(input.createdAt, 'createdAt', fn);
  const info = infoOf(doc);
  if (info.size > 0) throw new ModelError('exists', `${fn}: the conversation already has its info`);
  doc.transact(() => {
    info.set('v', SCHEMA_VERSION);
    info.set('title', input.title);
    info.set('createdBy', input.createdBy);
    info.set('createdAt', input.createdAt);
  });
  return readInfo(doc) as ConversationInfo;
}

/** The conversation's info, or null until the creator's write has arrived. */
export function readInfo(doc: Y.Doc): ConversationInfo | null {
  const info = infoOf(doc);
  const title = info.get('title');
  const createdBy = info.get('createdBy');
  const createdAt = info.get('createdAt');
  if (typeof title !== 'string' || typeof createdBy !== 'string') return null;
  const rawV = info.get('v');
  const v = typeof rawV === 'number' && Number.isInteger(rawV) && rawV >= 1 ? rawV : 1;
  return {
    v,
    title,
    createdBy,
    createdAt: typeof createdAt === 'number' ? createdAt : 0,
    readOnly: v > SCHEMA_VERSION,
  };
}

/** A preview: the first PREVIEW_CHARS characters, never cutting a surrogate pair in half. */
export function preview(text: string): string {
  if (text.length <= PREVIEW_CHARS) return text;
  let end = PREVIEW_CHARS;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

function isLastEntry(x: unknown): x is LastEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  return (
    typeof e.id === 'string' &&
    typeof e.text === 'string' &&
    typeof e.at === 'number' &&
    typeof e.count === 'number' &&
    Number.isFinite(e.count)
  );
}

function splitOwnerKey(key: string): { user: string; node: string } | null {
  const bar = key.indexOf('|');
  if (bar < 0) return null;
  return { user: key.slice(0, bar), node: key.slice(bar + 1) };
}

/**
 * Records a message the author just wrote (call it in the same step as `addMessage` on the
 * page): counts it on its page and as the author's newest message. `period` must be the
 * message id's period. Recording the author's current newest id again is a no-op.
 */
export function recordMessage(
  doc: Y.Doc,
  input: { period: number; author: string; id: string; text: string; at: number },
): void {
  const fn = 'recordMessage';
  check(typeof input === 'object' && input !== null, `${fn}: expected a message`);
  const { period, author, id, text, at } = input;
  checkMessageId(id, 'id', fn);
  checkUser(author, 'author', fn);
  checkText(text, fn);
  checkTime(at, 'at', fn);
  check(
    period === periodOfMessage(id),
    `${fn}: message ${id} belongs on page ${periodOfMessage(id)}, not ${show(period)}`,
  );
  const node = parseHlc(id).node;
  const lastKey = `${author}|${node}`;
  const pageKey = `p${period}|${author}|${node}`;
  const last = lastOf(doc);
  const pages = pagesOf(doc);
  const prev = last.get(lastKey);
  const prevEntry = isLastEntry(prev) ? prev : null;
  if (prevEntry && prevEntry.id === id) return;
  const count = (prevEntry?.count ?? 0) + 1;
  doc.transact(() => {
    const onPage = pages.get(pageKey);
    pages.set(pageKey, (typeof onPage === 'number' ? onPage : 0) + 1);
    if (!prevEntry || id > prevEntry.id) {
      last.set(lastKey, { id, text: preview(text), at, count });
    } else {
      last.set(lastKey, { ...prevEntry, count });
    }
  });
}

/**
 * Keeps the preview true after the author edits or deletes a message (pass `text: ''` and
 * `deleted: true` for a deletion). Does nothing unless it is that device's newest message.
 */
export function updatePreview(
  doc: Y.Doc,
  input: { author: string; id: string; text: string; deleted?: boolean },
): void {
  const fn = 'updatePreview';
  checkMessageId(input.id, 'id', fn);
  checkUser(input.author, 'author', fn);
  if (!input.deleted) checkText(input.text, fn);
  const key = `${input.author}|${parseHlc(input.id).node}`;
  const last = lastOf(doc);
  const prev = last.get(key);
  if (!isLastEntry(prev) || prev.id !== input.id) return;
  const next: LastEntry = input.deleted
    ? { id: prev.id, text: '', at: prev.at, count: prev.count, deleted: true }
    : { id: prev.id, text: preview(input.text), at: prev.at, count: prev.count };
  doc.transact(() => last.set(key, next));
}

/** How many messages each author has written, over all their devices. */
export function authorCounts(doc: Y.Doc): Record<string, number> {
  const counts: Record<string, number> = {};
  lastOf(doc).forEach((entry, key) => {
    const owner = splitOwnerKey(key);
    if (!owner || !isLastEntry(entry)) return;
    counts[owner.user] = (counts[owner.user] ?? 0) + entry.count;
  });
  return counts;
}

/** The periods that have pages, newest first. */
export function listPeriods(doc: Y.Doc): number[] {
  const periods = new Set<number>();
  pagesOf(doc).forEach((count, key) => {
    const m = /^p(0|[1-9][0-9]*)\|/.exec(key);
    if (m && typeof count === 'number' && count > 0) periods.add(Number(m[1]));
  });
  return [...periods].sort((a, b) => b - a);
}

/** How many messages a page holds (0 if none): lets a reader know a page is worth opening. */
export function pageCount(doc: Y.Doc, period: number): number {
  let total = 0;
  const prefix = `p${period}|`;
  pagesOf(doc).forEach((count, key) => {
    if (key.startsWith(prefix) && typeof count === 'number') total += count;
  });
  return total;
}

/** The newest message of the conversation (by id), for the conversation list. */
export function lastMessage(doc: Y.Doc): LastMessage | null {
  let best: LastMessage | null = null;
  for (const [key, entry] of lastOf(doc).entries()) {
    const owner = splitOwnerKey(key);
    if (!owner || !isLastEntry(entry)) continue;
    if (best === null || entry.id > best.id) {
      best = {
        id: entry.id,
        author: owner.user,
        text: entry.text,
        at: entry.at,
        deleted: entry.deleted === true,
      };
    }
  }
  return best;
}

function readEntry(x: unknown): ReadEntry | null {
  if (typeof x !== 'object' || x === null) return null;
  const e = x as Record<string, unknown>;
  if (typeof e.at !== 'number' || typeof e.counts !== 'object' || e.counts === null) return null;
  const counts: Record<string, number> = {};
  for (const [k, n] of Object.entries(e.counts as Record<string, unknown>)) {
    if (typeof n === 'number' && Number.isFinite(n)) counts[k] = n;
  }
  return { id: typeof e.id === 'string' ? e.id : null, at: e.at, counts };
}

/** The user's read marker, or null if they never opened the conversation. */
export function readMarker(doc: Y.Doc, user: string): ReadEntry | null {
  return readEntry(readsOf(doc).get(user));
}

/**
 * Marks everything currently in the meta document as read by `user`. Never moves the
 * marker backwards (a merge may have brought a later marker from the user's other device).
 */
export function markRead(doc: Y.Doc, user: string, at: number): ReadEntry {
  const fn = 'markRead';
  checkUser(user, 'user', fn);
  checkTime(at, 'at', fn);
  const prev = readMarker(doc, user);
  const counts = authorCounts(doc);
  for (const [a, n] of Object.entries(prev?.counts ?? {})) {
    if ((counts[a] ?? 0) < n) counts[a] = n;
  }
  const newest = lastMessage(doc)?.id ?? null;
  const prevId = prev?.id ?? null;
  const id = prevId !== null && (newest === null || prevId > newest) ? prevId : newest;
  const next: ReadEntry = { id, at, counts };
  const same =
    prev !== null &&
    prev.id === id &&
    Object.keys(counts).length === Object.keys(prev.counts).length &&
    Object.entries(counts).every(([a, n]) => prev.counts[a] === n);
  if (!same) doc.transact(() => readsOf(doc).set(user, next));
  return same ? prev : next;
}

/** Messages by others that `user` has not read: Σ over other authors of written − seen. */
export function unreadCount(doc: Y.Doc, user: string): number {
  const counts = authorCounts(doc);
  const seen = readMarker(doc, user)?.counts ?? {};
  let unread = 0;
  for (const [author, n] of Object.entries(counts)) {
    if (author !== user) unread += Math.max(0, n - (seen[author] ?? 0));
  }
  return unread;
}

/** Users whose read marker has reached the message (for "read by" marks). */
export function readBy(doc: Y.Doc, messageId: string): string[] {
  const out: string[] = [];
  readsOf(doc).forEach((value, user) => {
    const e = readEntry(value);
    if (e?.id != null && e.id >= messageId) out.push(user);
  });
  return out.sort();
}
