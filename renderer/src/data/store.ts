// The local store: ONE IndexedDB database for every document, summary, draft and setting.
// See README.md (Persistence) for the design: append-only update rows, compaction into one
// snapshot in one transaction, durability signalled by the transaction's `oncomplete`.
import { DB_VERSION, DRAFTS, META, SUMMARIES, UPDATES, commitNow, done, req, upgrade } from './idb';
import {
  StoreError,
  asDocRecord,
  isRecord,
  type DocRecord,
  type LoadedRows,
  type SummaryRecord,
  type UpdateRow,
} from './records';

export { DB_VERSION } from './idb';
export {
  CorruptRecordError,
  StoreError,
  type DocRecord,
  type LoadedRows,
  type SummaryRecord,
  type UpdateRow,
} from './records';

export const DB_NAME = 'ferry';
/** Version of the records' shapes, kept in the `meta` record `schema`. */
export const STORE_SCHEMA = 1;
/** A document with more rows than this is compacted into one snapshot on its next write. */
export const COMPACT_ROWS = 64;
/** Seq lanes: one per open connection (window), chosen at random. */
const LANES = 4096;
/** Records due (putDocRecordSoon) are written together this often. */
const RECORD_BATCH_MS = 16;

type Codec = 'deflate-raw';
const hasCodec = (): boolean =>
  typeof CompressionStream === 'function' && typeof DecompressionStream === 'function';

