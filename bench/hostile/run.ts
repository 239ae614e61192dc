// Hostile-member benchmark (issue 10; docs/threat-model.md): what two floods a member can send
// with raw frames cost a relay and the people in the room, Ferry against a named peer in the
// same run. Both servers get the same frames from the same stock y-websocket clients.
//   peer:  the reference y-websocket server (@y/websocket-server 0.1.1; no accounts, no limits);
//   Ferry: the relay as deployed (accounts on, default limits), the attacker a signed-in member.
// Floods, as reported in the issue:
//   awareness: 5,700 states of 4 KB in three frames; then a new member opens the room;
//   clientIDs: one update naming 100,000 fresh clientIDs (Skips: it changes nothing).
// Figures: the server's RSS growth, what a member already in the room receives, whether a new
// member gets in (and how long that takes), and the worst HTTP answer time during the flood.
// Loopback only; every wait is bounded; stops by itself.
//
//   npx tsx bench/hostile/run.ts [--ferry-root DIR]
// --ferry-root runs the relay of another checkout (e.g. an older release) as a third server.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { newId } from '../../core/src/ids';
import { pageRoom, periodOf } from '../../core/src/model/rooms';
import { rssBytes } from '../lib/proc';
import { fmt, table } from '../lib/stats';
import { cpuQuiet, withDeadline } from '../lib/wait';
import { reference } from '../relay/servers';

const probeUrl = new URL('../relay/probe.mjs', import.meta.url).href;

process.setMaxListeners(0);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD = 'correct horse battery';
const MiB = 1024 * 1024;
const rootAt = process.argv.indexOf('--ferry-root');
const otherRoot = rootAt >= 0 ? process.argv[rootAt + 1] : undefined;
if (rootAt >= 0 && !otherRoot) {
  console.error('bench/hostile: usage: npx tsx bench/hostile/run.ts [--ferry-root DIR]');
  process.exit(2);
}

interface Target {
  name: string;
  url: string;
  http: string;
  pid: number;
  room: string;
  /** Full GC in the server, then its heap in use (bench/relay/probe.mjs). */
  heapAfterGc(): Promise<number>;
  /** Query string with the token of `who` (empty for the peer). */
  auth(who: 'attacker' | 'member' | 'newcomer'): Record<string, string>;
  stop(): Promise<void>;
}

/** Bytes received per client, counted on its socket. */
function countingSocket(counter: { bytes: number }): typeof WebSocket {
  return class extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      this.on('message', (data: Buffer) => (counter.bytes += data.byteLength));
    }
  } as unknown as typeof WebSocket;
}

interface Client {
  provider: WebsocketProvider;
  received: { bytes: number };
  destroy(): void;
}

function connect(t: Target, who: 'attacker' | 'member' | 'newcomer'): Client {
  const received = { bytes: 0 };
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(t.url, t.room, doc, {
    disableBc: true,
    params: t.auth(who),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ws serves as the browser WebSocket here
    WebSocketPolyfill: countingSocket(received) as any,
  });
  return {
    provider,
    received,
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

function synced(c: Client, ms: number): Promise<void> {
  if (c.provider.synced) return Promise.resolve();
  return withDeadline(
    new Promise<void>((resolve) => c.provider.once('sync', () => resolve())),
    ms,
    'sync',
  );
}

function awarenessFrame(first: number, n: number, pad: string): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, n);
  for (let i = 0; i < n; i++) {
    encoding.writeVarUint(inner, first + i);
    encoding.writeVarUint(inner, 1);
    encoding.writeVarString(inner, JSON.stringify({ pad }));
  }
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
  return encoding.toUint8Array(e);
}

function skipsUpdate(first: number, n: number): Uint8Array {
  const u = encoding.createEncoder();
  encoding.writeVarUint(u, n);
  for (let i = 0; i < n; i++) {
    encoding.writeVarUint(u, 1);
    encoding.writeVarUint(u, first + i);
    encoding.writeVarUint(u, 0);
    encoding.writeUint8(u, 10);
    encoding.writeVarUint(u, 1);
  }
  encoding.writeVarUint(u, 0);
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, encoding.toUint8Array(u));
  return encoding.toUint8Array(e);
}

