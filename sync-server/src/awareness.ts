// Awareness on the relay (PROTOCOL.md, "Awareness"): the bounds, judging each entry of an
// incoming update (whose it is, whether it fits), keeping a room's tally of what it holds, and
// the batched fan-out. Memory only: awareness is never stored.
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import { ANONYMOUS } from './hooks';
import type { TokenBuckets } from './limits';
import { NO_AWARENESS_MESSAGE, awarenessMessage } from './messages';
import type { Room, RoomConn } from './room';

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

export interface AwarenessRefusal {
  rule: string;
  reason: string;
}

export interface AwarenessEntry {
  id: number;
  clock: number;
  json: string;
  /** The parsed state (null: a removal); parsed on first use, throws on malformed JSON. */
  readonly state: unknown;
}

/** An entry whose JSON is parsed only when its state is first asked for. */
class DecodedEntry implements AwarenessEntry {
  private parsed = false;
  private value: unknown = undefined;
  constructor(
    readonly id: number,
    readonly clock: number,
    readonly json: string,
  ) {}
  get state(): unknown {
    if (!this.parsed) {
      this.value = JSON.parse(this.json) as unknown;
      this.parsed = true;
    }
    return this.value;
  }
}

/** An awareness update (y-protocols encoding) of these entries. */
export function encodeAwarenessEntries(entries: AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const e of entries) {
    encoding.writeVarUint(encoder, e.id);
    encoding.writeVarUint(encoder, e.clock);
    encoding.writeVarString(encoder, e.json);
  }
  return encoding.toUint8Array(encoder);
}

/**
 * The entries of an awareness update (y-protocols encoding); throws on a malformed encoding.
 * Their JSON is parsed lazily: call checkAwarenessJson (or read `state`) before trusting them.
 */
export function decodeAwarenessEntries(payload: Uint8Array): AwarenessEntry[] {
  const d = decoding.createDecoder(payload);
  const n = decoding.readVarUint(d);
  const out: AwarenessEntry[] = [];
  for (let i = 0; i < n; i++) {
    const id = decoding.readVarUint(d);
    const clock = decoding.readVarUint(d);
    const json = decoding.readVarString(d);
    out.push(new DecodedEntry(id, clock, json));
  }
  return out;
}

/**
 * An echo: the relay holds this clientID at this clock with these very characters of JSON
 * (stock providers re-send every state they receive, N² entries when N join one room). Such an
 * entry is valid JSON and not a removal, so it needs no parsing to be judged.
 */
function isHeldEcho(room: Room, e: AwarenessEntry): boolean {
  const held = room.peekAwareness?.meta.get(e.id);
  return held !== undefined && held.clock === e.clock && room.awarenessJson.get(e.id) === e.json;
}

/**
 * Throws (a SyntaxError) when an entry's JSON is malformed, as decoding every entry did: every
 * entry is parsed except echoes of what the relay holds (isHeldEcho), whose JSON is known good.
 */
export function checkAwarenessJson(room: Room, entries: AwarenessEntry[]): void {
  for (const e of entries) if (!isHeldEcho(room, e)) void e.state;
}

/** Work counters for tests: subscriptions visited while judging awareness (issue 16). */
export const awarenessWork = { holdersVisited: 0 };

/**
 * What of an awareness update the sender may have: its own states (stock clients echo every
 * state they receive) within the bounds. Returns those and why anything else was refused.
 */
export function judgeAwareness(
  room: Room,
  conn: RoomConn,
  entries: AwarenessEntry[],
  budget: TokenBuckets,
): { kept: AwarenessEntry[]; refusals: AwarenessRefusal[] } {
  const { kept: own, forged } = ownAwareness(room, conn, entries);
  const { kept, refused } = boundAwareness(room, conn, own, budget);
  const refusals: AwarenessRefusal[] = [];
  for (const reason of [forged, refused]) if (reason) refusals.push(reason);
  return { kept, refusals };
}

