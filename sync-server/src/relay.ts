// The relay's heart: rooms loaded and unloaded, the y-websocket protocol, durable group commit.
//
// An incoming update is applied to the room's in-memory Y.Doc (which tells us whether it changed
// anything), queued, and committed with every other update that arrived in the same event-loop
// turn in ONE SQLite transaction. Only after the commit is it forwarded to the room's other
// clients, and the writer gets the relay's state vector (sync step 1) as its durable ack.
// Anything that would reveal uncommitted state to a client (a sync step 2 answer, the initial
// state vector) waits for that commit too.
import * as decoding from 'lib0/decoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import { CloseCode, MessageType, SyncMessageType } from '../../core/src/protocol/messages';
import type { RelayConfig } from './config';
import {
  ANONYMOUS,
  type Principal,
  type RelayHooks,
  type RelayRefusal,
  type RelayRooms,
} from './hooks';
import {
  AWARENESS_SWEEP_MS,
  applyAwareness,
  checkAwarenessJson,
  expireAwareness,
  decodeAwarenessEntries,
  judgeAwareness,
  noteAwarenessChange,
  queryAwarenessAnswer,
  sendAwarenessBatch,
} from './awareness';
import { TokenBuckets, parseBucketSpec } from './limits';
import type { Logger } from './log';
import { FrameError, permissionDenied, syncMessage, syncStep1Sv } from './messages';
import type { Metrics } from './metrics';
import { Room, storedStateAsUpdate, type PendingWrite, type RoomConn } from './room';
import { GroupCommit, type Batch } from './commits';
import type { Store } from './store';
import type { ClusterRooms, RoomHost } from './cluster/rooms';

const LOAD = Symbol('load');
/** Origin of the relay's own writes (`applyAsRelay`). */
const RELAY = Symbol('relay');
/** Origin of updates and awareness another node committed or received (already stored there). */
const REMOTE = Symbol('remote');
/** An empty state vector (no clients). */
const EMPTY_SV = new Uint8Array([0]);

export class Relay implements RelayRooms, RoomHost {
  readonly rooms = new Map<string, Room>();
  private readonly storedListeners = new Set<(stored: Map<string, number>) => void>();
  /** Group commit: pending updates to the database, durable batches back to `settle`. */
  private readonly commits: GroupCommit;
  /** The sync step 1 message of each durable state vector (durableStep1). */
  private readonly step1s = new WeakMap<Uint8Array, Uint8Array>();
  /** Room subscriptions per user (accounts on), for --max-rooms-per-user. */
  private readonly userRooms = new Map<string, number>();
  /** Awareness bytes per user (per connection without accounts). */
  private readonly awarenessBudget: TokenBuckets;
  /** Frames per user (accounts on). */
  private readonly frameBudget: TokenBuckets;
  /** False after a failed write until a write succeeds again. */
  storeHealthy = true;
  storeError: string | null = null;
  /** The other nodes holding the same rooms (docs/scale-out.md); null on one node. */
  private peers: ClusterRooms | null = null;
  /** Expires awareness states of every room (awareness.ts, expireAwareness). */
  private readonly awarenessSweep: NodeJS.Timeout;

  constructor(
    readonly config: RelayConfig,
    readonly store: Store,
    readonly log: Logger,
    readonly metrics: Metrics,
    readonly hooks: RelayHooks,
  ) {
    this.awarenessBudget = new TokenBuckets(
      parseBucketSpec(config.limitAwarenessUser) ?? { burst: 65536, perSecond: 16384 },
    );
    this.frameBudget = new TokenBuckets(
      parseBucketSpec(config.limitFramesUser) ?? { burst: 5000, perSecond: 300 },
    );
    this.commits = new GroupCommit(store, metrics, {
      settle: (batch) => this.settle(batch),
      failed: (rooms, error) => this.storeFailed(rooms, error),
    });
    // Awareness states not renewed in time, for every room from one timer (not one per room).
    this.awarenessSweep = setInterval(() => {
      const now = Date.now();
      for (const room of this.rooms.values()) expireAwareness(room, now);
    }, AWARENESS_SWEEP_MS);
    this.awarenessSweep.unref();
  }

