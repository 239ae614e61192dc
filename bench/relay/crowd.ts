// Crowd on one room (issue 16): N stock y-websocket providers, each publishing an awareness
// `user` entry as the app's editors do, open ONE room at once, against Ferry's relay
// (--no-auth) and the in-memory reference server in the same run. Stock providers re-send every
// awareness change they receive, so N clients make ~N² awareness entries reach the server:
// that is the load a wire client that never applies awareness does not make.
//
//   npx tsx bench/relay/crowd.ts [--clients=250,500,1000] [--only=ferry|reference]
//                                [--limit-s=120] [--server-node-args="--cpu-prof"]
//                                [--ferry-before=DIR]
//
// --ferry-before=DIR also runs the relay of another copy of the sources (DIR/sync-server/src;
// e.g. `git archive <commit> sync-server/src core/src | tar -x -C DIR`, DIR under the repo so
// its imports find node_modules) as `ferry-before`, to compare two commits in one run.
//
// Prints, per server and size: seconds until all N synced (the provider's 'sync' event) and
// until every client sees all N awareness states, the server's CPU seconds (/proc) until it is
// quiet, its RSS, the load average at start and end, and Node's version. Never asserts on
// time; every wait is bounded (what did not finish within the limit is printed as a count).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { recordFigures, type Figure } from '../lib/figures';
import { cpuSeconds, rssBytes } from '../lib/proc';
import { fmt, table } from '../lib/stats';
import { cpuQuiet } from '../lib/wait';
import {
  ferry,
  ferryFrom,
  reference,
  setServerNodeArgs,
  type RunningServer,
  type ServerKind,
} from './servers';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Args {
  sizes: number[];
  only: string | null;
  limitMs: number;
  serverNodeArgs: string[];
  /** Another copy of the sources whose relay runs too, as `ferry-before`. */
  ferryBefore: string | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    sizes: [1000],
    only: null,
    limitMs: 120_000,
    serverNodeArgs: [],
    ferryBefore: null,
  };
  for (const arg of argv) {
    if (arg.startsWith('--clients=')) {
      args.sizes = arg.slice('--clients='.length).split(',').map(Number);
      if (args.sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 5000)) {
        throw new Error(`--clients takes whole numbers from 2 to 5000, not "${arg.slice(10)}"`);
      }
    } else if (arg.startsWith('--only=')) args.only = arg.slice('--only='.length);
    else if (arg.startsWith('--limit-s=')) {
      const s = Number(arg.slice('--limit-s='.length));
      if (!(s > 0 && s <= 600)) throw new Error('--limit-s takes seconds from 1 to 600');
      args.limitMs = s * 1000;
    } else if (arg.startsWith('--ferry-before=')) {
      args.ferryBefore = arg.slice('--ferry-before='.length);
    } else if (arg.startsWith('--server-node-args=')) {
      args.serverNodeArgs = arg.slice('--server-node-args='.length).split(/\s+/).filter(Boolean);
    } else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: npx tsx bench/relay/crowd.ts [--clients=250,500,1000] [--only=ferry|reference] [--limit-s=120] [--server-node-args="FLAGS"] [--ferry-before=DIR]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}" (try --help)`);
  }
  return args;
}

export interface CrowdResult {
  server: string;
  clients: number;
  synced: number;
  /** Seconds from the first open until the last 'sync' event (or the limit). */
  secondsToAllSynced: number;
  /** Clients that saw all N awareness states within the limit. */
  sawEveryone: number;
  /** Seconds until every client saw all N states (or the limit). */
  secondsToAwarenessComplete: number;
  /** Server CPU seconds from the first open until it was quiet (or the limit). */
  cpuSeconds: number;
  /** CPU seconds of this process (the N stock clients) over the same span. */
  clientCpuSeconds: number;
  /** Server RSS with the crowd connected, and before it came. */
  rssMB: number;
  baseRssMB: number;
  loadStart: number;
  loadEnd: number;
  gaveUp: boolean;
}

/** Resolves when `check()` is true (re-checked whenever `poke` is called) or at `deadline`. */
function until(deadline: number): {
  done: Promise<boolean>;
  poke: (check: () => boolean) => void;
} {
  let settle: (ok: boolean) => void = () => {};
  const done = new Promise<boolean>((resolve) => (settle = resolve));
  const timer = setTimeout(() => settle(false), Math.max(0, deadline - performance.now()));
  return {
    done: done.finally(() => clearTimeout(timer)),
    poke: (check) => {
      if (check()) settle(true);
    },
  };
}

