// A loaded room: its document, its awareness, its subscriptions and what waits to be committed.
// Plain state; the relay (relay.ts) decides what happens to it, awareness.ts judges and sends
// its awareness.
import * as awarenessProtocol from 'y-protocols/awareness';
import * as Y from 'yjs';
import type { Principal } from './hooks';
import type { Logger } from './log';

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

/** Per subscription: its awareness client ids and its acknowledgement pacing. */
export interface ConnState {
  /** Changed only through Room (holdAwareness, releaseAwareness, setConn, deleteConn): indexed. */
  readonly awareness: ReadonlySet<number>;
  /** When this subscription last got every awareness state for a query (ms, performance.now). */
  queriedAt: number;
  lastAckAt: number;
  ackTimer: NodeJS.Timeout | null;
}

export interface PendingWrite {
  update: Uint8Array;
  origin: RoomConn | null;
}

/** A room's part of a commit that is in the database but not yet durable (relay.ts, flush). */
export interface Committed {
  readonly writes: PendingWrite[];
  /** The room's state vector at the commit: what the relay may acknowledge once it is durable. */
  readonly sv: Uint8Array;
  /** Runs once this commit is durable (and nothing later of the room is still on its way). */
  readonly after: Array<() => void>;
}

export class Room {
  /**
   * The room's document; its guid is the room's name. Y.Doc's default guid is a random UUID,
   * and crypto's random values cost more than the rest of making a room (issue 16: 0.8 s of a
   * 10,000-room join).
   */
  readonly doc: Y.Doc;
  /**
   * The room's awareness, made on first use (issue 16: an Awareness holds three maps; a room
   * nobody announces a state in never needs one). Its own expiry timer is stopped: the relay
   * checks every room from one timer instead (awareness.ts, expireAwareness). `peekAwareness` reads without
   * making it. `onAwareness` (the relay's listener) is attached when it is made.
   */
  get awareness(): awarenessProtocol.Awareness {
    if (!this.madeAwareness) {
      const made = new awarenessProtocol.Awareness(this.doc);
      made.setLocalState(null);
      // Its expiry check runs from the relay's one timer (awareness.ts, expireAwareness).
      clearInterval(made._checkInterval as NodeJS.Timeout);
      this.madeAwareness = made;
      // Made after the room was destroyed (a late read): nothing may keep its timer running.
      if (this.destroyed) made.destroy();
      else this.onAwareness?.(made);
    }
    return this.madeAwareness;
  }
  /** The awareness if it was made, else null (no state was ever held). */
  get peekAwareness(): awarenessProtocol.Awareness | null {
    return this.madeAwareness;
  }
  private madeAwareness: awarenessProtocol.Awareness | null = null;
  /** Called once when the awareness is made (relay.ts: batches its changes). */
  onAwareness: ((awareness: awarenessProtocol.Awareness) => void) | null = null;
  /** Subscriptions; changed only through setConn and deleteConn, which keep the index below. */
  readonly conns: ReadonlyMap<RoomConn, ConnState> = new Map<RoomConn, ConnState>();
  /**
   * The awareness index (issue 16): each awareness clientID a subscription holds → the
   * subscriptions holding it, and per user (principal id) how many clientIDs their subscriptions
   * hold together, so judging an entry is O(1) instead of a scan of every subscription.
   */
  readonly awarenessHolders = new Map<number, Set<RoomConn>>();
  readonly awarenessPerUser = new Map<string, number>();
  loaded = false;
  /** Messages that arrived before the stored state was loaded, in order. */
  readonly queue: Array<() => void> = [];
  /** Applied, not yet committed. */
  pending: PendingWrite[] = [];
  /** Run once what is pending now is durable (they go with the commit that takes it). */
  afterFlush: Array<() => void> = [];
  /** The room's latest commit that is not durable yet, or null. */
  committing: Committed | null = null;
  /**
   * The state vector of everything durable (set at load, when a commit becomes durable and when
   * another node's commit is applied): what acknowledgements and greetings carry, so they never
   * reveal what is not durable and never wait for a commit.
   */
  durableSv: Uint8Array | null = null;
  /**
   * While set, the room's incoming messages wait in `queue`: a sync step 2 answer waits for
   * a moment when everything the room holds is durable, and writers may not keep it away.
   */
  held = false;
  logCount = 0;
  logBytes = 0;
  snapshotBytes = 0;
  compactTimer: NodeJS.Timeout | null = null;
  idleTimer: NodeJS.Timeout | null = null;
  awarenessTimer: NodeJS.Timeout | null = null;
  /**
   * Awareness clientIDs changed since the last batch; made with the first change and dropped
   * with the batch (issue 16: an idle room holds no empty set).
   */
  dirtyAwareness: Set<number> | null = null;
  /**
   * The JSON of each state held as the relay encodes it: an incoming entry with the same clock
   * and these very characters is an echo, dropped without parsing it (valid JSON, not a removal).
   * Its length is the state's size in characters (AWARENESS_LIMITS.roomChars).
   */
  readonly awarenessJson = new Map<number, string>();
  /** The characters of every awareness state held, summed. */
  awarenessTotal = 0;
  /** New subscriptions that get every awareness state with the next batch (like the above). */
  awarenessGreet: Set<RoomConn> | null = null;
  destroyed = false;
  // Several nodes (docs/scale-out.md, "Updates between nodes").
  /** The room version whose commits this node holds, all of them (contiguous). */
  version = 0;
  /**
   * Versions above `version` held already (own commits, or published ones that came early).
   * Made on first use: a single-node relay never needs it (issue 16: memory per idle room).
   */
  get ahead(): Set<number> {
    return (this.aheadVersions ??= new Set<number>());
  }
  private aheadVersions: Set<number> | null = null;
  /**
   * Awareness clientIDs whose states came from other nodes: not published again. Made on first
   * use, like `ahead` (a single node never needs it).
   */
  get remoteAwareness(): Set<number> {
    return (this.remoteIds ??= new Set<number>());
  }
  /** Whether `id`'s state came from another node (reads without making the set). */
  isRemoteAwareness(id: number): boolean {
    return this.remoteIds?.has(id) ?? false;
  }
  private remoteIds: Set<number> | null = null;
  catchUpTimer: NodeJS.Timeout | null = null;

