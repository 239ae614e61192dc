// The relay's heart: loaded rooms, the y-websocket protocol, durable group commit.
//
// An incoming update is applied to the room's in-memory Y.Doc (which tells us whether it changed
// anything), queued, and committed with every other update that arrived in the same event-loop
// turn in ONE SQLite transaction. Only after the commit is it forwarded to the room's other
// clients, and the writer gets the relay's state vector (sync step 1) as its durable ack.
// Anything that would reveal uncommitted state to a client (a sync step 2 answer, the initial
// state vector) waits for that commit too.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
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
import { TokenBuckets, parseBucketSpec } from './limits';
import type { Logger } from './log';
import { FrameError, awarenessMessage, permissionDenied, syncMessage, syncStep1 } from './messages';
import type { Metrics } from './metrics';
import type { Store } from './store';

/** One client's subscription to one room (a plain socket, or one room on a mux socket). */
export interface RoomConn {
  readonly cid: string;
  readonly principal: Principal;
  readonly log: Logger;
  /** Sends one y-websocket message. Must never throw. */
  send(message: Uint8Array): void;
  /** Closes this subscription (for a plain socket: the socket) with a close code. */
  close(code: number, reason: string): void;
}

const LOAD = Symbol('load');
/** Origin of the relay's own writes (`applyAsRelay`). */
const RELAY = Symbol('relay');

/**
 * Awareness bounds (PROTOCOL.md, "Awareness"). An honest app sets one state per room
 * connection; a stock client echoes others' states, which are dropped as echoes, not counted.
 */
export const AWARENESS_LIMITS = {
  /** Largest state, in characters of JSON. */
  stateChars: 4096,
  /** Awareness clientIDs one connection may set in a room. */
  perConnection: 4,
  /** Awareness clientIDs one user may set in a room, over all their connections. */
  perUserInRoom: 16,
  /** Characters of JSON of every state in a room together: the greeting stays far below a send buffer. */
  roomChars: 1024 * 1024,
};

/** Per subscription: its awareness client ids and its acknowledgement pacing. */
interface ConnState {
  awareness: Set<number>;
  /** When this subscription last got every awareness state for a query (ms, performance.now). */
  queriedAt: number;
  lastAckAt: number;
  ackTimer: NodeJS.Timeout | null;
}

interface PendingWrite {
  update: Uint8Array;
  origin: RoomConn | null;
}

export class Room {
  readonly doc = new Y.Doc();
  readonly awareness: awarenessProtocol.Awareness;
  readonly conns = new Map<RoomConn, ConnState>();
  loaded = false;
  /** Messages that arrived before the stored state was loaded, in order. */
  readonly queue: Array<() => void> = [];
  pending: PendingWrite[] = [];
  afterFlush: Array<() => void> = [];
  logCount = 0;
  logBytes = 0;
  snapshotBytes = 0;
  compactTimer: NodeJS.Timeout | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  awarenessTimer: NodeJS.Timeout | null = null;
  readonly dirtyAwareness = new Set<number>();
  /** Characters of JSON of each awareness state held, and their sum (AWARENESS_LIMITS.roomChars). */
  readonly awarenessChars = new Map<number, number>();
  awarenessTotal = 0;
  /** New subscriptions that get every awareness state with the next batch. */
  readonly awarenessGreet = new Set<RoomConn>();
  destroyed = false;

  constructor(readonly name: string) {
    this.awareness = new awarenessProtocol.Awareness(this.doc);
    this.awareness.setLocalState(null);
  }

  /** Runs fn now if nothing is waiting to be committed, else right after the commit. */
  whenDurable(fn: () => void): void {
    if (this.pending.length === 0) fn();
    else this.afterFlush.push(fn);
  }
}

/**
 * The room's state as an update, without what Yjs holds as pending (updates whose dependencies
 * are missing): those are not stored yet, and only stored state may leave the relay.
 */
