// The bus between relay nodes over Redis pub/sub (node-redis, @redis/client): one connection
// publishes, one subscribes (a subscribed connection can do nothing else). Both reconnect with
// a capped, jittered backoff; node-redis resubscribes every channel before it reports ready.
// While the publisher is away, messages wait in a bounded queue (oldest dropped and counted
// beyond it) and go out in order once it is back. Nothing here throws at the relay.
import { createClient } from '@redis/client';
import {
  CHANNEL_PREFIX,
  defaultNodeId,
  emptyStats,
  type Bus,
  type BusHandler,
  type BusHooks,
  type BusStats,
  type DropReason,
} from './bus';
import { decodeEnvelope, encodeEnvelope, nodeIdBytes } from './envelope';

export interface RedisBusOptions {
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS). */
  url: string;
  nodeId?: string;
  /** Namespace of every channel (default "ferry:"). */
  prefix?: string;
  hooks?: BusHooks;
  /** Messages kept while Redis is unreachable (default 10000). */
  maxQueued?: number;
  /** Bytes kept while Redis is unreachable (default 16 MiB). */
  maxQueuedBytes?: number;
  /** Longest wait between two reconnection attempts (default 2000 ms). */
  maxRetryDelayMs?: number;
  connectTimeoutMs?: number;
}

type Client = ReturnType<typeof createClient>;

interface Queued {
  channel: string;
  message: Buffer;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

export class RedisBus implements Bus {
  readonly nodeId: string;
  private readonly node: Uint8Array;
  private readonly prefix: string;
  private readonly hooks: BusHooks;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  private readonly pub: Client;
  private readonly sub: Client;
  private readonly counts: BusStats = emptyStats();
  private readonly handlers = new Map<string, BusHandler>();
  private readonly reconnectListeners: Array<() => void> = [];
  /** subscribe() calls waiting for the subscriber to come back (released by close()). */
  private readonly waiters = new Set<() => void>();
  private queue: Queued[] = [];
  private queueHead = 0;
  private wasHealthy = false;
  private everHealthy = false;
  private closed = false;
  private lastError: Error | undefined;
  private firstHealthy: Promise<void>;
  private resolveFirstHealthy!: () => void;

