// Rooms held by several nodes (docs/scale-out.md, "Updates between nodes"). After a commit a
// node publishes the room's new version and its updates; every other node holding the room
// applies them to its copy and forwards them to its clients. Pub/sub is trusted for speed
// only: each room's versions must arrive contiguously, and a node that sees a gap (a message
// lost to a Redis restart, a partition, a dropped publish) re-reads the missing commits from
// the database. A sweep compares the loaded rooms' versions with the database every few
// seconds, so nothing is missed for long even if no later message shows the gap.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { Room } from '../room';
import type { Store } from '../store';
import type { Bus } from './bus';

/** What the relay lets the cluster do to a room (relay.ts implements it). */
export interface RoomHost {
  readonly rooms: ReadonlyMap<string, Room>;
  /** Applies updates committed by another node: forwarded to local clients, not stored. */
  applyRemote(room: Room, updates: Uint8Array[]): void;
  /** Applies awareness of another node's clients (an encoded awareness update). */
  applyRemoteAwareness(room: Room, update: Uint8Array): void;
}

export interface ClusterRoomsOptions {
  bus: Bus;
  store: Store;
  log: Logger;
  metrics: Metrics;
  /** How long a gap may stay open before the missing commits are read (ms): they may be in flight. */
  gapWaitMs?: number;
  /** How often the loaded rooms' versions are compared with the database (ms). */
  sweepMs?: number;
}

const roomChannel = (name: string) => `room:${name}`;
const awarenessChannel = (name: string) => `aw:${name}`;

/** A commit as published: version, when (ms since the epoch), the updates. */
export function encodeCommit(version: number, at: number, updates: Uint8Array[]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, version);
  encoding.writeFloat64(e, at);
  encoding.writeVarUint(e, updates.length);
  for (const u of updates) encoding.writeVarUint8Array(e, u);
  return encoding.toUint8Array(e);
}

export function decodeCommit(
  bytes: Uint8Array,
): { version: number; at: number; updates: Uint8Array[] } | null {
  try {
    const d = decoding.createDecoder(bytes);
    const version = decoding.readVarUint(d);
    const at = decoding.readFloat64(d);
    const n = decoding.readVarUint(d);
    if (n > 100_000) return null;
    const updates: Uint8Array[] = [];
    for (let i = 0; i < n; i++) updates.push(decoding.readVarUint8Array(d));
    return { version, at, updates };
  } catch {
    return null;
  }
}

export class ClusterRooms {
  private host: RoomHost | null = null;
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly gapWaitMs: number;

  constructor(private readonly o: ClusterRoomsOptions) {
    this.gapWaitMs = o.gapWaitMs ?? 100;
    this.sweepTimer = setInterval(() => this.sweep(), o.sweepMs ?? 5_000);
    this.sweepTimer.unref();
    o.bus.onReconnect(() => {
      // Messages may have been lost while Redis was away: compare every loaded room now.
      o.metrics.clusterReconnects.inc();
      this.sweep();
    });
  }

  attach(host: RoomHost): void {
    this.host = host;
  }

  /** A room was created on this node: listen to its commits, then catch up once listening. */
  opened(room: Room): void {
    const { bus, log } = this.o;
    bus
      .subscribe(roomChannel(room.name), (payload) => this.onCommit(room.name, payload))
      .then(() => bus.subscribe(awarenessChannel(room.name), (p) => this.onAwareness(room.name, p)))
      // Commits between loading the room and the subscription being confirmed were not
      // delivered: read them now.
      .then(() => this.whenLoaded(room, () => this.catchUp(room)))
      .catch((err: unknown) => {
        if (!room.destroyed) log.warn({ room: room.name, err }, 'room subscription failed');
      });
  }

  /** The room left this node's memory. */
  closed(room: Room): void {
    if (room.catchUpTimer) clearTimeout(room.catchUpTimer);
    room.catchUpTimer = null;
    if (this.host?.rooms.get(room.name)) return; // loaded again meanwhile: keep listening
    void this.o.bus.unsubscribe(roomChannel(room.name)).catch(() => {});
    void this.o.bus.unsubscribe(awarenessChannel(room.name)).catch(() => {});
  }