  constructor(readonly name: string) {
    this.doc = new Y.Doc({ guid: name });
  }

  /** Adds (or replaces) a subscription; a replaced one's awareness clientIDs are released. */
  setConn(conn: RoomConn, state: ConnState): void {
    this.deleteConn(conn);
    (this.conns as Map<RoomConn, ConnState>).set(conn, state);
    for (const id of state.awareness) this.indexAwareness(conn, id, 1);
  }

  /** Removes a subscription and its awareness clientIDs from the index; returns its state. */
  deleteConn(conn: RoomConn): ConnState | undefined {
    const state = this.conns.get(conn);
    if (!state) return undefined;
    for (const id of state.awareness) this.indexAwareness(conn, id, -1);
    (this.conns as Map<RoomConn, ConnState>).delete(conn);
    return state;
  }

  /** Records that the subscription holds this awareness clientID. */
  holdAwareness(conn: RoomConn, id: number): void {
    const ids = this.conns.get(conn)?.awareness as Set<number> | undefined;
    if (!ids || ids.has(id)) return;
    ids.add(id);
    this.indexAwareness(conn, id, 1);
  }

  /** Records that the subscription no longer holds this awareness clientID. */
  releaseAwareness(conn: RoomConn, id: number): void {
    const ids = this.conns.get(conn)?.awareness as Set<number> | undefined;
    if (!ids?.delete(id)) return;
    this.indexAwareness(conn, id, -1);
  }

  private indexAwareness(conn: RoomConn, id: number, delta: 1 | -1): void {
    const user = conn.principal.id;
    const count = (this.awarenessPerUser.get(user) ?? 0) + delta;
    if (count > 0) this.awarenessPerUser.set(user, count);
    else this.awarenessPerUser.delete(user);
    let holders = this.awarenessHolders.get(id);
    if (delta > 0) {
      if (!holders) this.awarenessHolders.set(id, (holders = new Set()));
      holders.add(conn);
    } else if (holders) {
      holders.delete(conn);
      if (holders.size === 0) this.awarenessHolders.delete(id);
    }
  }

  /** Runs fn now if everything the room holds is durable, else once it is. */
  whenDurable(fn: () => void): void {
    if (this.pending.length > 0) this.afterFlush.push(fn);
    else if (this.committing) this.committing.after.push(fn);
    else fn();
  }

  /** Whether everything the room holds is durable. */
  get durable(): boolean {
    return this.pending.length === 0 && this.committing === null;
  }
}

/**
 * Where the awareness index disagrees with the subscriptions' own sets (none: an empty list).
 * For tests: the index must follow every join, leave, echo, removal and close.
 */
export function awarenessIndexErrors(room: Room): string[] {
  const errors: string[] = [];
  const holders = new Map<number, Set<RoomConn>>();
  const perUser = new Map<string, number>();
  for (const [conn, state] of room.conns) {
    for (const id of state.awareness) {
      let set = holders.get(id);
      if (!set) holders.set(id, (set = new Set()));
      set.add(conn);
    }
    const user = conn.principal.id;
    if (state.awareness.size > 0) {
      perUser.set(user, (perUser.get(user) ?? 0) + state.awareness.size);
    }
  }
  for (const [id, set] of holders) {
    const indexed = room.awarenessHolders.get(id);
    if (!indexed || indexed.size !== set.size || [...set].some((c) => !indexed.has(c))) {
      errors.push(`clientID ${id}: held by ${set.size}, indexed ${indexed?.size ?? 0}`);
    }
  }
  for (const id of room.awarenessHolders.keys()) {
    if (!holders.has(id)) errors.push(`clientID ${id}: indexed but held by none`);
  }
  for (const [user, count] of perUser) {
    if (room.awarenessPerUser.get(user) !== count) {
      errors.push(`user ${user}: holds ${count}, indexed ${room.awarenessPerUser.get(user) ?? 0}`);
    }
  }
  for (const user of room.awarenessPerUser.keys()) {
    if (!perUser.has(user)) errors.push(`user ${user}: indexed but holds none`);
  }
  return errors;
}

/**
 * The room's state as an update, without what Yjs holds as pending (updates whose dependencies
 * are missing): those are not stored yet, and only stored state may leave the relay.
 */
export function storedStateAsUpdate(doc: Y.Doc, stateVector: Uint8Array): Uint8Array {
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
