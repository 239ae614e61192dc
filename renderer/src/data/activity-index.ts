// The Activity and Threads views' logic (README.md, "Activity and threads"): pure functions, no
// IndexedDB, no sockets. A page document is reduced to a small digest (what concerns me on it),
// digests are kept per page room, and the views are computed from the digests. Bounded: a
// digest keeps at most MAX_DIGEST_MESSAGES messages, the index at most MAX_DIGESTS pages, the
// views at most MAX_ITEMS items and MAX_THREADS threads.
import type * as Y from 'yjs';
import * as page from '../../../core/src/model/page';
import { readMarker } from '../../../core/src/model/meta';
import { mentionsIn } from '../../../core/src/model/mentions';

export const MAX_DIGEST_MESSAGES = 300;
export const MAX_DIGEST_REACTIONS = 300;
export const MAX_DIGESTS = 400;
export const MAX_ITEMS = 200;
export const MAX_THREADS = 100;
export const EXCERPT_CHARS = 140;

/** One message of a digest: a reply, a message mentioning me, one of mine, or a reply's root. */
export interface DigestMessage {
  id: string;
  author: string;
  at: number;
  text: string;
  parent: string | null;
  mentionsMe: boolean;
}

/** Someone else's reaction to one of my messages. */
export interface DigestReaction {
  messageId: string;
  emoji: string;
  user: string;
  at: number;
}

/** What concerns me on one page document. */
export interface PageDigest {
  convId: string;
  period: number;
  /** My read marker on the page: messages up to it are read. */
  marker: { id: string | null; at: number } | null;
  messages: DigestMessage[];
  reactions: DigestReaction[];
}

/** What is kept (in the store's `meta`, key `activity`): this device's, never synced. */
export interface ActivityState {
  /** When this device started keeping the index: older reactions are not "new". */
  since: number;
  /** Per page room. */
  digests: Record<string, PageDigest>;
  /** Keys of items and replies opened or marked read here. */
  read: string[];
  /** `<convId>|<rootId>` of threads followed / unfollowed by hand. */
  follow: string[];
  unfollow: string[];
}

export type ActivityKind = 'mention' | 'reply' | 'reaction';

export interface ActivityEntry {
  key: string;
  kind: ActivityKind;
  conversationId: string;
  /** The message to open: the mention, the reply, or my message that got the reaction. */
  messageId: string;
  /** Its thread's root when it is a reply (open the thread panel), else null. */
  rootId: string | null;
  /** Who mentioned, replied or reacted. */
  actorId: string;
  emoji: string | null;
  /** The message's text (a reaction: my message's), cut to EXCERPT_CHARS. */
  text: string;
  at: number;
  unread: boolean;
}

export type FollowReason = 'started' | 'replied' | 'mentioned' | 'followed';

export interface ThreadEntry {
  conversationId: string;
  rootId: string;
  /** Null when the root's page is not on this device. */
  rootAuthorId: string | null;
  rootText: string | null;
  reason: FollowReason;
  /** Replies seen on this device (not deleted). */
  replies: number;
  /** Replies by others not read yet. */
  unread: number;
  lastReplyAt: number;
  lastReplyAuthorId: string;
  lastReplyText: string;
}

export interface ActivityResult {
  items: ActivityEntry[];
  threads: ThreadEntry[];
  /** Unread items (the sidebar's count). */
  unread: number;
  /** Unread replies over the followed threads. */
  threadsUnread: number;
  /** `<convId>|<rootId>` of every thread I follow (with or without replies yet). */
  following: Set<string>;
}

export function emptyState(now: number): ActivityState {
  return { since: now, digests: {}, read: [], follow: [], unfollow: [] };
}

function cut(text: string): string {
  const one = text.replace(/\s+/g, ' ').trim();
  if (one.length <= EXCERPT_CHARS) return one;
  let end = EXCERPT_CHARS - 1;
  const c = one.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end -= 1;
  return one.slice(0, end) + '…';
}

/** Reduces a page document to what concerns `me` (username for mentions). */
export function digestPage(
  doc: Y.Doc,
  convId: string,
  period: number,
  me: string,
  username: string,
): PageDigest {
  const all = page.listMessages(doc);
  const who = [{ id: me, username }];
  const roots = new Set<string>();
  for (const m of all) if (m.parent !== null && !m.deleted) roots.add(m.parent);
  const messages: DigestMessage[] = [];
  const mine = new Set<string>();
  for (const m of all) {
    if (m.deleted) continue;
    const mentionsMe =
      m.author !== me && (() => {
        const f = mentionsIn(m.text, who);
        return f.channel || f.users.length > 0;
      })();
    if (m.author === me) mine.add(m.id);
    if (m.parent === null && m.author !== me && !mentionsMe && !roots.has(m.id)) continue;
    messages.push({ id: m.id, author: m.author, at: m.createdAt, text: cut(m.text), parent: m.parent, mentionsMe });
  }
  const reactions: DigestReaction[] = [];
  for (const [messageId, list] of page.listAllReactions(doc)) {
    if (!mine.has(messageId)) continue;
    for (const r of list) {
      for (const user of r.users) {
        if (user === me) continue;
        const at = page.reactionsOf(doc).get(page.reactionKey(messageId, r.emoji, user));
        reactions.push({ messageId, emoji: r.emoji, user, at: typeof at === 'number' ? at : r.at });
      }
    }
  }
  reactions.sort((a, b) => a.at - b.at);
  const marker = readMarker(doc, me);
  return {
    convId,
    period,
    marker: marker ? { id: marker.id, at: marker.at } : null,
    messages: messages.slice(-MAX_DIGEST_MESSAGES),
    reactions: reactions.slice(-MAX_DIGEST_REACTIONS),
  };
}