  /** Commits what is pending now (tests, unload); durable and forwarded once synced. */
  flush(): void {
    this.commits.flush(true);
  }

  /** Commits what is pending and makes it durable on this thread, then forwards it (drain). */
  commitNow(): void {
    this.commits.commitNow();
  }

  /**
   * Takes one frame from the sender's budget (--limit-frames-user); false: the transport closes
   * the socket with 1013 and the client reconnects later. Without accounts (loopback only:
   * benchmarks, interop) frames are not counted.
   */
  takeFrame(principal: Principal): boolean {
    if (principal.id === ANONYMOUS.id) return true;
    return this.frameBudget.take(principal.id).ok;
  }

  /**
   * Whether `principal` may open one more room (--max-rooms-per-user, over all their sockets).
   * Without accounts every client is the same anonymous principal: only the per-socket cap applies.
   */
  mayJoin(principal: Principal): boolean {
    if (principal.id === ANONYMOUS.id) return true;
    return (this.userRooms.get(principal.id) ?? 0) < this.config.maxRoomsPerUser;
  }

  /** Tells the hooks (the audit) about a refusal; never throws. */
  refused(r: RelayRefusal): void {
    try {
      this.hooks.refused?.(r);
    } catch (error) {
      this.log.error({ err: error }, 'refusal hook failed');
    }
  }

  private countRoom(principal: Principal, delta: 1 | -1): void {
    if (principal.id === ANONYMOUS.id) return;
    const n = (this.userRooms.get(principal.id) ?? 0) + delta;
    if (n > 0) this.userRooms.set(principal.id, n);
    else this.userRooms.delete(principal.id);
  }

  /** Runs with other nodes: commits and awareness travel through `peers`. */
  setPeers(peers: ClusterRooms): void {
    this.peers = peers;
    peers.attach(this);
  }

  applyRemote(room: Room, updates: Uint8Array[]): void {
    if (room.destroyed || updates.length === 0) return;
    // The 'update' handler forwards what is new to this node's clients (nothing is stored:
    // the node that accepted these stored them).
    Y.transact(
      room.doc,
      () => {
        for (const u of updates) Y.applyUpdate(room.doc, u, REMOTE);
      },
      REMOTE,
    );
    // Stored by the node that took them: durable. (While this room has commits of its own on
    // their way, its durable state vector stays the older one: lower, never ahead.)
    if (room.durable) room.durableSv = Y.encodeStateVector(room.doc);
  }

  applyRemoteAwareness(room: Room, update: Uint8Array): void {
    if (room.destroyed) return;
    let entries;
    try {
      entries = decodeAwarenessEntries(update);
    } catch {
      this.metrics.clusterMessages.inc({ kind: 'awareness', event: 'malformed' });
      return;
    }
    try {
      checkAwarenessJson(room, entries);
    } catch {
      this.metrics.clusterMessages.inc({ kind: 'awareness', event: 'malformed' });
      return;
    }
    // Held as another node's until removed there (or timed out: y-protocols drops states not
    // renewed within 30 s, which is how the clients of a node that died disappear).
    for (const e of entries) room.remoteAwareness.add(e.id);
    awarenessProtocol.applyAwarenessUpdate(room.awareness, update, REMOTE);
  }

