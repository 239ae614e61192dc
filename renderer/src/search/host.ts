// The search host: the engine, its store and the request handler. The worker runs one; without
// workers the page runs one itself (index.ts). It handles requests one at a time in arrival
// order, except that a query waits one turn of the event loop first, so a query superseded by
// a newer one (or cancelled) in the meantime is answered 'cancelled' without running.
import { SearchEngine, decodeSegment, type Row } from './engine';
import { SearchStore, type Mark } from './store';
import type { InitInfo, Request, Response, Stats } from './protocol';

/** Flush changes this long after the first one of a batch. */
export const FLUSH_DELAY_MS = 1000;
/** Write a new snapshot once this many messages were indexed since the last one. */
export const SNAPSHOT_EVERY = 20_000;

class Failure extends Error {
  constructor(
    readonly code: 'bad-request' | 'not-ready' | 'cancelled' | 'storage' | 'internal',
    message: string,
  ) {
    super(message);
  }
}

export interface HostOptions {
  indexedDB: IDBFactory | null;
  flushDelayMs?: number;
  snapshotEvery?: number;
}

export class SearchHost {
  private engine: SearchEngine | null = null;
  private store: SearchStore | null = null;
  private marks = new Map<string, Mark>();
  private dirtyMarks = new Map<string, Mark | null>();
  private queue: Promise<unknown> = Promise.resolve();
  private latestQuery = 0;
  private cancelled = new Set<number>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private flushing: Promise<void> | null = null;
  private lastFlushMs: number | null = null;
  private flushError: string | null = null;
  private closed = false;

  constructor(private options: HostOptions) {}

  /** Handles one request; `reply` is called exactly once. Never throws. */
  handle(req: Request, reply: (res: Response) => void): void {
    const id = typeof req === 'object' && req !== null && typeof req.id === 'number' ? req.id : -1;
    if (id === -1) {
      reply({ id, ok: false, error: { code: 'bad-request', message: 'request without an id' } });
      return;
    }
    if (req.type === 'cancel') {
      // Out of band: answered at once, not queued behind the query it cancels.
      if (this.cancelled.size > 1000) this.cancelled.clear();
      this.cancelled.add(req.target);
      reply({ id, ok: true, value: true });
      return;
    }
    if (req.type === 'query') this.latestQuery = Math.max(this.latestQuery, id);
    const run = async () => {
      try {
        const value = await this.run(req);
        reply({ id, ok: true, value });
      } catch (err) {
        const code =
          err instanceof Failure ? err.code : err instanceof TypeError ? 'bad-request' : 'internal';
        reply({ id, ok: false, error: { code, message: (err as Error)?.message ?? String(err) } });
      } finally {
        this.cancelled.delete(id);
      }
    };
    this.queue = this.queue.then(run, run);
  }

  private ready(): SearchEngine {
    if (this.closed) throw new Failure('not-ready', 'search is closed');
    if (!this.engine) throw new Failure('not-ready', 'search is not initialised');
    return this.engine;
  }

  private async run(req: Request): Promise<unknown> {
    switch (req.type) {
      case 'init':
        return this.init(req.dbName);
      case 'upsert': {
        const e = this.ready();
        if (!Array.isArray(req.docs))
          throw new Failure('bad-request', 'upsert: docs must be an array');
        // Check every document before changing anything: a bad batch changes nothing.
        for (const d of req.docs) checkShape(d);
        let n = 0;
        for (const d of req.docs) if (e.upsert(d)) n++;
        this.schedule();
        return n;
      }
      case 'remove': {
        const e = this.ready();
        if (!Array.isArray(req.ids) || req.ids.some((x) => typeof x !== 'string'))
          throw new Failure('bad-request', 'remove: ids must be strings');
        let n = 0;
        for (const id of req.ids) if (e.remove(id)) n++;
        this.schedule();
        return n;
      }
      case 'removeConversation': {
        const e = this.ready();
        if (typeof req.convId !== 'string')
          throw new Failure('bad-request', 'removeConversation: convId');
        const n = e.removeConversation(req.convId);
        for (const [room, m] of this.marks) {
          if (m.convId !== req.convId) continue;
          this.marks.delete(room);
          this.dirtyMarks.set(room, null);
        }
        this.schedule();
        return n;
      }
      case 'indexPage': {
        const e = this.ready();
        if (typeof req.room !== 'string' || !req.room || typeof req.convId !== 'string')
          throw new Failure('bad-request', 'indexPage: room and convId are required');
        if (typeof req.mark !== 'string' && typeof req.mark !== 'number')
          throw new Failure('bad-request', 'indexPage: mark must be a string or a number');
        if (!Array.isArray(req.docs))
          throw new Failure('bad-request', 'indexPage: docs must be an array');
        for (const d of req.docs) checkShape(d);
        const r = e.replaceSegment(req.room, req.docs);
        const m = { convId: req.convId, mark: req.mark };
        this.marks.set(req.room, m);
        this.dirtyMarks.set(req.room, m);
        this.schedule();
        return r;
      }
      case 'marks': {
        this.ready();
        const out: Record<string, string | number> = {};
        for (const [room, m] of this.marks) out[room] = m.mark;
        return out;
      }
      case 'query': {
        const e = this.ready();
        await new Promise((r) => setTimeout(r, 0));
        if (req.id < this.latestQuery || this.cancelled.has(req.id))
          throw new Failure('cancelled', 'a newer query replaced this one');
        return e.query(req.query);
      }
      case 'stats':
        return this.stats();
      case 'flush':
        this.ready();
        await this.flush(req.snapshot === true);
        return true;
      case 'close':
        if (this.closed) return true;
        try {
          if (this.engine) await this.flush(true);
        } finally {
          // Closed even when the last write failed (the error is this request's answer): the
          // rows written before are still there, and the next start re-feeds what is missing.
          this.closed = true;
          this.store?.close();
          this.store = null;
        }
        return true;
      default:
        throw new Failure(
          'bad-request',
          `unknown request type ${(req as { type?: unknown }).type}`,
        );
    }
  }

