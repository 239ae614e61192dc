// Group commit (issue 16, item 4): every update applied in one event-loop turn is committed in
// one transaction; where the store defers the disk (SQLite, --durability full) the commit goes
// to the WAL and one fdatasync in libuv's thread pool makes it durable while the event loop goes
// on. One sync runs at a time: what arrives during it is committed as the next batch when it
// ends, and that batch's sync starts before the finished one is handed back (`settle`: forward
// and acknowledge), so the next fsync runs while the previous batch goes out. Batches settle in
// commit order, so each room's order is kept. With --durability process or on PostgreSQL a
// commit is durable when it returns and settles at once.
import * as Y from 'yjs';
import type { Metrics } from './metrics';
import type { Committed, Room } from './room';
import type { Store } from './store';

/** One group commit: in the database, durable once `settle`d. */
export interface Batch {
  readonly rooms: Array<{ room: Room; part: Committed; version: number | undefined }>;
  readonly versions: Map<string, number>;
  /** performance.now() when its commit began (store latency: until durable). */
  readonly started: number;
  settled: boolean;
}

export interface GroupCommitHandlers {
  /** A batch is durable: forward it, acknowledge its writers, run what waited (in order). */
  settle(batch: Batch): void;
  /** A commit or a sync failed: nothing of these rooms since the last durable batch is kept. */
  failed(rooms: Room[], error: Error): void;
}

export class GroupCommit {
  /** Rooms with pending updates. */
  private readonly dirty = new Set<Room>();
  private flushScheduled = false;
  /** Committed, waiting for the next WAL sync (Store.deferredSync). */
  private readonly unsynced: Batch[] = [];
  /** The batches the WAL sync in flight makes durable, or null. */
  private syncing: Batch[] | null = null;

  constructor(
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly on: GroupCommitHandlers,
  ) {}

  /** The room has a new pending update: commit it with the next batch. */
  add(room: Room): void {
    this.dirty.add(room);
    this.schedule();
  }

  /** The room was dropped: its pending updates are not committed. */
  forget(room: Room): void {
    this.dirty.delete(room);
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /**
   * Commits every pending update in one transaction (group commit). Where the store defers the
   * disk (SQLite, --durability full), the commit goes to the WAL and one `syncLog` in libuv's
   * thread pool makes it durable while the event loop goes on; what arrives meanwhile waits and
   * is committed, as one batch, when that sync ends (before the finished batch is forwarded:
   * the next fsync runs while the previous batch goes out). A batch is forwarded and
   * acknowledged only once durable (`settle`). `force`: commit even while a sync is running.
   */
  flush(force = false): void {
    this.flushScheduled = false;
    const deferred = this.store.deferredSync;
    if (deferred && this.syncing && !force) return; // the sync's end commits what waits
    const rooms = [...this.dirty];
    this.dirty.clear();
    const entries = rooms.flatMap((r) =>
      r.pending.map((p) => ({ room: r.name, update: p.update })),
    );
    if (entries.length === 0) return;
    const started = performance.now();
    let versions: Map<string, number>;
    try {
      versions = deferred ? this.store.appendDeferred(entries) : this.store.append(entries);
    } catch (error) {
      this.on.failed(rooms, error as Error);
      return;
    }
    this.metrics.updates.inc(entries.length);
    this.metrics.updateBytes.inc(entries.reduce((n, e) => n + e.update.byteLength, 0));
    const batch: Batch = { rooms: [], versions, started, settled: false };
    for (const room of rooms) {
      const part: Committed = {
        writes: room.pending,
        // What the room holds now is exactly what is committed: its acknowledgement.
        sv: Y.encodeStateVector(room.doc),
        after: room.afterFlush,
      };
      room.pending = [];
      room.afterFlush = [];
      room.committing = part;
      room.logCount += part.writes.length;
      room.logBytes += part.writes.reduce((n, w) => n + w.update.byteLength, 0);
      batch.rooms.push({ room, part, version: versions.get(room.name) });
    }
    if (!deferred) {
      this.on.settle(batch);
      return;
    }
    this.unsynced.push(batch);
    this.startSync();
  }

  /** One fsync of the WAL for every batch committed and not yet durable. */
  private startSync(): void {
    if (this.syncing || this.unsynced.length === 0) return;
    const batches = this.unsynced.splice(0);
    this.syncing = batches;
    this.store.syncLog().then(
      () => {
        if (this.syncing === batches) this.syncing = null;
        // Pipeline: what arrived during this sync is committed and its sync started first,
        // then this batch is forwarded and acknowledged while that fsync runs.
        this.flush();
        for (const b of batches) this.on.settle(b);
      },
      (error: unknown) => {
        if (this.syncing === batches) this.syncing = null;
        this.syncFailed(batches, error as Error);
        this.flush();
      },
    );
  }

  /**
   * Commits what is pending and makes everything committed durable now, on this thread, then
   * forwards and acknowledges it (drain and shutdown).
   */
  commitNow(): void {
    this.flush(true);
    const batches = [...(this.syncing ?? []), ...this.unsynced.splice(0)];
    this.syncing = null; // the sync in flight, when it ends, finds its batches settled
    if (batches.length === 0) return;
    try {
      this.store.syncLogNow();
    } catch (error) {
      this.syncFailed(batches, error as Error);
      return;
    }
    for (const b of batches) this.on.settle(b);
  }

  /** A failed fsync: nothing committed since the last good one is trusted to be on disk. */
  private syncFailed(batches: Batch[], error: Error): void {
    const failed = [...batches, ...this.unsynced.splice(0)].filter((b) => !b.settled);
    for (const b of failed) b.settled = true;
    const rooms = [...new Set(failed.flatMap((b) => b.rooms.map((r) => r.room)))];
    this.on.failed(rooms, error);
  }
}
