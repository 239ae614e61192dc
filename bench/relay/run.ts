// Relay benchmark: Ferry's relay against the reference y-websocket server, same machine, same
// run, same client load. Prints a comparison table and writes the raw figures as JSON to
// bench/.results/. Loopback only; every wait is bounded; stops by itself.
//
//   npx tsx bench/relay/run.ts [--quick] [--rounds=N] [--only=ferry|reference]
//                              [--scenario=startup,fanout,idle,join] [--idle-rooms=N]
//                              [--server-node-args="--max-semi-space-size=1"]
//                              [--ferry-before=DIR] [--ferry-variant="RELAY FLAGS"]
//
// `ferry` is the relay as it ships (compiled by scripts/build-relay.mjs, built before the first
// timed start); `ferry-tsx` (its sources through tsx) takes part in the startup scenario only.
// --idle-rooms=10000 needs ~10,100 open files in this process and in the server (ulimit -n).
//
// --ferry-before=DIR also runs the relay of another copy of the sources (DIR/sync-server/src,
// e.g. `git archive <commit> sync-server core package.json | tar -x -C DIR`) as `ferry-before`,
// through tsx; --ferry-before=sync-server/dist/NAME.mjs runs another commit's compiled bundle
// (copied beside this one, so its packages resolve) with plain node. --ferry-variant="FLAGS" also runs this relay (compiled, as `ferry`) with these
// extra flags, as `ferry-variant`.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordFigures, type Figure } from '../lib/figures';
import { fmt, table } from '../lib/stats';
import { measureFsync, type FsyncFigures } from './fsync';
import {
  fanout,
  idleRooms,
  joinOneRoom,
  type FanoutOptions,
  type FanoutResult,
  type IdleResult,
  type JoinResult,
} from './scenarios';
import { startup, type StartupResult } from './startup';
import {
  ferry,
  ferryTsx,
  ferryBundle,
  ferryFrom,
  reference,
  setServerNodeArgs,
  type RunningServer,
  type ServerKind,
} from './servers';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface Args {
  quick: boolean;
  rounds: number;
  serverNodeArgs: string[];
  only: string | null;
  scenarios: Set<string>;
  idleRooms: number | null;
  ferryBefore: string | null;
  ferryVariant: string[] | null;
}

const SCENARIOS = ['startup', 'fanout', 'idle', 'join'];

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    rounds: 1,
    serverNodeArgs: [],
    only: null,
    scenarios: new Set(SCENARIOS),
    idleRooms: null,
    ferryBefore: null,
    ferryVariant: null,
  };
  for (const arg of argv) {
    if (arg === '--quick') args.quick = true;
    else if (arg.startsWith('--only=')) args.only = arg.slice('--only='.length);
    else if (arg.startsWith('--rounds=')) {
      args.rounds = Number(arg.slice('--rounds='.length));
      if (!Number.isInteger(args.rounds) || args.rounds < 1 || args.rounds > 9) {
        throw new Error(`--rounds must be a whole number from 1 to 9, not "${arg.slice(9)}"`);
      }
    } else if (arg.startsWith('--idle-rooms=')) {
      args.idleRooms = Number(arg.slice('--idle-rooms='.length));
      if (!Number.isInteger(args.idleRooms) || args.idleRooms < 1 || args.idleRooms > 50_000)
        throw new Error(`--idle-rooms must be a whole number from 1 to 50000`);
    } else if (arg.startsWith('--server-node-args=')) {
      args.serverNodeArgs = arg.slice('--server-node-args='.length).split(/\s+/).filter(Boolean);
    } else if (arg.startsWith('--ferry-variant=')) {
      args.ferryVariant = arg.slice('--ferry-variant='.length).split(/\s+/).filter(Boolean);
    } else if (arg.startsWith('--ferry-before=')) {
      args.ferryBefore = arg.slice('--ferry-before='.length);
    } else if (arg.startsWith('--scenario=')) {
      args.scenarios = new Set(arg.slice('--scenario='.length).split(','));
      for (const s of args.scenarios) {
        if (!SCENARIOS.includes(s))
          throw new Error(`unknown scenario "${s}" (${SCENARIOS.join(', ')})`);
      }
    } else if (arg === '--help' || arg === '-h') {
      console.log(
        'usage: npx tsx bench/relay/run.ts [--quick] [--rounds=N] [--only=ferry|ferry-tsx|reference] [--scenario=startup,fanout,idle,join] [--idle-rooms=N] [--server-node-args="FLAGS"] [--ferry-before=DIR] [--ferry-variant="FLAGS"]',
      );
      process.exit(0);
    } else throw new Error(`unknown argument "${arg}" (try --help)`);
  }
  return args;
}