function storedStateAsUpdate(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
  const store = doc.store;
  const { pendingStructs, pendingDs } = store;
  if (!pendingStructs && !pendingDs) return Y.encodeStateAsUpdate(doc, stateVector);
  store.pendingStructs = null;
  store.pendingDs = null;
  try {
    return Y.encodeStateAsUpdate(doc, stateVector);
  } finally {
    store.pendingStructs = pendingStructs;
    store.pendingDs = pendingDs;
  }
}

interface AwarenessRefusal {
  rule: string;
  reason: string;
}

interface AwarenessEntry {
  id: number;
  clock: number;
  json: string;
  state: unknown;
}

/** An awareness update (y-protocols encoding) of these entries. */
function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(encoder, e.id);
    encoding.writeVarUint(encoder, e.clock);
    encoding.writeVarString(encoder, e.json);
  }
  return encoding.toUint8Array(encoder);
}

export class Relay implements RelayRooms {
  readonly rooms = new Map<string, Room>();
  private readonly dirtyRooms = new Set<Room>();
  private readonly storedListeners = new Set<(stored: Map<string, number>) => void>();
  private flushScheduled = false;
  /** Room subscriptions per user (accounts on), for --max-rooms-per-user. */
  private readonly userRooms = new Map<string, number>();
  /** Awareness bytes per user (per connection without accounts). */
  private readonly awarenessBudget: TokenBuckets;
  /** Frames per user (accounts on). */
  private readonly frameBudget: TokenBuckets;
  /** False after a failed write until a write succeeds again. */
  storeHealthy = true;
  storeError: string | null = null;

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

  /** Adds a subscription; the room is loaded first if needed, then the client gets step 1. */
  join(conn: RoomConn, name: string): void {
    const room = this.room(name);
    if (room.idleTimer) {
      clearTimeout(room.idleTimer);
      room.idleTimer = null;
    }
    if (!room.conns.has(conn)) this.countRoom(conn.principal, 1);
    room.conns.set(conn, {
      awareness: new Set(),
      queriedAt: -Infinity,
      lastAckAt: 0,
      ackTimer: null,
    });
    this.metrics.roomConnections.inc();
    const greet = () => {
      room.whenDurable(() => {
        if (!room.conns.has(conn)) return;
        conn.send(syncStep1(room.doc));
        // Everyone's awareness comes with the next batch: one encoding for all who joined in
        // the window, instead of one full encoding per join (N² during a join storm).
        if (room.awareness.getStates().size > 0) {
          room.awarenessGreet.add(conn);
          this.scheduleAwareness(room);
        }
      });
    };
    if (room.loaded) greet();
    else room.queue.push(greet);
  }

  leave(conn: RoomConn, name: string): void {
    const room = this.rooms.get(name);
    if (!room) return;
    const state = room.conns.get(conn);
    if (!state) return;
    room.conns.delete(conn);
    this.countRoom(conn.principal, -1);
    room.awarenessGreet.delete(conn);
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
    if (!room.loaded) {
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
        const ids = room.conns.get(conn)?.awareness;
        // Validate fully before applying, so a bad update changes nothing.
        const entries = read(() => {
          const d = decoding.createDecoder(payload);
          const n = decoding.readVarUint(d);
          const out: AwarenessEntry[] = [];
          for (let i = 0; i < n; i++) {
            const id = decoding.readVarUint(d);
            const clock = decoding.readVarUint(d);
            const json = decoding.readVarString(d);
            out.push({ id, clock, json, state: JSON.parse(json) as unknown });
          }
          return out;
        }, 'awareness update');
        // Stock clients echo every state they receive: keep what the sender may speak for.
        const { kept: own, forged } = this.ownAwareness(room, conn, entries);
        const { kept, refused } = this.boundAwareness(room, conn, own);
        for (const reason of [forged, refused]) {
          if (!reason) continue;
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
        if (kept.length === 0) break;
        const update = kept.length === entries.length ? payload : encodeAwarenessEntries(kept);
        awarenessProtocol.applyAwarenessUpdate(room.awareness, update, conn);
        for (const e of kept) {
          if (e.state !== null) ids?.add(e.id);
          else ids?.delete(e.id);
        }
        break;
      }
      case MessageType.auth:
        // Clients have nothing to say in the auth sub-protocol (yet); accepted and ignored.
        break;
      case MessageType.queryAwareness: {
        // Every state at most once a second per subscription (a query is a few bytes, the answer
        // up to AWARENESS_LIMITS.roomChars); more often, an empty answer, which is all a
        // keepalive probe needs.
        const state = room.conns.get(conn);
        const now = performance.now();
        if (state && now - state.queriedAt >= 1000) {
          state.queriedAt = now;
          conn.send(awarenessMessage(room.awareness, [...room.awareness.getStates().keys()]));
        } else conn.send(awarenessMessage(room.awareness, []));
        break;
      }
      default:
        throw new FrameError(CloseCode.unsupportedData, `unknown message type ${type}`, 'unknown');
    }
  }