/** Puts a digest in the state; keeps the newest MAX_DIGESTS pages (empty digests are dropped). */
export function putDigest(state: ActivityState, room: string, d: PageDigest): ActivityState {
  const digests = { ...state.digests };
  if (d.messages.length === 0 && d.reactions.length === 0) delete digests[room];
  else digests[room] = d;
  const rooms = Object.keys(digests);
  if (rooms.length > MAX_DIGESTS) {
    rooms.sort((a, b) => (digests[a] as PageDigest).period - (digests[b] as PageDigest).period);
    for (const r of rooms.slice(0, rooms.length - MAX_DIGESTS)) delete digests[r];
  }
  return { ...state, digests };
}

const itemKey = (kind: ActivityKind, conv: string, id: string, extra = ''): string =>
  `${kind[0]}|${conv}|${id}${extra}`;
export const replyKey = (conv: string, id: string): string => itemKey('reply', conv, id);
export const threadKey = (conv: string, rootId: string): string => `${conv}|${rootId}`;

function passed(marker: PageDigest['marker'], m: DigestMessage): boolean {
  if (!marker) return false;
  return marker.id !== null ? m.id <= marker.id : m.at <= marker.at;
}

interface Located {
  m: DigestMessage;
  d: PageDigest;
}

/** The Activity list and the followed threads, newest first. */
export function buildActivity(state: ActivityState, me: string): ActivityResult {
  const read = new Set(state.read);
  const follow = new Set(state.follow);
  const unfollow = new Set(state.unfollow);
  const byConv = new Map<string, Map<string, Located>>();
  const reactions: { r: DigestReaction; d: PageDigest }[] = [];
  for (const d of Object.values(state.digests)) {
    let map = byConv.get(d.convId);
    if (!map) byConv.set(d.convId, (map = new Map()));
    for (const m of d.messages) map.set(m.id, { m, d });
    for (const r of d.reactions) reactions.push({ r, d });
  }
  const items: ActivityEntry[] = [];
  const threads: ThreadEntry[] = [];
  const following = new Set<string>();
  for (const t of follow) if (!unfollow.has(t)) following.add(t);
  for (const [conv, byId] of byConv) {
    const list = [...byId.values()].sort((a, b) => (a.m.id < b.m.id ? -1 : 1));
    const rootOf = (m: DigestMessage): string => {
      let cur = m;
      for (let hops = 0; cur.parent !== null && hops < 8; hops++) {
        const up = byId.get(cur.parent);
        if (!up) return cur.parent;
        cur = up.m;
      }
      return cur.id;
    };
    // Why and since when I follow each thread (the first message that made me follow it).
    const since = new Map<string, { id: string; reason: FollowReason }>();
    const note = (root: string, id: string, reason: FollowReason) => {
      const prev = since.get(root);
      if (!prev || id < prev.id) since.set(root, { id, reason });
    };
    const repliesOf = new Map<string, Located[]>();
    for (const x of list) {
      const { m } = x;
      if (m.parent === null) {
        if (m.author === me) note(m.id, m.id, 'started');
        else if (m.mentionsMe) note(m.id, m.id, 'mentioned');
        continue;
      }
      const root = rootOf(m);
      let rs = repliesOf.get(root);
      if (!rs) repliesOf.set(root, (rs = []));
      rs.push(x);
      if (m.author === me) note(root, m.id, 'replied');
      else if (m.mentionsMe) note(root, m.id, 'mentioned');
    }
    for (const t of follow) {
      const [c, root] = t.split('|');
      if (c === conv && root) since.set(root, { id: '', reason: 'followed' });
    }
    for (const x of list) {
      const { m, d } = x;
      if (m.author === me) continue;
      if (m.mentionsMe) {
        const key = itemKey('mention', conv, m.id);
        items.push(entry(key, 'mention', conv, m, m.parent === null ? null : rootOf(m), null, m.text, m.at));
        items[items.length - 1]!.unread = !read.has(key) && !passed(d.marker, m);
        continue;
      }
      if (m.parent === null) continue;
      const root = rootOf(m);
      const s = since.get(root);
      if (!s || m.id <= s.id || unfollow.has(threadKey(conv, root))) continue;
      const key = replyKey(conv, m.id);
      items.push(entry(key, 'reply', conv, m, root, null, m.text, m.at));
      items[items.length - 1]!.unread = !read.has(key) && !passed(d.marker, m);
    }
    for (const [root, s] of since) {
      const rs = repliesOf.get(root) ?? [];
      if (unfollow.has(threadKey(conv, root))) continue;
      following.add(threadKey(conv, root));
      // A thread is one once it has a reply; one followed by hand shows before that.
      if (rs.length === 0 && s.reason !== 'followed') continue;
      const last = rs[rs.length - 1];
      const r = byId.get(root)?.m ?? null;
      let unread = 0;
      for (const x of rs) {
        if (x.m.author !== me && !read.has(replyKey(conv, x.m.id)) && !passed(x.d.marker, x.m)) unread++;
      }
      threads.push({
        conversationId: conv,
        rootId: root,
        rootAuthorId: r?.author ?? null,
        rootText: r?.text ?? null,
        reason: s.reason,
        replies: rs.length,
        unread,
        lastReplyAt: last?.m.at ?? r?.at ?? 0,
        lastReplyAuthorId: last?.m.author ?? '',
        lastReplyText: last?.m.text ?? '',
      });
    }
  }
  for (const { r, d } of reactions) {
    const target = byConv.get(d.convId)?.get(r.messageId)?.m;
    if (!target) continue;
    const key = itemKey('reaction', d.convId, r.messageId, `|${r.emoji}|${r.user}`);
    const root = target.parent;
    const e: ActivityEntry = {
      key,
      kind: 'reaction',
      conversationId: d.convId,
      messageId: r.messageId,
      rootId: root,
      actorId: r.user,
      emoji: r.emoji,
      text: target.text,
      at: r.at,
      unread: !read.has(key) && r.at > state.since,
    };
    items.push(e);
  }
  items.sort((a, b) => b.at - a.at || (a.key < b.key ? 1 : -1));
  threads.sort((a, b) => b.lastReplyAt - a.lastReplyAt || (a.rootId < b.rootId ? 1 : -1));
  const shown = items.slice(0, MAX_ITEMS);
  const followed = threads.slice(0, MAX_THREADS);
  return {
    items: shown,
    threads: followed,
    unread: shown.filter((i) => i.unread).length,
    threadsUnread: followed.reduce((n, t) => n + t.unread, 0),
    following,
  };
}

