// A conversation's meta document, and the conversation summary read from its pages.
//
// Roots of the meta document (every key names its one owner):
// - `info`: written once by the creator: v, title, createdBy, createdAt.
// - `pages`: `p<period>|<userId>|<node>` -> 1, written once, when that device first writes on
//   that page, and never rewritten. The set of periods is the page index.
// Nothing in it is rewritten per message, so its size follows the number of (page x device)
// pairs, not the number of messages (a rewritten Y.Map key leaves a tombstone for ever).
//
// What changes per message lives on the page the message is on (a page is loaded anyway to
// show its messages, and its tombstones are bounded by its own messages):
// - the last message and per-device counts are read from the page's `messages`;
// - `reads` (page): `<userId>` -> { id, at, counts: { '<userId>|<node>': n } }: the newest
//   message of that page the reader has seen and how many messages each other device had
//   written on it at that moment. Counts are kept per device (the node of the message id)
//   because one person writing from two devices while offline would otherwise overwrite one
//   count with the other; a marker never moves backwards (a merge with the reader's other
//   device cannot make old messages unread).
// - `pins` (schema 2): `<messageId>|<userId>` -> time pinned, owned by the user in the key
//   (see "pins" at the end).
import * as Y from 'yjs';
import { isHlc, parseHlc } from '../hlc';
import { isId } from '../ids';
import { BASE_VERSION, SCHEMA_VERSION } from '../version';
import { filesSummary } from './files';
import { ModelError, check, show } from './errors';
import { checkLabel, checkMessageId, checkText, checkTime, checkUser } from './checks';
import { periodOfMessage } from './rooms';
import { messagesOf, preview, readMessage } from './page';

export interface ConversationInfo {
  v: number;
  title: string;
  createdBy: string;
  createdAt: number;
  /** Written by a newer Ferry. */
  readOnly: boolean;
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
/** The page's read markers (a root of the page document). */
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
    // The lowest version that fits (docs/messaging.md): info has no version-2 field, so a
    // Ferry 1 app still treats the conversation as its own.
    info.set('v', BASE_VERSION);
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

/**
 * Records a message the author just wrote in the page index (call it in the same step as
 * `addMessage` on the page). `period` must be the message id's period. Writes the entry
 * `p<period>|<author>|<node>` only the first time that device writes on that page; after
 * that it validates and writes nothing, so the meta document does not grow per message.
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
  const pages = pagesOf(doc);
  const pageKey = `p${period}|${author}|${parseHlc(id).node}`;
  if (pages.has(pageKey)) return;
  doc.transact(() => pages.set(pageKey, 1));
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

/** `<userId>|<node>` -> messages that device wrote on the page (deleted ones included). */
export function deviceCounts(page: Y.Doc): Record<string, number> {
  const counts: Record<string, number> = {};
  messagesOf(page).forEach((m, id) => {
    const author = m instanceof Y.Map ? m.get('author') : undefined;
    if (typeof author !== 'string' || !isHlc(id)) return;
    const key = `${author}|${id.slice(id.lastIndexOf('-') + 1)}`;
    counts[key] = (counts[key] ?? 0) + 1;
  });
  return counts;
}

/** How many messages each author wrote on the page, over all their devices. */
export function authorCounts(page: Y.Doc): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [key, n] of Object.entries(deviceCounts(page))) {
    const user = key.slice(0, key.indexOf('|'));
    counts[user] = (counts[user] ?? 0) + n;
  }
  return counts;
}

/**
 * The newest message (by id) on a page, for the conversation list: pass the newest page of
 * the index. Its text is a preview, empty once deleted.
 */
