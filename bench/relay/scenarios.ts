// The relay benchmark's three loads, each run against one started server (servers.ts).
// Fan-out uses the stock y-websocket client; the thousand-client loads use WireClient (the
// same frames without a Y.Doc each) so the load generator stays cheap next to the server.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { cpuSeconds } from '../lib/proc';
import {
  diffHistogram,
  histogramCount,
  parseHistogram,
  quantileUpperBound,
  type Histogram,
} from '../lib/prom';
import { summarize, type Summary } from '../lib/stats';
import { cpuQuiet, inWindows, withDeadline } from '../lib/wait';
import { WireClient } from '../lib/ywire';
import type { MemoryProbe, RunningServer } from './servers';

// ---------------------------------------------------------------------------------------------
// Fan-out: rooms × clients stock providers; writers take turns; every other client of the room
// records (arrival − send) for every message, both clocks being this process's performance.now().

export interface FanoutOptions {
  rooms: number;
  clientsPerRoom: number;
  /** Paced phase: messages per second per room, and messages per room. */
  pacedRate: number;
  pacedMessages: number;
  /** Burst phase: messages per room, all written back to back. */
  burstMessages: number;
  warmupMessages: number;
}

export interface PhaseResult {
  messages: number;
  expected: number;
  delivered: number;
  latencyMs: Summary;
  seconds: number;
  deliveriesPerSecond: number;
  serverCpuSeconds: number;
  /**
   * From the server's own metrics, where it has them (Ferry: ferry_store_latency_seconds):
   * durable commits during the phase and the bucket bounds holding their p50 and p99.
   */
  store: { commits: number; p50UpperMs: number; p99UpperMs: number } | null;
}

export interface FanoutResult {
  paced: PhaseResult;
  burst: PhaseResult;
}

interface FanoutClient {
  doc: Y.Doc;
  provider: WebsocketProvider;
  map: Y.Map<number>;
}

const PHASE_DEADLINE_MS = 60_000;