let args: Args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`bench/relay: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
setServerNodeArgs(args.serverNodeArgs);
const loadAtStart = os.loadavg();
const q = args.quick;
const sizes = {
  fanoutSmall: {
    rooms: 10,
    clientsPerRoom: 5,
    pacedRate: 20,
    pacedMessages: q ? 20 : 100,
    burstMessages: q ? 40 : 200,
    warmupMessages: 5,
  } satisfies FanoutOptions,
  fanoutWide: {
    rooms: 1,
    clientsPerRoom: 50,
    pacedRate: 50,
    pacedMessages: q ? 50 : 250,
    burstMessages: q ? 40 : 200,
    warmupMessages: 5,
  } satisfies FanoutOptions,
  idle: { rooms: args.idleRooms ?? (q ? 200 : 1000), window: 100 },
  join: { clients: q ? 200 : 1000, window: 250, seedMessages: 100 },
};

const before = args.ferryBefore
  ? [
      ferryFrom(
        args.ferryBefore.endsWith('.mjs')
          ? args.ferryBefore
          : path.join(args.ferryBefore, 'sync-server/src/cli.ts'),
        'ferry-before',
      ),
    ]
  : [];
const variant = args.ferryVariant
  ? [ferryFrom(ferryBundle, 'ferry-variant', args.ferryVariant)]
  : [];
const kinds = [reference, ...before, ...variant, ferry, ferryTsx].filter(
  (k) => args.only === null || k.name === args.only,
);
/** Servers measured only in the startup scenario. */
const startupOnly = new Set([ferryTsx.name]);
if (kinds.length === 0) {
  console.error(`bench/relay: --only=${args.only}: no such server (ferry, ferry-tsx, reference)`);
  process.exit(2);
}

interface Results {
  startup?: StartupResult;
  fanoutSmall?: FanoutResult;
  fanoutWide?: FanoutResult;
  idle?: IdleResult;
  join?: JoinResult;
  error?: string;
}
/** Per server, one Results per round. */
const results = new Map<string, Results[]>();
const skipped = new Map<string, string>();

/** Each scenario gets a fresh server, so memory and CPU figures start from the same point. */
async function withServer<T>(kind: ServerKind, run: (s: RunningServer) => Promise<T>): Promise<T> {
  const server = await kind.start();
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const runnable = kinds.filter((kind) => {
  const why = kind.unavailable();
  if (why !== null) {
    skipped.set(kind.name, why);
    console.log(`-- ${kind.name}: skipped (${why})`);
  }
  return why === null;
});
for (const kind of runnable) results.set(kind.name, []);
for (const kind of runnable) kind.prepare?.();

type Step = (kind: ServerKind, r: Results) => Promise<void>;
const steps: [string, Step][] = [];
const STARTUP_LABEL = 'startup: spawn to listening, then memory at rest';
if (args.scenarios.has('startup')) {
  steps.push([
    STARTUP_LABEL,
    async (kind, r) => {
      r.startup = await startup(kind);
    },
  ]);
}
if (args.scenarios.has('fanout')) {
  steps.push([
    'fan-out 10 rooms x 5 clients',
    async (kind, r) => {
      r.fanoutSmall = await withServer(kind, (s) => fanout(s, sizes.fanoutSmall));
    },
  ]);
  steps.push([
    'fan-out 1 room x 50 clients',
    async (kind, r) => {
      r.fanoutWide = await withServer(kind, (s) => fanout(s, sizes.fanoutWide));
    },
  ]);
}
if (args.scenarios.has('idle')) {
  steps.push([
    `idle memory, ${sizes.idle.rooms} rooms`,
    async (kind, r) => {
      // Wait out the server's room unload timer before reading memory after the closes.
      const afterCloseWaitMs = kind.roomIdleMs > 0 ? kind.roomIdleMs + 2_000 : 0;
      r.idle = await withServer(kind, (s) => idleRooms(s, { ...sizes.idle, afterCloseWaitMs }));
    },
  ]);
}
if (args.scenarios.has('join')) {
  steps.push([
    `${sizes.join.clients} clients join one room`,
    async (kind, r) => {
      r.join = await withServer(kind, (s) => joinOneRoom(s, sizes.join));
    },
  ]);
}

// One fsync'd SQLite commit on this machine now (item 4's yardstick), at the start and at the
// end of the run.
const fsyncs: FsyncFigures[] = [measureFsync()];

// Servers take turns scenario by scenario, first one then the other, in alternating order
// from round to round, so a change in the machine's load hits both alike.
for (let round = 0; round < args.rounds; round++) {
  const perRound = new Map<string, Results>();
  for (const kind of runnable) {
    const r: Results = {};
    perRound.set(kind.name, r);
    results.get(kind.name)?.push(r);
  }
  for (const [label, step] of steps) {
    const order = round % 2 === 0 ? runnable : [...runnable].reverse();
    for (const kind of order) {
      const r = perRound.get(kind.name) ?? {};
      if (r.error !== undefined) continue;
      if (startupOnly.has(kind.name) && label !== STARTUP_LABEL) continue;
      console.log(`-- round ${round + 1}/${args.rounds}, ${kind.name}: ${label}`);
      try {
        await step(kind, r);
      } catch (e) {
        r.error = e instanceof Error ? e.message : String(e);
        console.log(`-- ${kind.name}: failed: ${r.error}`);
      }
    }
  }
}

fsyncs.push(measureFsync());

// ---------------------------------------------------------------------------------------------
const names = [...results.keys()];
const rows: string[][] = [];
/** The median over rounds (NaN where a round has no figure). */
function median(values: number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] ?? NaN)
    : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
}
const row = (label: string, value: (r: Results) => number | undefined, digits = 1): void => {
  const values = names.map((n) =>
    median((results.get(n) ?? []).map((r) => value(r) ?? Number.NaN)),
  );
  if (values.every((v) => Number.isNaN(v))) return; // scenario not run
  rows.push([label, ...values.map((v) => fmt(v, digits))]);
};
const KB = 1024;
const MB = 1024 * 1024;
const fanoutRows = (label: string, pick: (r: Results) => FanoutResult | undefined): void => {
  row(`${label}: paced p50 ms`, (r) => pick(r)?.paced.latencyMs.p50, 2);
  row(`${label}: paced p99 ms`, (r) => pick(r)?.paced.latencyMs.p99, 2);
  row(`${label}: paced delivered %`, (r) => {
    const p = pick(r)?.paced;
    return p && (100 * p.delivered) / p.expected;
  });
  row(`${label}: paced durable commits`, (r) => pick(r)?.paced.store?.commits, 0);
  row(`${label}: paced commit p99 <= ms`, (r) => pick(r)?.paced.store?.p99UpperMs, 1);
  row(`${label}: burst deliveries/s`, (r) => pick(r)?.burst.deliveriesPerSecond, 0);
  row(`${label}: burst p99 ms`, (r) => pick(r)?.burst.latencyMs.p99, 1);
  row(`${label}: burst delivered %`, (r) => {
    const b = pick(r)?.burst;
    return b && (100 * b.delivered) / b.expected;
  });
  row(
    `${label}: server CPU s (paced+burst)`,
    (r) => {
      const f = pick(r);
      return f && f.paced.serverCpuSeconds + f.burst.serverCpuSeconds;
    },
    2,
  );
};
row('startup: s to listening', (r) => r.startup?.secondsToListen, 2);
row('startup: RSS MB at rest', (r) => r.startup && r.startup.baseRss / MB);
row('startup: heap MB at rest', (r) => r.startup && r.startup.baseHeap / MB);
fanoutRows('fan-out 10x5', (r) => r.fanoutSmall);
fanoutRows('fan-out 1x50', (r) => r.fanoutWide);
const idleN = sizes.idle.rooms;
row(`idle ${idleN} rooms: s to all joined`, (r) => r.idle?.secondsToJoin, 2);
row(`idle ${idleN} rooms: RSS KB/connection`, (r) => r.idle && r.idle.rssPerConnection / KB);
row(`idle ${idleN} rooms: heap KB/connection`, (r) => r.idle && r.idle.heapPerConnection / KB);
row('idle: RSS MB base', (r) => r.idle && r.idle.baseRss / MB);
row('idle: RSS MB loaded', (r) => r.idle && r.idle.loadedRss / MB);
row('idle: RSS MB after all closed', (r) => r.idle && r.idle.closedRss / MB);
row('idle: heap MB base', (r) => r.idle && r.idle.baseHeap / MB);
row('idle: heap MB loaded', (r) => r.idle && r.idle.loadedHeap / MB);
row('idle: heap MB after all closed', (r) => r.idle && r.idle.closedHeap / MB);
row('idle: V8 heap reserved MB base', (r) => r.idle && r.idle.probes.base.heapTotal / MB);
row('idle: V8 heap reserved MB loaded', (r) => r.idle && r.idle.probes.loaded.heapTotal / MB);
row('idle: V8 heap reserved MB closed', (r) => r.idle && r.idle.probes.closed.heapTotal / MB);
const joinN = sizes.join.clients;
row(`join ${joinN} into 1 room: s to all synced`, (r) => r.join?.secondsToAllSynced, 2);
row(`join: synced clients`, (r) => r.join?.synced, 0);
row('join: server CPU s to all synced', (r) => r.join?.cpuSecondsToAllSynced, 2);
row('join: server CPU s until quiet', (r) => r.join?.cpuSecondsUntilQuiet, 2);
row('join: awareness frames received', (r) => r.join?.awarenessFramesReceived, 0);
row('join: RSS KB/connection (one room)', (r) => r.join && r.join.rssPerConnection / KB);
row('join: heap KB/connection (one room)', (r) => r.join && r.join.heapPerConnection / KB);

console.log('');
console.log(
  `load average (1, 5, 15 min) at the start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}` +
    `, at the end ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