  /** Adds a subscription; the room is loaded first if needed, then the client gets step 1. */
  join(conn: RoomConn, name: string): void {
    const room = this.room(name);
    if (room.idleTimer) {
      clearTimeout(room.idleTimer);
      room.idleTimer = null;
    }
    if (!room.conns.has(conn)) this.countRoom(conn.principal, 1);
    room.setConn(conn, {
      awareness: new Set(),
      queriedAt: -Infinity,
      lastAckAt: 0,
      ackTimer: null,
    });
    this.metrics.roomConnections.inc();
    const greet = () => {
      if (!room.conns.has(conn)) return;
      // The durable state vector: nothing uncommitted is revealed, and no wait for a commit.
      conn.send(this.durableStep1(room));
      // Everyone's awareness comes with the next batch: one encoding for all who joined in
      // the window, instead of one full encoding per join (N² during a join storm).
      if ((room.peekAwareness?.getStates().size ?? 0) > 0) {
        (room.awarenessGreet ??= new Set()).add(conn);
        this.scheduleAwareness(room);
      }
    };
    if (room.loaded) greet();
    else room.queue.push(greet);
  }

  leave(conn: RoomConn, name: string): void {
    const room = this.rooms.get(name);
    if (!room) return;
    const state = room.deleteConn(conn);
    if (!state) return;
    this.countRoom(conn.principal, -1);
    room.awarenessGreet?.delete(conn);
    if (state.ackTimer) clearTimeout(state.ackTimer);
    const ids = state.awareness;
    this.metrics.roomConnections.dec();
    if (ids.size > 0 && room.loaded) {
      awarenessProtocol.removeAwarenessStates(room.awareness, [...ids], null);
    }
    if (room.conns.size === 0) this.scheduleUnload(room);
  }

  /** Handles one y-websocket message. Throws FrameError for a protocol violation. */
  receive(conn: RoomConn, name: string, message: Uint8Array): void {
    this.metrics.messagesIn.inc();
    const room = this.rooms.get(name);
    if (!room || !room.conns.has(conn)) return;
    if (!room.loaded || room.held) {
      // Loading, or a sync step 2 answer waits for the room to be durable (runAfter): in order.
      // Decode errors must still close the connection, so the message is checked when handled.
      room.queue.push(() => {
        try {
          this.handle(room, conn, message);
        } catch (error) {
          if (error instanceof FrameError) this.refuse(conn, error);
          else throw error;
        }
      });
      return;
    }
    this.handle(room, conn, message);
  }

  /** Logs and counts a refused frame and closes the connection. */
  refuse(conn: RoomConn, error: FrameError): void {
    this.metrics.refusedFrames.inc({ reason: error.metric });
    this.refused({
      principal: conn.principal,
      what: 'frame',
      rule: error.metric,
      reason: error.reason,
    });
    conn.log.warn({ code: error.code, reason: error.reason }, 'refused frame; closing');
    conn.close(error.code, error.reason);
  }

  private handle(room: Room, conn: RoomConn, message: Uint8Array): void {
    if (room.destroyed || !room.conns.has(conn)) return;
    const decoder = decoding.createDecoder(message);
    const read = <T>(f: () => T, what: string): T => {
      try {
        return f();
      } catch {
        throw new FrameError(CloseCode.protocolError, `malformed ${what}`, 'malformed');
      }
    };
    const type = read(() => decoding.readVarUint(decoder), 'message type');
    switch (type) {
      case MessageType.sync: {
        const kind = read(() => decoding.readVarUint(decoder), 'sync message');
        const payload = read(() => decoding.readVarUint8Array(decoder), 'sync message');
        if (kind === SyncMessageType.step1) {
          read(() => Y.decodeStateVector(payload), 'state vector');
          room.whenDurable(() => {
            if (room.conns.has(conn)) {
              conn.send(syncMessage(SyncMessageType.step2, storedStateAsUpdate(room.doc, payload)));
            }
          });
        } else if (kind === SyncMessageType.step2 || kind === SyncMessageType.update) {
          this.applyUpdate(room, conn, payload);
        } else {
          throw new FrameError(
            CloseCode.unsupportedData,
            `unknown sync message ${kind}`,
            'unknown',
          );
        }
        break;
      }
      case MessageType.awareness: {
        const payload = read(() => decoding.readVarUint8Array(decoder), 'awareness message');
        // Validate fully before applying, so a bad update changes nothing.
        const entries = read(() => decodeAwarenessEntries(payload), 'awareness update');
        read(() => checkAwarenessJson(room, entries), 'awareness update');
        const { kept, refusals } = judgeAwareness(room, conn, entries, this.awarenessBudget);
        for (const reason of refusals) {
          this.metrics.refusedFrames.inc({ reason: 'awareness' });
          conn.log.warn({ room: room.name, reason: reason.reason }, 'awareness update refused');
          this.refused({
            principal: conn.principal,
            what: 'awareness',
            rule: reason.rule,
            room: room.name,
            reason: reason.reason,
          });
        }
        applyAwareness(room, conn, payload, entries, kept);
        break;
      }
      case MessageType.auth:
        // Clients have nothing to say in the auth sub-protocol (yet); accepted and ignored.
        break;
      case MessageType.queryAwareness:
        conn.send(queryAwarenessAnswer(room, conn));
        break;
      default:
        throw new FrameError(CloseCode.unsupportedData, `unknown message type ${type}`, 'unknown');
    }
  }