export function lastMessage(page: Y.Doc): LastMessage | null {
  const messages = messagesOf(page);
  let newest: string | null = null;
  for (const id of messages.keys()) if (newest === null || id > newest) newest = id;
  // The newest entry that reads as a message (a malformed one from a peer is skipped).
  const ids = newest === null || readMessage(newest, messages.get(newest)) ? [newest] : null;
  for (const id of ids ?? [...messages.keys()].sort().reverse()) {
    const m = id === null ? null : readMessage(id, messages.get(id));
    if (m) {
      return {
        id: m.id,
        author: m.author,
        text: preview(m.text || m.forward?.text || filesSummary(m.files)),
        at: m.createdAt,
        deleted: m.deleted,
      };
    }
  }
  return null;
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

/** The user's read marker on a page, or null if they never read it. */
export function readMarker(page: Y.Doc, user: string): ReadEntry | null {
  return readEntry(readsOf(page).get(user));
}

/**
 * Marks every message currently on the page as read by `user` (one write, on the page, and
 * only when something new by another device arrived since the last marker). Never moves the
 * marker backwards (a merge may have brought a later marker from the user's other device).
 * Returns the marker, or null when the page holds nothing the user could read.
 */
export function markRead(page: Y.Doc, user: string, at: number): ReadEntry | null {
  const fn = 'markRead';
  checkUser(user, 'user', fn);
  checkTime(at, 'at', fn);
  const prev = readMarker(page, user);
  const counts: Record<string, number> = {};
  for (const [k, n] of Object.entries(deviceCounts(page))) {
    if (!k.startsWith(`${user}|`)) counts[k] = n;
  }
  for (const [k, n] of Object.entries(prev?.counts ?? {})) {
    if ((counts[k] ?? 0) < n) counts[k] = n;
  }
  let newest: string | null = null;
  for (const k of messagesOf(page).keys()) if (newest === null || k > newest) newest = k;
  const prevId = prev?.id ?? null;
  const id = prevId !== null && (newest === null || prevId > newest) ? prevId : newest;
  if (prev === null && Object.keys(counts).length === 0) return null;
  const same =
    prev !== null &&
    Object.keys(counts).length === Object.keys(prev.counts).length &&
    Object.entries(counts).every(([k, n]) => prev.counts[k] === n);
  if (same) return prev;
  const next: ReadEntry = { id, at, counts };
  page.transact(() => readsOf(page).set(user, next));
  return next;
}

/** Messages by others on the page that `user` has not read: Σ over devices of written − seen. */
export function unreadCount(page: Y.Doc, user: string): number {
  const seen = readMarker(page, user)?.counts ?? {};
  let unread = 0;
  for (const [k, n] of Object.entries(deviceCounts(page))) {
    if (!k.startsWith(`${user}|`)) unread += Math.max(0, n - (seen[k] ?? 0));
  }
  return unread;
}

/** Users whose read marker on the message's page has reached it (for "read by" marks). */
export function readBy(page: Y.Doc, messageId: string): string[] {
  const out: string[] = [];
  readsOf(page).forEach((value, user) => {
    const e = readEntry(value);
    if (e?.id != null && e.id >= messageId) out.push(user);
  });
  return out.sort();
}

// ---- pins (schema 2; docs/messaging.md, "Pins") ----
//
// `pins` (meta): `<messageId>|<userId>` -> time pinned (ms). The user in the key owns the
// entry; a message is pinned while at least one entry names it. Pins are few and the meta
// document is always synced, so the pinned list is there offline.

export interface PinEntry {
  messageId: string;
  /** Who pinned it, earliest first. */
  by: string[];
  /** When it was last pinned (ms). */
  at: number;
}

export function pinsOf(doc: Y.Doc): Y.Map<number> {
  return doc.getMap<number>('pins');
}

export function pinKey(messageId: string, user: string): string {
  return `${messageId}|${user}`;
}

/** The parts of a `pins` key, or null when it is not `<messageId>|<userId>`. */
export function parsePinKey(key: string): { messageId: string; user: string } | null {
  const bar = key.indexOf('|');
  if (bar < 0 || key.indexOf('|', bar + 1) >= 0) return null;
  const messageId = key.slice(0, bar);
  const user = key.slice(bar + 1);
  return isHlc(messageId) && isId(user) ? { messageId, user } : null;
}

/**
 * Pins `message` for `user` (writes the user's own entry). Idempotent: pinning twice keeps
 * the first time. Whether the message exists is the caller's to know (it lives on a page).
 */
export function pin(doc: Y.Doc, input: { message: string; user: string; at: number }): void {
  const fn = 'pin';
  check(typeof input === 'object' && input !== null, `${fn}: expected { message, user, at }`);
  checkMessageId(input.message, 'message', fn);
  checkUser(input.user, 'user', fn);
  checkTime(input.at, 'at', fn);
  const pins = pinsOf(doc);
  const key = pinKey(input.message, input.user);
  if (!pins.has(key)) doc.transact(() => pins.set(key, input.at));
}

/** Removes `user`'s own pin of `message`, if any. Returns whether there was one. */
export function unpin(doc: Y.Doc, input: { message: string; user: string }): boolean {
  const fn = 'unpin';
  check(typeof input === 'object' && input !== null, `${fn}: expected { message, user }`);
  checkMessageId(input.message, 'message', fn);
  checkUser(input.user, 'user', fn);
  const pins = pinsOf(doc);
  const key = pinKey(input.message, input.user);
  if (!pins.has(key)) return false;
  doc.transact(() => pins.delete(key));
  return true;
}

/**
 * Removes every pin of `message`, whoever wrote it: a moderator's or owner's unpin (check
 * `can(actor, 'unpin-others', conv)` first; the relay refuses it from anyone else as
 * `unpin`). Returns the users whose pins it removed.
 */
export function unpinAll(doc: Y.Doc, message: string): string[] {
  checkMessageId(message, 'message', 'unpinAll');
  const pins = pinsOf(doc);
  const keys: string[] = [];
  const users: string[] = [];
  for (const key of pins.keys()) {
    const k = parsePinKey(key);
    if (k?.messageId === message) {
      keys.push(key);
      users.push(k.user);
    }
  }
  if (keys.length > 0) doc.transact(() => keys.forEach((key) => pins.delete(key)));
  return users.sort();
}

/** Pinned messages, the most recently pinned first (malformed entries from a peer skipped). */
export function listPins(doc: Y.Doc): PinEntry[] {
  const grouped = new Map<string, Array<[string, number]>>();
  pinsOf(doc).forEach((at, key) => {
    const k = parsePinKey(key);
    if (!k || typeof at !== 'number' || !Number.isFinite(at)) return;
    let users = grouped.get(k.messageId);
    if (!users) grouped.set(k.messageId, (users = []));
    users.push([k.user, at]);
  });
  const out: PinEntry[] = [];
  for (const [messageId, users] of grouped) {
    users.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out.push({ messageId, by: users.map(([u]) => u), at: Math.max(...users.map(([, t]) => t)) });
  }
  return out.sort((a, b) => b.at - a.at || (a.messageId < b.messageId ? 1 : -1));
}
