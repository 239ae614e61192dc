// Token buckets: burst, refill, retry-after, bounded memory.
import { describe, expect, it } from 'vitest';
import { parseBucketSpec, TokenBuckets } from '../src/limits';

describe('token buckets', () => {
  it('allows the burst, then refuses with the time until the next token', () => {
    const b = new TokenBuckets({ burst: 3, perSecond: 2 });
    const t = 1_000_000;
    expect(b.take('a', 1, t).ok).toBe(true);
    expect(b.take('a', 1, t).ok).toBe(true);
    expect(b.take('a', 1, t).ok).toBe(true);
    const refused = b.take('a', 1, t);
    expect(refused).toEqual({ ok: false, retryAfterMs: 500 });
    // Other keys are independent.
    expect(b.take('b', 1, t).ok).toBe(true);
    // Half a second later one token is back, and only one.
    expect(b.take('a', 1, t + 500).ok).toBe(true);
    expect(b.take('a', 1, t + 500).ok).toBe(false);
    // Never more than the burst, however long the pause.
    expect(b.peek('a', t + 3_600_000)).toBe(3);
  });

  it('keeps at most maxKeys buckets, evicting the least recently used', () => {
    const b = new TokenBuckets({ burst: 1, perSecond: 0.001 }, 100);
    const t = 5_000;
    for (let i = 0; i < 1000; i++) b.take(`k${i}`, 1, t);
    expect(b.size).toBeLessThanOrEqual(100);
    // The newest keys are still empty; an evicted one starts full again.
    expect(b.take('k999', 1, t).ok).toBe(false);
    expect(b.take('k0', 1, t).ok).toBe(true);
  });

  it('drops buckets that have refilled', () => {
    const b = new TokenBuckets({ burst: 2, perSecond: 1 });
    for (let i = 0; i < 50; i++) b.take(`k${i}`, 1, 10_000);
    expect(b.size).toBe(50);
    b.take('late', 1, 20_000);
    expect(b.size).toBe(1);
  });

  it('parses BURST/RATE/unit', () => {
    expect(parseBucketSpec('20/10/min')).toEqual({ burst: 20, perSecond: 10 / 60 });
    expect(parseBucketSpec('300/50/s')).toEqual({ burst: 300, perSecond: 50 });
    expect(parseBucketSpec('20/min')).toBeNull();
    expect(parseBucketSpec('0/1/s')).toBeNull();
    expect(parseBucketSpec('5/0/s')).toBeNull();
  });
});