console.log(
  `Relay benchmark${q ? ' (--quick: smaller sizes)' : ''}, ${new Date().toISOString()}` +
    (args.rounds > 1 ? `, median of ${args.rounds} rounds` : ''),
);
console.log(
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
);
for (const kind of kinds) console.log(`  ${kind.name}: ${kind.description}`);
if (args.ferryVariant) console.log(`  ferry-variant runs with: ${args.ferryVariant.join(' ')}`);
if (args.serverNodeArgs.length > 0) {
  console.log(`  both servers run with: node ${args.serverNodeArgs.join(' ')}`);
}
for (const [name, why] of skipped) console.log(`  ${name}: skipped, ${why}`);
console.log(
  "  one fsync'd SQLite commit (WAL, synchronous=FULL; NORMAL beside it), p50 / p99 ms: " +
    fsyncs
      .map(
        (f, i) =>
          `${i === 0 ? 'start' : 'end'} ${fmt(f.full.p50, 2)} / ${fmt(f.full.p99, 2)} ` +
          `(${fmt(f.normal.p50, 2)} / ${fmt(f.normal.p99, 2)})`,
      )
      .join(', '),
);
console.log('');
console.log(table(['figure', ...names], rows));
for (const [name, rounds] of results) {
  rounds.forEach((r, i) => {
    if (r.error) console.log(`\n${name} failed in round ${i + 1}: ${r.error}`);
  });
}

