// The screen cache (issue 16): the newest messages of a conversation as its view last showed
// them, kept in one `meta` record per conversation, so opening it shows a screenful at once,
// before its page documents are read and decoded. A stored format: versioned, read defensively,
// and trusted only while the stored rows of the pages it was taken from are exactly those it
// was taken from (their keys, read without their data): any write, compaction or sync since
// makes it stale, and then the documents are shown, as without a cache. README.md, "Screen cache".
import { pageRoom, periodOfMessage } from '../../../core/src/model/rooms';
import type { Delivery, ForwardView, MessageView } from './api';
import { META, UPDATES, commitNow, done, req } from './idb';
import { isRecord } from './records';
import { afterPaint } from './yield';

/** Version of the record's shape: a record of another version is ignored (and rewritten). */
export const SCREEN_CACHE_VERSION = 1;
/** Messages kept: a screenful and some. */
export const SCREEN_CACHE_SIZE = 60;

/** One message as the cache keeps it: what a row shows, without names (read at open). */
export interface CachedMessage {
  id: string;
  authorId: string;
  text: string;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
  writtenOffline: boolean;
  delivery: Delivery;
  quoteId: string | null;
  broadcast?: boolean;
  forward?: ForwardView;
}

interface ScreenRecord {
  v: number;
  /** Page rooms the messages were taken from, and the keys of their stored rows then. */
  rooms: Array<{ room: string; keys: number[] }>;
  messages: CachedMessage[];
}

const key = (convId: string) => `screen:${convId}`;

export function toCached(v: MessageView): CachedMessage {
  return {
    id: v.id,
    authorId: v.authorId,
    text: v.text,
    createdAt: v.createdAt,
    editedAt: v.editedAt,
    deleted: v.deleted,
    writtenOffline: v.writtenOffline,
    delivery: v.delivery,
    quoteId: v.quoteId,
    ...(v.broadcast ? { broadcast: true } : {}),
    ...(v.forward ? { forward: v.forward } : {}),
  };
}

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function asCached(v: unknown): CachedMessage | null {
  if (!isRecord(v)) return null;
  const { id, authorId, text, createdAt, editedAt, deleted, writtenOffline, delivery, quoteId } = v;
  if (!str(id) || !str(authorId) || !str(text) || !num(createdAt)) return null;
  if (editedAt !== null && !num(editedAt)) return null;
  if (typeof deleted !== 'boolean' || typeof writtenOffline !== 'boolean') return null;
  if (delivery !== 'pending' && delivery !== 'stored') return null;
  if (quoteId !== null && !str(quoteId)) return null;
  const out: CachedMessage = { id, authorId, text, createdAt, editedAt, deleted, writtenOffline, delivery, quoteId };
  if (v.broadcast === true) out.broadcast = true;
  const f = v.forward;
  if (isRecord(f) && str(f.conversationId) && str(f.messageId) && str(f.authorId) && str(f.authorName)) {
    if (str(f.title) && str(f.text) && num(f.at)) {
      out.forward = {
        conversationId: f.conversationId,
        messageId: f.messageId,
        authorId: f.authorId,
        authorName: f.authorName,
        title: f.title,
        text: f.text,
        at: f.at,
      };
    }
  }
  return out;
}

/** A stored record read back: null if it is not one of this version, or any part is malformed. */
export function parseScreen(v: unknown): ScreenRecord | null {
  if (!isRecord(v) || v.v !== SCREEN_CACHE_VERSION) return null;
  if (!Array.isArray(v.rooms) || !Array.isArray(v.messages)) return null;
  const rooms: ScreenRecord['rooms'] = [];
  for (const r of v.rooms as unknown[]) {
    if (!isRecord(r) || !str(r.room) || !Array.isArray(r.keys) || !(r.keys as unknown[]).every(num)) return null;
    rooms.push({ room: r.room, keys: r.keys as number[] });
  }
  const messages: CachedMessage[] = [];
  for (const m of v.messages as unknown[]) {
    const c = asCached(m);
    if (!c) return null; // one bad entry: the whole record is not trusted
    messages.push(c);
  }
  if (rooms.length === 0 || messages.length === 0) return null;
  return { v: SCREEN_CACHE_VERSION, rooms, messages };
}

