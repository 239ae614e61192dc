// How a relay node talks to the other nodes: fire-and-forget messages on named channels.
// Delivery is best effort by design (Redis pub/sub): the relay never trusts it for durability,
// it re-reads what it may have missed from the database (per-room sequence, onReconnect).
// Two implementations: RedisBus (redis-bus.ts) for several nodes, LocalBus for one process.
import { randomBytes } from 'node:crypto';
import os from 'node:os';

/** A message from another node: its payload and the id of the node that published it. */
export type BusHandler = (payload: Uint8Array, from: string) => void;

export interface Bus {
  /** This node's id, carried in every message it publishes. */
  readonly nodeId: string;
  /** Sends to every other node subscribed to `channel`. Never throws; failures are counted. */
  publish(channel: string, payload: Uint8Array): void;
  /** Resolves once the server confirmed the subscription. Own messages are never delivered. */
  subscribe(channel: string, handler: BusHandler): Promise<void>;
  unsubscribe(channel: string): Promise<void>;
  /** Called after the connection came back from a loss: messages may have been missed. */
  onReconnect(listener: () => void): void;
  /** False while the other nodes cannot be reached (for /readyz). */
  healthy(): boolean;
  stats(): BusStats;
  close(): Promise<void>;
}

export interface BusStats {
  published: number;
  received: number;
  /** Messages lost on this side: queue full while disconnected, publish failed, not ours. */
  dropped: number;
  /** Messages waiting for the connection to come back, and their bytes. */
  queued: number;
  queuedBytes: number;
  reconnects: number;
}

export type DropReason = 'queue_full' | 'publish_failed' | 'malformed' | 'handler_threw';

/** Hooks for the relay's metrics and logs; all optional. */
export interface BusHooks {
  published?(channel: string, bytes: number): void;
  received?(channel: string, bytes: number): void;
  dropped?(reason: DropReason, channel: string): void;
  reconnected?(): void;
  /** Health changed: false with the error that caused it, true when back. Not per retry. */
  state?(healthy: boolean, error?: Error): void;
}

/** Channel names are namespaced so several installs (or other software) can share a Redis. */
export const CHANNEL_PREFIX = 'ferry:';

/** A readable, unique id for this process: host, pid and a random part. */
export function defaultNodeId(): string {
  return `${os.hostname().slice(0, 64)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

export function emptyStats(): BusStats {
  return { published: 0, received: 0, dropped: 0, queued: 0, queuedBytes: 0, reconnects: 0 };
}

/**
 * The bus of a relay that runs alone (no --redis): there is no other node, so publishing
 * reaches nobody and subscribing waits for nothing. Always healthy.
 */
export class LocalBus implements Bus {
  readonly nodeId: string;
  private readonly counts = emptyStats();
  private readonly channels = new Set<string>();

  constructor(
    nodeId = defaultNodeId(),
    private readonly hooks: BusHooks = {},
  ) {
    this.nodeId = nodeId;
  }

  publish(channel: string, payload: Uint8Array): void {
    this.counts.published++;
    this.hooks.published?.(channel, payload.length);
  }

  async subscribe(channel: string, _handler: BusHandler): Promise<void> {
    this.channels.add(channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.channels.delete(channel);
  }

  onReconnect(_listener: () => void): void {
    // A single process never loses its connection to itself.
  }

  healthy(): boolean {
    return true;
  }

  stats(): BusStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