  private async init(dbName: string | null): Promise<InitInfo> {
    if (this.engine) throw new Failure('bad-request', 'init: already initialised');
    const t0 = performance.now();
    if (dbName === null || !this.options.indexedDB) {
      this.engine = new SearchEngine();
      return {
        docs: 0,
        rooms: 0,
        dropped: null,
        fromSnapshot: false,
        loadMs: performance.now() - t0,
      };
    }
    let opened;
    try {
      opened = await SearchStore.open(this.options.indexedDB, dbName);
    } catch (err) {
      throw new Failure('storage', `search database ${dbName}: ${(err as Error)?.message ?? err}`);
    }
    this.store = opened.store;
    const { loaded } = opened;
    let dropped = loaded.dropped;
    try {
      this.engine = SearchEngine.restore(
        loaded.snapshot,
        loaded.segments.map(([k, v]): [string, Row[]] => [k, decodeSegment(v)]),
      );
      this.marks = loaded.marks;
    } catch (err) {
      dropped = `corrupt index dropped: ${(err as Error)?.message ?? err}`;
      await opened.store.clear();
      this.engine = new SearchEngine();
      this.marks = new Map();
    }
    const fromSnapshot = loaded.snapshot !== null && dropped === null;
    // Rows indexed again on load (newer than the snapshot) are worth a new snapshot soon.
    if (this.engine.sinceSnapshot >= this.snapshotEvery()) this.schedule();
    return {
      docs: this.engine.size,
      rooms: this.marks.size,
      dropped,
      fromSnapshot,
      loadMs: performance.now() - t0,
    };
  }

  private snapshotEvery(): number {
    return this.options.snapshotEvery ?? SNAPSHOT_EVERY;
  }

  private stats(): Stats {
    const e = this.engine;
    return {
      ...(e?.stats() ?? { docs: 0, terms: 0, stale: 0 }),
      rooms: this.marks.size,
      pending: this.dirtyMarks.size + (e ? e.dirtyCount() : 0),
      persisted: this.store !== null,
      lastFlushMs: this.lastFlushMs,
      flushError: this.flushError,
    };
  }

  private schedule(): void {
    if (!this.store || this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush(false).catch(() => {
        /* recorded in flushError; the next change schedules a retry */
      });
    }, this.options.flushDelayMs ?? FLUSH_DELAY_MS);
  }

  /** Writes every pending change in one transaction (and a snapshot when due or asked). */
  async flush(snapshot: boolean): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing) await this.flushing.catch(() => undefined);
    const e = this.engine;
    const store = this.store;
    if (!e || !store) return;
    const segments = e.takeDirty();
    const marks = this.dirtyMarks;
    this.dirtyMarks = new Map();
    const wantSnapshot =
      (snapshot && e.sinceSnapshot > 0) || e.sinceSnapshot >= this.snapshotEvery();
    if (segments.size === 0 && marks.size === 0 && !wantSnapshot) return;
    const t0 = performance.now();
    this.flushing = (async () => {
      try {
        const snap = wantSnapshot ? await e.snapshot() : null;
        await store.write({ segments, marks, snapshot: snap });
        this.flushError = null;
        this.lastFlushMs = performance.now() - t0;
      } catch (err) {
        // Keep the changes pending so the next flush writes them.
        for (const seg of segments.keys()) e.markDirty(seg);
        for (const [k, v] of marks) if (!this.dirtyMarks.has(k)) this.dirtyMarks.set(k, v);
        if (wantSnapshot) e.sinceSnapshot = Math.max(e.sinceSnapshot, 1);
        this.flushError = (err as Error)?.message ?? String(err);
        throw new Failure('storage', `search flush failed: ${this.flushError}`);
      } finally {
        this.flushing = null;
      }
    })();
    await this.flushing;
  }
}

function checkShape(d: unknown): void {
  const o = d as Record<string, unknown> | null;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.id !== 'string' ||
    !o.id ||
    typeof o.convId !== 'string' ||
    typeof o.author !== 'string' ||
    typeof o.authorName !== 'string' ||
    typeof o.text !== 'string' ||
    typeof o.at !== 'number' ||
    !Number.isFinite(o.at) ||
    (o.room !== undefined && typeof o.room !== 'string')
  )
    throw new Failure('bad-request', `not a message document: ${JSON.stringify(d)?.slice(0, 200)}`);
}
