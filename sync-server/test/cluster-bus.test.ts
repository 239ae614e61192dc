// The bus between relay nodes (issue 14), against a real Redis started by the test: binary
// payloads, own messages ignored, Redis killed and restarted on the same port, publishing while
// it is down (no throw, bounded queue), and the single-process LocalBus.
import { createClient } from '@redis/client';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalBus, type Bus } from '../src/cluster/bus';
import { decodeEnvelope, encodeEnvelope, nodeIdBytes } from '../src/cluster/envelope';
import { RedisBus, type RedisBusOptions } from '../src/cluster/redis-bus';
import { useRedis } from './engines/redis';

const redis = useRedis();
const open: Bus[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((bus) => bus.close()));
});

async function bus(nodeId: string, options: Partial<RedisBusOptions> = {}): Promise<RedisBus> {
  const b = new RedisBus({ url: redis().url, nodeId, maxRetryDelayMs: 200, ...options });
  open.push(b);
  await b.connected();
  return b;
}

/** Polls a condition the code under test reaches by itself (a delivery, a reconnection). */
async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function received(): {
  got: Array<{ payload: Uint8Array; from: string }>;
  handler: (p: Uint8Array, f: string) => void;
} {
  const got: Array<{ payload: Uint8Array; from: string }> = [];
  return { got, handler: (payload, from) => got.push({ payload: payload.slice(), from }) };
}

describe('envelope', () => {
  it('round-trips node id and binary payload, refuses what is not one', () => {
    const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
    const decoded = decodeEnvelope(encodeEnvelope(nodeIdBytes('node-ä'), payload));
    expect(decoded?.node).toBe('node-ä');
    expect(Array.from(decoded?.payload ?? [])).toEqual(Array.from(payload));
    expect(decodeEnvelope(new Uint8Array([2, 1, 65]))).toBeNull(); // unknown version
    expect(decodeEnvelope(new Uint8Array([1, 9, 65]))).toBeNull(); // truncated node id
    expect(decodeEnvelope(new Uint8Array([1, 1, 0xff]))).toBeNull(); // not UTF-8
    expect(() => nodeIdBytes('')).toThrow(/1 to 255/);
  });
});