  constructor(options: RedisBusOptions) {
    this.nodeId = options.nodeId ?? defaultNodeId();
    this.node = nodeIdBytes(this.nodeId);
    this.prefix = options.prefix ?? CHANNEL_PREFIX;
    this.hooks = options.hooks ?? {};
    this.maxQueued = options.maxQueued ?? 10_000;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 16 * 1024 * 1024;
    const maxDelay = options.maxRetryDelayMs ?? 2000;
    this.firstHealthy = new Promise((resolve) => (this.resolveFirstHealthy = resolve));
    const socket = {
      connectTimeout: options.connectTimeoutMs ?? 2000,
      // 50 ms, 100 ms, … up to maxDelay, plus jitter so restarted nodes do not retry in step.
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 10), maxDelay) + Math.floor(Math.random() * 50),
    };
    // The publisher refuses commands while offline: the bounded queue below replaces
    // node-redis's unbounded one. The subscriber keeps it: SUBSCRIBE waits for the connection.
    this.pub = createClient({ url: options.url, socket, disableOfflineQueue: true });
    this.sub = createClient({ url: options.url, socket });
    for (const client of [this.pub, this.sub]) {
      client.on('error', (error: Error) => this.update(error));
      client.on('reconnecting', () => this.update());
      client.on('end', () => this.update());
      client.on('ready', () => {
        if (client === this.pub) this.flush();
        this.update();
      });
      // connect() retries until close(); its rejection then is expected.
      client.connect().catch((error: Error) => this.update(error));
    }
  }

  /** Resolves once both connections were up at least once (start-up, tests). */
  connected(): Promise<void> {
    return this.firstHealthy;
  }

  publish(channel: string, payload: Uint8Array): void {
    if (this.closed) return this.drop('publish_failed', channel);
    const message = asBuffer(encodeEnvelope(this.node, payload));
    const full = this.prefix + channel;
    if (!this.pub.isReady) return this.enqueue({ channel: full, message });
    this.flush();
    this.send(full, message);
  }

  async subscribe(channel: string, handler: BusHandler): Promise<void> {
    if (this.closed) throw new Error('bus closed');
    const known = this.handlers.has(channel);
    this.handlers.set(channel, handler);
    if (known) return;
    const full = this.prefix + channel;
    const listener = (message: Buffer) => this.deliver(channel, message);
    for (;;) {
      try {
        await this.sub.subscribe(full, listener, true);
        return;
      } catch (error) {
        // The connection dropped before the server confirmed: try again once it is back.
        if (this.closed || !this.handlers.has(channel)) throw error;
        await new Promise<void>((resolve) => {
          const release = () => {
            this.waiters.delete(release);
            this.sub.off('ready', release);
            resolve();
          };
          this.waiters.add(release);
          this.sub.once('ready', release);
        });
      }
    }
  }

  async unsubscribe(channel: string): Promise<void> {
    if (!this.handlers.delete(channel) || this.closed) return;
    try {
      await this.sub.unsubscribe(this.prefix + channel);
    } catch {
      // Disconnected: node-redis forgets the channel, so it is not resubscribed either.
    }
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  healthy(): boolean {
    return !this.closed && this.pub.isReady && this.sub.isReady;
  }

  stats(): BusStats {
    return { ...this.counts, queued: this.queued() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queueHead = 0;
    this.counts.queuedBytes = 0;
    this.handlers.clear();
    for (const release of [...this.waiters]) release();
    await Promise.all(
      [this.pub, this.sub].map(async (client) => {
        try {
          if (client.isReady) await client.close();
          else client.destroy();
        } catch {
          // already closed
        }
      }),
    );
  }

  private deliver(channel: string, message: Buffer): void {
    // A plain Uint8Array view (no copy): handlers see the same type from every bus.
    const envelope = decodeEnvelope(
      new Uint8Array(message.buffer, message.byteOffset, message.byteLength),
    );
    if (!envelope) return this.drop('malformed', channel);
    if (envelope.node === this.nodeId) return;
    const handler = this.handlers.get(channel);
    if (!handler) return;
    this.counts.received++;
    this.hooks.received?.(channel, envelope.payload.length);
    try {
      handler(envelope.payload, envelope.node);
    } catch {
      this.drop('handler_threw', channel);
    }
  }

  private send(full: string, message: Buffer): void {
    this.pub.publish(full, message).then(
      () => {
        this.counts.published++;
        this.hooks.published?.(full.slice(this.prefix.length), message.length);
      },
      () => this.drop('publish_failed', full.slice(this.prefix.length)),
    );
  }

  private queued(): number {
    return this.queue.length - this.queueHead;
  }

  private enqueue(item: Queued): void {
    const size = item.message.length;
    if (size > this.maxQueuedBytes || this.maxQueued === 0) {
      return this.drop('queue_full', item.channel.slice(this.prefix.length));
    }
    while (
      this.queued() > 0 &&
      (this.queued() >= this.maxQueued || this.counts.queuedBytes + size > this.maxQueuedBytes)
    ) {
      const oldest = this.shift();
      this.drop('queue_full', oldest.channel.slice(this.prefix.length));
    }
    this.queue.push(item);
    this.counts.queuedBytes += size;
  }

  private shift(): Queued {
    const item = this.queue[this.queueHead];
    if (!item) throw new Error('bus queue: shift() on an empty queue');
    this.queueHead++;
    this.counts.queuedBytes -= item.message.length;
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return item;
  }

  /** Sends what waited, in order, as soon as the publisher is back. */
  private flush(): void {
    while (this.queued() > 0 && this.pub.isReady) {
      const item = this.shift();
      this.send(item.channel, item.message);
    }
    if (this.queued() === 0) {
      this.queue = [];
      this.queueHead = 0;
    }
  }

  private drop(reason: DropReason, channel: string): void {
    this.counts.dropped++;
    this.hooks.dropped?.(reason, channel);
  }

  /** Follows both connections: one state change per loss and return, not one per retry. */
  private update(error?: Error): void {
    if (error) this.lastError = error;
    if (this.closed) return;
    const now = this.healthy();
    if (now === this.wasHealthy) return;
    this.wasHealthy = now;
    if (!now) {
      this.hooks.state?.(false, this.lastError);
      return;
    }
    this.hooks.state?.(true);
    if (!this.everHealthy) {
      this.everHealthy = true;
      this.resolveFirstHealthy();
      return;
    }
    this.counts.reconnects++;
    this.hooks.reconnected?.();
    for (const listener of this.reconnectListeners) {
      try {
        listener();
      } catch {
        // a listener's failure is its own; the others still run
      }
    }
  }
}
