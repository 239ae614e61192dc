import { describe, it, expect, fc } from './harness';
import {
  MAX_COUNTER,
  MAX_DRIFT_MS,
  ModelError,
  compareHlc,
  createClock,
  encodeHlc,
  isHlc,
  last,
  parseHlc,
  receive,
  tick,
  wallOf,
} from '../src/index';

const T = Date.UTC(2026, 10, 27, 12);

describe('encodeHlc / parseHlc', () => {
  it('round-trips and has a fixed layout', () => {
    const id = encodeHlc({ wall: T, counter: 5, node: 'N1' });
    expect(id).toMatch(/^[0-9a-z]{9}-0005-N1$/);
    expect(parseHlc(id)).toEqual({ wall: T, counter: 5, node: 'N1' });
    expect(wallOf(id)).toBe(T);
    expect(isHlc(id)).toBe(true);
  });

  it('refuses malformed ids and out-of-range parts', () => {
    for (const bad of [
      '',
      'x',
      '00000000-0000-N',
      '000000000-000-N',
      '000000000-0000-',
      '000000000-0000-n',
    ]) {
      expect(() => parseHlc(bad)).toThrow(ModelError);
      expect(isHlc(bad)).toBe(false);
    }
    expect(() => encodeHlc({ wall: -1, counter: 0, node: 'A' })).toThrow(/wall out of range/);
    expect(() => encodeHlc({ wall: 1.5, counter: 0, node: 'A' })).toThrow(ModelError);
    expect(() => encodeHlc({ wall: 0, counter: MAX_COUNTER + 1, node: 'A' })).toThrow(/counter/);
    expect(() => encodeHlc({ wall: 0, counter: 0, node: 'a-b' })).toThrow(/node/);
  });

  it('string order is clock order', () => {
    const hlc = fc.record({
      wall: fc.integer({ min: 0, max: 2 ** 46 }),
      counter: fc.integer({ min: 0, max: MAX_COUNTER }),
      node: fc.constantFrom('A', 'AB', 'B', 'Z0', '0123456789ABCDEF'),
    });
    fc.assert(
      fc.property(hlc, hlc, (a, b) => {
        const x = encodeHlc(a);
        const y = encodeHlc(b);
        const byString = x < y ? -1 : x > y ? 1 : 0;
        expect(compareHlc(a, b)).toBe(byString);
        expect(compareHlc(x, y)).toBe(byString);
      }),
      { numRuns: 500 },
    );
  });
});

describe('clock', () => {
  it('tick follows the wall clock and counts when it stands still or goes back', () => {
    const c = createClock('DEV1');
    expect(tick(c, T)).toBe(encodeHlc({ wall: T, counter: 0, node: 'DEV1' }));
    expect(tick(c, T)).toBe(encodeHlc({ wall: T, counter: 1, node: 'DEV1' }));
    expect(tick(c, T - 60_000)).toBe(encodeHlc({ wall: T, counter: 2, node: 'DEV1' }));
    expect(tick(c, T + 1)).toBe(encodeHlc({ wall: T + 1, counter: 0, node: 'DEV1' }));
  });

  it('borrows the next millisecond when the counter runs out', () => {
    const c = createClock('A', encodeHlc({ wall: T, counter: MAX_COUNTER, node: 'A' }));
    expect(parseHlc(tick(c, T))).toEqual({ wall: T + 1, counter: 0, node: 'A' });
  });

  it('resumes after a restart from the last id without reusing it', () => {
    const c = createClock('A');
    const a = tick(c, T);
    const again = createClock('A', last(c));
    expect(tick(again, T - 1000) > a).toBe(true);
  });

  it('refuses bad nodes and times', () => {
    expect(() => createClock('')).toThrow(ModelError);
    expect(() => createClock('lower')).toThrow(ModelError);
    expect(() => tick(createClock('A'), NaN)).toThrow(/nowMs/);
    expect(() => tick(createClock('A'), -5)).toThrow(/nowMs/);
    expect(() => receive(createClock('A'), 'nope', T)).toThrow(ModelError);
  });

  it('receive makes the next tick sort after the remote id', () => {
    const c = createClock('A');
    const remote = encodeHlc({ wall: T + 1000, counter: 7, node: 'B' });
    expect(receive(c, remote, T)).toBe(true);
    const next = tick(c, T);
    expect(next > remote).toBe(true);
    expect(parseHlc(next)).toEqual({ wall: T + 1000, counter: 8, node: 'A' });
  });

  it('does not adopt an id from too far in the future (bounded drift)', () => {
    const c = createClock('A');
    tick(c, T);
    const before = last(c);
    const farAhead = encodeHlc({ wall: T + MAX_DRIFT_MS + 1, counter: 0, node: 'B' });
    expect(receive(c, farAhead, T)).toBe(false);
    expect(last(c)).toBe(before);
    const justInside = encodeHlc({ wall: T + MAX_DRIFT_MS, counter: 0, node: 'B' });
    expect(receive(c, justInside, T)).toBe(true);
  });

  it('property: ids from one clock strictly increase, whatever the wall clock and merges do', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('tick' as const), now: fc.integer({ min: 0, max: 10_000 }) }),
      fc.record({
        kind: fc.constant('recv' as const),
        now: fc.integer({ min: 0, max: 10_000 }),
        wall: fc.integer({ min: 0, max: 10_000 + MAX_DRIFT_MS * 2 }),
        counter: fc.integer({ min: 0, max: 50 }),
      }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const c = createClock('ME');
        let prev = '';
        let maxSeen = '';
        for (const s of steps) {
          if (s.kind === 'tick') {
            const id = tick(c, T + s.now);
            expect(id > prev).toBe(true);
            expect(id > maxSeen).toBe(true);
            prev = id;
          } else {
            const r = encodeHlc({ wall: T + s.wall, counter: s.counter, node: 'B0B' });
            if (receive(c, r, T + s.now) && r > maxSeen) maxSeen = r;
            else expect(T + s.wall > T + s.now + MAX_DRIFT_MS || r <= maxSeen).toBe(true);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
