// A history page: the messages written in one period and their reactions.
//
// Roots of a page document:
// - `messages`: Y.Map<messageId, Y.Map>. The inner map is the author's message (see Message).
// - `reactions`: Y.Map<`<messageId>|<emoji>|<userId>`, number>: the time the user reacted.
// - `reads`: `<userId>` -> the user's read marker on this page (see meta.ts, `markRead`).
// Every inner map and every reaction key is created, changed and removed only by its owner.
import * as Y from 'yjs';
import { isId } from '../ids';
import { isHlc } from '../hlc';
import { BASE_VERSION, SCHEMA_VERSION } from '../version';
import { ModelError, check } from './errors';
import { checkEmoji, checkMessageId, checkText, checkTime, checkUser } from './checks';
import { FORWARD_VERSION, checkForward, readForward, type ForwardRef } from './forward';
import { FILES_VERSION, checkFiles, readFiles, type FileRef } from './files';

export interface NewMessage {
  /** A clock id from `tick()`; it decides where the message sorts and which page it is on. */
  id: string;
  author: string;
  text: string;
  createdAt: number;
  /** The root of the thread this message replies in (never itself a reply). */
  parent?: string;
  /** A message of the same conversation this one quotes (schema 2). */
  quote?: string;
  /** A thread reply also shown in the channel's main timeline (schema 3; only with `parent`). */
  broadcast?: boolean;
  /** Written while the author's device had no connection. */
  offline?: boolean;
  /** A forward (schema 3): the origin it quotes; `text` is then the comment, '' for none. */
  forward?: ForwardRef;
  /** Attached files (schema 4): references, never bytes; `text` is then the caption, '' for none. */
  files?: FileRef[];
}

/** A message as readers see it, whatever schema version wrote it. */
export interface Message {
  /** Schema version it was written with. */
  v: number;
  id: string;
  author: string;
  /** Empty once deleted. */
  text: string;
  createdAt: number;
  /** Thread root it replies to; null for a top-level message. */
  parent: string | null;
  /** The message it quotes (shown as it is now, never copied); null when none. */
  quote: string | null;
  /** A thread reply its author also sent to the channel (schema 3): shown in the main timeline. */
  broadcast: boolean;
  /** A forward's origin (schema 3; `text` is the forwarder's comment); null when none or deleted. */
  forward: ForwardRef | null;
  /** Attached files (schema 4); empty when none or deleted. */
  files: FileRef[];
  offline: boolean;
  editedAt: number | null;
  deleted: boolean;
  deletedAt: number | null;
  /** Who deleted it when that was a moderator, not the author (null otherwise). */
  deletedBy: string | null;
  /** Written by a newer Ferry: show it, but do not edit it (ask the user to update). */
  readOnly: boolean;
}

export interface Reaction {
  emoji: string;
  /** Who reacted, earliest first. */
  users: string[];
  /** When the first of them reacted. */
  at: number;
}

/** A Yjs item id: the writing client and its clock. */
export interface ItemId {
  client: number;
  clock: number;
}

type MessageMap = Y.Map<unknown>;

/** Length of the preview of a message shown in the conversation list. */
export const PREVIEW_CHARS = 200;

/** A preview: the first PREVIEW_CHARS characters, never cutting a surrogate pair in half. */
export function preview(text: string): string {
  if (text.length <= PREVIEW_CHARS) return text;
  let end = PREVIEW_CHARS;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return text.slice(0, end);
}

export function messagesOf(doc: Y.Doc): Y.Map<MessageMap> {
  return doc.getMap<MessageMap>('messages');
}

export function reactionsOf(doc: Y.Doc): Y.Map<number> {
  return doc.getMap<number>('reactions');
}

