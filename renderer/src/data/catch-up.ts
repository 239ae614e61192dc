// Accounts: catch-up after (re)connecting and following the directory while online. Only the
// rooms whose version in the directory changed since this device last synced them are synced
// (plus rooms with local changes), so a user in hundreds of conversations syncs what changed,
// not everything (DESIGN.md, "Bounded connections"; README.md, "Catch-up").
import { metaRoom, pageRoom, parseRoom } from '../../../core/src/model/rooms';
import type { ClientContext } from './context';
import type { OpenDoc } from './docs';
import { roomOfVersionKey } from './directory';
import type { DirectorySync } from './directory-sync';
import type { Summaries } from './summaries';
import type { SyncState } from './sync-status';

/**
 * Rooms in flight at once: enough to hide the round trips (the window of 8 before issue 16 left
 * the socket idle between answers), bounded so a thousand rooms do not all hold a document in
 * memory at the same moment or spend the relay's per-user frame budget in one burst.
 */
const CONCURRENCY = 48;

interface RoomToSync {
  room: string;
  convId: string;
  version: number | null;
  period: number | null;
}

export interface CatchUpDeps {
  /** Registers the conversations created offline (before their rooms open). */
  registerPending(): Promise<void>;
  /** Rooms that stay local (not registered yet, or I was removed). */
  blocked(room: string): boolean;
  /** Rooms synced at the same time over the mux (default CONCURRENCY). */
  concurrency?: number;
}