export async function fanout(server: RunningServer, o: FanoutOptions): Promise<FanoutResult> {
  // Every provider adds a process 'exit' listener (to say goodbye to awareness); 50 is expected.
  process.setMaxListeners(Math.max(process.getMaxListeners(), o.rooms * o.clientsPerRoom + 10));
  let record: ((latencyMs: number) => void) | null = null;
  const rooms: FanoutClient[][] = [];
  for (let r = 0; r < o.rooms; r++) {
    const room: FanoutClient[] = [];
    for (let c = 0; c < o.clientsPerRoom; c++) {
      const doc = new Y.Doc();
      const provider = new WebsocketProvider(server.url, `bench/fanout/${r}`, doc, {
        // ws implements the browser WebSocket surface the provider uses.
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        // Node 20 has BroadcastChannel: without this, clients in this process would talk directly.
        disableBc: true,
      });
      const map = doc.getMap<number>('m');
      map.observe((event, transaction) => {
        if (transaction.local) return;
        const now = performance.now();
        for (const key of event.keysChanged) {
          const sentAt = map.get(key);
          if (sentAt !== undefined) record?.(now - sentAt);
        }
      });
      room.push({ doc, provider, map });
    }
    rooms.push(room);
  }
  const all = rooms.flat();
  try {
    await withDeadline(
      Promise.all(
        all.map(
          ({ provider }) =>
            new Promise<void>((resolve) => {
              if (provider.synced) resolve();
              else provider.once('sync', () => resolve());
            }),
        ),
      ),
      30_000,
      `${all.length} fan-out clients syncing`,
    );

    const phase = async (
      name: string,
      messagesPerRoom: number,
      write: (send: (tick: number) => void) => Promise<void>,
    ): Promise<PhaseResult> => {
      const expected = messagesPerRoom * o.rooms * (o.clientsPerRoom - 1);
      const latencies: number[] = [];
      let lastArrival = 0;
      let allArrived: () => void = () => {};
      const arrived = new Promise<void>((resolve) => (allArrived = resolve));
      record = (ms) => {
        latencies.push(ms);
        lastArrival = performance.now();
        if (latencies.length === expected) allArrived();
      };
      const store0 = await storeLatency(server);
      const cpu0 = cpuSeconds(server.pid);
      const t0 = performance.now();
      await write((tick) => {
        for (let r = 0; r < o.rooms; r++) {
          const room = rooms[r] ?? [];
          const writer = room[tick % room.length];
          writer?.map.set(`${name}/${r}/${tick}`, performance.now());
        }
      });
      try {
        await withDeadline(arrived, PHASE_DEADLINE_MS, `${name} deliveries`);
      } catch {
        // reported below as delivered < expected
      }
      record = null;
      const seconds = ((lastArrival || performance.now()) - t0) / 1000;
      const serverCpuSeconds = cpuSeconds(server.pid) - cpu0;
      const store1 = await storeLatency(server);
      const stored = store0 && store1 ? diffHistogram(store1, store0) : null;
      return {
        messages: messagesPerRoom * o.rooms,
        expected,
        delivered: latencies.length,
        latencyMs: summarize(latencies),
        seconds,
        deliveriesPerSecond: latencies.length / seconds,
        serverCpuSeconds,
        store: stored && {
          commits: histogramCount(stored),
          p50UpperMs: quantileUpperBound(stored, 0.5) * 1000,
          p99UpperMs: quantileUpperBound(stored, 0.99) * 1000,
        },
      };
    };

    await phase('warmup', o.warmupMessages, async (send) => {
      for (let tick = 0; tick < o.warmupMessages; tick++) send(tick);
    });
    const paced = await phase('paced', o.pacedMessages, async (send) => {
      const start = performance.now();
      for (let tick = 0; tick < o.pacedMessages; tick++) {
        const due = start + (tick * 1000) / o.pacedRate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        send(tick);
      }
    });
    const burst = await phase('burst', o.burstMessages, async (send) => {
      for (let tick = 0; tick < o.burstMessages; tick++) send(tick);
    });
    return { paced, burst };
  } finally {
    for (const { provider, doc } of all) {
      provider.destroy();
      doc.destroy();
    }
  }
}

/** The server's durable-commit latency histogram, or null if it publishes none. */
async function storeLatency(server: RunningServer): Promise<Histogram | null> {
  const text = await server.metrics();
  return text === null ? null : parseHistogram(text, 'ferry_store_latency_seconds');
}

// ---------------------------------------------------------------------------------------------
// Idle memory: one client in each of N rooms, each room holding one small message; memory is
// read after a full GC in the server (probe.mjs): before, with everyone connected and idle, and
// after every client closed.

export interface IdleOptions {
  rooms: number;
  window: number;
  /** Extra time to wait after the last close, for servers that unload idle rooms on a timer. */
  afterCloseWaitMs: number;
}

export interface IdleResult {
  rooms: number;
  /** From the first connection to every client synced (and its message sent). */
  secondsToJoin: number;
  baseRss: number;
  baseHeap: number;
  loadedRss: number;
  loadedHeap: number;
  closedRss: number;
  closedHeap: number;
  rssPerConnection: number;
  heapPerConnection: number;
  /** The server's full process.memoryUsage() after GC at each point, for the JSON record. */
  probes: { base: MemoryProbe; loaded: MemoryProbe; closed: MemoryProbe };
}

/** One message as a Yjs update: the same bytes are written into every idle room. */
function messageUpdate(text: string): Uint8Array {
  const doc = new Y.Doc();
  doc.getMap('m').set('0', text);
  return Y.encodeStateAsUpdate(doc);
}

