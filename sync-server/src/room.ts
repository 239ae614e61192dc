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
  awareness: Set<number>;
  /** When this subscription last got every awareness state for a query (ms, performance.now). */
  queriedAt: number;
  lastAckAt: number;
  ackTimer: NodeJS.Timeout | null;
}

export interface PendingWrite {
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
  // Several nodes (docs/scale-out.md, "Updates between nodes").
  /** The room version whose commits this node holds, all of them (contiguous). */
  version = 0;
  /** Versions above `version` held already (own commits, or published ones that came early). */
  readonly ahead = new Set<number>();
  /** Awareness clientIDs whose states came from other nodes: not published again. */
  readonly remoteAwareness = new Set<number>();
  catchUpTimer: NodeJS.Timeout | null = null;

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