describe('RedisBus', () => {
  it('two nodes exchange binary payloads, each tagged with its sender', async () => {
    const a = await bus('node-a');
    const b = await bus('node-b');
    const atB = received();
    await b.subscribe('room:1', atB.handler);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const big = new Uint8Array(1 << 20).fill(0xfe);
    a.publish('room:1', all);
    a.publish('room:1', new Uint8Array(0));
    a.publish('room:1', big);
    a.publish('room:2', all); // nobody on room:2
    await until('3 messages at b', () => atB.got.length === 3);
    expect(atB.got.map((m) => m.from)).toEqual(['node-a', 'node-a', 'node-a']);
    expect(Array.from(atB.got[0]?.payload ?? [])).toEqual(Array.from(all));
    expect(atB.got[1]?.payload.length).toBe(0);
    // Byte comparison: a deep toEqual over 1 MiB element by element takes seconds.
    expect(Buffer.from(atB.got[2]?.payload ?? []).equals(big)).toBe(true);
    expect(b.stats().received).toBe(3);
    await until('a published 4', () => a.stats().published === 4);
    expect(a.healthy() && b.healthy()).toBe(true);
  });

  it("a node never receives its own messages (they do go out, with the 'ferry:' prefix)", async () => {
    const a = await bus('node-a');
    const b = await bus('node-b');
    const atA = received();
    await a.subscribe('room:self', atA.handler);
    const raw = createClient({ url: redis().url });
    const seen: Buffer[] = [];
    await raw.connect();
    await raw.subscribe('ferry:room:self', (m: Buffer) => seen.push(m), true);
    try {
      a.publish('room:self', new Uint8Array([1]));
      await until('a published', () => a.stats().published === 1);
      // Redis delivered a's message to a's subscriber before it handles b's PUBLISH.
      b.publish('room:self', new Uint8Array([2]));
      await until("b's message at a", () => atA.got.length === 1);
      expect(atA.got[0]).toEqual({ payload: new Uint8Array([2]), from: 'node-b' });
      await until('both seen raw', () => seen.length === 2);
      expect(decodeEnvelope(seen[0] ?? new Uint8Array())?.node).toBe('node-a');
    } finally {
      await raw.close();
    }
    await a.unsubscribe('room:self');
    b.publish('room:self', new Uint8Array([3]));
    await until('b published 2', () => b.stats().published === 2);
    expect(atA.got.length).toBe(1);
  });

  it('Redis killed and restarted on the same port: unhealthy meanwhile, then reconnected and resubscribed', async () => {
    const states: boolean[] = [];
    const a = await bus('node-a', { hooks: { state: (healthy) => states.push(healthy) } });
    const b = await bus('node-b');
    const atA = received();
    const atB = received();
    await a.subscribe('room:r', atA.handler);
    await b.subscribe('room:r', atB.handler);
    let reconnectsA = 0;
    let reconnectsB = 0;
    a.onReconnect(() => reconnectsA++);
    b.onReconnect(() => reconnectsB++);

    const engine = redis();
    await engine.kill();
    await until('both unhealthy', () => !a.healthy() && !b.healthy());
    // A subscription asked for while Redis is down resolves once the server confirmed it.
    const atALate = received();
    let lateConfirmed = false;
    const late = a.subscribe('room:late', atALate.handler).then(() => (lateConfirmed = true));
    expect(reconnectsA + reconnectsB).toBe(0);
    await engine.start();
    await until('both reconnected', () => reconnectsA === 1 && reconnectsB === 1);
    expect(a.healthy() && b.healthy()).toBe(true);
    expect(a.stats().reconnects).toBe(1);
    expect(states).toEqual([true, false, true]); // one change per loss and return, not per retry
    await late;
    expect(lateConfirmed).toBe(true);

    b.publish('room:r', new Uint8Array([7]));
    a.publish('room:r', new Uint8Array([8]));
    b.publish('room:late', new Uint8Array([9]));
    await until(
      'delivered after the restart',
      () => atA.got.length === 1 && atB.got.length === 1 && atALate.got.length === 1,
    );
    expect(atA.got[0]?.payload).toEqual(new Uint8Array([7]));
    expect(atB.got[0]?.payload).toEqual(new Uint8Array([8]));
    expect(atALate.got[0]?.payload).toEqual(new Uint8Array([9]));
  });

  it('publishing while Redis is down never throws and keeps at most the bound, drops and counts the rest', async () => {
    const drops: string[] = [];
    const a = await bus('node-a', {
      maxQueued: 1000,
      maxQueuedBytes: 64 * 1024,
      hooks: { dropped: (reason) => drops.push(reason) },
    });
    const engine = redis();
    await engine.kill();
    await until('a unhealthy', () => !a.healthy());
    // Unhealthy once either connection saw Redis go; the publisher may see it a moment after
    // the subscriber (then a publish is sent and fails). Probe until one waits in the queue,
    // and until every probe has ended one way or the other.
    let probes = 0;
    await until('the publisher sees Redis gone', () => {
      if (a.stats().queued === 0) {
        a.publish('room:probe', new Uint8Array(1));
        probes++;
      }
      return a.stats().queued > 0;
    });
    await until('every probe queued or dropped', () => {
      const s = a.stats();
      return s.queued + s.dropped + s.published === probes;
    });
    const before = a.stats();
    drops.length = 0;
    const payload = new Uint8Array(1024);
    for (let i = 0; i < 10_000; i++) {
      payload[0] = i & 0xff;
      expect(() => a.publish('room:q', payload)).not.toThrow();
    }
    const whileDown = a.stats();
    // 1024 payload bytes + 8 envelope bytes ("node-a" and two header bytes): 63 fit in 64 KiB;
    // the queued probe was the oldest, so it went first.
    expect(whileDown.queuedBytes).toBeLessThanOrEqual(64 * 1024);
    expect(whileDown.queued).toBe(Math.floor((64 * 1024) / 1032));
    expect(whileDown.dropped - before.dropped).toBe(10_000 + before.queued - whileDown.queued);
    expect(new Set(drops)).toEqual(new Set(['queue_full']));
    expect(whileDown.published).toBe(0);

    await engine.start();
    await until('queue flushed', () => a.stats().published === whileDown.queued);
    expect(a.stats()).toMatchObject({ queued: 0, queuedBytes: 0, dropped: whileDown.dropped });
  });

  it('after close(): unhealthy, publish is dropped without throwing, subscribe refuses', async () => {
    const a = await bus('node-a');
    await a.close();
    expect(a.healthy()).toBe(false);
    expect(() => a.publish('room:x', new Uint8Array([1]))).not.toThrow();
    expect(a.stats().dropped).toBe(1);
    await expect(a.subscribe('room:x', () => {})).rejects.toThrow(/closed/);
  });
});

describe('LocalBus (one process, no --redis)', () => {
  it('is always healthy, counts what it publishes and delivers nothing to itself', async () => {
    const published: number[] = [];
    const local = new LocalBus('solo', { published: (_c, bytes) => published.push(bytes) });
    const got = received();
    await local.subscribe('room:1', got.handler);
    local.publish('room:1', new Uint8Array([1, 2, 3]));
    expect(local.healthy()).toBe(true);
    expect(got.got).toEqual([]);
    expect(local.stats()).toMatchObject({ published: 1, received: 0, dropped: 0 });
    expect(published).toEqual([3]);
    await local.close();
  });
});
