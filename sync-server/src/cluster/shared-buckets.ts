// Token buckets every relay node shares, kept in Redis (issue 14; docs/scale-out.md, "Rate
// limits across nodes"). Same semantics as limits.ts TokenBuckets (burst, perSecond, cost,
// retryAfterMs), taken atomically by one Lua script on Redis's clock, so N nodes behind a load
// balancer hold one budget per address, user or username, not N. A bucket is a hash under
// `ferry:rl:<name>:<key>` that expires once it would have refilled completely (a full bucket
// is the same as none), so Redis holds only buckets in use.
//
// When Redis is unreachable (or slow), each take falls back to this node's own TokenBuckets:
// the limits still hold per node, never unlimited. Fallbacks are counted (a hook), and the log
// says so once per outage and once when the shared buckets answer again.
import { createHash } from 'node:crypto';
import { createClient } from '@redis/client';
import { TokenBuckets, type BucketSpec, type Limiter, type TakeResult } from '../limits';
import type { Logger } from '../log';

/** KEYS[1] bucket; ARGV burst, perSecond, cost. Returns {1, 0} taken or {0, retryAfterMs}. */
export const TAKE_SCRIPT = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1])
local at = tonumber(held[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
if tokens >= cost then
  tokens = tokens - cost
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', now)
  redis.call('PEXPIRE', KEYS[1], math.max(1, math.ceil((burst - tokens) / rate * 1000)))
  return {1, 0}
end
return {0, math.ceil((cost - tokens) / rate * 1000)}
`;

const TAKE_SHA = createHash('sha1').update(TAKE_SCRIPT).digest('hex');

/** Key prefix of every shared bucket. */
export const KEY_PREFIX = 'ferry:rl:';

type Client = ReturnType<typeof createClient>;

export interface SharedLimitsOptions {
  /** redis://[user:password@]host:port[/db]; the limits get a connection of their own. */
  url: string;
  log: Logger;
  /** Called for every take answered by the node's own buckets instead of Redis. */
  onFallback?: (name: string) => void;
  /** A take Redis has not answered within this falls back (default 250 ms). */
  timeoutMs?: number;
  /** Longest wait between two reconnection attempts (default 2000 ms). */
  maxRetryDelayMs?: number;
}

/** The Redis connection and outage state the shared buckets of one node have in common. */
export class SharedLimits {
  private readonly client: Client;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private down = false;
  private everReady = false;
  private waiting: Promise<void> | null = null;
  private closed = false;
  private fallbackCount = 0;

  constructor(private readonly options: SharedLimitsOptions) {
    this.log = options.log;
    this.timeoutMs = options.timeoutMs ?? 250;
    const maxDelay = options.maxRetryDelayMs ?? 2000;
    // Commands fail at once while disconnected (no offline queue): a take falls back then.
    this.client = createClient({
      url: options.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 2000,
        // 50 ms doubling up to maxDelay, jittered (as the bus, redis-bus.ts).
        reconnectStrategy: (retries: number) =>
          Math.min(50 * 2 ** Math.min(retries, 10), maxDelay) + Math.floor(Math.random() * 50),
      },
    });
    // Outages are reported by the takes that fall back (once each), not per retry.
    this.client.on('error', () => {});
    this.client.on('ready', () => (this.everReady = true));
    // connect() retries until close(); its rejection then is expected.
    this.client.connect().catch(() => {});
  }

  /** Buckets named `name` (e.g. `login-username`) shared by every node on this Redis. */
  buckets(name: string, spec: BucketSpec): SharedBuckets {
    return new SharedBuckets(this, name, spec);
  }

  /** Resolves once the connection to Redis is up (start-up, tests). */
  ready(): Promise<void> {
    if (this.client.isReady) return Promise.resolve();
    this.waiting ??= new Promise((resolve) =>
      this.client.once('ready', () => {
        this.waiting = null;
        resolve();
      }),
    );
    return this.waiting;
  }

  /** Takes answered by the node's own buckets since start. */
  get fallbacks(): number {
    return this.fallbackCount;
  }

  /** True while takes are answered by Redis (false during an outage). */
  shared(): boolean {
    return !this.down;
  }

  /** Runs the script on `key`; throws when Redis does not answer (in time). */
  async run(key: string, spec: BucketSpec, cost: number): Promise<TakeResult> {
    if (this.closed) throw new Error('closed');
    const args = {
      keys: [key],
      arguments: [String(spec.burst), String(spec.perSecond), String(cost)],
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      // At start-up (not connected yet, no fallback yet) a take waits for the connection,
      // within the same time limit; during an outage it falls back at once.
      const connected =
        this.client.isReady || (!this.everReady && !this.down)
          ? this.ready()
          : Promise.reject(new Error('Redis is not connected'));
      const reply = await Promise.race([
        connected.then(() => (timer ? this.evaluate(args) : null)),
        timeout,
      ]);
      const [taken, retryAfterMs] = reply as [number, number];
      this.up();
      return taken === 1 ? { ok: true } : { ok: false, retryAfterMs: Number(retryAfterMs) };
    } finally {
      clearTimeout(timer);
      // A connection made after the time limit spends no token for this take.
      timer = undefined;
    }
  }

  private async evaluate(args: { keys: string[]; arguments: string[] }): Promise<unknown> {
    try {
      return await this.client.evalSha(TAKE_SHA, args);
    } catch (error) {
      // First use, or a restarted Redis has forgotten the script: EVAL sends and caches it.
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await this.client.eval(TAKE_SCRIPT, args);
    }
  }

  /** A take fell back to the node's own buckets. */
  fellBack(name: string, error: unknown): void {
    this.fallbackCount++;
    this.options.onFallback?.(name);
    if (this.down || this.closed) return;
    this.down = true;
    this.log.warn(
      { err: error, timeoutMs: this.timeoutMs },
      'rate limits: cannot reach Redis (down, or no answer in time); each node enforces its own limits until it answers',
    );
  }

  private up(): void {
    if (!this.down) return;
    this.down = false;
    this.log.info('rate limits: Redis answers again; limits are shared by every node again');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.client.isReady) await this.client.close();
      else this.client.destroy();
    } catch {
      // already closed
    }
  }
}

/** One named limit shared across nodes, with this node's own buckets as the fallback. */
export class SharedBuckets implements Limiter {
  private readonly local: TokenBuckets;

  constructor(
    private readonly limits: SharedLimits,
    readonly name: string,
    readonly spec: BucketSpec,
  ) {
    // The same checks and the same fallback semantics as a node on its own.
    this.local = new TokenBuckets(spec);
  }

  /** The Redis key of `key` (long keys cut: an outsider chooses them). */
  keyOf(key: string): string {
    return `${KEY_PREFIX}${this.name}:${key.slice(0, 200)}`;
  }

  async take(key: string, cost = 1): Promise<TakeResult> {
    try {
      return await this.limits.run(this.keyOf(key), this.spec, cost);
    } catch (error) {
      this.limits.fellBack(this.name, error);
      return this.local.take(key, cost);
    }
  }
}
