// The data layer's side of offline search (issue 5): feeds the engine in ../search from page
// documents as they load, sync and change, per user, and answers FerryClient.search(). The
// engine itself (index, worker, IndexedDB) is in renderer/src/search; see its README.
import * as Y from 'yjs';
import * as page from '../../../core/src/model/page';
import { parseRoom } from '../../../core/src/model/rooms';
import { createSearch, fold, type Search, type SearchOptions } from '../search';
import { stateMark, toSearchDocs } from '../search/feed';
import type { ConversationSummary, Person, SearchHit, SearchResults } from './api';
import type { OpenDoc } from './docs';
import { readDiskMarks, rowsFingerprint, writeDiskMarks, type DiskMark } from './search-disk';
import type { LocalStore } from './store';

/** What the feed needs of the client (client.ts passes itself). */
export interface SearchSource {
  readonly me: string;
  readonly store: LocalStore;
  nameOf(userId: string): string;
  titleFor(convId: string): string | undefined;
  people(): Person[];
  conversations(): ConversationSummary[];
  /** The open, loaded document of a room, if any. */
  openDoc(room: string): Y.Doc | null;
}

export interface SearchFeedOptions {
  /** Run the index in a Web Worker (default: when `Worker` exists). */
  worker?: boolean;
  /** Default `ferry-search-<userId>`; null keeps the index in memory only. */
  dbName?: string | null;
  /** A page's changes are indexed this long after the last one (default 250 ms). */
  delayMs?: number;
}

/** The search database of a user (deleted with the account's local data). */
export function searchDbName(userId: string): string {
  return `ferry-search-${userId}`;
}

/** `from:` value → user ids: exact username or display name, else display names containing it. */
export function resolvePeople(people: readonly Person[], value: string): string[] {
  const v = fold(value.replace(/^@/, ''));
  if (v === '') return [];
  const exact = people.filter((p) => fold(p.username) === v || fold(p.displayName) === v);
  if (exact.length > 0) return exact.map((p) => p.id);
  return people.filter((p) => fold(p.displayName).includes(v) || fold(p.username).startsWith(v)).map((p) => p.id);
}