  /**
   * The entries of an awareness update the sender may speak for. A clientID whose state another
   * user's connection set is theirs: their state (or its removal) coming from someone else is an
   * echo (stock y-websocket clients re-send every change they receive) and is dropped quietly.
   * A removal only counts from the clientID's own user. With accounts on, a new state that
   * names a user (`u`, as the app's presence and typing do) must name the sender: otherwise it
   * is forged, dropped and reported. A state is at most 4 KiB of JSON.
   */
  private ownAwareness(
    room: Room,
    conn: RoomConn,
    entries: AwarenessEntry[],
  ): { kept: AwarenessEntry[]; forged: AwarenessRefusal | null } {
    const kept: AwarenessEntry[] = [];
    let forged: AwarenessRefusal | null = null;
    const anonymous = conn.principal.id === ANONYMOUS.id;
    for (const e of entries) {
      // What the relay already holds at this clock or newer is an echo (or stale): Yjs would
      // ignore it, so it is not counted against the sender nor attributed to them.
      const held = room.awareness.meta.get(e.id);
      if (held && (held.clock > e.clock || (held.clock === e.clock && e.state !== null))) continue;
      let ownerIsOther = false;
      let ownerIsMe = false;
      for (const [other, seen] of room.conns) {
        if (!seen.awareness.has(e.id)) continue;
        // The same user's older socket may not have noticed yet that its network went away: a
        // reconnecting client keeps its clientID.
        if (other.principal.id === conn.principal.id) ownerIsMe = true;
        else ownerIsOther = true;
      }
      if (ownerIsOther) continue;
      if (e.state === null) {
        if (ownerIsMe || anonymous) kept.push(e);
        continue;
      }
      if (e.json.length > AWARENESS_LIMITS.stateChars) {
        forged = {
          rule: 'awareness-size',
          reason: `awareness state of ${e.json.length} characters (at most ${AWARENESS_LIMITS.stateChars})`,
        };
        continue;
      }
      if (!anonymous && typeof e.state === 'object' && 'u' in e.state) {
        if ((e.state as { u: unknown }).u !== conn.principal.id) {
          forged = { rule: 'awareness-user', reason: 'awareness state names another user' };
          continue;
        }
      }
      kept.push(e);
    }
    return { kept, forged };
  }