function entry(
  key: string,
  kind: ActivityKind,
  conv: string,
  m: DigestMessage,
  rootId: string | null,
  emoji: string | null,
  text: string,
  at: number,
): ActivityEntry {
  return { key, kind, conversationId: conv, messageId: m.id, rootId, actorId: m.author, emoji, text, at, unread: false };
}

/** Keys to mark read when a thread is opened from the Threads view: its replies. */
export function threadReplyKeys(state: ActivityState, conv: string, rootId: string): string[] {
  const out: string[] = [];
  for (const d of Object.values(state.digests)) {
    if (d.convId !== conv) continue;
    for (const m of d.messages) if (m.parent === rootId) out.push(replyKey(conv, m.id));
  }
  return out;
}

/** The read set without keys nothing refers to any more (bounded like the items). */
export function pruneRead(state: ActivityState, result: ActivityResult): string[] {
  const live = new Set(result.items.map((i) => i.key));
  for (const d of Object.values(state.digests)) {
    for (const m of d.messages) if (m.parent !== null) live.add(replyKey(d.convId, m.id));
  }
  return state.read.filter((k) => live.has(k));
}

/** A stored state read defensively: anything malformed is dropped, never fatal. */
export function readState(raw: unknown, now: number): ActivityState {
  const out = emptyState(now);
  if (typeof raw !== 'object' || raw === null) return out;
  const r = raw as Record<string, unknown>;
  if (typeof r.since === 'number' && Number.isFinite(r.since)) out.since = r.since;
  const strings = (x: unknown): string[] =>
    Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string').slice(0, 5000) : [];
  out.read = strings(r.read);
  out.follow = strings(r.follow);
  out.unfollow = strings(r.unfollow);
  if (typeof r.digests === 'object' && r.digests !== null) {
    for (const [room, d] of Object.entries(r.digests as Record<string, unknown>)) {
      const dg = d as Partial<PageDigest> | null;
      if (
        dg &&
        typeof dg.convId === 'string' &&
        typeof dg.period === 'number' &&
        Array.isArray(dg.messages) &&
        Array.isArray(dg.reactions)
      ) {
        out.digests[room] = {
          convId: dg.convId,
          period: dg.period,
          marker: dg.marker && typeof dg.marker.at === 'number' ? dg.marker : null,
          messages: dg.messages.filter((m) => typeof m?.id === 'string' && typeof m.text === 'string'),
          reactions: dg.reactions.filter((x) => typeof x?.messageId === 'string' && typeof x.emoji === 'string'),
        };
      }
    }
  }
  return out;
}