/** Reads one stored message, upgrading older shapes. Null if the entry is not a message at all. */
export function readMessage(key: string, value: unknown): Message | null {
  if (!(value instanceof Y.Map)) return null;
  const m = value as MessageMap;
  const author = m.get('author');
  if (typeof author !== 'string') return null;
  const rawV = m.get('v');
  // Entries without a version predate versioning: they are version 1's shape.
  const v = typeof rawV === 'number' && Number.isInteger(rawV) && rawV >= 1 ? rawV : 1;
  const num = (k: string): number | null => {
    const x = m.get(k);
    return typeof x === 'number' && Number.isFinite(x) ? x : null;
  };
  const deleted = m.get('deleted') === true;
  const text = m.get('text');
  const parent = m.get('parent');
  const quote = m.get('quote');
  return {
    v,
    id: key,
    author,
    // An edit concurrent with the deletion may leave text behind: deleted always wins.
    text: deleted || typeof text !== 'string' ? '' : text,
    createdAt: num('createdAt') ?? 0,
    parent: typeof parent === 'string' ? parent : null,
    quote: typeof quote === 'string' && v >= 2 ? quote : null,
    broadcast: m.get('broadcast') === true && typeof parent === 'string' && v >= 3,
    forward:
      deleted || v < FORWARD_VERSION
        ? null
        : readForward(m.get('forward'), typeof text === 'string' ? text : ''),
    files: deleted || v < FILES_VERSION ? [] : readFiles(m.get('files')),
    offline: m.get('offline') === true,
    editedAt: num('editedAt'),
    deleted,
    deletedAt: deleted ? num('deletedAt') : null,
    deletedBy: deleted && isId(m.get('deletedBy')) ? (m.get('deletedBy') as string) : null,
    readOnly: v > SCHEMA_VERSION,
  };
}

/**
 * The version a message needs: 4 with files, 3 for a forward or a reply also sent to the
 * channel, 2 when it quotes, else the first (the lowest that fits).
 */
export function messageVersion(input: {
  quote?: string | undefined;
  broadcast?: boolean | undefined;
  forward?: ForwardRef | undefined;
  files?: readonly FileRef[] | undefined;
}): number {
  if (input.files !== undefined && input.files.length > 0) return FILES_VERSION;
  if (input.broadcast === true) return 3;
  if (input.forward !== undefined) return FORWARD_VERSION;
  return input.quote !== undefined ? 2 : BASE_VERSION;
}

/**
 * Writes a new message. Throws `ModelError` (`invalid`, `exists`) and writes nothing on bad input.
 * A reply's `parent` is a thread root: when the parent is on this page and is itself a reply,
 * it is refused (a reader treats a reply to a reply on another page as a reply to its root).
 */
export function addMessage(doc: Y.Doc, input: NewMessage): Message {
  const fn = 'addMessage';
  check(typeof input === 'object' && input !== null, `${fn}: expected a message`);
  const { id, author, text, createdAt, parent, quote, broadcast, offline } = input;
  checkMessageId(id, 'id', fn);
  checkUser(author, 'author', fn);
  // A forward's comment and a caption of files may be empty; the forwarded text counts toward
  // the limit with the comment.
  const files = input.files === undefined ? undefined : checkFiles(input.files, fn);
  if ((input.forward === undefined && files === undefined) || text !== '') checkText(text, fn);
  const forward = input.forward === undefined ? undefined : checkForward(input.forward, text, fn);
  checkTime(createdAt, 'createdAt', fn);
  if (parent !== undefined) {
    checkMessageId(parent, 'parent', fn);
    check(parent !== id, `${fn}: a message cannot reply to itself`);
    const root = getMessage(doc, parent);
    check(
      root === undefined || root.parent === null,
      `${fn}: ${parent} is a reply; reply to its thread's root ${root?.parent ?? ''}`,
    );
  }
  if (quote !== undefined) {
    checkMessageId(quote, 'quote', fn);
    check(quote !== id, `${fn}: a message cannot quote itself`);
  }
  check(
    broadcast === undefined || typeof broadcast === 'boolean',
    `${fn}: broadcast must be a boolean`,
  );
  check(
    broadcast !== true || parent !== undefined,
    `${fn}: only a thread reply can also be sent to the channel`,
  );
  check(offline === undefined || typeof offline === 'boolean', `${fn}: offline must be a boolean`);
  const messages = messagesOf(doc);
  if (messages.has(id)) throw new ModelError('exists', `${fn}: message ${id} already exists`);
  const entries: [string, unknown][] = [
    ['v', messageVersion({ quote, broadcast, forward, files })],
    ['id', id],
    ['author', author],
    ['text', text],
    ['createdAt', createdAt],
  ];
  if (parent !== undefined) entries.push(['parent', parent]);
  if (quote !== undefined) entries.push(['quote', quote]);
  if (broadcast === true) entries.push(['broadcast', true]);
  if (offline) entries.push(['offline', true]);
  if (forward !== undefined) entries.push(['forward', forward]);
  if (files !== undefined) entries.push(['files', files]);
  doc.transact(() => {
    messages.set(id, new Y.Map<unknown>(entries));
  });
  return getMessage(doc, id) as Message;
}

