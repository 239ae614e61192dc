// The cluster benchmark's loads, each against a started Deployment (nodes.ts). Clients are what
// the relay benchmark uses: stock y-websocket providers where latency or reconnection is
// measured, WireClient (the same frames, awareness announced and echoed, no Y.Doc) where
// thousands are needed and the load generator must stay cheap next to the relays.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import type { TcpFront } from '../lib/front';
import { diffHistogram, parseHistogram, quantileUpperBound, type Histogram } from '../lib/prom';
import { summarize, type Summary } from '../lib/stats';
import { cpuQuiet, inWindows, withDeadline } from '../lib/wait';
import { WireClient } from '../lib/ywire';
import type { MemoryProbe } from '../relay/servers';
import type { Deployment } from './nodes';

/** Node of the i-th client when clients are spread evenly over the deployment's nodes. */
const spread = (d: Deployment, i: number): number => i % d.nodes.length;

function provider(url: string, room: string): { doc: Y.Doc; provider: WebsocketProvider } {
  const doc = new Y.Doc();
  const p = new WebsocketProvider(url, room, doc, {
    // ws implements the browser WebSocket surface the provider uses.
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    // Node 20 has BroadcastChannel: without this, clients in this process would talk directly.
    disableBc: true,
  });
  return { doc, provider: p };
}

const synced = (p: WebsocketProvider): Promise<void> =>
  new Promise((resolve) => {
    if (p.synced) resolve();
    else p.once('sync', () => resolve());
  });

// ---------------------------------------------------------------------------------------------
// Idle: `total` WireClients, each in a room of its own holding one short message, spread evenly
// over the nodes, connected in two halves. Each node's memory (after a full GC) is read after
// each half: the growth from the first half to the second, per connection, is what one more idle
// connection costs (the first half also pays one-off costs: JIT, pools, buffers).

export interface IdleNode {
  /** Connections on this node after the first half and after all. */
  half: number;
  clients: number;
  base: MemoryProbe;
  atHalf: MemoryProbe;
  loaded: MemoryProbe;
  /** (RSS after all − RSS after the first half) / connections of the second half. */
  rssPerConnection: number;
}