// The figures `npm run bench:table` prints: Ferry (compiled, as deployed) beside the reference.
{
  const of = (name: string, value: (r: Results) => number | undefined): number | null => {
    const v = median((results.get(name) ?? []).map((r) => value(r) ?? Number.NaN));
    return Number.isNaN(v) ? null : v;
  };
  const figure = (
    label: string,
    value: (r: Results) => number | undefined,
    target: string | null,
    met: (ferryValue: number, peerValue: number) => boolean,
    digits = 1,
  ): Figure => {
    const peerValue = of(reference.name, value);
    const ferryValue = of(ferry.name, value);
    return {
      figure: label,
      peer: reference.name,
      peerValue,
      ferry: ferryValue,
      target,
      met: target && ferryValue !== null && peerValue !== null ? met(ferryValue, peerValue) : null,
      digits,
    };
  };
  const fsyncMs = Math.max(...fsyncs.map((f) => f.full.p50));
  const figures: Figure[] = [
    figure(
      'relay startup: s to listening',
      (r) => r.startup?.secondsToListen,
      null,
      () => true,
      2,
    ),
    figure(
      'relay startup: RSS MB at rest',
      (r) => r.startup && r.startup.baseRss / MB,
      null,
      () => true,
    ),
  ];
  for (const [label, pick] of [
    ['fan-out 10×5', (r: Results) => r.fanoutSmall],
    ['fan-out 1×50', (r: Results) => r.fanoutWide],
  ] as const) {
    figures.push(
      figure(
        `${label}: paced p50 ms`,
        (r) => pick(r)?.paced.latencyMs.p50,
        `≤ peer + one fsync (${fmt(fsyncMs, 2)} ms)`,
        (f, p) => f <= p + fsyncMs,
        2,
      ),
      figure(
        `${label}: paced p99 ms`,
        (r) => pick(r)?.paced.latencyMs.p99,
        '≤ 1.2× peer',
        (f, p) => f <= 1.2 * p,
        2,
      ),
    );
  }
  figures.push(
    figure(
      `idle ${idleN} rooms: s to all joined`,
      (r) => r.idle?.secondsToJoin,
      '≤ 1.1× peer',
      (f, p) => f <= 1.1 * p,
      2,
    ),
    figure(
      `idle ${idleN} rooms: RSS KB/connection`,
      (r) => r.idle && r.idle.rssPerConnection / KB,
      '≤ 12 KB',
      (f) => f <= 12,
    ),
    figure(
      'idle: RSS MB after all closed, above base',
      (r) => r.idle && (r.idle.closedRss - r.idle.baseRss) / MB,
      'returned (≤ 10% of loaded)',
      (f) => {
        const idle = (results.get(ferry.name) ?? [])[0]?.idle;
        return idle !== undefined && f <= (0.1 * (idle.loadedRss - idle.baseRss)) / MB;
      },
    ),
  );
  recordFigures('relay', figures);
}

const outDir = path.join(repoRoot, 'bench/.results');
mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, `relay-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  outFile,
  JSON.stringify(
    {
      quick: q,
      serverNodeArgs: args.serverNodeArgs,
      sizes,
      skipped: Object.fromEntries(skipped),
      fsyncMs: fsyncs,
      results: Object.fromEntries(results),
    },
    null,
    2,
  ),
);
console.log(`\nraw figures: ${path.relative(repoRoot, outFile)}`);
const failed = [...results.values()].some((rounds) => rounds.some((r) => r.error));
process.exit(failed ? 1 : 0);