export function getMessage(doc: Y.Doc, id: string): Message | undefined {
  return readMessage(id, messagesOf(doc).get(id)) ?? undefined;
}

/** Every message on the page, ascending by id: the same order on every replica. */
export function listMessages(doc: Y.Doc): Message[] {
  const out: Message[] = [];
  messagesOf(doc).forEach((value, key) => {
    const m = readMessage(key, value);
    if (m) out.push(m);
  });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The message `by` may change: it exists, is theirs (or `anyAuthor`: a moderator's deletion),
 * and this build knows its schema.
 */
function ownMessage(
  doc: Y.Doc,
  id: string,
  by: string,
  fn: string,
  anyAuthor = false,
): [Message, MessageMap] {
  checkMessageId(id, 'id', fn);
  checkUser(by, 'user', fn);
  const map = messagesOf(doc).get(id);
  const m = readMessage(id, map);
  if (!m || !map) throw new ModelError('not-found', `${fn}: no message ${id} on this page`);
  if (m.author !== by && !anyAuthor) {
    throw new ModelError('forbidden', `${fn}: only its author may change message ${id}`);
  }
  if (m.readOnly) {
    throw new ModelError(
      'read-only',
      `${fn}: message ${id} was written by a newer Ferry (schema ${m.v}); update to change it`,
    );
  }
  return [m, map];
}

/** Replaces the text of the author's own message. */
export function editMessage(doc: Y.Doc, id: string, by: string, text: string, at: number): Message {
  const fn = 'editMessage';
  checkText(text, fn);
  checkTime(at, 'at', fn);
  const [m, map] = ownMessage(doc, id, by, fn);
  check(!m.deleted, `${fn}: message ${id} was deleted`);
  if (m.forward) checkForward(m.forward, text, fn);
  doc.transact(() => {
    map.set('text', text);
    map.set('editedAt', at);
  });
  return getMessage(doc, id) as Message;
}

/** Fields a deletion writes; a moderator's deletion of another's message writes exactly these. */
export const TOMBSTONE_FIELDS = [
  'deleted',
  'deletedAt',
  'text',
  'deletedBy',
  'forward',
  'files',
] as const;

export interface DeleteOptions {
  /**
   * `by` deletes as a moderator or owner of the conversation: allowed on anyone's message,
   * and recorded as `deletedBy` when it is not `by`'s own. Check `can(actor,
   * 'delete-others', conv)` first; the relay refuses it from a plain member.
   */
  moderator?: boolean;
}

/**
 * Deletes a message: a tombstone keeps the row (so replies and order stay) and clears the
 * text. Only its author may, unless `options.moderator`: then the tombstone records
 * `deletedBy` and nothing else of the message changes. Deleting twice is a no-op.
 */
export function deleteMessage(
  doc: Y.Doc,
  id: string,
  by: string,
  at: number,
  options: DeleteOptions = {},
): Message {
  const fn = 'deleteMessage';
  checkTime(at, 'at', fn);
  const moderator = options.moderator === true;
  const [m, map] = ownMessage(doc, id, by, fn, moderator);
  if (m.deleted) return m;
  doc.transact(() => {
    map.set('deleted', true);
    map.set('deletedAt', at);
    map.set('text', '');
    // A forward's copied text goes with the deletion (the field is cleared, never removed).
    if (map.has('forward') && map.get('forward') !== null) map.set('forward', null);
    // So do a message's files: the relay drops its references and, later, the unused bytes.
    if (map.has('files') && map.get('files') !== null) map.set('files', null);
    if (m.author !== by) map.set('deletedBy', by);
  });
  return getMessage(doc, id) as Message;
}

export interface ThreadSummary {
  /** Replies that are not deleted. */
  count: number;
  /** When the newest of them was written (ms); null when there are none. */
  lastAt: number | null;
  /** Who wrote them: distinct, most recent first, at most three. */
  repliers: string[];
}

/** What thread summaries read of a message. */
export type ThreadMessage = Pick<Message, 'id' | 'author' | 'parent' | 'deleted' | 'createdAt'>;

/** The thread root a message belongs to: itself, or its parent's root (reply to a reply). */
export function rootOf(msg: ThreadMessage, byId: ReadonlyMap<string, ThreadMessage>): string {
  let cur = msg;
  // One level is the rule; a reply to a reply (written on another page) counts for the root.
  for (let hops = 0; cur.parent !== null && hops < 8; hops++) {
    const up = byId.get(cur.parent);
    if (!up) return cur.parent;
    cur = up;
  }
  return cur.id;
}

/**
 * Per thread root, its summary: from pages (documents) or from messages already read. Only the
 * replies given count, so pass every page from the oldest root's period onwards.
 */
export function threadSummaries(
  source: Iterable<Y.Doc | ThreadMessage>,
): Map<string, ThreadSummary> {
  const all: ThreadMessage[] = [];
  for (const x of source) {
    if (x instanceof Y.Doc) all.push(...listMessages(x));
    else all.push(x);
  }
  all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const byId = new Map(all.map((m) => [m.id, m]));
  const out = new Map<string, ThreadSummary>();
  const latest = new Map<string, ThreadMessage[]>();
  for (const m of all) {
    if (m.parent === null || m.deleted) continue;
    const root = rootOf(m, byId);
    let s = out.get(root);
    if (!s) out.set(root, (s = { count: 0, lastAt: null, repliers: [] }));
    s.count++;
    s.lastAt = Math.max(s.lastAt ?? m.createdAt, m.createdAt);
    let list = latest.get(root);
    if (!list) latest.set(root, (list = []));
    list.push(m);
  }
  for (const [root, list] of latest) {
    const s = out.get(root) as ThreadSummary;
    for (let i = list.length - 1; i >= 0 && s.repliers.length < 3; i--) {
      const a = (list[i] as ThreadMessage).author;
      if (!s.repliers.includes(a)) s.repliers.push(a);
    }
  }
  return out;
}

/**
 * A reply's thread as this page shows it: its root, and whether `user` (not its author) started
 * that thread or replied in it before this message. Null for a top-level or unknown message. A
 * root or earlier replies on an older page are not seen (a deliberate bound: the newest page).
 */
export function replyContext(
  doc: Y.Doc,
  messageId: string,
  user: string,
): { root: string; involves: boolean } | null {
  const m = getMessage(doc, messageId);
  if (!m || m.parent === null) return null;
  const all = listMessages(doc);
  const byId = new Map<string, ThreadMessage>(all.map((x) => [x.id, x]));
  const root = rootOf(m, byId);
  if (m.author === user) return { root, involves: false };
  let involves = byId.get(root)?.author === user;
  for (const x of all) {
    if (involves || x.id >= messageId) break;
    if (x.parent !== null && x.author === user && !x.deleted && rootOf(x, byId) === root) {
      involves = true;
    }
  }
  return { root, involves };
}

/**
 * Whether `user` started the thread of `rootId` or replied in it (a reply not deleted), as this
 * page shows it: for a root on an older page than the reply `replyContext` judged (the app reads
 * the root's page when this device has it).
 */
export function threadInvolves(doc: Y.Doc, rootId: string, user: string): boolean {
  const all = listMessages(doc);
  const byId = new Map<string, ThreadMessage>(all.map((x) => [x.id, x]));
  if (byId.get(rootId)?.author === user) return true;
  return all.some(
    (x) => x.parent !== null && x.author === user && !x.deleted && rootOf(x, byId) === rootId,
  );
}

export function reactionKey(messageId: string, emoji: string, user: string): string {
  return `${messageId}|${emoji}|${user}`;
}

/** Splits a reaction key; null if it is not one. */
export function parseReactionKey(
  key: string,
): { messageId: string; emoji: string; user: string } | null {
  const first = key.indexOf('|');
  const lastBar = key.lastIndexOf('|');
  if (first < 0 || lastBar <= first) return null;
  const messageId = key.slice(0, first);
  const emoji = key.slice(first + 1, lastBar);
  const user = key.slice(lastBar + 1);
  if (!isHlc(messageId) || !isId(user) || emoji.length === 0 || emoji.includes('|')) return null;
  return { messageId, emoji, user };
}

/**
 * Adds (`on`) or removes the user's reaction. Idempotent: reacting twice keeps the first time.
 * Adding needs a live message on this page; removing works even after the message was deleted.
 */
export function react(
  doc: Y.Doc,
  messageId: string,
  emoji: string,
  user: string,
  on: boolean,
  at: number,
): void {
  const fn = 'react';
  checkMessageId(messageId, 'messageId', fn);
  checkEmoji(emoji, fn);
  checkUser(user, 'user', fn);
  check(typeof on === 'boolean', `${fn}: on must be a boolean`);
  checkTime(at, 'at', fn);
  const reactions = reactionsOf(doc);
  const key = reactionKey(messageId, emoji, user);
  if (on) {
    const m = getMessage(doc, messageId);
    if (!m) throw new ModelError('not-found', `${fn}: no message ${messageId} on this page`);
    check(!m.deleted, `${fn}: message ${messageId} was deleted`);
    if (!reactions.has(key)) doc.transact(() => reactions.set(key, at));
  } else if (reactions.has(key)) {
    doc.transact(() => reactions.delete(key));
  }
}

function byTime(a: [string, number], b: [string, number]): number {
  return a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** Reactions to one message, grouped by emoji, in the order they were first used. */
export function listReactions(doc: Y.Doc, messageId: string): Reaction[] {
  return listAllReactions(doc).get(messageId) ?? [];
}

/** Reactions to every message on the page (one pass over the page's reactions). */
export function listAllReactions(doc: Y.Doc): Map<string, Reaction[]> {
  const grouped = new Map<string, Map<string, [string, number][]>>();
  reactionsOf(doc).forEach((at, key) => {
    const k = parseReactionKey(key);
    if (!k || typeof at !== 'number' || !Number.isFinite(at)) return;
    let perMessage = grouped.get(k.messageId);
    if (!perMessage) grouped.set(k.messageId, (perMessage = new Map()));
    let users = perMessage.get(k.emoji);
    if (!users) perMessage.set(k.emoji, (users = []));
    users.push([k.user, at]);
  });
  const out = new Map<string, Reaction[]>();
  for (const [messageId, perMessage] of grouped) {
    const list: [Reaction, string][] = [];
    for (const [emoji, users] of perMessage) {
      users.sort(byTime);
      list.push([
        { emoji, users: users.map((u) => u[0]), at: (users[0] as [string, number])[1] },
        emoji,
      ]);
    }
    list.sort((a, b) => a[0].at - b[0].at || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    out.set(
      messageId,
      list.map((x) => x[0]),
    );
  }
  return out;
}

/**
 * The Yjs item ids that make up the message as it is now: its map, and the current value of
 * each of its fields (an edit or a delete writes new ones). A peer has stored the message as it
 * is now when its state vector covers every one: an edit made offline is pending again until
 * the relay has it, even though the message itself was stored long ago.
 */
export function messageItemIds(doc: Y.Doc, id: string): ItemId[] {
  const map = messagesOf(doc).get(id);
  const item = map instanceof Y.Map ? map._item : null;
  if (!(map instanceof Y.Map) || !item) {
    throw new ModelError('not-found', `messageItemIds: no message ${id} on this page`);
  }
  const ids: ItemId[] = [{ client: item.id.client, clock: item.id.clock }];
  for (const field of map._map.values())
    ids.push({ client: field.id.client, clock: field.id.clock });
  return ids;
}

/**
 * True when a state vector (decoded `Map<client, clock>` or encoded, as in sync step 1)
 * covers the item: the peer that sent it has stored the item.
 */
export function isStored(stateVector: Map<number, number> | Uint8Array, itemId: ItemId): boolean {
  const sv = stateVector instanceof Uint8Array ? Y.decodeStateVector(stateVector) : stateVector;
  return (sv.get(itemId.client) ?? 0) > itemId.clock;
}