async function crowd(server: RunningServer, n: number, limitMs: number): Promise<CrowdResult> {
  // Every provider adds a process 'exit' listener (to say goodbye to awareness).
  process.setMaxListeners(Math.max(process.getMaxListeners(), n + 10));
  await cpuQuiet(server.pid);
  const baseRss = rssBytes(server.pid);
  const loadStart = os.loadavg()[0] ?? 0;
  const cpu0 = cpuSeconds(server.pid);
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + limitMs;
  const syncedAll = until(deadline);
  const sawAll = until(deadline);
  let synced = 0;
  let lastSync = t0;
  let sawEveryone = 0;
  let lastSaw = t0;
  const providers: WebsocketProvider[] = [];
  for (let i = 0; i < n; i++) {
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(server.url, 'bench/crowd', doc, {
      // ws implements the browser WebSocket surface the provider uses.
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      // Node has BroadcastChannel: without this, clients in this process would talk directly.
      disableBc: true,
    });
    // As an editor does: who I am, for the others' cursors and presence.
    provider.awareness.setLocalStateField('user', {
      name: `Person ${i}`,
      color: `#${(i * 2654435761).toString(16).slice(-6).padStart(6, '0')}`,
    });
    let counted = false;
    provider.on('sync', (isSynced: boolean) => {
      if (!isSynced || counted) return;
      counted = true;
      synced++;
      lastSync = performance.now();
      syncedAll.poke(() => synced === n);
    });
    let seen = false;
    provider.awareness.on('change', () => {
      if (seen || provider.awareness.getStates().size < n) return;
      seen = true;
      sawEveryone++;
      lastSaw = performance.now();
      sawAll.poke(() => sawEveryone === n);
    });
    providers.push(provider);
  }
  const allSynced = await syncedAll.done;
  const secondsToAllSynced = ((allSynced ? lastSync : performance.now()) - t0) / 1000;
  const awarenessComplete = await sawAll.done;
  const secondsToAwarenessComplete =
    ((awarenessComplete ? lastSaw : performance.now()) - t0) / 1000;
  const rss = rssBytes(server.pid);
  const cpuEnd = await cpuQuiet(server.pid, Math.max(5_000, deadline - performance.now()));
  const loadEnd = os.loadavg()[0] ?? 0;
  const own = process.cpuUsage(own0);
  for (const p of providers) p.destroy();
  return {
    server: server.name,
    clients: n,
    synced,
    secondsToAllSynced,
    sawEveryone,
    secondsToAwarenessComplete,
    cpuSeconds: cpuEnd - cpu0,
    clientCpuSeconds: (own.user + own.system) / 1e6,
    rssMB: rss / 2 ** 20,
    baseRssMB: baseRss / 2 ** 20,
    loadStart,
    loadEnd,
    gaveUp: !allSynced || !awarenessComplete,
  };
}

/** One row per crowd size for `npm run bench:table`: Ferry beside the reference. */
function crowdFigures(results: readonly CrowdResult[]): Figure[] {
  const figures: Figure[] = [];
  for (const n of new Set(results.map((r) => r.clients))) {
    const of = (name: string) => results.find((r) => r.clients === n && r.server === name);
    const ferryRun = of(ferry.name);
    const ref = of(reference.name);
    const seconds = (r: CrowdResult | undefined) =>
      r && r.synced === r.clients ? r.secondsToAllSynced : null;
    const ferrySeconds = seconds(ferryRun);
    figures.push(
      {
        figure: `${n} stock providers join one room: all synced (s)`,
        peer: reference.name,
        peerValue: seconds(ref),
        ferry: ferrySeconds,
        target: n >= 1000 ? '< 1 s' : null,
        met: n >= 1000 ? ferrySeconds !== null && ferrySeconds < 1 : null,
        digits: 2,
      },
      {
        figure: `${n} stock providers join one room: relay CPU (s)`,
        peer: reference.name,
        peerValue: ref?.cpuSeconds ?? null,
        ferry: ferryRun?.cpuSeconds ?? null,
        target: null,
        met: null,
      },
    );
  }
  return figures;
}

async function main(): Promise<void> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`bench/relay/crowd: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
  setServerNodeArgs(args.serverNodeArgs);
  const before = args.ferryBefore
    ? [ferryFrom(path.join(args.ferryBefore, 'sync-server/src/cli.ts'), 'ferry-before')]
    : [];
  const kinds: ServerKind[] = [...before, ferry, reference].filter(
    (k) => args.only === null || k.name === args.only,
  );
  if (kinds.length === 0) {
    console.error(`bench/relay/crowd: --only=${args.only}: no such server (ferry, reference)`);
    process.exit(2);
  }
  console.log(
    `crowd on one room: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, limit ${args.limitMs / 1000} s`,
  );
  const results: CrowdResult[] = [];
  for (const n of args.sizes) {
    for (const kind of kinds) {
      const why = kind.unavailable();
      if (why) {
        console.log(`  ${kind.name}: skipped (${why})`);
        continue;
      }
      const server = await kind.start();
      try {
        const r = await crowd(server, n, args.limitMs);
        results.push(r);
        console.log(
          `  ${kind.name} N=${n}: synced ${r.synced}/${n} in ${fmt(r.secondsToAllSynced)} s, ` +
            `all see all ${r.sawEveryone}/${n} in ${fmt(r.secondsToAwarenessComplete)} s, ` +
            `CPU ${fmt(r.cpuSeconds)} s (clients ${fmt(r.clientCpuSeconds)} s), RSS ${fmt(r.rssMB)} MB, load ${fmt(r.loadStart)} → ${fmt(r.loadEnd)}` +
            (r.gaveUp ? ' (gave up at the limit)' : ''),
        );
      } finally {
        await server.stop();
      }
    }
  }
  console.log('');
  console.log(
    table(
      [
        'server',
        'N',
        'synced',
        'all synced s',
        'all see all s',
        'server CPU s',
        'clients CPU s',
        'RSS MB',
        'load start→end',
      ],
      results.map((r) => [
        r.server,
        String(r.clients),
        `${r.synced}/${r.clients}`,
        fmt(r.secondsToAllSynced),
        `${fmt(r.secondsToAwarenessComplete)}${r.sawEveryone < r.clients ? ` (${r.sawEveryone})` : ''}`,
        fmt(r.cpuSeconds),
        fmt(r.clientCpuSeconds),
        fmt(r.rssMB),
        `${fmt(r.loadStart)}→${fmt(r.loadEnd)}`,
      ]),
    ),
  );
  recordFigures('crowd', crowdFigures(results));
  const out = path.join(repoRoot, 'bench/.results');
  mkdirSync(out, { recursive: true });
  const file = path.join(out, `crowd-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify({ node: process.version, cpus: os.cpus().length, results }, null, 2),
  );
  console.log(`\nraw figures: ${path.relative(repoRoot, file)}`);
  // Providers' reconnect timers and the ws sockets must not keep the run alive.
  process.exit(0);
}

await main();