export class CatchUp {
  /** Rooms the last catch-up synced (what changed since, not every conversation). */
  lastCatchUp: string[] = [];
  /** Rooms synced by catch-up and by following the directory since start (diagnostics). */
  roomsSynced = 0;
  private following: Promise<void> | null = null;
  private followAgain = false;
  private caughtUp = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly sync: SyncState,
    private readonly summaries: Summaries,
    private readonly directory: DirectorySync,
    private readonly deps: CatchUpDeps,
  ) {}

  /**
   * Register what was created offline, sync the directory, then only the rooms whose version
   * changed since this device last synced them, plus rooms with local changes.
   */
  async run(): Promise<void> {
    const sync = this.sync;
    const gen = ++sync.gen;
    const live = () => gen === sync.gen && !this.ctx.closed;
    sync.progress = { done: 0, total: 1 };
    sync.notify();
    await this.ctx.recordsLoaded;
    const inbox = this.directory.inbox;
    await inbox.loaded.catch(() => undefined);
    // Conversations created offline exist on the relay before their rooms are opened.
    await this.deps.registerPending();
    if (!live()) return;
    await inbox.whenSynced();
    if (!live()) return;
    this.directory.apply();
    const rooms = this.prioritized(this.changedRooms());
    const state = { done: 1, total: 1 + rooms.length };
    sync.progress = state;
    sync.notify();
    this.lastCatchUp = rooms.map((r) => r.room);
    await this.syncRooms(rooms, live, () => {
      state.done++;
      sync.notify();
    });
    if (!live()) return;
    sync.progress = null;
    this.caughtUp = true;
    if (sync.pending() === 0) sync.lastSyncedAt = this.ctx.now();
    sync.notify();
    // The directory may have changed while those rooms synced (follow() waits for catch-up):
    // sync what it announced meanwhile now, not at its next change.
    this.follow();
  }

  /** The directory changed: once caught up, sync what it says changed. */
  directoryChanged(): void {
    if (this.caughtUp) this.follow();
  }

  /** While online after catch-up: the directory changed, sync what it says changed. */
  private follow(): void {
    const sync = this.sync;
    if (this.ctx.closed || sync.progress !== null || sync.status().connection !== 'online') return;
    if (this.following) {
      this.followAgain = true;
      return;
    }
    const gen = sync.gen;
    const live = () => gen === sync.gen && !this.ctx.closed;
    this.following = (async () => {
      do {
        this.followAgain = false;
        await this.syncRooms(this.prioritized(this.changedRooms()), live, () => undefined);
      } while (this.followAgain && live());
    })().finally(() => {
      this.following = null;
    });
  }

  /** Resolves once no catch-up and no directory-driven sync is running (tests). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.following) await this.following;
      else if (this.sync.progress !== null) await this.sync.whenSettled(30_000);
      else return;
    }
  }

  /**
   * Rooms to sync: a room whose version in the directory differs from the one recorded when
   * this device last synced it, if this device holds it, or it is the conversation's newest
   * page (the list's preview and unread count), or the meta document of a conversation never
   * synced here; plus rooms with local changes the relay has not confirmed.
   */
  private changedRooms(): RoomToSync[] {
    const out = new Map<string, RoomToSync>();
    const { records, host } = this.ctx;
    const dir = this.directory.dir;
    if (dir) {
      for (const [convId] of dir.conversations) {
        const s = this.summaries.get(convId);
        if (s?.removed || s?.registered === false) continue;
        const versions = dir.activity.get(convId)?.versions ?? {};
        let newest = -1;
        for (const key of Object.keys(versions)) {
          const r = roomOfVersionKey(convId, key);
          if (r?.kind === 'page' && r.period > newest) newest = r.period;
        }
        for (const [key, version] of Object.entries(versions)) {
          const r = roomOfVersionKey(convId, key);
          if (!r) continue;
          const room = r.kind === 'meta' ? metaRoom(convId) : pageRoom(convId, r.period);
          const rec = records.get(room);
          if (rec?.version === version) continue;
          const wanted = rec !== undefined || (r.kind === 'page' && r.period === newest) || r.kind === 'meta';
          if (wanted) out.set(room, { room, convId, version, period: r.kind === 'page' ? r.period : null });
        }
      }
    }
    for (const room of host.pendingByRoom.rooms()) {
      if (out.has(room) || this.deps.blocked(room)) continue;
      const ref = parseRoom(room);
      if (ref?.kind === 'meta' || ref?.kind === 'page') {
        out.set(room, { room, convId: ref.convId, version: null, period: ref.kind === 'page' ? ref.period : null });
      }
    }
    return [...out.values()];
  }

  /**
   * The order people look: DMs, then conversations that mention me (known from earlier pages or
   * the directory's preview), then the most recently active (README.md, "Catch-up").
   */
  private prioritized(rooms: RoomToSync[]): RoomToSync[] {
    const dir = this.directory.dir;
    const mention = `@${this.ctx.session.username}`;
    const rank = new Map<string, [number, number]>();
    for (const r of rooms) {
      if (rank.has(r.convId)) continue;
      const act = dir?.activity.get(r.convId);
      const s = this.summaries.get(r.convId);
      const dm = (dir?.conversations.get(r.convId)?.kind ?? s?.kind) === 'dm';
      const mentioned = (s?.mentions ?? 0) > 0 || (act?.preview?.text.includes(mention) ?? false);
      rank.set(r.convId, [dm ? 0 : mentioned ? 1 : 2, -(act?.at ?? s?.activity ?? 0)]);
    }
    const key = (r: RoomToSync) => rank.get(r.convId) as [number, number];
    return [...rooms].sort((a, b) => {
      const [ka, kb] = [key(a), key(b)];
      return ka[0] - kb[0] || ka[1] - kb[1] || (a.convId < b.convId ? -1 : a.convId > b.convId ? 1 : 0);
    });
  }

  /**
   * Syncs `rooms` in priority order, `concurrency` at once over the one mux socket (the relay
   * answers each OPEN with its sync step 1 and 2; many in flight hide the round trips). The
   * version synced goes into the room's record, written with the relay's acknowledgement (one
   * transaction per 16 ms for all rooms), and the list follows the rooms in batches
   * (Summaries.hold), not once per room.
   */
  private async syncRooms(rooms: RoomToSync[], live: () => boolean, step: () => void): Promise<void> {
    const { host, records, store } = this.ctx;
    const queue = [...rooms];
    let toRelease: OpenDoc[] = [];
    let releasing: Promise<void> | null = null;
    const releaseBatch = (): Promise<void> => {
      releasing ??= (async () => {
        const batch = toRelease;
        toRelease = [];
        try {
          await this.summaries.flushHeld();
        } finally {
          for (const od of batch) host.release(od);
        }
      })().finally(() => (releasing = null));
      return releasing;
    };
    const n = Math.max(1, this.deps.concurrency ?? CONCURRENCY);
    const worker = async () => {
      while (live() && queue.length > 0) {
        const r = queue.shift() as RoomToSync;
        this.roomsSynced++;
        const od = r.period === null ? this.summaries.holdMeta(r.convId) : host.acquire(r.room);
        if (r.period !== null) this.summaries.watchPage(r.convId, od);
        try {
          await od.loaded;
          await od.whenSynced();
          if (live() && od.synced && !od.refused && r.version !== null) {
            od.record.version = r.version;
            records.set(r.room, od.record);
            // With the relay's acknowledgement of this room, due in the same 16 ms: one write.
            store.putDocRecordSoon(r.room, od.record);
          }
          if (r.period === null) this.summaries.docChanged(r.convId);
        } finally {
          // Released once the list has read it (the held summaries read open documents).
          toRelease.push(od);
        }
        step();
        if (toRelease.length >= n) await releaseBatch();
      }
    };
    this.summaries.hold();
    try {
      await Promise.all(Array.from({ length: n }, worker));
      await store.writeRecordsNow().catch(() => undefined);
    } finally {
      if (releasing) await releasing;
      await releaseBatch();
      await this.summaries.release();
    }
  }
}