const rowRange = (room: string) => IDBKeyRange.bound([room, 0], [room, Infinity]);

function seqsOf(keys: IDBValidKey[]): number[] {
  return keys.map((k) => (Array.isArray(k) ? Number(k[1]) : NaN)).sort((a, b) => a - b);
}

const sameKeys = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** A record read back and checked: its messages, and the page rooms it was taken from. */
export interface ScreenRead {
  messages: CachedMessage[];
  rooms: string[];
}

/**
 * The cached messages, oldest first, if the record is of this version, well formed and its pages'
 * stored rows are still exactly those it was taken from; else null (the documents decide).
 */
export async function readScreen(
  db: IDBDatabase,
  convId: string,
  likely: readonly string[] = [],
): Promise<ScreenRead | null> {
  const tx = db.transaction([UPDATES, META], 'readonly');
  const keysOf = (room: string) => req(tx.objectStore(UPDATES).getAllKeys(rowRange(room)));
  // The rooms the record most likely names (the newest pages) are asked for with the record
  // itself: one round trip to IndexedDB instead of two, while the start still keeps it busy.
  const early = new Map(likely.map((room) => [room, keysOf(room)]));
  const rec = parseScreen(await req(tx.objectStore(META).get(key(convId))));
  if (!rec) return null;
  const now = await Promise.all(rec.rooms.map((r) => early.get(r.room) ?? keysOf(r.room)));
  for (let i = 0; i < rec.rooms.length; i++) {
    if (!sameKeys(seqsOf(now[i] as IDBValidKey[]), (rec.rooms[i] as ScreenRecord['rooms'][number]).keys)) return null;
  }
  return { messages: rec.messages, rooms: rec.rooms.map((r) => r.room) };
}

/** What ScreenPrefetch needs of the local store: whether rows of a room were written since a mark. */
export interface WriteMarks {
  writeMark(): number;
  wroteSince(room: string, mark: number): boolean;
}

/** The rooms of a conversation's newest pages (of a summary's page index): those a screen holds. */
export function newestPageRooms(convId: string, periods: readonly number[] | undefined): string[] {
  return [...(periods ?? [])]
    .sort((a, b) => b - a)
    .slice(0, 2)
    .map((period) => pageRoom(convId, period));
}

/** Conversations whose screen cache is read at start (the top of the list). */
export const PREFETCH_SCREENS = 5;

/**
 * The screen caches of the conversations at the top of the list, read (and checked) right after
 * start, so opening one of them builds its first screen from memory, as a design keeping every
 * conversation in memory would, instead of waiting for IndexedDB behind the start's own reads
 * (issue 16). Each is used once. One is dropped when this connection wrote rows of a room it was
 * taken from after it was read; another window's write in that moment shows the older screen
 * until the documents load, as any open conversation's view is until they do.
 */
export class ScreenPrefetch {
  private readonly reads = new Map<string, Promise<ScreenRead | null>>();
  private readonly mark: number;

  constructor(
    db: IDBDatabase,
    private readonly store: WriteMarks,
    convs: ReadonlyArray<{ id: string; rooms: string[] }>,
  ) {
    this.mark = store.writeMark();
    for (const c of convs.slice(0, PREFETCH_SCREENS)) {
      this.reads.set(
        c.id,
        readScreen(db, c.id, c.rooms).catch(() => null),
      );
    }
  }

  /**
   * The prefetched read of a conversation (once): `readAgain()` instead when rows it was taken
   * from were written since; null when there is none (read it now).
   */
  take(convId: string, readAgain: () => Promise<ScreenRead | null>): Promise<ScreenRead | null> | null {
    const read = this.reads.get(convId);
    if (!read) return null;
    this.reads.delete(convId);
    return read.then((r) => (r && r.rooms.some((room) => this.store.wroteSince(room, this.mark)) ? readAgain() : r));
  }
}