/** The worst answer time of GETs to `url` issued back to back for `ms`. */
async function worstAnswer(url: string, ms: number): Promise<number> {
  const end = performance.now() + ms;
  let worst = 0;
  while (performance.now() < end) {
    const t0 = performance.now();
    await withDeadline(
      fetch(url).then((r) => r.arrayBuffer()),
      30_000,
      'GET',
    );
    worst = Math.max(worst, performance.now() - t0);
  }
  return worst;
}

async function api(
  http: string,
  method: string,
  route: string,
  body: unknown,
  token?: string,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${http}/api/v1${route}`, {
    method,
    headers: {
      'Content-Type': 'application/json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status >= 300)
    throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function startFerry(root = repoRoot, name = 'Ferry'): Promise<Target> {
  const data = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-hostile-'));
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--import',
      'tsx',
      '--import',
      probeUrl,
      'sync-server/src/cli.ts',
      ...['--host', '127.0.0.1', '--port', '0', '--data', data, '--log-level', 'warn'],
    ],
    { cwd: root, env: { ...process.env, FERRY_ARGON2_MEMORY: '1024', FERRY_ARGON2_TIME: '1' } },
  );
  const port = await withDeadline(
    new Promise<number>((resolve) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const m = /"port":(\d+)/.exec(out);
        if (m?.[1]) resolve(Number(m[1]));
      });
    }),
    30_000,
    'Ferry start',
  );
  const probes: Array<(heap: number) => void> = [];
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    let nl;
    while ((nl = err.indexOf('\n')) >= 0) {
      const line = err.slice(0, nl);
      err = err.slice(nl + 1);
      if (line.startsWith('{"benchProbe":')) {
        const probe = (JSON.parse(line) as { benchProbe: { heapUsed: number } }).benchProbe;
        probes.shift()?.(probe.heapUsed);
      }
    }
  });
  const http = `http://127.0.0.1:${port}`;
  const admin = await api(http, 'POST', '/setup', { username: 'admin', password: PASSWORD });
  const adminToken = String(admin.accessToken);
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  for (const who of ['attacker', 'member', 'newcomer']) {
    await api(http, 'POST', '/admin/users', { username: who, password: PASSWORD }, adminToken);
    const t = await api(http, 'POST', '/auth/login', { username: who, password: PASSWORD });
    tokens[who] = String(t.accessToken);
    ids[who] = String((t.user as { id: string }).id);
  }
  const conv = newId((n) => crypto.getRandomValues(new Uint8Array(n)));
  await api(
    http,
    'POST',
    '/conversations',
    { id: conv, kind: 'channel', title: 'Flood', members: [ids.attacker, ids.newcomer] },
    tokens.member,
  );
  return {
    name,
    url: `ws://127.0.0.1:${port}`,
    http: `${http}/healthz`,
    pid: child.pid ?? 0,
    room: pageRoom(conv, periodOf(Date.now())),
    heapAfterGc: () =>
      withDeadline(
        new Promise<number>((resolve) => {
          probes.push(resolve);
          child.kill('SIGUSR2');
        }),
        30_000,
        'probe',
      ),
    auth: (who) => ({ token: tokens[who] ?? '' }),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(data, { recursive: true, force: true });
    },
  };
}

async function startPeer(): Promise<Target> {
  const s = await reference.start();
  return {
    name: 'peer (reference)',
    url: s.url,
    http: s.httpUrl,
    pid: s.pid,
    room: 'flood-room',
    heapAfterGc: async () => (await s.probe()).heapUsed,
    auth: () => ({}),
    stop: () => s.stop(),
  };
}