  private applyUpdate(room: Room, conn: RoomConn, update: Uint8Array): void {
    const check = this.hooks.checkUpdate;
    const verdict = check?.({ principal: conn.principal, room: room.name, update, doc: room.doc });
    if (verdict) {
      if (!verdict.ok) {
        if (verdict.resync) {
          // Not a refusal: the sender re-sends it with what it builds on (one sync step 2).
          if (room.conns.has(conn)) conn.send(this.durableStep1(room));
          return;
        }
        this.metrics.refusedUpdates.inc();
        this.metrics.updatesRefused.inc({ rule: verdict.rule ?? 'hook' });
        conn.log.warn(
          { room: room.name, rule: verdict.rule, reason: verdict.reason },
          'update refused',
        );
        conn.send(permissionDenied(verdict.reason));
        return;
      }
    }
    // No structs and no deletions (V1: two zero counts), as in the stock client's answer to
    // each acknowledgement when it has nothing the relay lacks: nothing to apply, bind or store.
    if (update.byteLength === 2 && update[0] === 0 && update[1] === 0) return;
    const hadPending = room.doc.store.pendingStructs !== null;
    try {
      Y.applyUpdate(room.doc, update, conn);
    } catch {
      throw new FrameError(CloseCode.protocolError, 'malformed update', 'malformed');
    }
    if (verdict?.ok) verdict.applied?.();
    if (!hadPending && room.doc.store.pendingStructs !== null) {
      // The update needs something the relay lacks: our state vector makes the client re-send it.
      conn.send(this.durableStep1(room));
    }
  }

  /**
   * Writes into a room as the relay itself (e.g. a directory document): `fn` runs in one
   * transaction on the room's document once it is loaded, and the change is stored and
   * forwarded like any client's update. The room stays loaded as long as it has clients
   * (else for --room-idle-ms).
   */
  applyAsRelay(name: string, fn: (doc: Y.Doc) => void): void {
    const room = this.room(name);
    const run = () => {
      if (room.destroyed) return;
      Y.transact(room.doc, () => fn(room.doc), RELAY);
      if (room.conns.size === 0) this.scheduleUnload(room);
    };
    if (room.loaded) run();
    else room.queue.push(run);
  }

  loadedDoc(name: string): Y.Doc | undefined {
    const room = this.rooms.get(name);
    return room?.loaded && !room.destroyed ? room.doc : undefined;
  }

  /** Called after each commit with the rooms it stored and their new versions. */
  onStored(listener: (stored: Map<string, number>) => void): () => void {
    this.storedListeners.add(listener);
    return () => this.storedListeners.delete(listener);
  }

  /**
   * Closes the subscriptions of the principal `user` in every loaded room `match` accepts
   * (mux: a CLOSE frame for the room; plain: the socket). Returns how many were closed.
   */
  closeRooms(user: string, match: (room: string) => boolean, code: number, reason: string): number {
    let n = 0;
    for (const room of [...this.rooms.values()]) {
      if (!match(room.name)) continue;
      for (const conn of [...room.conns.keys()]) {
        if (conn.principal.id !== user) continue;
        this.leave(conn, room.name);
        conn.close(code, reason);
        n++;
      }
    }
    return n;
  }