/** `in:` value → conversation ids: exact title, else titles containing it. */
export function resolveConversations(list: readonly ConversationSummary[], value: string): string[] {
  const v = fold(value.replace(/^#/, ''));
  if (v === '') return [];
  const exact = list.filter((c) => fold(c.title) === v);
  if (exact.length > 0) return exact.map((c) => c.id);
  return list.filter((c) => fold(c.title).includes(v)).map((c) => c.id);
}

interface Watched {
  convId: string;
  od: OpenDoc;
}

export class SearchFeed {
  readonly search: Search;
  private readonly delayMs: number;
  private readonly due = new Map<string, Watched>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  /** The start-up pass over every page on disk; resolves when done (failures kept in `failed`). */
  readonly caughtUp: Promise<void>;
  private catchingUp = true;
  readonly failed = new Map<string, string>();
  private closed = false;
  private readonly listeners = new Set<() => void>();
  /**
   * Rooms indexed live from an open document: the start-up pass leaves them alone (its copy
   * read from disk may be older than what the open document already gave the index).
   */
  private readonly live = new Set<string>();

  constructor(
    private readonly src: SearchSource,
    idb: IDBFactory,
    options: SearchFeedOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 250;
    const so: SearchOptions = {
      dbName: options.dbName === undefined ? searchDbName(src.me) : options.dbName,
      indexedDB: idb,
      resolveUser: (name) => resolvePeople(src.people(), name),
      resolveConversation: (title) => resolveConversations(src.conversations(), title),
      ...(options.worker !== undefined ? { worker: options.worker } : {}),
    };
    this.search = createSearch(so);
    this.caughtUp = this.catchUpFromDisk().finally(() => {
      this.catchingUp = false;
    });
  }

  /** A page document is open: index it once loaded and again after each change. */
  watch(convId: string, od: OpenDoc): void {
    if (this.closed) return;
    od.loaded.then(
      () => {
        if (this.closed) return;
        this.live.add(od.room);
        this.schedule(convId, od);
        od.doc.on('update', () => this.schedule(convId, od));
      },
      () => undefined,
    );
  }

  private schedule(convId: string, od: OpenDoc): void {
    if (this.closed) return;
    this.due.set(od.room, { convId, od });
    if (this.timer === null) this.timer = setTimeout(() => void this.drain(), this.delayMs);
  }

  /** Indexes every scheduled page now; resolves when the engine has them. */
  private drain(): Promise<void> {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.due.values()];
    this.due.clear();
    const run = this.running.then(async () => {
      for (const { convId, od } of batch) {
        try {
          await this.indexDoc(convId, od.room, od.doc);
        } catch (e) {
          this.failed.set(od.room, e instanceof Error ? e.message : String(e));
        }
      }
    });
    this.running = run;
    return run;
  }

  private async indexDoc(convId: string, room: string, doc: Y.Doc): Promise<void> {
    const docs = toSearchDocs(convId, room, page.listMessages(doc), (u) => this.src.nameOf(u));
    const r = await this.search.indexPage({ convId, room, docs, mark: stateMark(doc) });
    if (r.ok) this.failed.delete(room);
    else this.failed.set(room, `${r.error.code}: ${r.error.message}`);
    if (r.ok && (r.value.added > 0 || r.value.removed > 0)) for (const l of [...this.listeners]) l();
  }

  /** Called after the index took in a change (results of an open search may differ now). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Start: every page room on this device's disk whose state differs from what the index holds
   * (changed while the search was not running, or never indexed) is indexed, one at a time. A
   * room whose stored rows and index mark are both as the last pass left them is not read at
   * all (search-disk.ts): a start with nothing new decodes no page.
   */
  private async catchUpFromDisk(): Promise<void> {
    const ready = await this.search.ready;
    if (!ready.ok) {
      this.failed.set('*', `${ready.error.code}: ${ready.error.message}`);
      return;
    }
    const marks = await this.search.marks();
    if (!marks.ok) return;
    const [rooms, known] = await Promise.all([
      this.src.store.rowKeysWithPrefix('conv/'),
      readDiskMarks(this.src.store),
    ]);
    // What the next start may trust: what was trusted, for the rooms still on disk, updated
    // room by room; stored every few rooms and when the pass ends or is cut short by closing.
    const next = new Map([...known].filter(([room]) => rooms.has(room)));
    let unsaved = next.size !== known.size;
    const save = async () => {
      if (!unsaved) return;
      unsaved = false;
      await writeDiskMarks(this.src.store, next).catch(() => undefined); // read again next start
    };
    const onDisk = new Set<string>();
    let read = 0;
    for (const [room, seqs] of rooms) {
      if (this.abort.signal.aborted) return save();
      const ref = parseRoom(room);
      if (ref?.kind !== 'page') continue;
      onDisk.add(ref.convId);
      const was = known.get(room);
      if (was && was.rows === rowsFingerprint(seqs) && marks.value[room] === was.mark) continue;
      next.delete(room);
      unsaved = true;
      try {
        const mark = await this.catchUpRoom(ref.convId, room, marks.value[room]);
        if (mark) next.set(room, mark);
      } catch (e) {
        this.failed.set(room, e instanceof Error ? e.message : String(e));
      }
      if (++read % 25 === 0) await save();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await save();
    // Conversations forgotten while the search was not running.
    const indexed = new Set<string>();
    for (const room of Object.keys(marks.value)) {
      const ref = parseRoom(room);
      if (ref?.kind === 'page') indexed.add(ref.convId);
    }
    for (const convId of indexed) {
      if (!onDisk.has(convId)) await this.search.removeConversation(convId);
    }
  }

  /**
   * One page of the start-up pass: read from disk and indexed (the open document instead, when
   * the page is open: it may be ahead of its stored rows) if the index holds another state of
   * it. Returns what the next start may trust without reading it: the mark decoded from exactly
   * the rows read, a fact about those rows whoever indexes the page.
   */
  private async catchUpRoom(convId: string, room: string, indexed: string | number | undefined): Promise<DiskMark | null> {
    const read = await this.src.store.readDoc(room);
    const rows = rowsFingerprint([...read.rows.map((r) => r.seq), ...read.bad.map((b) => b.seq)]);
    const stored = new Y.Doc();
    for (const row of read.rows) {
      try {
        Y.applyUpdate(stored, row.data);
      } catch {
        // an unreadable row is reported when the page is opened
      }
    }
    const mark = stateMark(stored);
    const doc = this.src.openDoc(room) ?? stored;
    // Checked right before indexing: the request is posted at once, so a live index of the
    // same room (posted later) always lands after it.
    if (!this.live.has(room) && indexed !== stateMark(doc)) await this.indexDoc(convId, room, doc);
    stored.destroy();
    return this.failed.has(room) ? null : { rows, mark };
  }

  /** A forgotten conversation: its messages leave the index. */
  async forget(convId: string): Promise<void> {
    for (const [room, w] of this.due) if (w.convId === convId) this.due.delete(room);
    await this.running;
    await this.search.removeConversation(convId);
  }

  /** Everything changed so far is indexed (tests; a query waits for it too). */
  async settle(): Promise<void> {
    await this.drain();
  }

  async query(text: string, limit = 50): Promise<SearchResults> {
    await this.settle();
    const r = await this.search.query(text, { limit });
    if (!r.ok) {
      if (r.error.code === 'cancelled') {
        return { hits: [], total: 0, notes: [], tookMs: 0, cancelled: true, indexing: this.catchingUp };
      }
      throw new Error(`Search failed (${r.error.code}): ${r.error.message}`);
    }
    const hits: SearchHit[] = r.value.hits.map((h) => ({
      conversationId: h.convId,
      conversationTitle: this.src.titleFor(h.convId) ?? 'Conversation',
      messageId: h.id,
      authorId: h.author,
      authorName: this.src.nameOf(h.author) || h.authorName,
      at: h.at,
      snippet: h.snippet.text,
      ranges: h.snippet.ranges.map(([a, b]) => [a, b] as [number, number]),
      cutStart: h.snippet.cutStart,
      cutEnd: h.snippet.cutEnd,
    }));
    const notes = [...r.value.query.notes];
    return {
      hits,
      total: r.value.total,
      notes,
      tookMs: r.value.tookMs,
      cancelled: false,
      indexing: this.catchingUp,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.abort.abort();
    await this.drain().catch(() => undefined);
    this.closed = true;
    await this.caughtUp.catch(() => undefined);
    await this.search.close();
  }
}