  /** This node committed `updates` to the room as `version`: tell the others. */
  committed(room: Room, version: number, updates: Uint8Array[]): void {
    this.o.bus.publish(roomChannel(room.name), encodeCommit(version, Date.now(), updates));
    this.o.metrics.clusterMessages.inc({ kind: 'room', event: 'published' });
    this.hold(room, version);
  }

  /** Awareness changes of this node's clients (an encoded awareness update). */
  awareness(room: Room, update: Uint8Array): void {
    this.o.bus.publish(awarenessChannel(room.name), update);
    this.o.metrics.clusterMessages.inc({ kind: 'awareness', event: 'published' });
  }

  close(): void {
    clearInterval(this.sweepTimer);
  }

  private whenLoaded(room: Room, fn: () => void): void {
    if (room.destroyed) return;
    if (room.loaded) fn();
    else room.queue.push(fn);
  }

  // Handlers look the room up by name: the one loaded now (it may have been reloaded).
  private onCommit(name: string, payload: Uint8Array): void {
    const room = this.host?.rooms.get(name);
    if (!room) return;
    const commit = decodeCommit(payload);
    const { metrics, log } = this.o;
    if (!commit) {
      metrics.clusterMessages.inc({ kind: 'room', event: 'malformed' });
      log.warn({ room: name }, 'malformed commit from another node ignored');
      return;
    }
    metrics.clusterMessages.inc({ kind: 'room', event: 'received' });
    this.whenLoaded(room, () => {
      if (commit.version <= room.version || room.ahead.has(commit.version)) return;
      this.host?.applyRemote(room, commit.updates);
      metrics.clusterLag.observe(Math.max(0, Date.now() - commit.at) / 1000);
      this.hold(room, commit.version);
    });
  }

  private onAwareness(name: string, payload: Uint8Array): void {
    const room = this.host?.rooms.get(name);
    if (!room) return;
    this.o.metrics.clusterMessages.inc({ kind: 'awareness', event: 'received' });
    this.whenLoaded(room, () => this.host?.applyRemoteAwareness(room, payload));
  }

  /** The room now holds `version`; advance over what is contiguous, wait for a gap to close. */
  private hold(room: Room, version: number): void {
    if (version <= room.version) return;
    room.ahead.add(version);
    while (room.ahead.delete(room.version + 1)) room.version++;
    if (room.ahead.size === 0 || room.catchUpTimer) return;
    room.catchUpTimer = setTimeout(() => {
      room.catchUpTimer = null;
      if (room.ahead.size > 0) this.catchUp(room);
    }, this.gapWaitMs);
    room.catchUpTimer.unref();
  }

  /** Reads the commits after the room's version from the database and applies them. */
  private catchUp(room: Room): void {
    if (room.destroyed || !room.loaded || !this.host) return;
    const { store, metrics, log } = this.o;
    try {
      const since = store.readSince(room.name, room.version);
      if (since) {
        if (since.version <= room.version) return;
        this.host.applyRemote(room, since.updates);
        metrics.clusterGapReads.inc({ how: 'log' });
        this.advanceTo(room, since.version);
      } else {
        // Compacted meanwhile: the whole room (Yjs ignores what this node already holds).
        const stored = store.load(room.name);
        this.host.applyRemote(room, stored.updates);
        metrics.clusterGapReads.inc({ how: 'reload' });
        this.advanceTo(room, stored.version);
      }
    } catch (err) {
      // The database is away: the sweep tries again.
      log.warn({ room: room.name, err }, 'could not re-read commits of other nodes');
    }
  }

  private advanceTo(room: Room, version: number): void {
    if (version > room.version) room.version = version;
    // The database is the truth: what was held above it was applied already (a commit made
    // since is re-read when its gap shows), or was never committed (a bogus message) and
    // must not keep the room waiting.
    room.ahead.clear();
  }

  /** Compares every loaded room's version with the database; catches up those behind. */
  private sweep(): void {
    const host = this.host;
    if (!host || host.rooms.size === 0) return;
    let versions: Map<string, number>;
    try {
      versions = this.o.store.roomVersions([...host.rooms.keys()]);
    } catch {
      return; // the database is away; next time
    }
    for (const [name, version] of versions) {
      const room = host.rooms.get(name);
      if (room?.loaded && version > room.version) this.catchUp(room);
    }
  }
}