export async function idleRooms(server: RunningServer, o: IdleOptions): Promise<IdleResult> {
  await cpuQuiet(server.pid);
  const base = await server.probe();
  const clients: WireClient[] = [];
  const update = messageUpdate('An idle room holds one short message, like a quiet conversation.');
  try {
    const started = performance.now();
    await withDeadline(
      inWindows(o.rooms, o.window, async (i) => {
        const client = new WireClient(`${server.url}/bench/idle/${i}`, {
          clientId: 100_000 + i,
          awareness: true,
        });
        clients.push(client);
        await client.synced;
        client.sendUpdate(update);
      }),
      120_000,
      `${o.rooms} idle clients syncing`,
    );
    const secondsToJoin = (performance.now() - started) / 1000;
    await cpuQuiet(server.pid);
    const loaded = await server.probe();
    await withDeadline(Promise.all(clients.map((c) => c.close())), 30_000, 'closing idle clients');
    await cpuQuiet(server.pid);
    if (o.afterCloseWaitMs > 0) await sleep(o.afterCloseWaitMs);
    const closed = await server.probe();
    return {
      rooms: o.rooms,
      secondsToJoin,
      baseRss: base.rss,
      baseHeap: base.heapUsed,
      loadedRss: loaded.rss,
      loadedHeap: loaded.heapUsed,
      closedRss: closed.rss,
      closedHeap: closed.heapUsed,
      rssPerConnection: (loaded.rss - base.rss) / o.rooms,
      heapPerConnection: (loaded.heapUsed - base.heapUsed) / o.rooms,
      probes: { base, loaded, closed },
    };
  } finally {
    await Promise.all(clients.map((c) => c.terminate()));
  }
}

// ---------------------------------------------------------------------------------------------
// Join: N clients (announcing awareness like stock clients) join one room that already holds
// `seedMessages` messages. Time and server CPU until every client is synced, server CPU until it
// falls quiet (the awareness broadcasts that follow), and memory per connection once quiet.

export interface JoinOptions {
  clients: number;
  window: number;
  seedMessages: number;
}

export interface JoinResult {
  clients: number;
  /** Memory growth per connected client, all in one room (the socket's own cost, no room). */
  rssPerConnection: number;
  heapPerConnection: number;
  synced: number;
  secondsToAllSynced: number;
  cpuSecondsToAllSynced: number;
  cpuSecondsUntilQuiet: number;
  awarenessFramesReceived: number;
  error: string | null;
}

export async function joinOneRoom(server: RunningServer, o: JoinOptions): Promise<JoinResult> {
  const room = `${server.url}/bench/join`;
  await cpuQuiet(server.pid);
  const base = await server.probe();
  const seedDoc = new Y.Doc();
  const seedMap = seedDoc.getMap('m');
  for (let i = 0; i < o.seedMessages; i++) seedMap.set(`seed/${i}`, `message ${i} of the seed`);
  const seeder = new WireClient(room, { clientId: 1 });
  await withDeadline(seeder.synced, 30_000, 'seeding client syncing');
  seeder.sendUpdate(Y.encodeStateAsUpdate(seedDoc));
  await seeder.close();
  await cpuQuiet(server.pid);

  const clients: WireClient[] = [];
  let synced = 0;
  let error: string | null = null;
  const cpu0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  try {
    await withDeadline(
      inWindows(o.clients, o.window, async (i) => {
        const client = new WireClient(room, { clientId: 10 + i, awareness: true });
        clients.push(client);
        await client.synced;
        synced++;
      }),
      120_000,
      `${o.clients} clients joining one room`,
    );
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const secondsToAllSynced = (performance.now() - t0) / 1000;
  const cpuSecondsToAllSynced = cpuSeconds(server.pid) - cpu0;
  const cpuSecondsUntilQuiet = (await cpuQuiet(server.pid, 60_000)) - cpu0;
  const awarenessFramesReceived = clients.reduce((sum, c) => sum + c.awarenessFrames, 0);
  const loaded = await server.probe();
  await Promise.all(clients.map((c) => c.terminate()));
  return {
    clients: o.clients,
    rssPerConnection: (loaded.rss - base.rss) / o.clients,
    heapPerConnection: (loaded.heapUsed - base.heapUsed) / o.clients,
    synced,
    secondsToAllSynced,
    cpuSecondsToAllSynced,
    cpuSecondsUntilQuiet,
    awarenessFramesReceived,
    error,
  };
}