/**
 * Applies the kept entries of `payload` (the whole payload when all were kept) and records
 * which awareness clientIDs the subscription now holds.
 */
export function applyAwareness(
  room: Room,
  conn: RoomConn,
  payload: Uint8Array,
  entries: AwarenessEntry[],
  kept: AwarenessEntry[],
): void {
  if (kept.length === 0) return;
  // Yjs takes an entry for a clientID it never saw only with a clock above 0: where the room
  // has no awareness yet and every entry has clock 0 (a stock provider's initial `{}`), the
  // update changes nothing, and the room's awareness is not made for it (room.ts).
  if (room.peekAwareness || kept.some((e) => e.clock > 0)) {
    const update = kept.length === entries.length ? payload : encodeAwarenessEntries(kept);
    awarenessProtocol.applyAwarenessUpdate(room.awareness, update, conn);
  }
  for (const e of kept) {
    if (e.state !== null) room.holdAwareness(conn, e.id);
    else room.releaseAwareness(conn, e.id);
  }
}

/**
 * Notes an awareness change in the room: the changed clientIDs go out with the next batch,
 * and the characters each state holds are tallied (AWARENESS_LIMITS.roomChars).
 */
export function noteAwarenessChange(
  room: Room,
  { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
): void {
  const dirty = (room.dirtyAwareness ??= new Set());
  for (const id of [...added, ...updated, ...removed]) dirty.add(id);
  const states = room.awareness.getStates();
  for (const id of [...added, ...updated]) {
    const state = states.get(id);
    const json = state === undefined ? undefined : JSON.stringify(state);
    const chars = json?.length ?? 0;
    room.awarenessTotal += chars - (room.awarenessJson.get(id)?.length ?? 0);
    if (json === undefined) room.awarenessJson.delete(id);
    else room.awarenessJson.set(id, json);
  }
  for (const id of removed) {
    room.awarenessTotal -= room.awarenessJson.get(id)?.length ?? 0;
    room.awarenessJson.delete(id);
  }
}

/** How often states are checked for expiry: y-protocols' own period (outdatedTimeout / 10). */
export const AWARENESS_SWEEP_MS = Math.floor(awarenessProtocol.outdatedTimeout / 10);

/**
 * What y-protocols' Awareness does on a timer of its own in every room: states not renewed
 * within its outdatedTimeout (30 s) are removed, with origin 'timeout' (how the clients of a
 * node that died disappear, and a client that stopped renewing). The room's own timer is
 * stopped when its awareness is made (room.ts) and the relay runs this for every room from
 * one timer every AWARENESS_SWEEP_MS (issue 16: one timer per room cost memory per idle room).
 * The relay's own local state is null, so there is nothing of its own to renew.
 */
export function expireAwareness(room: Room, now = Date.now()): void {
  const awareness = room.peekAwareness;
  if (!awareness) return;
  const outdated: number[] = [];
  awareness.meta.forEach((meta, id) => {
    const old = now - meta.lastUpdated >= awarenessProtocol.outdatedTimeout;
    if (id !== awareness.clientID && old && awareness.states.has(id)) outdated.push(id);
  });
  if (outdated.length > 0) awarenessProtocol.removeAwarenessStates(awareness, outdated, 'timeout');
}

/**
 * One batch: new subscriptions get every state (one encoding for all who joined in the window),
 * everyone else the states that changed since the last batch.
 */
export function sendAwarenessBatch(room: Room): void {
  const greet = room.awarenessGreet ?? new Set<RoomConn>();
  const dirty = room.dirtyAwareness;
  room.awarenessGreet = null;
  room.dirtyAwareness = null;
  const all = [...room.awareness.getStates().keys()];
  if (greet.size > 0 && all.length > 0) {
    const full = awarenessMessage(room.awareness, all);
    for (const c of greet) if (room.conns.has(c)) c.send(full);
  }
  if (!dirty || dirty.size === 0) return;
  const message = awarenessMessage(room.awareness, [...dirty]);
  for (const c of room.conns.keys()) if (!greet.has(c)) c.send(message);
}

/**
 * The answer to a query-awareness message: every state at most once a second per subscription
 * (a query is a few bytes, the answer up to AWARENESS_LIMITS.roomChars); more often, an empty
 * answer, which is all a keepalive probe needs.
 */
export function queryAwarenessAnswer(room: Room, conn: RoomConn): Uint8Array {
  const state = room.conns.get(conn);
  // A room whose awareness was never made holds no state: the empty answer, without making it.
  const awareness = room.peekAwareness;
  const now = performance.now();
  if (state && now - state.queriedAt >= 1000) {
    state.queriedAt = now;
    if (awareness) return awarenessMessage(awareness, [...awareness.getStates().keys()]);
  }
  return awareness ? awarenessMessage(awareness, []) : NO_AWARENESS_MESSAGE;
}

/**
 * The entries of an awareness update the sender may speak for. A clientID whose state another
 * user's connection set is theirs: their state (or its removal) coming from someone else is an
 * echo (stock y-websocket clients re-send every change they receive) and is dropped quietly.
 * A removal only counts from the clientID's own user. With accounts on, a new state that
 * names a user (`u`, as the app's presence and typing do) must name the sender: otherwise it
 * is forged, dropped and reported. A state is at most 4 KiB of JSON.
 */
export function ownAwareness(
  room: Room,
  conn: RoomConn,
  entries: AwarenessEntry[],
): { kept: AwarenessEntry[]; forged: AwarenessRefusal | null } {
  const kept: AwarenessEntry[] = [];
  let forged: AwarenessRefusal | null = null;
  const anonymous = conn.principal.id === ANONYMOUS.id;
  for (const e of entries) {
    // What the relay already holds at this clock or newer is an echo (or stale): Yjs would
    // ignore it, so it is not counted against the sender nor attributed to them. The echo of a
    // state held with these very characters is known without parsing it.
    if (isHeldEcho(room, e)) continue;
    const held = room.peekAwareness?.meta.get(e.id);
    if (held && (held.clock > e.clock || (held.clock === e.clock && e.state !== null))) continue;
    let ownerIsOther = false;
    let ownerIsMe = false;
    // The subscriptions holding this clientID (the index, not a scan of the room): usually one.
    for (const other of room.awarenessHolders.get(e.id) ?? []) {
      awarenessWork.holdersVisited++;
      // The same user's older socket may not have noticed yet that its network went away: a
      // reconnecting client keeps its clientID.
      if (other.principal.id === conn.principal.id) ownerIsMe = true;
      else ownerIsOther = true;
    }
    // A state another node's client holds is theirs too (docs/scale-out.md).
    if (ownerIsOther || room.isRemoteAwareness(e.id)) continue;
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
export function boundAwareness(
  room: Room,
  conn: RoomConn,
  entries: AwarenessEntry[],
  budget: TokenBuckets,
): { kept: AwarenessEntry[]; refused: AwarenessRefusal | null } {
  if (entries.length === 0) return { kept: entries, refused: null };
  const mine = room.conns.get(conn)?.awareness ?? new Set<number>();
  const anonymous = conn.principal.id === ANONYMOUS.id;
  const budgetKey = anonymous ? `cid:${conn.cid}` : conn.principal.id;
  const chars = entries.reduce((n, e) => n + e.json.length, 0);
  if (!budget.take(budgetKey, chars).ok) {
    // Removals cost nothing and are always kept: leaving must never be refused.
    const removals = entries.filter((e) => e.state === null);
    return {
      kept: removals,
      refused: { rule: 'awareness-rate', reason: 'over the awareness byte budget' },
    };
  }
  const heldByUser = (): number => room.awarenessPerUser.get(conn.principal.id) ?? 0;
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
    const grows = e.json.length - (room.awarenessJson.get(e.id)?.length ?? 0);
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
