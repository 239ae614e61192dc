// The relay's awareness index (issue 16, "Crowds on one room"): judging an awareness entry
// looks up who holds its clientID instead of scanning every subscription of the room, and an
// echo of a held state is dropped without parsing its JSON. Stock providers echo every state
// they receive, so N clients joining one room send ~N² entries: these tests count the work
// (no timing) and check that the index follows the subscriptions through joins, echoes,
// removals, reconnects and closes.
import * as awarenessProtocol from 'y-protocols/awareness';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  applyAwareness,
  checkAwarenessJson,
  decodeAwarenessEntries,
  expireAwareness,
  encodeAwarenessEntries,
  judgeAwareness,
  noteAwarenessChange,
  queryAwarenessAnswer,
  type AwarenessRefusal,
} from '../src/awareness';
import { NO_AWARENESS_MESSAGE } from '../src/messages';
import { ANONYMOUS, type Principal } from '../src/hooks';
import { TokenBuckets } from '../src/limits';
import { createLogger } from '../src/log';
import { awarenessIndexErrors, Room, type RoomConn } from '../src/room';

const log = createLogger('silent');

interface TestConn extends RoomConn {
  sent: number;
}

function conn(principal: Principal, cid: string): TestConn {
  return {
    cid,
    principal,
    log,
    sent: 0,
    send() {
      this.sent++;
    },
    close() {},
  };
}

/** A room wired as the relay wires it (relay.ts: room(), join(), leave(), receive()). */
function setup() {
  const room = new Room('crowd');
  room.loaded = true;
  room.onAwareness = (awareness) =>
    awareness.on('update', (change: { added: number[]; updated: number[]; removed: number[] }) =>
      noteAwarenessChange(room, change),
    );
  const budget = new TokenBuckets({ burst: 1e12, perSecond: 1e12 });
  const join = (c: RoomConn) =>
    room.setConn(c, { awareness: new Set(), queriedAt: -Infinity, lastAckAt: 0, ackTimer: null });
  const receive = (c: RoomConn, payload: Uint8Array): AwarenessRefusal[] => {
    const entries = decodeAwarenessEntries(payload);
    checkAwarenessJson(room, entries);
    const { kept, refusals } = judgeAwareness(room, c, entries, budget);
    applyAwareness(room, c, payload, entries, kept);
    return refusals;
  };
  const leave = (c: RoomConn) => {
    const state = room.deleteConn(c);
    if (state && state.awareness.size > 0) {
      awarenessProtocol.removeAwarenessStates(room.awareness, [...state.awareness], null);
    }
  };
  /** What the relay fans out: every state it holds, as one update. */
  const everything = () =>
    awarenessProtocol.encodeAwarenessUpdate(room.awareness, [...room.awareness.getStates().keys()]);
  return { room, join, receive, leave, everything };
}

const state = (id: number, clock: number, value: unknown) =>
  encodeAwarenessEntries([{ id, clock, json: JSON.stringify(value), state: value }]);

/** Counts iterations over the room's subscriptions (a scan per entry is the N² regression). */
function countScans(room: Room): { scans: number } {
  const counter = { scans: 0 };
  const conns = room.conns as Map<RoomConn, unknown>;
  for (const method of ['entries', 'keys', 'values', 'forEach', Symbol.iterator] as const) {
    const original = Map.prototype[method] as (...a: unknown[]) => unknown;
    Object.defineProperty(conns, method, {
      configurable: true,
      value(...a: unknown[]) {
        counter.scans++;
        return original.apply(conns, a);
      },
    });
  }
  return counter;
}

afterEach(() => vi.restoreAllMocks());