  private room(name: string): Room {
    const existing = this.rooms.get(name);
    if (existing) return existing;
    const created = new Room(name);
    this.rooms.set(name, created);
    this.metrics.roomsLoaded.set(this.rooms.size);
    created.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === LOAD) return;
      if (origin === REMOTE) {
        const message = syncMessage(SyncMessageType.update, update);
        for (const c of created.conns.keys()) c.send(message);
        return;
      }
      created.pending.push({
        update,
        origin: created.conns.has(origin as RoomConn) ? (origin as RoomConn) : null,
      });
      this.commits.add(created);
    });
    // Made with the first awareness state the room receives (room.ts).
    created.onAwareness = (awareness) =>
      awareness.on(
        'update',
        (change: { added: number[]; updated: number[]; removed: number[] }) => {
          noteAwarenessChange(created, change);
          this.scheduleAwareness(created);
        },
      );
    this.peers?.opened(created);
    const load = () => this.load(created);
    if (this.config.debugLoadDelayMs > 0) setTimeout(load, this.config.debugLoadDelayMs);
    else load();
    return created;
  }

  private load(room: Room): void {
    if (room.destroyed) return;
    const started = performance.now();
    try {
      const stored = this.store.load(room.name);
      Y.transact(
        room.doc,
        () => {
          for (const u of stored.updates) Y.applyUpdate(room.doc, u, LOAD);
        },
        LOAD,
      );
      room.logCount = stored.logCount;
      room.logBytes = stored.logBytes;
      room.snapshotBytes = stored.snapshotBytes;
      room.version = stored.version;
    } catch (error) {
      this.log.error({ room: room.name, err: error }, 'room failed to load; closing its clients');
      this.drop(room, CloseCode.unavailable, 'room failed to load');
      return;
    }
    this.metrics.storeLatency.observe({ op: 'load' }, (performance.now() - started) / 1000);
    room.durableSv = Y.encodeStateVector(room.doc);
    room.loaded = true;
    this.drainQueue(room);
  }

  /** A durable batch: forwarded, its writers acknowledged, what waited for it run. */
  private settle(batch: Batch): void {
    if (batch.settled) return;
    batch.settled = true;
    this.metrics.storeLatency.observe({ op: 'append' }, (performance.now() - batch.started) / 1000);
    if (!this.storeHealthy) {
      this.log.warn('database writes succeed again; readiness restored');
      this.storeHealthy = true;
      this.storeError = null;
    }
    for (const { room, part, version } of batch.rooms) {
      if (room.destroyed) continue;
      room.durableSv = part.sv;
      if (room.committing === part) room.committing = null;
      this.forward(room, part.writes);
      const writers = new Set<RoomConn>();
      for (const w of part.writes) if (w.origin && room.conns.has(w.origin)) writers.add(w.origin);
      for (const c of writers) this.ack(room, c);
      this.runAfter(room, part.after);
      if (this.peers && version !== undefined) {
        this.peers.committed(
          room,
          version,
          part.writes.map((w) => w.update),
        );
      }
      this.maybeCompact(room);
    }
    for (const listener of this.storedListeners) {
      try {
        listener(batch.versions);
      } catch (error) {
        this.log.error({ err: error }, 'a stored-update listener failed');
      }
    }
  }

  /**
   * Runs what waited for a commit, if the room holds nothing newer that is not durable yet;
   * else they wait for that too, and the room's incoming messages are held meanwhile, so the
   * wait is one commit at most (a sync step 2 answer never carries what is not durable).
   */
  private runAfter(room: Room, after: Array<() => void>): void {
    if (!room.durable) {
      if (after.length === 0) return;
      room.held = true;
      (room.committing ? room.committing.after : room.afterFlush).unshift(...after);
      return;
    }
    for (const fn of after) fn();
    if (!room.held) return;
    room.held = false;
    this.drainQueue(room);
  }

  /** Handles what waited in the room's queue, in order, until the room is held again. */
  private drainQueue(room: Room): void {
    while (!room.destroyed && room.loaded && !room.held && room.queue.length > 0) {
      room.queue.shift()?.();
    }
  }

  /**
   * The sync step 1 that acknowledges what is durable: the room's durable state vector, encoded
   * once per commit for every writer and joiner it goes to.
   */
  private durableStep1(room: Room): Uint8Array {
    const sv = room.durableSv ?? EMPTY_SV;
    let message = this.step1s.get(sv);
    if (!message) this.step1s.set(sv, (message = syncStep1Sv(sv)));
    return message;
  }

  /**
   * Sends committed updates to everyone in the room but their writer. Several updates of one
   * writer in one commit go out merged, so its burst costs each reader one message per commit.
   */
  private forward(room: Room, writes: PendingWrite[]): void {
    const first = writes[0];
    if (!first) return;
    if (writes.length === 1) {
      const message = syncMessage(SyncMessageType.update, first.update);
      for (const c of room.conns.keys()) if (c !== first.origin) c.send(message);
      return;
    }
    // Several updates: merged into one message, encoded once, one frame per subscription
    // instead of one per update. The room's only writer in the commit is skipped; with several
    // writers each gets the others' updates with its own (a no-op for it, as the reference
    // server echoes every update to its writer).
    const sole = writes.every((w) => w.origin === first.origin) ? first.origin : null;
    const message = syncMessage(
      SyncMessageType.update,
      Y.mergeUpdates(writes.map((w) => w.update)),
    );
    for (const c of room.conns.keys()) if (c !== sole) c.send(message);
  }

  /**
   * The durable acknowledgement: the relay's state vector as a sync step 1. Paced to one per
   * --ack-interval-ms per subscription (the last one trailing), because the stock client answers
   * each with a step 2 of everything the vector lacks, which in a burst is what is in flight.
   */
  private ack(room: Room, conn: RoomConn): void {
    const state = room.conns.get(conn);
    if (!state || state.ackTimer) return;
    const now = performance.now();
    const wait = state.lastAckAt + this.config.ackIntervalMs - now;
    const send = () => {
      state.ackTimer = null;
      if (room.destroyed || !room.conns.has(conn)) return;
      state.lastAckAt = performance.now();
      conn.send(this.durableStep1(room));
    };
    if (wait <= 0) send();
    else state.ackTimer = setTimeout(send, wait);
  }

  private storeFailed(rooms: Room[], error: Error): void {
    this.metrics.storeErrors.inc();
    this.storeHealthy = false;
    this.storeError = error.message;
    this.log.error(
      { err: error, rooms: rooms.map((r) => r.name) },
      'DATABASE WRITE FAILED: writes refused, readiness false; closing the rooms whose updates were not stored',
    );
    // Memory is now ahead of the database: drop those rooms, clients reconnect and re-send.
    for (const room of rooms) this.drop(room, CloseCode.storageFailed, 'relay storage failed');
  }

  /**
   * Compaction merges the whole room, so it waits for a quiet second (an active room keeps
   * appending, cheaply); a room that never pauses is compacted once its log outweighs its
   * snapshot and is 20 times the threshold, which keeps the total merge work linear.
   */
  private maybeCompact(room: Room): void {
    const threshold = this.config.compactAfter;
    if (room.logCount < threshold) return;
    if (room.logCount >= threshold * 20 && room.logBytes >= room.snapshotBytes) {
      this.compact(room);
      return;
    }
    if (room.compactTimer) clearTimeout(room.compactTimer);
    room.compactTimer = setTimeout(() => {
      room.compactTimer = null;
      if (!room.destroyed && room.logCount >= threshold) this.compact(room);
    }, 1000);
  }

  compact(room: Room): void {
    if (room.compactTimer) clearTimeout(room.compactTimer);
    room.compactTimer = null;
    const started = performance.now();
    try {
      const result = this.store.compact(room.name);
      if (result.busy) {
        // Another node holds the room's compaction lease: it folds the log; try again later.
        this.metrics.compactionLease.inc({ result: 'busy' });
        return;
      }
      if (this.store.db.dialect === 'postgres')
        this.metrics.compactionLease.inc({ result: 'acquired' });
      room.logCount = 0;
      room.logBytes = 0;
      room.snapshotBytes = result.bytesAfter || room.snapshotBytes;
      this.metrics.compactions.inc();
      this.metrics.storeLatency.observe({ op: 'compact' }, (performance.now() - started) / 1000);
      this.log.debug({ room: room.name, ...result }, 'room compacted');
    } catch (error) {
      // Nothing is lost: the log stays as it was (the transaction rolled back).
      this.metrics.storeErrors.inc();
      this.log.error({ room: room.name, err: error }, 'compaction failed; log kept');
    }
  }

  private scheduleAwareness(room: Room): void {
    if (room.awarenessTimer || room.destroyed) return;
    room.awarenessTimer = setTimeout(() => {
      room.awarenessTimer = null;
      if (room.destroyed) return;
      if (this.peers) {
        // Only this node's clients' changes: the others' came from their nodes.
        const dirty = [...(room.dirtyAwareness ?? [])];
        const local = dirty.filter((id) => !room.isRemoteAwareness(id));
        if (local.length > 0) {
          this.peers.awareness(
            room,
            awarenessProtocol.encodeAwarenessUpdate(room.awareness, local),
          );
        }
        const states = room.awareness.getStates();
        for (const id of dirty) {
          if (!states.has(id) && room.isRemoteAwareness(id)) room.remoteAwareness.delete(id);
        }
      }
      sendAwarenessBatch(room);
    }, this.config.awarenessBatchMs);
  }

  private scheduleUnload(room: Room): void {
    if (room.idleTimer) clearTimeout(room.idleTimer);
    room.idleTimer = setTimeout(() => {
      room.idleTimer = null;
      if (room.conns.size === 0) this.unload(room);
    }, this.config.roomIdleMs);
  }

  /** Removes an idle room from memory, after committing and compacting what it holds. */
  unload(room: Room): void {
    // Committed now even while a sync runs; the compaction's own commit (synchronous=FULL)
    // syncs the WAL with it.
    if (room.pending.length > 0) this.commits.flush(true);
    if (room.destroyed) return;
    if (room.logCount > 1) this.compact(room);
    this.destroy(room);
    this.log.debug({ room: room.name }, 'room unloaded');
  }

  /** Closes every client of the room and forgets it without writing anything. */
  private drop(room: Room, code: number, reason: string): void {
    this.destroy(room);
    for (const [c, state] of [...room.conns]) {
      if (state.ackTimer) clearTimeout(state.ackTimer);
      room.deleteConn(c);
      this.countRoom(c.principal, -1);
      this.metrics.roomConnections.dec();
      c.close(code, reason);
    }
  }

  private destroy(room: Room): void {
    if (room.destroyed) return;
    room.destroyed = true;
    if (room.idleTimer) clearTimeout(room.idleTimer);
    if (room.awarenessTimer) clearTimeout(room.awarenessTimer);
    if (room.compactTimer) clearTimeout(room.compactTimer);
    this.commits.forget(room);
    room.pending = [];
    room.afterFlush = [];
    room.committing = null;
    room.held = false;
    room.queue.length = 0;
    room.peekAwareness?.destroy();
    room.doc.destroy();
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    this.metrics.roomsLoaded.set(this.rooms.size);
    this.peers?.closed(room);
  }

  /** Commits what is pending and unloads every room (shutdown). */
  close(): void {
    clearInterval(this.awarenessSweep);
    this.commits.commitNow();
    for (const room of [...this.rooms.values()]) this.unload(room);
  }
}
