// Persistence of the search index in its own IndexedDB database (the caller names it, e.g.
// `ferry-search-<userId>`). Object stores:
//   meta      'format' → FORMAT; 'snapshot' → the engine's Snapshot (FlexSearch export + vocabulary)
//   segments  segment key (page room, or `conv:<id>`) → StoredSegment: the page's indexed messages
//   marks     page room → { convId, mark }: the high-water mark of what was indexed from the page
// A version or format mismatch, or data that does not restore, drops everything: the caller
// sees empty marks and feeds every page again. Nothing here throws at the caller for that.
import { encodeSegment, type Row, type Snapshot } from './engine';

/** IndexedDB schema version: the object stores above. */
export const SCHEMA = 1;
/** Format of what is inside the stores (rows, snapshot). Bump to drop old indexes. */
export const FORMAT = 1;

export interface Mark {
  convId: string;
  mark: string | number;
}

export interface Loaded {
  snapshot: Snapshot | null;
  /** Stored segments, not decoded yet (`decodeSegment`): a bad one is the restore's error. */
  segments: [string, unknown][];
  marks: Map<string, Mark>;
  /** Why the store was emptied on open, if it was. */
  dropped: string | null;
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    // The failed request's error (a full disk's QuotaExceededError, a taken key): the
    // transaction's own is set only when it aborts, after this.
    tx.onerror = (e) => {
      const failed = (e.target as { error?: unknown } | null)?.error;
      reject(
        failed instanceof Error ? failed : (tx.error ?? new Error('IndexedDB transaction failed')),
      );
    };
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

const STORES = ['meta', 'segments', 'marks'] as const;

function open(
  idb: IDBFactory,
  name: string,
): Promise<{ db: IDBDatabase; upgradedFrom: number | null }> {
  return new Promise((resolve, reject) => {
    let upgradedFrom: number | null = null;
    const r = idb.open(name, SCHEMA);
    r.onupgradeneeded = (ev) => {
      const db = r.result;
      upgradedFrom = ev.oldVersion;
      // No migrations: an index is a cache of the messages. Any other layout is dropped.
      for (const s of [...db.objectStoreNames]) db.deleteObjectStore(s);
      for (const s of STORES) db.createObjectStore(s);
    };
    r.onsuccess = () => resolve({ db: r.result, upgradedFrom });
    r.onerror = () => reject(r.error ?? new Error('IndexedDB open failed'));
    r.onblocked = () =>
      reject(new Error(`search database ${name} is blocked by another connection`));
  });
}

export class SearchStore {
  private constructor(
    private db: IDBDatabase,
    readonly name: string,
  ) {}

  /** Opens (creating, or dropping a newer or foreign layout) and reads everything. */
  static async open(
    idb: IDBFactory,
    name: string,
  ): Promise<{ store: SearchStore; loaded: Loaded }> {
    let opened: Awaited<ReturnType<typeof open>>;
    let dropped: string | null = null;
    try {
      opened = await open(idb, name);
    } catch (err) {
      // VersionError: written by a newer schema. Drop it and start over.
      dropped = `could not open (${(err as Error)?.name ?? 'error'}: ${(err as Error)?.message ?? err})`;
      await req(idb.deleteDatabase(name));
      opened = await open(idb, name);
    }
    const { db, upgradedFrom } = opened;
    if (upgradedFrom !== null && upgradedFrom !== 0 && !dropped)
      dropped = `schema ${upgradedFrom} replaced by ${SCHEMA}`;
    const store = new SearchStore(db, name);
    if (
      !db.objectStoreNames.contains('meta') ||
      STORES.some((s) => !db.objectStoreNames.contains(s))
    ) {
      // Same version number, other layout: not ours. Recreate it.
      db.close();
      await req(idb.deleteDatabase(name));
      const again = await SearchStore.open(idb, name);
      again.loaded.dropped = 'unknown layout';
      return again;
    }
    try {
      const loaded = await store.readAll();
      loaded.dropped = dropped;
      return { store, loaded };
    } catch (err) {
      await store.clear();
      return {
        store,
        loaded: {
          snapshot: null,
          segments: [],
          marks: new Map(),
          dropped: `unreadable: ${(err as Error)?.message ?? err}`,
        },
      };
    }
  }

  private async readAll(): Promise<Loaded> {
    const tx = this.db.transaction([...STORES], 'readonly');
    const meta = tx.objectStore('meta');
    const format = await req(meta.get('format'));
    const fresh = format === undefined;
    const [snapshot, segKeys, segVals, markKeys, markVals] = await Promise.all([
      req(meta.get('snapshot')),
      req(tx.objectStore('segments').getAllKeys()),
      req(tx.objectStore('segments').getAll()),
      req(tx.objectStore('marks').getAllKeys()),
      req(tx.objectStore('marks').getAll()),
    ]);
    if (fresh && segKeys.length === 0 && markKeys.length === 0 && snapshot === undefined) {
      await this.writeFormat();
      return { snapshot: null, segments: [], marks: new Map(), dropped: null };
    }
    if (format !== FORMAT) throw new Error(`format ${String(format)}, expected ${FORMAT}`);
    const marks = new Map<string, Mark>();
    markKeys.forEach((k, i) => {
      const v = markVals[i] as Mark | undefined;
      if (typeof k !== 'string' || !v || typeof v.convId !== 'string') throw new Error('bad mark');
      marks.set(k, v);
    });
    return {
      snapshot: (snapshot as Snapshot | undefined) ?? null,
      segments: segKeys.map((k, i) => [String(k), segVals[i]]),
      marks,
      dropped: null,
    };
  }

  private async writeFormat(): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(FORMAT, 'format');
    await done(tx);
  }

  /** Empties every store (a corrupt index) and writes the format again. */
  async clear(): Promise<void> {
    const tx = this.db.transaction([...STORES], 'readwrite');
    for (const s of STORES) tx.objectStore(s).clear();
    tx.objectStore('meta').put(FORMAT, 'format');
    await done(tx);
  }

  /**
   * One transaction for a whole batch: changed segments (empty ones deleted), changed marks
   * (null deletes), and the snapshot when given. All of it lands or none of it does.
   */
  async write(batch: {
    segments: Map<string, Row[]>;
    marks: Map<string, Mark | null>;
    snapshot: Snapshot | null;
  }): Promise<void> {
    const tx = this.db.transaction([...STORES], 'readwrite');
    const segs = tx.objectStore('segments');
    for (const [k, rows] of batch.segments) {
      if (rows.length === 0) segs.delete(k);
      else segs.put(encodeSegment(rows), k);
    }
    const marks = tx.objectStore('marks');
    for (const [k, m] of batch.marks) {
      if (m === null) marks.delete(k);
      else marks.put(m, k);
    }
    if (batch.snapshot) tx.objectStore('meta').put(batch.snapshot, 'snapshot');
    await done(tx);
  }

  close(): void {
    this.db.close();
  }
}