  /**
   * The entries within the awareness bounds (AWARENESS_LIMITS, --limit-awareness-user): new
   * clientIDs beyond the connection's and the user's share of the room, states that would take
   * the room past its total, and anything past the user's byte budget are dropped. What is
   * already held is never taken away from anyone else, so a flood cannot stop others from
   * connecting or being seen.
   */
  private boundAwareness(
    room: Room,
    conn: RoomConn,
    entries: AwarenessEntry[],
  ): { kept: AwarenessEntry[]; refused: AwarenessRefusal | null } {
    if (entries.length === 0) return { kept: entries, refused: null };
    const mine = room.conns.get(conn)?.awareness ?? new Set<number>();
    const anonymous = conn.principal.id === ANONYMOUS.id;
    const budgetKey = anonymous ? `cid:${conn.cid}` : conn.principal.id;
    const chars = entries.reduce((n, e) => n + e.json.length, 0);
    if (!this.awarenessBudget.take(budgetKey, chars).ok) {
      // Removals cost nothing and are always kept: leaving must never be refused.
      const removals = entries.filter((e) => e.state === null);
      return {
        kept: removals,
        refused: { rule: 'awareness-rate', reason: 'over the awareness byte budget' },
      };
    }
    let userHeld = -1;
    const heldByUser = (): number => {
      if (userHeld >= 0) return userHeld;
      userHeld = 0;
      for (const [c, st] of room.conns) {
        if (c.principal.id === conn.principal.id) userHeld += st.awareness.size;
      }
      return userHeld;
    };
    const kept: AwarenessEntry[] = [];
    let refused: AwarenessRefusal | null = null;
    let added = 0;
    let total = room.awarenessTotal;
    for (const e of entries) {
      if (e.state === null) {
        kept.push(e);
        continue;
      }
      const isNew = !mine.has(e.id);
      if (isNew && mine.size + added >= AWARENESS_LIMITS.perConnection) {
        refused = {
          rule: 'awareness-per-connection',
          reason: `more than ${AWARENESS_LIMITS.perConnection} awareness states on one connection`,
        };
        continue;
      }
      if (isNew && !anonymous && heldByUser() + added >= AWARENESS_LIMITS.perUserInRoom) {
        refused = {
          rule: 'awareness-per-user',
          reason: `more than ${AWARENESS_LIMITS.perUserInRoom} awareness states of one user in a room`,
        };
        continue;
      }
      const grows = e.json.length - (room.awarenessChars.get(e.id) ?? 0);
      if (grows > 0 && total + grows > AWARENESS_LIMITS.roomChars) {
        refused = {
          rule: 'awareness-room',
          reason: `the room's awareness is at its limit (${AWARENESS_LIMITS.roomChars} characters)`,
        };
        continue;
      }
      total += grows;
      if (isNew) added++;
      kept.push(e);
    }
    return { kept, refused };
  }

  private applyUpdate(room: Room, conn: RoomConn, update: Uint8Array): void {
    const check = this.hooks.checkUpdate;
    const verdict = check?.({ principal: conn.principal, room: room.name, update, doc: room.doc });
    if (verdict) {
      if (!verdict.ok) {
        if (verdict.resync) {
          // Not a refusal: the sender re-sends it with what it builds on (one sync step 2).
          room.whenDurable(() => {
            if (room.conns.has(conn)) conn.send(syncStep1(room.doc));
          });
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
    const hadPending = room.doc.store.pendingStructs !== null;
    try {
      Y.applyUpdate(room.doc, update, conn);
    } catch {
      throw new FrameError(CloseCode.protocolError, 'malformed update', 'malformed');
    }
    if (verdict?.ok) verdict.applied?.();
    if (!hadPending && room.doc.store.pendingStructs !== null) {
      // The update needs something the relay lacks: our state vector makes the client re-send it.
      room.whenDurable(() => {
        if (room.conns.has(conn)) conn.send(syncStep1(room.doc));
      });
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
      created.pending.push({
        update,
        origin: created.conns.has(origin as RoomConn) ? (origin as RoomConn) : null,
      });
      this.dirtyRooms.add(created);
      this.scheduleFlush();
    });
    created.awareness.on(
      'update',
      ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }) => {
        for (const id of [...added, ...updated, ...removed]) created.dirtyAwareness.add(id);
        const states = created.awareness.getStates();
        for (const id of [...added, ...updated]) {
          const state = states.get(id);
          const chars = state === undefined ? 0 : JSON.stringify(state).length;
          created.awarenessTotal += chars - (created.awarenessChars.get(id) ?? 0);
          created.awarenessChars.set(id, chars);
        }
        for (const id of removed) {
          created.awarenessTotal -= created.awarenessChars.get(id) ?? 0;
          created.awarenessChars.delete(id);
        }
        this.scheduleAwareness(created);
      },
    );
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
    } catch (error) {
      this.log.error({ room: room.name, err: error }, 'room failed to load; closing its clients');
      this.drop(room, CloseCode.unavailable, 'room failed to load');
      return;
    }
    this.metrics.storeLatency.observe({ op: 'load' }, (performance.now() - started) / 1000);
    room.loaded = true;
    for (const fn of room.queue.splice(0)) fn();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Commits every pending update in one transaction, then forwards and acknowledges them. */
  flush(): void {
    this.flushScheduled = false;
    const rooms = [...this.dirtyRooms];
    this.dirtyRooms.clear();
    const entries = rooms.flatMap((r) =>
      r.pending.map((p) => ({ room: r.name, update: p.update })),
    );
    if (entries.length === 0) return;
    const started = performance.now();
    let versions: Map<string, number>;
    try {
      versions = this.store.append(entries);
    } catch (error) {
      this.storeFailed(rooms, error as Error);
      return;
    }
    this.metrics.storeLatency.observe({ op: 'append' }, (performance.now() - started) / 1000);
    this.metrics.updates.inc(entries.length);
    this.metrics.updateBytes.inc(entries.reduce((n, e) => n + e.update.byteLength, 0));
    if (!this.storeHealthy) {
      this.log.warn('database writes succeed again; readiness restored');
      this.storeHealthy = true;
      this.storeError = null;
    }
    for (const room of rooms) {
      const writes = room.pending;
      room.pending = [];
      room.logCount += writes.length;
      room.logBytes += writes.reduce((n, w) => n + w.update.byteLength, 0);
      this.forward(room, writes);
      const writers = new Set<RoomConn>();
      for (const w of writes) if (w.origin && room.conns.has(w.origin)) writers.add(w.origin);
      for (const c of writers) this.ack(room, c);
      for (const fn of room.afterFlush.splice(0)) fn();
      this.maybeCompact(room);
    }
    for (const listener of this.storedListeners) {
      try {
        listener(versions);
      } catch (error) {
        this.log.error({ err: error }, 'a stored-update listener failed');
      }
    }
  }