export async function idle(d: Deployment, total: number, window: number): Promise<IdleNode[]> {
  const count = d.nodes.length;
  const probeAll = async (): Promise<MemoryProbe[]> => {
    await Promise.all(d.nodes.map((_, i) => cpuQuiet(d.node(i).pid)));
    return Promise.all(d.nodes.map((_, i) => d.node(i).probe()));
  };
  const base = await probeAll();
  const doc = new Y.Doc();
  doc.getMap('m').set('0', 'An idle room holds one short message, like a quiet conversation.');
  const message = Y.encodeStateAsUpdate(doc);
  const clients: WireClient[] = [];
  const connect = (from: number, to: number): Promise<void> =>
    withDeadline(
      inWindows(to - from, window, async (k) => {
        const i = from + k;
        const c = new WireClient(`${d.url(spread(d, i))}/bench/idle/${i}`, {
          clientId: 100_000 + i,
          awareness: true,
        });
        clients.push(c);
        await c.synced;
        c.sendUpdate(message);
      }),
      150_000,
      `${to - from} idle clients syncing`,
    );
  const onNode = (n: number, i: number): number => Math.ceil((n - i) / count);
  try {
    const half = Math.floor(total / 2);
    await connect(0, half);
    const atHalf = await probeAll();
    await connect(half, total);
    const loaded = await probeAll();
    return base.map((b, i) => {
      const h = atHalf[i] ?? b;
      const l = loaded[i] ?? b;
      const added = onNode(total, i) - onNode(half, i);
      return {
        half: onNode(half, i),
        clients: onNode(total, i),
        base: b,
        atHalf: h,
        loaded: l,
        rssPerConnection: (l.rss - h.rss) / added,
      };
    });
  } finally {
    await Promise.all(clients.map((c) => c.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Fan-out: per room one writer on node 0 and `readers` readers on the other nodes in turn (on
// node 0 too when there is one node), all stock providers. Writers set a key to
// performance.now(); each reader records arrival − send (one process, one clock).

export interface FanoutOptions {
  rooms: number;
  readers: number;
  /** Messages per second per room, and messages per room (after `warmup` unmeasured ones). */
  rate: number;
  messages: number;
  warmup: number;
}

export interface FanoutResult {
  expected: number;
  delivered: number;
  latencyMs: Summary;
  /**
   * From the relays' own histograms over the measured phase (bucket upper bounds, ms): the
   * writer's node's durable commits, and on the readers' nodes the pub/sub lag (commit on
   * another node → its clients have it; three nodes only).
   */
  commitMs: { p50: number; p99: number };
  lagMs: { p50: number; p99: number } | null;
}

/** One histogram summed over the given nodes. */
async function histogram(d: Deployment, nodes: number[], name: string): Promise<Histogram> {
  const sum: Histogram = new Map();
  for (const i of nodes) {
    const h = parseHistogram((await d.node(i).metrics()) ?? '', name);
    for (const [le, n] of h) sum.set(le, (sum.get(le) ?? 0) + n);
  }
  return sum;
}

const bounds = (h: Histogram): { p50: number; p99: number } => ({
  p50: quantileUpperBound(h, 0.5) * 1000,
  p99: quantileUpperBound(h, 0.99) * 1000,
});

export async function fanout(d: Deployment, o: FanoutOptions): Promise<FanoutResult> {
  process.setMaxListeners(Math.max(process.getMaxListeners(), o.rooms * (o.readers + 1) + 10));
  let record: ((ms: number) => void) | null = null;
  const writers: Y.Map<number>[] = [];
  const all: { doc: Y.Doc; provider: WebsocketProvider }[] = [];
  for (let r = 0; r < o.rooms; r++) {
    const room = `bench/fanout/${r}`;
    const writer = provider(d.url(0), room);
    all.push(writer);
    writers.push(writer.doc.getMap<number>('m'));
    for (let k = 0; k < o.readers; k++) {
      const node = d.nodes.length === 1 ? 0 : 1 + (k % (d.nodes.length - 1));
      const reader = provider(d.url(node), room);
      const map = reader.doc.getMap<number>('m');
      map.observe((event, transaction) => {
        if (transaction.local) return;
        const now = performance.now();
        for (const key of event.keysChanged) {
          const sentAt = map.get(key);
          if (sentAt !== undefined) record?.(now - sentAt);
        }
      });
      all.push(reader);
    }
  }
  try {
    await withDeadline(
      Promise.all(all.map((c) => synced(c.provider))),
      60_000,
      'fan-out clients syncing',
    );
    const phase = async (name: string, messages: number): Promise<number[]> => {
      const expected = messages * o.rooms * o.readers;
      const samples: number[] = [];
      let done: () => void = () => {};
      const arrived = new Promise<void>((resolve) => (done = resolve));
      record = (ms) => {
        samples.push(ms);
        if (samples.length === expected) done();
      };
      const start = performance.now();
      for (let tick = 0; tick < messages; tick++) {
        const wait = start + (tick * 1000) / o.rate - performance.now();
        if (wait > 0) await sleep(wait);
        writers.forEach((m, r) => m.set(`${name}/${r}/${tick}`, performance.now()));
      }
      await withDeadline(arrived, 30_000, `${name} deliveries`).catch(() => {});
      record = null;
      return samples;
    };
    await phase('warmup', o.warmup);
    const others = d.nodes.map((_, i) => i).slice(1);
    const STORE = 'ferry_store_latency_seconds';
    const LAG = 'ferry_cluster_lag_seconds';
    const [store0, lag0] = [await histogram(d, [0], STORE), await histogram(d, others, LAG)];
    const samples = await phase('paced', o.messages);
    const [store1, lag1] = [await histogram(d, [0], STORE), await histogram(d, others, LAG)];
    return {
      expected: o.messages * o.rooms * o.readers,
      delivered: samples.length,
      latencyMs: summarize(samples),
      commitMs: bounds(diffHistogram(store1, store0)),
      lagMs: others.length ? bounds(diffHistogram(lag1, lag0)) : null,
    };
  } finally {
    for (const c of all) {
      c.provider.destroy();
      c.doc.destroy();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Throughput: `rooms` rooms, each with a writer on node r and a reader on the next node (the
// same node when there is one). Every writer sends `updates` updates back to back; an update
// counts once the relay acknowledged it (its state vector, sent after the durable commit, covers
// it). Time from the first send to the last acknowledgement.

export interface ThroughputOptions {
  rooms: number;
  updates: number;
  window: number;
}

export interface ThroughputResult {
  updates: number;
  acknowledged: number;
  seconds: number;
  perSecond: number;
  /** Updates that reached the rooms' readers by the end (each should see every one). */
  delivered: number;
}

export async function throughput(d: Deployment, o: ThroughputOptions): Promise<ThroughputResult> {
  const acked = new Array<number>(o.rooms).fill(0);
  const seen = new Array<number>(o.rooms).fill(0);
  let ackedTotal = 0;
  let seenTotal = 0;
  let allSeen: () => void = () => {};
  const everySeen = new Promise<void>((resolve) => (allSeen = resolve));
  let lastAck = 0;
  let allAcked: () => void = () => {};
  const done = new Promise<void>((resolve) => (allAcked = resolve));
  const total = o.rooms * o.updates;
  const clients: WireClient[] = [];
  const writers: { doc: Y.Doc; client: WireClient }[] = [];
  try {
    await withDeadline(
      inWindows(o.rooms, o.window, async (r) => {
        const url = (node: number) => `${d.url(node)}/bench/writes/${r}`;
        const clientId = 1_000_000 + r;
        const writer = new WireClient(url(spread(d, r)), {
          clientId,
          awareness: true,
          onServerState: (sv) => {
            const clock = Math.min(sv.get(clientId) ?? 0, o.updates);
            const before = acked[r] ?? 0;
            if (clock <= before) return;
            acked[r] = clock;
            ackedTotal += clock - before;
            lastAck = performance.now();
            if (ackedTotal === total) allAcked();
          },
        });
        const reader = new WireClient(url(spread(d, r + 1)), {
          clientId: 2_000_000 + r,
          awareness: true,
          onUpdate: (update) => {
            const clock = Y.parseUpdateMeta(update).to.get(clientId);
            const before = seen[r] ?? 0;
            if (clock === undefined || clock <= before) return;
            seen[r] = clock;
            seenTotal += clock - before;
            if (seenTotal === total) allSeen();
          },
        });
        clients.push(writer, reader);
        await Promise.all([writer.synced, reader.synced]);
        const doc = new Y.Doc();
        doc.clientID = clientId;
        doc.on('update', (update: Uint8Array) => writer.sendUpdate(update));
        writers.push({ doc, client: writer });
      }),
      120_000,
      `${o.rooms * 2} throughput clients syncing`,
    );
    await Promise.all(d.nodes.map((_, i) => cpuQuiet(d.node(i).pid)));
    const t0 = performance.now();
    for (let i = 0; i < o.updates; i++) {
      for (const { doc } of writers) doc.getMap<number>('m').set(String(i), i);
    }
    await withDeadline(done, 60_000, 'acknowledgements').catch(() => {});
    const seconds = ((lastAck || performance.now()) - t0) / 1000;
    // The readers' last frames may trail the last acknowledgement by a moment.
    await withDeadline(everySeen, 10_000, 'readers').catch(() => {});
    return {
      updates: total,
      acknowledged: ackedTotal,
      seconds,
      perSecond: ackedTotal / seconds,
      delivered: seenTotal,
    };
  } finally {
    for (const { doc } of writers) doc.destroy();
    await Promise.all(clients.map((c) => c.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Failover: `clients` stock providers (two per room) through the TCP front, spread round robin
// over the nodes; kill -9 of node `victim`; for each client whose connection dropped, the time
// from the kill to its provider being synced again (through another node).

export interface FailoverResult {
  clients: number;
  /** Connections the front had open to the victim, and how many providers saw theirs drop. */
  onVictim: number;
  dropped: number;
  back: number;
  secondsBack: Summary;
}

export async function failover(
  d: Deployment,
  front: TcpFront,
  clients: number,
  victim: number,
): Promise<FailoverResult> {
  process.setMaxListeners(Math.max(process.getMaxListeners(), clients + 10));
  const all = Array.from({ length: clients }, (_, i) =>
    provider(front.url, `bench/failover/${Math.floor(i / 2)}`),
  );
  try {
    await withDeadline(Promise.all(all.map((c) => synced(c.provider))), 60_000, 'clients syncing');
    const onVictim = front.openTo(d.ports[victim] ?? -1);
    const backAfter: number[] = [];
    let dropped = 0;
    let allBack: () => void = () => {};
    const everyoneBack = new Promise<void>((resolve) => (allBack = resolve));
    let t0 = 0;
    for (const { provider: p } of all) {
      let down = false;
      p.on('status', ({ status }: { status: string }) => {
        if (status === 'disconnected' && !down && t0 > 0) {
          down = true;
          dropped++;
        }
      });
      p.on('sync', (isSynced: boolean) => {
        if (!isSynced || !down) return;
        down = false;
        backAfter.push((performance.now() - t0) / 1000);
        if (backAfter.length === onVictim) allBack();
      });
    }
    t0 = performance.now();
    await d.kill(victim);
    await withDeadline(everyoneBack, 30_000, 'clients of the killed node back').catch(() => {});
    return {
      clients,
      onVictim,
      dropped,
      back: backAfter.length,
      secondsBack: summarize(backAfter),
    };
  } finally {
    for (const c of all) {
      c.provider.destroy();
      c.doc.destroy();
    }
  }
}
