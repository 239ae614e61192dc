// Token buckets keyed by address, user or username (docs/accounts.md, Limits). In memory per
// relay process. Memory is bounded: at most `maxKeys` buckets; the least recently used one is
// evicted first, and a bucket that has refilled completely is dropped (it is the same as none).

export interface BucketSpec {
  /** Tokens a new (or fully refilled) key holds. */
  burst: number;
  /** Tokens regained per second. */
  perSecond: number;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterMs: number };

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    readonly spec: BucketSpec,
    private readonly maxKeys = 10_000,
  ) {
    if (!(spec.burst >= 1) || !(spec.perSecond > 0)) {
      throw new Error(
        `token bucket needs burst >= 1 and a positive rate, got ${JSON.stringify(spec)}`,
      );
    }
  }

  /** Takes `cost` tokens for `key` if it has them; otherwise says how long until it will. */
  take(key: string, cost = 1, now = Date.now()): TakeResult {
    const bucket = this.refill(key, now);
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      this.touch(key, bucket);
      return { ok: true };
    }
    this.touch(key, bucket);
    const missing = cost - bucket.tokens;
    return { ok: false, retryAfterMs: Math.ceil((missing / this.spec.perSecond) * 1000) };
  }

  /** Tokens `key` holds now (burst for an unknown key). */
  peek(key: string, now = Date.now()): number {
    const b = this.buckets.get(key);
    if (!b) return this.spec.burst;
    return Math.min(this.spec.burst, b.tokens + ((now - b.at) / 1000) * this.spec.perSecond);
  }

  /** Number of keys held (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, now: number): Bucket {
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.spec.burst, at: now };
    const elapsed = Math.max(0, now - b.at) / 1000;
    b.tokens = Math.min(this.spec.burst, b.tokens + elapsed * this.spec.perSecond);
    b.at = now;
    return b;
  }

  private touch(key: string, bucket: Bucket): void {
    // Map keeps insertion order: re-inserting makes this key the most recently used.
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.sweep(bucket.at);
  }

  /** At most once per refill period, drops buckets that are full again. */
  private sweep(now: number): void {
    const fullAfterMs = (this.spec.burst / this.spec.perSecond) * 1000;
    if (now - this.lastSweep < Math.max(1000, fullAfterMs)) return;
    this.lastSweep = now;
    for (const [key, b] of this.buckets) {
      if (now - b.at >= fullAfterMs) this.buckets.delete(key);
    }
  }
}

/**
 * A rate limit the caller awaits: a node's own TokenBuckets, or buckets every node shares
 * (cluster/shared-buckets.ts, with `--redis`). Used only where the path is async anyway.
 */
export interface Limiter {
  take(key: string, cost?: number): TakeResult | Promise<TakeResult>;
}

/** Makes the limiter named `name` (e.g. `login-username`) with `spec`. */
export type LimiterFactory = (name: string, spec: BucketSpec) => Limiter;

/** One node on its own: every limit is the process's TokenBuckets. */
export const localLimiters: LimiterFactory = (_name, spec) => new TokenBuckets(spec);

/** "20 burst, 10/min" → { burst: 20, perSecond: 10 / 60 }. */
export function perMinute(burst: number, perMin: number): BucketSpec {
  return { burst, perSecond: perMin / 60 };
}

/**
 * Parses a limit written as `BURST/RATE` with RATE `N/s` or `N/min`, e.g. `20/10/min` or
 * `300/50/s`. Returns null when it is not one.
 */
export function parseBucketSpec(text: string): BucketSpec | null {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*\/\s*(s|min)\s*$/.exec(text);
  if (!m) return null;
  const burst = Number(m[1]);
  const rate = Number(m[2]);
  if (burst < 1 || rate <= 0) return null;
  return { burst, perSecond: m[3] === 's' ? rate : rate / 60 };
}

/** The contract's defaults (docs/accounts.md, Limits). */
export const DEFAULT_LIMITS = {
  /** Logins and other unauthenticated API calls, per address. */
  anonymousPerAddress: perMinute(20, 10),
  /** Logins per username (on top of the per-account backoff). */
  loginPerUsername: perMinute(10, 5),
  /** WebSocket upgrades per address. */
  upgradesPerAddress: perMinute(60, 30),
  /** WebSocket upgrades per user. */
  upgradesPerUser: perMinute(30, 20),
  /** Document updates per user. */
  updatesPerUser: { burst: 300, perSecond: 50 },
  /** Authenticated API calls per user. */
  apiPerUser: { burst: 120, perSecond: 60 },
} satisfies Record<string, BucketSpec>;

/**
 * A Map that holds at most `maxKeys` entries: setting a new key past the cap evicts the least
 * recently used one (reading or setting a key makes it the most recent) and reports it to
 * `onEvict`. For state an outsider can create one key at a time (names tried at sign-in,
 * addresses), so memory stays bounded whatever they send.
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();

  constructor(
    readonly maxKeys: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {
    if (!(maxKeys >= 1)) throw new Error(`LruMap needs maxKeys >= 1, got ${maxKeys}`);
  }

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) return undefined;
    // Map keeps insertion order: re-inserting makes this key the most recently used.
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxKeys) {
      const [oldest, old] = this.map.entries().next().value as [K, V];
      this.map.delete(oldest);
      this.onEvict?.(oldest, old);
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  keys(): IterableIterator<K> {
    return this.map.keys();
  }

  /** Entries, least recently used first (a copy: safe to delete while iterating). */
  entries(): Array<[K, V]> {
    return [...this.map.entries()];
  }

  get size(): number {
    return this.map.size;
  }
}