async function pipe(data: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const body = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

const CODEC: Codec = 'deflate-raw';
const deflate = (data: Uint8Array) => pipe(data, new CompressionStream(CODEC));
const inflate = (data: Uint8Array) => pipe(data, new DecompressionStream(CODEC));

export class LocalStore {
  /**
   * Row keys are `[doc, n * LANES + lane]`: `lane` is this connection's, so two windows writing
   * the same document never pick the same key (and `add` would refuse a collision anyway).
   */
  private readonly lane = Math.floor(Math.random() * LANES);
  private readonly nextN = new Map<string, number>();
  /** Keys of the rows this connection read or wrote per document: all compaction may delete. */
  private readonly known = new Map<string, Set<number>>();
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  private constructor(readonly db: IDBDatabase) {
    // Another tab or a newer version wants to upgrade: let it, we are the older one.
    db.onversionchange = () => db.close();
  }

  static async open(idb: IDBFactory, name = DB_NAME): Promise<LocalStore> {
    const open = idb.open(name, DB_VERSION);
    open.onupgradeneeded = (e) => upgrade(open.result, e.oldVersion);
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result);
      open.onerror = () =>
        reject(
          new StoreError(
            `Cannot open the local store "${name}": ${open.error?.message ?? 'unknown error'}` +
              (open.error?.name === 'VersionError' ? ' (it was written by a newer Ferry)' : ''),
          ),
        );
      open.onblocked = () =>
        reject(new StoreError(`The local store "${name}" is held open by an older Ferry window.`));
    });
    const store = new LocalStore(db);
    const schema = await store.getMeta('schema');
    const version = isRecord(schema) && typeof schema.version === 'number' ? schema.version : null;
    if (version === null) {
      await store.putMeta('schema', { version: STORE_SCHEMA, createdAt: Date.now() });
    } else if (version > STORE_SCHEMA) {
      db.close();
      throw new StoreError(
        `The local store has schema ${version}, newer than this Ferry's ${STORE_SCHEMA}: update Ferry.`,
      );
    }
    // version < STORE_SCHEMA: record migrations go here, then the schema record is rewritten.
    return store;
  }

  /**
   * Every transaction starts here. One that touches the records first writes those due
   * (putDocRecordSoon): IndexedDB runs transactions in the order they start, so readers and
   * writers see them as if each had been written when asked.
   */
  private transaction(
    stores: string[],
    mode: IDBTransactionMode,
    options?: IDBTransactionOptions,
    recordsFirst = true,
  ): IDBTransaction {
    if (recordsFirst && this.recordsDue.size > 0 && stores.includes(META)) this.writeDueRecords();
    return this.db.transaction(stores, mode, options);
  }

  private readonly recordsDue = new Map<string, DocRecord>();
  private recordsTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * A document's record, written soon with the others due in one transaction. The relay's
   * acknowledgement updates a room's record: in a catch-up hundreds of rooms get one each, one
   * message at a time, and a transaction each was a cost per room. Each is written as it is
   * then (the newest state); any transaction that touches records, and flush(), writes them
   * first. A crash before loses only what the relay had confirmed: what the record still calls
   * pending is sent again after the restart, and the relay ignores what it has.
   */
  putDocRecordSoon(doc: string, record: DocRecord): void {
    if (this.closed) return;
    this.recordsDue.set(doc, record);
    this.recordsTimer ??= setTimeout(() => this.writeDueRecords(), RECORD_BATCH_MS);
  }

  private writeDueRecords(): Promise<void> {
    if (this.recordsTimer !== null) clearTimeout(this.recordsTimer);
    this.recordsTimer = null;
    if (this.recordsDue.size === 0 || this.closed) return Promise.resolve();
    const tx = this.db.transaction([META], 'readwrite');
    const os = tx.objectStore(META);
    for (const [doc, record] of this.recordsDue) os.put(record, `doc:${doc}`);
    this.recordsDue.clear();
    commitNow(tx);
    const written = this.track(done(tx));
    written.catch(() => undefined);
    return written;
  }

  /** Writes the records due now; resolves when they are on disk. */
  writeRecordsNow(): Promise<void> {
    return this.writeDueRecords();
  }

  private track(p: Promise<void>): Promise<void> {
    this.inflight.add(p);
    const drop = () => this.inflight.delete(p);
    p.then(drop, drop);
    return p;
  }

  /** Reads every row of a document and its record, in one read-only transaction. */
  async readDoc(doc: string): Promise<LoadedRows> {
    // Records due are not written first: this reads one, and the one due (newer) is in memory.
    // Writing them before every read was a transaction per room again in a catch-up.
    const due = this.recordsDue.get(doc);
    const tx = this.transaction([UPDATES, META], 'readonly', undefined, false);
    const range = IDBKeyRange.bound([doc, 0], [doc, Infinity]);
    const [raw, rec] = await Promise.all([
      req(tx.objectStore(UPDATES).getAll(range)),
      req(tx.objectStore(META).get(`doc:${doc}`)),
    ]);
    const rows: UpdateRow[] = [];
    const bad: Array<{ seq: number; reason: string }> = [];
    let maxSeq = -1;
    const known = this.knownOf(doc);
    for (const r of raw as unknown[]) {
      const seq = isRecord(r) && typeof r.seq === 'number' ? r.seq : NaN;
      if (seq > maxSeq) maxSeq = seq;
      if (isRecord(r) && r.data instanceof Uint8Array && r.data.byteLength > 0) {
        const piece = r.p === 1 ? ({ p: 1 } as const) : {};
        if (r.z !== 1) {
          rows.push({ doc, seq, data: r.data, ...piece });
          known.add(seq);
          continue;
        }
        try {
          rows.push({ doc, seq, data: await inflate(r.data), ...piece });
          known.add(seq);
        } catch (e) {
          bad.push({ seq, reason: `cannot decompress (${e instanceof Error ? e.message : String(e)})` });
        }
      } else {
        bad.push({ seq, reason: 'not an update' });
      }
    }
    const n = Math.floor(maxSeq / LANES) + 1;
    this.nextN.set(doc, Math.max(this.nextN.get(doc) ?? 0, n));
    // The newest due record (the one due at the start was written during the read, if gone).
    const newest = this.recordsDue.get(doc) ?? due;
    return { rows, bad, record: newest ? structuredClone(newest) : asDocRecord(rec) };
  }

  /**
   * Appends one update of a document; the transaction is started synchronously, so the caller's
   * order is the order on disk. Resolves when the transaction completed (the update is on disk).
   * `record`, when given, is written in the same transaction.
   */
  append(doc: string, data: Uint8Array, record?: DocRecord, strict = record !== undefined): Promise<void> {
    const seq = this.takeSeq(doc);
    // Local writes (they carry a record) are `strict`: complete means flushed to disk, which is
    // what `send()` promises. Updates from the relay can be fetched again: `relaxed`.
    // Records only when one is written: an update from the relay neither waits for nor writes
    // the records due (putDocRecordSoon), which would be a transaction per room again.
    const tx = this.transaction(record ? [UPDATES, META] : [UPDATES], 'readwrite', {
      durability: strict ? 'strict' : 'relaxed',
    });
    // `add`, not `put`: a row another window wrote is never overwritten.
    tx.objectStore(UPDATES).add({ doc, seq, data } satisfies UpdateRow);
    if (record) tx.objectStore(META).put(record, `doc:${doc}`);
    // Commit now rather than when the task ends: a window closed right after sending has
    // already handed the transaction over to be committed.
    commitNow(tx);
    return this.track(
      done(tx).catch((e: unknown) => {
        this.knownOf(doc).delete(seq);
        if (e instanceof DOMException && e.name === 'ConstraintError' && !this.closed) {
          return this.append(doc, data, record, strict); // key taken by another window: next one
        }
        throw e;
      }),
    );
  }

  /**
   * Replaces the rows of `doc` this connection knows by `snapshot`, in one transaction: one row,
   * or, with `split`, its pieces (pieces.ts), marked `p: 1`. The caller guarantees that
   * `snapshot` contains every row written so far (it is the in-memory document's state).
   */
  compact(doc: string, snapshot: Uint8Array, split?: (snapshot: Uint8Array) => Promise<Uint8Array[]>): Promise<void> {
    // The merged rows are fixed now, when the snapshot holds exactly them: rows appended while it
    // is being cut and compressed, and rows other windows wrote, are not deleted. The first row's
    // place is taken now; the other pieces' when they are written (after rows appended meanwhile,
    // which then wait in Yjs's pending structs for a moment at the next load: nothing is lost).
    // One compaction of a document at a time: a second one's snapshot would merge the first's
    // first piece but not the pieces it has yet to write. Its rows stay for the next.
    if (this.compacting.has(doc)) return Promise.resolve();
    const known = this.knownOf(doc);
    const merged = [...known];
    const seq = this.takeSeq(doc);
    for (const k of merged) known.delete(k);
    // `cut`: the snapshot went through `split` (one piece or many), so it is marked and not
    // compacted again at the next load; a failed cut leaves it unmarked, for the next load.
    const write = (rows: Array<{ data: Uint8Array; z: boolean }>, cut: boolean): Promise<void> => {
      if (this.closed) return Promise.resolve();
      const seqs = rows.map((_, i) => (i === 0 ? seq : this.takeSeq(doc)));
      const tx = this.transaction([UPDATES], 'readwrite');
      const updates = tx.objectStore(UPDATES);
      for (const k of merged) updates.delete([doc, k]);
      rows.forEach(({ data, z }, i) => {
        const row: UpdateRow = { doc, seq: seqs[i] as number, data };
        if (z) row.z = 1;
        if (cut) row.p = 1;
        updates.put(row);
      });
      commitNow(tx);
      return done(tx);
    };
    const whole = { pieces: [snapshot], cut: false };
    const cutting = split ? split(snapshot).then((pieces) => ({ pieces, cut: true }), () => whole) : Promise.resolve(whole);
    this.compacting.add(doc);
    return this.track(
      cutting
        .then(({ pieces, cut }) =>
          hasCodec()
            ? Promise.all(pieces.map(async (p) => ({ data: await deflate(p), z: true }))).then((rows) => write(rows, cut))
            : write(
                pieces.map((data) => ({ data, z: false })),
                cut,
              ),
        )
        .finally(() => this.compacting.delete(doc)),
    );
  }

  /**
   * Replaces every row of `doc` (this window's and others') by `snapshot`, and its record, in one
   * transaction: a document rebuilt on a new clientID (docs.ts) must not come back with the state
   * the relay refused. A crash leaves either the old rows and record (rebuilt again) or the new.
   */
  replaceDoc(doc: string, snapshot: Uint8Array, record: DocRecord): Promise<void> {
    const seq = this.takeSeq(doc);
    const known = this.knownOf(doc);
    known.clear();
    known.add(seq);
    const tx = this.transaction([UPDATES, META], 'readwrite', { durability: 'strict' });
    const updates = tx.objectStore(UPDATES);
    updates.delete(IDBKeyRange.bound([doc, -Infinity], [doc, Infinity]));
    updates.put({ doc, seq, data: snapshot } satisfies UpdateRow);
    tx.objectStore(META).put(record, `doc:${doc}`);
    commitNow(tx);
    return this.track(done(tx));
  }

  /** Documents with a compaction being cut, compressed or written. */
  private readonly compacting = new Set<string>();

  private knownOf(doc: string): Set<number> {
    let set = this.known.get(doc);
    if (!set) this.known.set(doc, (set = new Set()));
    return set;
  }

  /** Row writes (added or deleted) this connection issued, counted; and the count at each room's last. */
  private writes = 0;
  private readonly lastWrite = new Map<string, number>();

  private noteWrite(doc: string): void {
    this.lastWrite.set(doc, ++this.writes);
  }

  /** A mark to compare with later: did this connection write rows of a room since (`wroteSince`)? */
  writeMark(): number {
    return this.writes;
  }

  wroteSince(doc: string, mark: number): boolean {
    return (this.lastWrite.get(doc) ?? 0) > mark;
  }

  private takeSeq(doc: string): number {
    if (this.closed) throw new StoreError('The local store is closed.');
    const n = this.nextN.get(doc);
    if (n === undefined) throw new StoreError(`Document "${doc}" was written before it was read.`);
    this.nextN.set(doc, n + 1);
    this.noteWrite(doc);
    const seq = n * LANES + this.lane;
    this.knownOf(doc).add(seq);
    return seq;
  }

  // The writes below are `async` so that a write after close (fire-and-forget callers: a relay
  // answer arriving as the window closes) rejects, and the caller's .catch takes it, instead
  // of IndexedDB's synchronous InvalidStateError escaping as an unhandled error.
  async putDocRecord(doc: string, record: DocRecord): Promise<void> {
    return this.putMeta(`doc:${doc}`, record);
  }

  /** All document records, keyed by room (only the `doc:` keys of `meta`). */
  async docRecords(): Promise<Map<string, DocRecord>> {
    const tx = this.transaction([META], 'readonly');
    const range = IDBKeyRange.bound('doc:', 'doc:\uffff');
    const [keys, values] = await Promise.all([
      req(tx.objectStore(META).getAllKeys(range)),
      req(tx.objectStore(META).getAll(range)),
    ]);
    const out = new Map<string, DocRecord>();
    keys.forEach((k, i) => {
      const rec = asDocRecord(values[i]);
      if (rec && typeof k === 'string') out.set(k.slice(4), rec);
    });
    return out;
  }

  /** Rooms with stored rows whose names start with `prefix` (e.g. `conv/<id>`). */
  async roomsWithPrefix(prefix: string): Promise<string[]> {
    return [...(await this.rowKeysWithPrefix(prefix)).keys()];
  }

  /** The keys (seq) of the stored rows of every document whose room starts with `prefix`. */
  async rowKeysWithPrefix(prefix: string): Promise<Map<string, number[]>> {
    const tx = this.transaction([UPDATES], 'readonly');
    const range = IDBKeyRange.bound([prefix, -Infinity], [prefix + '\uffff', Infinity]);
    const keys = (await req(tx.objectStore(UPDATES).getAllKeys(range))) as unknown[];
    const out = new Map<string, number[]>();
    for (const k of keys) {
      if (!Array.isArray(k) || typeof k[0] !== 'string' || typeof k[1] !== 'number') continue;
      const seqs = out.get(k[0]);
      if (seqs) seqs.push(k[1]);
      else out.set(k[0], [k[1]]);
    }
    return out;
  }

  /** Deletes documents (rows and records) for good: only `forget` of a removed conversation. */
  async deleteDocs(rooms: string[]): Promise<void> {
    const tx = this.transaction([UPDATES, META], 'readwrite');
    for (const room of rooms) {
      this.noteWrite(room);
      tx.objectStore(UPDATES).delete(IDBKeyRange.bound([room, -Infinity], [room, Infinity]));
      tx.objectStore(META).delete(`doc:${room}`);
      this.known.delete(room);
    }
    commitNow(tx);
    return this.track(done(tx));
  }

  async deleteSummary(id: string): Promise<void> {
    const tx = this.transaction([SUMMARIES, DRAFTS], 'readwrite');
    tx.objectStore(SUMMARIES).delete(id);
    tx.objectStore(DRAFTS).delete(id);
    commitNow(tx);
    return this.track(done(tx));
  }

  /** Meta records whose keys start with `prefix`, keyed by the rest of the key. */
  async metaWithPrefix(prefix: string): Promise<Map<string, unknown>> {
    const tx = this.transaction([META], 'readonly');
    const range = IDBKeyRange.bound(prefix, prefix + '\uffff');
    const [keys, values] = await Promise.all([
      req(tx.objectStore(META).getAllKeys(range)),
      req(tx.objectStore(META).getAll(range)),
    ]);
    const out = new Map<string, unknown>();
    keys.forEach((k, i) => {
      if (typeof k === 'string') out.set(k.slice(prefix.length), values[i]);
    });
    return out;
  }

  async deleteMeta(key: string): Promise<void> {
    const tx = this.transaction([META], 'readwrite');
    tx.objectStore(META).delete(key);
    commitNow(tx);
    return this.track(done(tx));
  }

  async getMeta(key: string): Promise<unknown> {
    const tx = this.transaction([META], 'readonly');
    return req(tx.objectStore(META).get(key));
  }

  async putMeta(key: string, value: unknown): Promise<void> {
    const tx = this.transaction([META], 'readwrite');
    tx.objectStore(META).put(value, key);
    commitNow(tx);
    return this.track(done(tx));
  }

  async getSummaries(): Promise<SummaryRecord[]> {
    const tx = this.transaction([SUMMARIES], 'readonly');
    const all = (await req(tx.objectStore(SUMMARIES).getAll())) as unknown[];
    return all.filter(
      (s): s is SummaryRecord => isRecord(s) && typeof s.id === 'string' && typeof s.title === 'string',
    );
  }

  async putSummaries(list: SummaryRecord[]): Promise<void> {
    const tx = this.transaction([SUMMARIES], 'readwrite');
    const store = tx.objectStore(SUMMARIES);
    for (const s of list) store.put(s);
    commitNow(tx);
    return this.track(done(tx));
  }

  async getDraft(id: string): Promise<string> {
    const tx = this.transaction([DRAFTS], 'readonly');
    const r = (await req(tx.objectStore(DRAFTS).get(id))) as unknown;
    return isRecord(r) && typeof r.text === 'string' ? r.text : '';
  }

  /** Every draft on this device (key: a conversation id, or `<convId>:thread:<rootId>`). */
  async listDrafts(): Promise<Array<{ id: string; text: string; at: number }>> {
    const tx = this.transaction([DRAFTS], 'readonly');
    const all = (await req(tx.objectStore(DRAFTS).getAll())) as unknown[];
    return all.flatMap((r) =>
      isRecord(r) && typeof r.id === 'string' && typeof r.text === 'string' && r.text.trim() !== ''
        ? [{ id: r.id, text: r.text, at: typeof r.at === 'number' ? r.at : 0 }]
        : [],
    );
  }

  async putDraft(id: string, text: string): Promise<void> {
    const tx = this.transaction([DRAFTS], 'readwrite');
    if (text === '') tx.objectStore(DRAFTS).delete(id);
    else tx.objectStore(DRAFTS).put({ id, text, at: Date.now() });
    commitNow(tx);
    return this.track(done(tx));
  }

  /** Bytes held by the stores (update payloads, records as JSON): for tests and benchmarks. */
  async storedBytes(): Promise<{ updates: number; rows: number; other: number }> {
    const tx = this.transaction([UPDATES, SUMMARIES, DRAFTS, META], 'readonly');
    let updates = 0;
    let rows = 0;
    await new Promise<void>((resolve, reject) => {
      const cursor = tx.objectStore(UPDATES).openCursor();
      cursor.onerror = () => reject(cursor.error);
      cursor.onsuccess = () => {
        const c = cursor.result;
        if (!c) return resolve();
        const v = c.value as unknown;
        rows++;
        if (isRecord(v) && v.data instanceof Uint8Array) updates += v.data.byteLength;
        c.continue();
      };
    });
    let other = 0;
    for (const name of [SUMMARIES, DRAFTS, META]) {
      const values = (await req(tx.objectStore(name).getAll())) as unknown[];
      for (const v of values) {
        other += JSON.stringify(v, (_k, x: unknown) =>
          x instanceof Uint8Array ? 'x'.repeat(x.byteLength) : x,
        ).length;
      }
    }
    return { updates, rows, other };
  }

  /** Resolves when every transaction started so far has completed. */
  async flush(): Promise<void> {
    this.writeDueRecords();
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.db.close();
  }
}
