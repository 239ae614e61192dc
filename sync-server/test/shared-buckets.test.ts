// Rate limits shared by several relay nodes through a real Redis (issue 14): one budget for
// two nodes, refill, the keys' TTL, and Redis lost (each node falls back to its own limits,
// logged once) and back (shared again).
import { Writable } from 'node:stream';
import { createClient } from '@redis/client';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SharedLimits } from '../src/cluster/shared-buckets';
import { startRedis, useRedis } from './engines/redis';

const redis = useRedis();
const open: SharedLimits[] = [];
let seq = 0;

/** A logger whose lines the test reads. */
function capture() {
  const lines: Array<{ level: number; msg: string }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

async function node(url: string, log = capture().log, onFallback?: (name: string) => void) {
  const limits = new SharedLimits({ url, log, ...(onFallback ? { onFallback } : {}) });
  open.push(limits);
  await limits.ready();
  return limits;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

describe('shared buckets', () => {
  it('two nodes on one Redis share one budget: the 6th take of a burst of 5 is refused on either', async () => {
    const name = `test${seq++}`;
    const spec = { burst: 5, perSecond: 1 / 60 };
    const a = (await node(redis().url)).buckets(name, spec);
    const b = (await node(redis().url)).buckets(name, spec);
    const taken = [];
    for (let i = 0; i < 5; i++) taken.push(await (i % 2 ? b : a).take('alice'));
    expect(taken.every((r) => r.ok)).toBe(true);
    for (const side of [a, b]) {
      const r = await side.take('alice');
      expect(r.ok).toBe(false);
      // One token at 1/min: about a minute.
      if (!r.ok) expect(r.retryAfterMs).toBeGreaterThan(55_000);
    }
    // Another key has its own budget; a cost takes that many tokens.
    expect((await b.take('bob', 5)).ok).toBe(true);
    expect((await a.take('bob')).ok).toBe(false);
  });

  it('refills at the rate: refused, then given a token once retryAfter has passed', async () => {
    const spec = { burst: 2, perSecond: 10 };
    const a = (await node(redis().url)).buckets(`test${seq++}`, spec);
    const b = (await node(redis().url)).buckets(a.name, spec);
    expect((await a.take('k')).ok).toBe(true);
    expect((await b.take('k')).ok).toBe(true);
    const refused = await a.take('k');
    expect(refused.ok).toBe(false);
    const wait = refused.ok ? 0 : refused.retryAfterMs;
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(100);
    // The refill period itself (≤ 100 ms), nothing more.
    await new Promise((resolve) => setTimeout(resolve, wait + 5));
    expect((await b.take('k')).ok).toBe(true);
    expect((await a.take('k')).ok).toBe(false);
  });

  it('keys are namespaced and expire once the bucket would be full again', async () => {
    const limits = await node(redis().url);
    const spec = { burst: 5, perSecond: 1 };
    const bucket = limits.buckets(`test${seq++}`, spec);
    await bucket.take('carol', 3);
    const key = bucket.keyOf('carol');
    expect(key).toBe(`ferry:rl:${bucket.name}:carol`);
    const client = createClient({ url: redis().url });
    await client.connect();
    try {
      const ttl = await client.pTTL(key);
      // 3 tokens missing at 1/s: full again in 3 s.
      expect(ttl).toBeGreaterThan(2500);
      expect(ttl).toBeLessThanOrEqual(3000);
      expect(Number(await client.hGet(key, 'tokens'))).toBeCloseTo(2, 1);
    } finally {
      await client.quit();
    }
  });

  it('Redis killed: each node keeps its own limits (never unlimited), logged once; back: shared again', async () => {
    const engine = await startRedis();
    try {
      const { log, lines } = capture();
      const fallbacks: string[] = [];
      const limits = await node(engine.url, log, (name) => fallbacks.push(name));
      const other = await node(engine.url);
      const spec = { burst: 3, perSecond: 1 / 60 };
      const a = limits.buckets('down', spec);
      const b = other.buckets('down', spec);
      expect((await a.take('dave')).ok).toBe(true);
      expect((await b.take('dave')).ok).toBe(true);

      await engine.kill();
      // Node a's own buckets: a full burst of 3, then refused with a Retry-After.
      const local = [];
      for (let i = 0; i < 4; i++) local.push(await a.take('dave'));
      expect(local.map((r) => r.ok)).toEqual([true, true, true, false]);
      expect(local[3]?.ok === false && local[3].retryAfterMs > 55_000).toBe(true);
      expect(fallbacks).toEqual(['down', 'down', 'down', 'down']);
      expect(limits.fallbacks).toBe(4);
      expect(limits.shared()).toBe(false);
      const warned = lines.filter((l) => l.msg.includes('cannot reach Redis'));
      expect(warned).toHaveLength(1);

      // Back (an empty Redis): the next take is answered by Redis again, and logged once.
      await engine.start();
      await limits.ready();
      await other.ready();
      expect((await a.take('dave')).ok).toBe(true);
      expect(limits.shared()).toBe(true);
      expect(lines.filter((l) => l.msg.includes('answers again'))).toHaveLength(1);
      expect(limits.fallbacks).toBe(4);
      // One budget again: a took 1 of the new 3, b takes 2, then both are refused.
      expect((await b.take('dave')).ok).toBe(true);
      expect((await b.take('dave')).ok).toBe(true);
      expect((await a.take('dave')).ok).toBe(false);
      expect((await b.take('dave')).ok).toBe(false);
      expect(lines.filter((l) => l.msg.includes('cannot reach Redis'))).toHaveLength(1);
    } finally {
      await Promise.all(open.splice(0).map((l) => l.close()));
      await engine.dispose();
    }
  });

  it('a take made while the first connection is still being made waits for it (no fallback)', async () => {
    const { log, lines } = capture();
    const limits = new SharedLimits({ url: redis().url, log });
    open.push(limits);
    const bucket = limits.buckets(`test${seq++}`, { burst: 1, perSecond: 1 / 60 });
    expect((await bucket.take('frank')).ok).toBe(true);
    expect(limits.fallbacks).toBe(0);
    expect(lines).toHaveLength(0);
    // Answered by Redis: another node sees the bucket spent.
    const other = (await node(redis().url)).buckets(bucket.name, bucket.spec);
    expect((await other.take('frank')).ok).toBe(false);
  });

  it('Redis too slow (clients paused): the take falls back after 250 ms instead of waiting', async () => {
    const { log, lines } = capture();
    const limits = await node(redis().url, log);
    const bucket = limits.buckets(`test${seq++}`, { burst: 1, perSecond: 1 / 60 });
    const admin = createClient({ url: redis().url });
    await admin.connect();
    try {
      await admin.sendCommand(['CLIENT', 'PAUSE', '600', 'ALL']);
      const started = performance.now();
      expect((await bucket.take('grace')).ok).toBe(true);
      const took = performance.now() - started;
      expect(took).toBeGreaterThanOrEqual(240);
      expect(took).toBeLessThan(550);
      expect(limits.fallbacks).toBe(1);
      expect(lines.filter((l) => l.msg.includes('cannot reach Redis'))).toHaveLength(1);
      // Still paused: the next take falls back too, to the node's own bucket, now spent.
      expect((await bucket.take('grace')).ok).toBe(false);
    } finally {
      await admin.sendCommand(['CLIENT', 'UNPAUSE']).catch(() => {});
      await admin.close();
    }
  });

  it('Redis never reachable: the local limits answer from the first take', async () => {
    const { log, lines } = capture();
    const limits = new SharedLimits({ url: 'redis://127.0.0.1:1', log });
    open.push(limits);
    const bucket = limits.buckets('never', { burst: 2, perSecond: 1 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push((await bucket.take('erin')).ok);
    expect(results).toEqual([true, true, false]);
    expect(lines.filter((l) => l.msg.includes('cannot reach Redis'))).toHaveLength(1);
  });
});