  /**
   * Sends committed updates to everyone in the room but their writer. Several updates of one
   * writer in one commit go out merged, so its burst costs each reader one message per commit.
   */
  private forward(room: Room, writes: PendingWrite[]): void {
    const origin = writes[0]?.origin;
    if (writes.length > 1 && writes.every((w) => w.origin === origin)) {
      // One writer's burst: one merged message per reader.
      const message = syncMessage(
        SyncMessageType.update,
        Y.mergeUpdates(writes.map((w) => w.update)),
      );
      for (const c of room.conns.keys()) if (c !== origin) c.send(message);
      return;
    }
    for (const w of writes) {
      const message = syncMessage(SyncMessageType.update, w.update);
      for (const c of room.conns.keys()) if (c !== w.origin) c.send(message);
    }
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
      room.whenDurable(() => {
        if (room.destroyed || !room.conns.has(conn)) return;
        state.lastAckAt = performance.now();
        conn.send(syncStep1(room.doc));
      });
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
      const greet = new Set(room.awarenessGreet);
      room.awarenessGreet.clear();
      const all = [...room.awareness.getStates().keys()];
      if (greet.size > 0 && all.length > 0) {
        const full = awarenessMessage(room.awareness, all);
        for (const c of greet) if (room.conns.has(c)) c.send(full);
      }
      if (room.dirtyAwareness.size === 0) return;
      const message = awarenessMessage(room.awareness, [...room.dirtyAwareness]);
      room.dirtyAwareness.clear();
      for (const c of room.conns.keys()) if (!greet.has(c)) c.send(message);
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
    if (room.pending.length > 0) this.flush();
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
      room.conns.delete(c);
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
    this.dirtyRooms.delete(room);
    room.pending = [];
    room.afterFlush = [];
    room.queue.length = 0;
    room.awareness.destroy();
    room.doc.destroy();
    if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
    this.metrics.roomsLoaded.set(this.rooms.size);
  }

  /** Commits what is pending and unloads every room (shutdown). */
  close(): void {
    this.flush();
    for (const room of [...this.rooms.values()]) this.unload(room);
  }
}
