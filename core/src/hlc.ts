// Hybrid logical clocks: ids that sort like time, stay unique per device, and never run
// backwards even when the wall clock does. Every message id is one.
import { check } from './model/errors';

/** A decoded clock reading: wall time in ms since the epoch, a counter, the writing device. */
export interface Hlc {
  wall: number;
  counter: number;
  node: string;
}

/** A device's clock. `tick` and `receive` advance it in place; persist `last(clock)` to resume. */
export interface Clock {
  readonly node: string;
  wall: number;
  counter: number;
}

/** Remote ids more than this far ahead of our wall clock are not adopted (see `receive`). */
export const MAX_DRIFT_MS = 5 * 60_000;

const WALL_DIGITS = 9;
const COUNTER_DIGITS = 4;
/** 36^9 - 1 ms: the year 5188. */
export const MAX_WALL = 36 ** WALL_DIGITS - 1;
export const MAX_COUNTER = 36 ** COUNTER_DIGITS - 1;

const NODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{1,16}$/;
const HLC_PATTERN = /^([0-9a-z]{9})-([0-9a-z]{4})-([0-9A-HJKMNP-TV-Z]{1,16})$/;

/** A node id: 1 to 16 upper-case Crockford base32 characters (`newId()` makes one). */
export function isNodeId(value: unknown): value is string {
  return typeof value === 'string' && NODE_PATTERN.test(value);
}

/**
 * A new clock for one device (one writer: two windows or tabs must not share a node id, or
 * their ids could collide). `last` is the newest id this device issued or received before,
 * so that a restarted device never issues an id at or below one it already used.
 */
export function createClock(node: string, last?: string): Clock {
  check(isNodeId(node), `createClock: node must be 1-16 Crockford base32 characters, got ${node}`);
  const clock: Clock = { node, wall: 0, counter: 0 };
  if (last !== undefined) {
    const h = parseHlc(last);
    clock.wall = h.wall;
    clock.counter = h.counter;
  }
  return clock;
}

/** The clock's newest reading as an id (what to persist to resume it). */
export function last(clock: Clock): string {
  return encodeHlc({ wall: clock.wall, counter: clock.counter, node: clock.node });
}

function checkNow(nowMs: number, fn: string): number {
  check(
    Number.isFinite(nowMs) && nowMs >= 0 && nowMs <= MAX_WALL,
    `${fn}: nowMs must be ms since the epoch, got ${nowMs}`,
  );
  return Math.floor(nowMs);
}

/**
 * A local event (writing a message): returns a new id greater than every id this clock has
 * issued or received. If the wall clock stands still or runs backwards, the counter grows;
 * should the counter overflow (1.7 million events in one ms), the clock borrows the next ms.
 */
export function tick(clock: Clock, nowMs: number): string {
  const now = checkNow(nowMs, 'tick');
  if (now > clock.wall) {
    clock.wall = now;
    clock.counter = 0;
  } else if (clock.counter < MAX_COUNTER) {
    clock.counter += 1;
  } else {
    check(clock.wall < MAX_WALL, 'tick: the clock has reached its end');
    clock.wall += 1;
    clock.counter = 0;
  }
  return last(clock);
}

/**
 * Merges a remote id (a message seen from another device) so the next `tick` sorts after it.
 * Bounded drift: an id more than `MAX_DRIFT_MS` ahead of `nowMs` is not adopted (returns
 * false and leaves the clock alone), so one device with a wrong clock cannot drag every
 * other device's ids into the future; its own message still shows where its id sorts.
 * Throws `ModelError('invalid')` for a malformed id.
 */
export function receive(clock: Clock, remoteId: string, nowMs: number): boolean {
  const now = checkNow(nowMs, 'receive');
  const r = parseHlc(remoteId);
  if (r.wall > now + MAX_DRIFT_MS) return false;
  if (r.wall > clock.wall || (r.wall === clock.wall && r.counter > clock.counter)) {
    clock.wall = r.wall;
    clock.counter = r.counter;
  }
  return true;
}

/** `<wall, 9 base36 digits>-<counter, 4 base36 digits>-<node>`: string order is clock order. */
export function encodeHlc(h: Hlc): string {
  check(
    Number.isInteger(h.wall) && h.wall >= 0 && h.wall <= MAX_WALL,
    `encodeHlc: wall out of range: ${h.wall}`,
  );
  check(
    Number.isInteger(h.counter) && h.counter >= 0 && h.counter <= MAX_COUNTER,
    `encodeHlc: counter out of range: ${h.counter}`,
  );
  check(isNodeId(h.node), `encodeHlc: bad node id ${h.node}`);
  return `${h.wall.toString(36).padStart(WALL_DIGITS, '0')}-${h.counter
    .toString(36)
    .padStart(COUNTER_DIGITS, '0')}-${h.node}`;
}

/** True for a well-formed id as `encodeHlc` writes it. */
export function isHlc(value: unknown): value is string {
  return typeof value === 'string' && HLC_PATTERN.test(value);
}

/** Decodes an id; throws `ModelError('invalid')` unless it is exactly what `encodeHlc` writes. */
export function parseHlc(id: string): Hlc {
  const m = typeof id === 'string' ? HLC_PATTERN.exec(id) : null;
  check(m !== null, `not a clock id: ${String(id).slice(0, 60)}`);
  return {
    wall: parseInt(m[1] as string, 36),
    counter: parseInt(m[2] as string, 36),
    node: m[3] as string,
  };
}

/** The wall time (ms since the epoch) of an id. */
export function wallOf(id: string): number {
  return parseHlc(id).wall;
}

/** Orders by wall, then counter, then node: the same order as comparing the encoded strings. */
export function compareHlc(a: Hlc | string, b: Hlc | string): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseHlc(a) : a;
  const y = typeof b === 'string' ? parseHlc(b) : b;
  if (x.wall !== y.wall) return x.wall < y.wall ? -1 : 1;
  if (x.counter !== y.counter) return x.counter < y.counter ? -1 : 1;
  if (x.node !== y.node) return x.node < y.node ? -1 : 1;
  return 0;
}
