// Cluster benchmark (issue 14): the relay on one node against three nodes, same run, same load,
// all on PostgreSQL + Redis (started on temp dirs and ephemeral ports); then one node on SQLite
// against one on PostgreSQL. Every relay is a real process (--no-auth, loopback). Prints a table
// with the load average and writes the raw figures to bench/.results/. Stops by itself; kills
// what it started, also on failure.
//
//   npx tsx bench/cluster.ts [--quick] [--idle=3000] [--budget-gib=2]
//                            [--only=idle,fanout,sqlite,failover]   (fanout includes the writes)
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TcpFront } from './lib/front';
import { fmt, table } from './lib/stats';
import { setServerNodeArgs } from './relay/servers';
import {
  failover,
  fanout,
  idle,
  throughput,
  type FailoverResult,
  type FanoutResult,
  type IdleNode,
  type ThroughputResult,
} from './cluster/loads';
import { startDeployment, startEngines, type Deployment, type Storage } from './cluster/nodes';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string, fallback: number): number {
  const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
  const value = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: give a positive number`);
  return value;
}
const quick = process.argv.includes('--quick');
const PARTS = ['idle', 'fanout', 'sqlite', 'failover'];
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = new Set(onlyArg ? onlyArg.slice('--only='.length).split(',') : PARTS);
for (const part of only) {
  if (!PARTS.includes(part)) throw new Error(`--only: ${part}? (${PARTS.join(', ')})`);
}
const sizes = {
  idleConnections: option('idle', quick ? 600 : 3000),
  budgetGiB: option('budget-gib', 2),
  fanout: { rooms: 10, readers: 4, rate: 20, messages: quick ? 20 : 100, warmup: 5 },
  writes: { rooms: 500, updates: quick ? 4 : 20, window: 100 },
  failoverClients: quick ? 60 : 300,
};
// As deployed: the systemd unit, the Dockerfile and `npm run relay` run Node with this flag.
const NODE_ARGS = ['--max-semi-space-size=2'];
setServerNodeArgs(NODE_ARGS);

const loads: number[] = [];
const step = (what: string): void => {
  const load = os.loadavg()[0] ?? Number.NaN;
  loads.push(load);
  console.log(`-- ${new Date().toISOString().slice(11, 19)} load ${fmt(load, 2)}: ${what}`);
};

interface Figures {
  idle?: IdleNode[];
  fanout?: FanoutResult;
  writes?: ThroughputResult;
  failover?: FailoverResult;
}
const figures: Record<string, Figures> = {};
const errors: string[] = [];

step('starting PostgreSQL and Redis');
const engines = await startEngines();
let current: Deployment | null = null;
let front: TcpFront | null = null;

async function withDeployment(
  key: string,
  storage: Storage,
  nodes: number,
  run: (d: Deployment, f: Figures) => Promise<void>,
): Promise<void> {
  const f = (figures[key] ??= {});
  try {
    current = await startDeployment(storage, nodes, engines);
    await run(current, f);
  } catch (e) {
    const message = `${key}: ${e instanceof Error ? e.message : String(e)}`;
    errors.push(message);
    console.log(`-- failed: ${message}`);
  } finally {
    await current?.stop();
    current = null;
  }
}

const fanoutAndWrites = async (d: Deployment, f: Figures): Promise<void> => {
  step(`${d.label}: fan-out`);
  f.fanout = await fanout(d, sizes.fanout);
  step(`${d.label}: writes across ${sizes.writes.rooms} rooms`);
  f.writes = await throughput(d, sizes.writes);
};

try {
  // Idle first, on fresh nodes, so memory starts from the same point.
  for (const [key, n] of only.has('idle')
    ? ([
        ['one', 1],
        ['three', 3],
      ] as const)
    : []) {
    await withDeployment(key, 'postgres+redis', n, async (d, f) => {
      step(`${d.label}: ${sizes.idleConnections} idle connections`);
      f.idle = await idle(d, sizes.idleConnections, 100);
    });
  }
  // The other order for the next loads, so a drift in the machine's load hits both alike.
  if (only.has('fanout')) {
    await withDeployment('three', 'postgres+redis', 3, fanoutAndWrites);
    await withDeployment('one', 'postgres+redis', 1, fanoutAndWrites);
  }
  if (only.has('sqlite')) {
    await withDeployment('sqlite', 'sqlite', 1, fanoutAndWrites);
    await withDeployment('postgres', 'postgres', 1, fanoutAndWrites);
  }
  if (only.has('failover'))
    await withDeployment('three', 'postgres+redis', 3, async (d, f) => {
      front = new TcpFront(() => d.ports);
      await front.listen();
      step(`${d.label}: ${sizes.failoverClients} clients through a TCP front, kill -9 of node 2`);
      f.failover = await failover(d, front, sizes.failoverClients, 2);
    });
} finally {
  await (front as TcpFront | null)?.close();
  await engines.dispose();
}
step('done');

// ---------------------------------------------------------------------------------------------
const GiB = 1024 ** 3;
const MB = 1024 ** 2;
/**
 * Connections the nodes hold within `budgetGiB` each: what they hold now plus what the memory
 * left holds at the measured cost of one more connection. NaN if a cost is not positive (noise
 * larger than the growth: the run says nothing then).
 */
const ceiling = (nodes: IdleNode[] | undefined): number =>
  nodes?.reduce(
    (sum, n) =>
      sum +
      (n.rssPerConnection > 0
        ? n.clients + (sizes.budgetGiB * GiB - n.loaded.rss) / n.rssPerConnection
        : Number.NaN),
    0,
  ) ?? Number.NaN;
const one = figures.one ?? {};
const three = figures.three ?? {};
const ratio = ceiling(three.idle) / ceiling(one.idle);
const verdict = (ok: boolean | null): string => (ok === null ? 'n/a' : ok ? 'met' : 'missed');
const within2 = (a?: number, b?: number): boolean | null =>
  a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)
    ? null
    : b <= a + 2;
const pct = (r?: { delivered: number; expected: number }): string =>
  r ? fmt((100 * r.delivered) / r.expected, 1) : 'n/a';
const fo = three.failover;
const upper = (b?: { p50: number; p99: number }): string =>
  b ? `${fmt(b.p50, 1)} / ${fmt(b.p99, 1)}` : 'n/a';
const perNode = (nodes: IdleNode[] | undefined, f: (n: IdleNode) => number): string =>
  nodes?.map((n) => fmt(f(n))).join(' / ') ?? 'n/a';
const rssSteps = (nodes: IdleNode[] | undefined): string =>
  nodes
    ?.map((n) => [n.base, n.atHalf, n.loaded].map((p) => fmt(p.rss / MB, 0)).join('/'))
    .join(', ') ?? 'n/a';
const reached = (w?: ThroughputResult): string =>
  w
    ? `${pct({ delivered: w.acknowledged, expected: w.updates })} / ${pct({ delivered: w.delivered, expected: w.updates })}`
    : 'n/a';
const rows: string[][] = [
  [
    `idle: connections held (own room each)`,
    fmt(sizes.idleConnections, 0),
    `${fmt(sizes.idleConnections, 0)} (${fmt(sizes.idleConnections / 3, 0)}/node)`,
    '',
    '',
  ],
  ['idle: RSS MB per node: base / half / all', rssSteps(one.idle), rssSteps(three.idle), '', ''],
  [
    'idle: RSS KB per connection (2nd half)',
    perNode(one.idle, (n) => n.rssPerConnection / 1024),
    perNode(three.idle, (n) => n.rssPerConnection / 1024),
    '',
    '',
  ],
  [
    'idle: RSS KB per connection (all vs base)',
    perNode(one.idle, (n) => (n.loaded.rss - n.base.rss) / n.clients / 1024),
    perNode(three.idle, (n) => (n.loaded.rss - n.base.rss) / n.clients / 1024),
    '',
    '',
  ],
  [
    `idle: ceiling at ${sizes.budgetGiB} GiB per node`,
    fmt(ceiling(one.idle), 0),
    `${fmt(ceiling(three.idle), 0)} (${fmt(ratio, 2)}×)`,
    '≥ 2.7×',
    verdict(Number.isFinite(ratio) ? ratio >= 2.7 : null),
  ],
  [
    'fan-out p50 ms (writer node 0, readers 1-2)',
    fmt(one.fanout?.latencyMs.p50 ?? NaN, 2),
    fmt(three.fanout?.latencyMs.p50 ?? NaN, 2),
    '≤ peer + 2',
    verdict(within2(one.fanout?.latencyMs.p50, three.fanout?.latencyMs.p50)),
  ],
  [
    'fan-out p99 ms',
    fmt(one.fanout?.latencyMs.p99 ?? NaN, 2),
    fmt(three.fanout?.latencyMs.p99 ?? NaN, 2),
    '≤ peer + 2',
    verdict(within2(one.fanout?.latencyMs.p99, three.fanout?.latencyMs.p99)),
  ],
  ['fan-out delivered %', pct(one.fanout), pct(three.fanout), '100', ''],
  [
    "fan-out: writer node's commit p50 / p99 ≤ ms",
    upper(one.fanout?.commitMs),
    upper(three.fanout?.commitMs),
    '',
    '',
  ],
  [
    "fan-out: readers' nodes pub/sub lag p50 / p99 ≤ ms",
    'n/a',
    upper(three.fanout?.lagMs ?? undefined),
    '',
    '',
  ],
  [
    `acknowledged writes/s, ${sizes.writes.rooms} rooms`,
    fmt(one.writes?.perSecond ?? NaN, 0),
    fmt(three.writes?.perSecond ?? NaN, 0),
    '',
    '',
  ],
  [
    'writes acknowledged / reached readers %',
    reached(one.writes),
    reached(three.writes),
    '100',
    '',
  ],
  [
    'killed node: its clients back p50 / max s',
    'n/a',
    fo ? `${fmt(fo.secondsBack.p50, 2)} / ${fmt(fo.secondsBack.max, 2)}` : 'n/a',
    '< 5 s',
    verdict(fo ? fo.back === fo.onVictim && fo.secondsBack.max < 5 : null),
  ],
  [
    'killed node: clients on it / dropped / back',
    'n/a',
    fo ? `${fo.onVictim} / ${fo.dropped} / ${fo.back} of ${fo.clients}` : 'n/a',
    '',
    '',
  ],
];
const sqlite = figures.sqlite ?? {};
const postgres = figures.postgres ?? {};
const p50p99 = (f?: FanoutResult): string =>
  f ? `${fmt(f.latencyMs.p50, 2)} / ${fmt(f.latencyMs.p99, 2)}` : 'n/a';
const singleRows: string[][] = [
  ['fan-out p50 / p99 ms', p50p99(sqlite.fanout), p50p99(postgres.fanout)],
  ['fan-out delivered %', pct(sqlite.fanout), pct(postgres.fanout)],
  [
    'fan-out: commit p50 / p99 ≤ ms',
    upper(sqlite.fanout?.commitMs),
    upper(postgres.fanout?.commitMs),
  ],
  [
    `acknowledged writes/s, ${sizes.writes.rooms} rooms`,
    fmt(sqlite.writes?.perSecond ?? NaN, 0),
    fmt(postgres.writes?.perSecond ?? NaN, 0),
  ],
];

console.log('');
console.log(`Cluster benchmark${quick ? ' (--quick)' : ''}, ${new Date().toISOString()}`);
console.log(
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), ${fmt(os.totalmem() / GiB, 0)} GiB, Node ${process.version}; ` +
    `load average (1 min) ${fmt(Math.min(...loads), 2)}-${fmt(Math.max(...loads), 2)} during the run`,
);
console.log(
  `relays: node ${NODE_ARGS.join(' ')} sync-server/src/cli.ts --no-auth, 127.0.0.1; ` +
    `fan-out ${sizes.fanout.rooms} rooms × (1 writer + ${sizes.fanout.readers} readers), ${sizes.fanout.rate} msg/s/room × ${sizes.fanout.messages}; ` +
    `writes ${sizes.writes.rooms} rooms × ${sizes.writes.updates} updates back to back`,
);
console.log('\nOne node (peer) vs three nodes, PostgreSQL + Redis');
console.log(table(['figure', '1 node (peer)', '3 nodes', 'goal', ''], rows));
console.log('\nOne node: SQLite (peer) vs PostgreSQL (no Redis)');
console.log(table(['figure', 'SQLite (peer)', 'PostgreSQL'], singleRows));
for (const e of errors) console.log(`\nfailed: ${e}`);

const outDir = path.join(repoRoot, 'bench/.results');
mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  outFile,
  JSON.stringify({ quick, sizes, nodeArgs: NODE_ARGS, loads, figures, errors }, null, 2),
);
console.log(`\nraw figures: ${path.relative(repoRoot, outFile)}`);
process.exit(errors.length ? 1 : 0);