interface Figures {
  awarenessRssMiB: number;
  awarenessHeldMiB: number;
  memberReceivedMiB: number;
  newcomerIn: string;
  newcomerGreetingMiB: number;
  idsRssMiB: number;
  idsHeldMiB: number;
  idsWorstHttpMs: number;
}

async function measure(t: Target): Promise<Figures> {
  const member = connect(t, 'member');
  const attacker = connect(t, 'attacker');
  await Promise.all([synced(member, 20_000), synced(attacker, 20_000)]);
  await cpuQuiet(t.pid, 10_000);
  const heap0 = await t.heapAfterGc();
  const rss0 = rssBytes(t.pid);
  const before = member.received.bytes;
  const pad = 'x'.repeat(4000);
  for (let frame = 0; frame < 3; frame++) {
    attacker.provider.ws?.send(
      awarenessFrame(1_000_000 + frame * 1900, 1900, pad) as Uint8Array<ArrayBuffer>,
    );
  }
  await cpuQuiet(t.pid, 30_000);
  await sleep(500); // the member's socket drains what was sent to it
  const memberReceived = member.received.bytes - before;
  const awarenessRss = rssBytes(t.pid) - rss0;
  const awarenessHeld = (await t.heapAfterGc()) - heap0;
  const newcomer = connect(t, 'newcomer');
  const t0 = performance.now();
  let newcomerIn: string;
  try {
    await synced(newcomer, 10_000);
    await sleep(1000);
    newcomerIn = newcomer.provider.wsconnected
      ? `yes, ${fmt(performance.now() - t0 - 1000, 0)} ms`
      : 'dropped after sync';
  } catch {
    newcomerIn = 'no (not synced in 10 s)';
  }
  const greeting = newcomer.received.bytes;
  newcomer.destroy();

  await cpuQuiet(t.pid, 30_000);
  const heap1 = await t.heapAfterGc();
  const rss1 = rssBytes(t.pid);
  const probe = worstAnswer(t.http, 3000);
  attacker.provider.ws?.send(skipsUpdate(2_000_000, 100_000) as Uint8Array<ArrayBuffer>);
  const worst = await probe;
  await cpuQuiet(t.pid, 30_000);
  const idsRss = rssBytes(t.pid) - rss1;
  const idsHeld = (await t.heapAfterGc()) - heap1;
  member.destroy();
  attacker.destroy();
  return {
    awarenessRssMiB: awarenessRss / MiB,
    awarenessHeldMiB: awarenessHeld / MiB,
    memberReceivedMiB: memberReceived / MiB,
    newcomerIn,
    newcomerGreetingMiB: greeting / MiB,
    idsRssMiB: idsRss / MiB,
    idsHeldMiB: idsHeld / MiB,
    idsWorstHttpMs: worst,
  };
}

async function main(): Promise<void> {
  const load = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  console.log(`bench/hostile: ${os.cpus().length} cores, load average ${load}`);
  const rows: string[][] = [];
  const servers = [startPeer, () => startFerry()];
  if (otherRoot) servers.push(() => startFerry(path.resolve(otherRoot), `Ferry at ${otherRoot}`));
  for (const start of servers) {
    const t = await start();
    try {
      const f = await measure(t);
      rows.push([
        t.name,
        fmt(f.awarenessRssMiB),
        fmt(f.awarenessHeldMiB),
        fmt(f.memberReceivedMiB, 2),
        f.newcomerIn,
        fmt(f.newcomerGreetingMiB, 3),
        fmt(f.idsRssMiB),
        fmt(f.idsHeldMiB),
        fmt(f.idsWorstHttpMs, 0),
      ]);
    } finally {
      await t.stop();
    }
  }
  console.log(
    table(
      [
        'server',
        'awareness flood: RSS +MiB',
        'held after GC +MiB',
        'member received MiB',
        'newcomer gets in',
        'newcomer greeting MiB',
        '100k clientIDs: RSS +MiB',
        'held after GC +MiB',
        'worst HTTP answer ms',
      ],
      rows,
    ),
  );
  console.log(
    `load average after: ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