/**
 * Stores the newest messages of a view taken from `rooms` (the view's loaded pages, which hold
 * them all). Call it right after computing the view: the transaction reads the rooms' row keys,
 * and IndexedDB orders it after every append already issued for what the view shows.
 */
export function writeScreen(db: IDBDatabase, convId: string, rooms: string[], messages: CachedMessage[]): Promise<void> {
  const tx = db.transaction([UPDATES, META], 'readwrite', { durability: 'relaxed' });
  const updates = tx.objectStore(UPDATES);
  const meta = tx.objectStore(META);
  const reads = rooms.map((room) => req(updates.getAllKeys(rowRange(room))));
  const written = Promise.all(reads).then((all) => {
    const rec: ScreenRecord = {
      v: SCREEN_CACHE_VERSION,
      rooms: rooms.map((room, i) => ({ room, keys: seqsOf(all[i] as IDBValidKey[]) })),
      messages: messages.slice(-SCREEN_CACHE_SIZE),
    };
    meta.put(rec, key(convId));
    commitNow(tx);
  });
  return Promise.all([written, done(tx)]).then(() => undefined);
}

/** Forgets a conversation's cache (its local copy is being forgotten). */
export function dropScreen(db: IDBDatabase, convId: string): Promise<void> {
  const tx = db.transaction([META], 'readwrite');
  tx.objectStore(META).delete(key(convId));
  return done(tx);
}

/** A row from the cache: no actions, reactions or marks until the documents load. */
export function cachedView(c: CachedMessage, me: string, nameOf: (user: string) => string): MessageView {
  return {
    ...c,
    authorName: nameOf(c.authorId),
    parentId: null,
    thread: null,
    mine: c.authorId === me,
    canEdit: false,
    canDelete: false,
    reactions: [],
    seenBy: [],
    pinnedBy: [],
    forward: c.forward ?? null,
  };
}

/** One open conversation's screen cache: read once at open, written as its view changes. */
export class ScreenCache {
  private cached: CachedMessage[] | null = null;
  /** What the stored record holds (JSON), so an unchanged screen is not written again. */
  private storedKey = '';
  private done = false;
  /** Resolves once the cache was read, and the rows it had (if any) painted: then documents decode. */
  readonly settled: Promise<void>;

  constructor(
    private readonly db: IDBDatabase,
    private readonly convId: string,
    /** The cache was read and is valid: the view may show it. */
    onRead: () => void,
    /** Page rooms the record most likely names (the newest), read with it (readScreen). */
    likely: readonly string[] = [],
    /** The reads made at start (the top of the list), if any. */
    prefetch: ScreenPrefetch | null = null,
  ) {
    const read = prefetch?.take(convId, () => readScreen(db, convId, likely)) ?? readScreen(db, convId, likely);
    this.settled = read.then(
      (r) => {
        if (!r || this.done) return;
        const c = r.messages;
        this.cached = c;
        this.storedKey = JSON.stringify(c);
        onRead();
        return afterPaint();
      },
      () => undefined, // unreadable: the documents are shown, as without a cache
    );
  }

  /** The cached rows, oldest first; null once the documents' view has replaced them, or none. */
  views(me: string, nameOf: (user: string) => string): MessageView[] | null {
    return this.cached?.map((c) => cachedView(c, me, nameOf)) ?? null;
  }

  /**
   * The documents' view (the newest pages loaded): from now on it is what shows, and the record
   * follows its newest messages. Call it right after computing the view (writeScreen).
   */
  keep(messages: MessageView[]): void {
    this.done = true;
    this.cached = null;
    const newest = messages.slice(-SCREEN_CACHE_SIZE).map(toCached);
    if (newest.length === 0) return;
    const json = JSON.stringify(newest);
    if (json === this.storedKey) return;
    this.storedKey = json;
    const rooms = new Set<string>();
    for (const m of newest) rooms.add(pageRoom(this.convId, periodOfMessage(m.id)));
    writeScreen(this.db, this.convId, [...rooms], newest).catch(() => {
      this.storedKey = ''; // not written (closing, quota): the next view tries again
    });
  }
}