describe('awareness index', () => {
  it("makes a room's awareness with its first state, not for a provider's initial clock 0", () => {
    // Issue 16, memory per idle room: a stock provider announces `{}` at clock 0, which Yjs
    // ignores; a room where nobody set a field never makes its Awareness (maps and a timer).
    const { room, join, receive } = setup();
    const a = conn(ANONYMOUS, 'a');
    join(a);
    expect(receive(a, state(7, 0, {}))).toEqual([]);
    expect(room.peekAwareness).toBeNull();
    expect(queryAwarenessAnswer(room, a)).toEqual(NO_AWARENESS_MESSAGE);
    expect(decodeAwarenessEntries(NO_AWARENESS_MESSAGE.subarray(2))).toEqual([]);
    expect(receive(a, state(7, 1, { user: 'Ann' }))).toEqual([]);
    expect(room.peekAwareness?.getStates().get(7)).toEqual({ user: 'Ann' });
    expect(room.awarenessTotal).toBe(JSON.stringify({ user: 'Ann' }).length);
    expect(awarenessIndexErrors(room)).toEqual([]);
    room.peekAwareness?.destroy();
  });

  it("expires states not renewed for 30 s from the relay's sweep, as y-protocols did per room", () => {
    const { room, join, receive, leave } = setup();
    const a = conn(ANONYMOUS, 'a');
    const b = conn(ANONYMOUS, 'b');
    join(a);
    join(b);
    receive(a, state(1, 1, { user: 'Ann' }));
    receive(b, state(2, 1, { user: 'Bob' }));
    const awareness = room.awareness;
    // No timer of its own per room: the relay's one sweep does its work.
    expect((awareness._checkInterval as { _destroyed: boolean })._destroyed).toBe(true);
    // Both states as renewed at the same instant: the two receives above may fall in different
    // milliseconds of the real clock, and Ann's would then expire a millisecond early (a flake).
    const renewed = awareness.meta.get(2)?.lastUpdated ?? 0;
    for (const id of [1, 2]) {
      const m = awareness.meta.get(id);
      if (m) m.lastUpdated = renewed;
    }
    expireAwareness(room, renewed + 29_999);
    expect([...awareness.getStates().keys()].sort()).toEqual([1, 2]);
    // Only Bob renews his state; Ann's expires with origin 'timeout'.
    const meta = awareness.meta.get(2);
    if (meta) meta.lastUpdated = renewed + 20_000;
    const origins: unknown[] = [];
    awareness.on('update', (_change: unknown, origin: unknown) => origins.push(origin));
    expireAwareness(room, renewed + 30_000);
    expect([...awareness.getStates().keys()]).toEqual([2]);
    expect(origins).toEqual(['timeout']);
    expect(room.awarenessTotal).toBe(JSON.stringify({ user: 'Bob' }).length);
    leave(a);
    leave(b);
    expect(awarenessIndexErrors(room)).toEqual([]);
    awareness.destroy();
  });

  it('judges a crowd of echoing stock clients without scanning the room or parsing echoes', () => {
    const { room, join, receive, everything } = setup();
    const n = 200;
    const conns = Array.from({ length: n }, (_, i) => conn(ANONYMOUS, `c${i}`));
    const scans = countScans(room);
    const parse = vi.spyOn(JSON, 'parse');
    for (const [i, c] of conns.entries()) {
      join(c);
      expect(receive(c, state(1000 + i, 1, { user: { name: `Person ${i}` } }))).toEqual([]);
    }
    expect(room.awareness.getStates().size).toBe(n);
    // Its own state: parsed once by the relay and once by y-protocols when applied.
    expect(parse.mock.calls.length).toBeLessThanOrEqual(2 * n);
    parse.mockClear();
    // Every client echoes every state it got from the relay: N² entries.
    const all = everything();
    for (const c of conns) expect(receive(c, all)).toEqual([]);
    expect(parse).not.toHaveBeenCalled();
    expect(scans.scans).toBe(0);
    expect(awarenessIndexErrors(room)).toEqual([]);
    expect(room.awarenessHolders.size).toBe(n);
    expect(room.awarenessPerUser.get(ANONYMOUS.id)).toBe(n);
  });

  it('keeps the index with the subscriptions through removals, reconnects and closes', () => {
    const { room, join, receive, leave, everything } = setup();
    const alice = { id: 'alice' };
    const bob = { id: 'bob' };
    const a1 = conn(alice, 'a1');
    const a2 = conn(alice, 'a2');
    const b1 = conn(bob, 'b1');
    for (const c of [a1, a2, b1]) join(c);
    expect(receive(a1, state(1, 1, { u: 'alice' }))).toEqual([]);
    expect(receive(a1, state(2, 1, { u: 'alice', typing: true }))).toEqual([]);
    expect(receive(b1, state(3, 1, { u: 'bob' }))).toEqual([]);
    expect(awarenessIndexErrors(room)).toEqual([]);
    expect(room.awarenessPerUser.get('alice')).toBe(2);

    // Bob echoing Alice's state, and Bob removing it, change nothing: it is hers.
    expect(receive(b1, everything())).toEqual([]);
    expect(receive(b1, state(1, 2, null))).toEqual([]);
    expect(room.awareness.getStates().has(1)).toBe(true);
    expect([...(room.awarenessHolders.get(1) ?? [])]).toEqual([a1]);

    // Alice reconnects with the same clientID on her second socket: both hold it for a while.
    expect(receive(a2, state(1, 2, { u: 'alice', back: true }))).toEqual([]);
    expect(room.awarenessHolders.get(1)?.size).toBe(2);
    expect(room.awarenessPerUser.get('alice')).toBe(3);
    expect(awarenessIndexErrors(room)).toEqual([]);

    // A removal by its user releases it from that socket only.
    expect(receive(a2, state(1, 3, null))).toEqual([]);
    expect([...(room.awarenessHolders.get(1) ?? [])]).toEqual([a1]);
    expect(awarenessIndexErrors(room)).toEqual([]);

    // Closing the first socket releases what it held.
    leave(a1);
    expect(room.awarenessHolders.has(1)).toBe(false);
    expect(room.awarenessHolders.has(2)).toBe(false);
    expect(room.awarenessPerUser.has('alice')).toBe(false);
    expect(awarenessIndexErrors(room)).toEqual([]);

    // Joining again on a subscription that is still there starts it afresh.
    expect(receive(b1, state(4, 1, { u: 'bob' }))).toEqual([]);
    join(b1);
    expect(room.awarenessPerUser.has('bob')).toBe(false);
    expect(awarenessIndexErrors(room)).toEqual([]);
    leave(b1);
    leave(a2);
    expect(room.awarenessHolders.size).toBe(0);
    expect(room.awarenessPerUser.size).toBe(0);
  });

  it('still counts a user over all their sockets and refuses forged and malformed entries', () => {
    const { room, join, receive, everything } = setup();
    const eve = { id: 'eve' };
    const sockets = Array.from({ length: 5 }, (_, i) => conn(eve, `e${i}`));
    const refused: string[] = [];
    let id = 1;
    for (const s of sockets) {
      join(s);
      for (let k = 0; k < 4; k++) {
        for (const r of receive(s, state(id++, 1, { u: 'eve', k }))) refused.push(r.rule);
      }
    }
    // 16 per user in a room, over all her sockets: the last socket's four are refused.
    expect(room.awarenessPerUser.get('eve')).toBe(16);
    expect(refused).toEqual(Array(4).fill('awareness-per-user'));
    const mallory = conn({ id: 'mallory' }, 'm');
    join(mallory);
    expect(receive(mallory, state(99, 1, { u: 'eve' })).map((r) => r.rule)).toEqual([
      'awareness-user',
    ]);
    // An echo of a held state goes unparsed; anything else with broken JSON is still malformed.
    const held = everything();
    expect(() => receive(mallory, held)).not.toThrow();
    const broken = encodeAwarenessEntries([{ id: 1, clock: 1, json: '{"u":', state: null }]);
    expect(() => receive(mallory, broken)).toThrow(SyntaxError);
    expect(awarenessIndexErrors(room)).toEqual([]);
  });
});
