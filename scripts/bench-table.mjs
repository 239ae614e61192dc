// `npm run bench:table`: the issue-16 set in one go (the client in Chromium, catch-up in
// Chromium, the relay's fan-out and idle memory, a crowd on one room), each Ferry figure beside
// its peer from the same run, then one table with the load average. The table goes to stdout
// and to bench/.results/table-<time>.md, ready for bench/README.md.
//
//   node scripts/bench-table.mjs [--only=relay,crowd,client,catchup] [--skip=client]
//
// Each bench records its rows through bench/lib/figures.ts (FERRY_BENCH_FIGURES); a bench that
// fails still leaves the others' rows, and the table says which one failed.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** What runs, in order, and about how long each takes on two busy cores. */
export const STEPS = [
  // As deployed (npm start, the systemd unit): --max-semi-space-size=2; the 10,000 idle.
  {
    name: 'relay',
    script: 'bench:relay',
    args: ['--rounds=1', '--idle-rooms=10000', '--server-node-args=--max-semi-space-size=2'],
    minutes: 5,
  },
  { name: 'crowd', script: 'bench:crowd', args: [], minutes: 3 },
  // 200 conversations: the 1,000 case does not settle its writers on two busy cores (bench/catchup).
  {
    name: 'catchup',
    script: 'bench:catchup',
    args: [],
    env: { SCENARIOS: '200', RESTARTS: '2' },
    minutes: 6,
  },
  // Five cold starts, not three: the first after the seed always reads a cold disk cache
  // (140-250 ms to the first screen against 15-60 ms after it), and of three the median is then
  // the slower of the other two.
  { name: 'client', script: 'bench:client', args: [], env: { COLD: '5' }, minutes: 10 },
];

function parseArgs(argv) {
  let names = STEPS.map((s) => s.name);
  for (const arg of argv) {
    const [key, value = ''] = arg.split('=');
    const list = value.split(',').filter(Boolean);
    const unknown = list.filter((n) => !STEPS.some((s) => s.name === n));
    if ((key === '--only' || key === '--skip') && unknown.length > 0)
      throw new Error(`unknown bench ${unknown.join(', ')}: one of ${STEPS.map((s) => s.name)}`);
    if (key === '--only') names = list;
    else if (key === '--skip') names = names.filter((n) => !list.includes(n));
    else throw new Error(`unknown argument ${arg}: --only=… or --skip=…`);
  }
  return STEPS.filter((s) => names.includes(s.name));
}

const load = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

function run(step, figuresFile) {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', step.script, '--', ...step.args], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, ...step.env, FERRY_BENCH_FIGURES: figuresFile },
    });
    child.on('exit', (code, signal) => resolve(code === 0 ? null : `exit ${code ?? signal}`));
    child.on('error', (err) => resolve(err.message));
  });
}

function number(value, digits) {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** The markdown table: one row per figure, Ferry beside its peer and their ratio. */
export function renderTable(records, steps) {
  const lines = [
    '| bench | figure | peer | peer | Ferry | Ferry ÷ peer | target | met | load |',
    '| --- | --- | --- | ---: | ---: | ---: | --- | --- | ---: |',
  ];
  for (const r of records) {
    const digits = r.digits ?? 1;
    const ratio =
      r.ferry !== null && r.peerValue !== null && r.peerValue !== 0
        ? `${number(r.ferry / r.peerValue, 2)}×`
        : '';
    const met = r.met === null ? '' : r.met ? 'met' : 'missed';
    lines.push(
      `| ${r.bench} | ${r.figure} | ${r.peer} | ${number(r.peerValue, digits)} | ` +
        `${number(r.ferry, digits)} | ${ratio} | ${r.target ?? ''} | ${met} | ${number(r.load, 2)} |`,
    );
  }
  const runs = steps.map(
    (s) =>
      `${s.name} ${number(s.seconds, 0)} s (load ${number(s.loadBefore, 2)} → ${number(s.loadAfter, 2)})` +
      (s.failed ? `, FAILED: ${s.failed}` : ''),
  );
  return `${lines.join('\n')}\n\nRuns: ${runs.join('; ')}.\n`;
}

async function main() {
  const steps = parseArgs(process.argv.slice(2));
  const results = path.join(repoRoot, 'bench/.results');
  mkdirSync(results, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const figuresFile = path.join(results, `figures-${stamp}.jsonl`);
  const started = Date.now();
  const done = [];
  for (const step of steps) {
    console.log(`\n=== ${step.name}: npm run ${step.script} ${step.args.join(' ')}`);
    const loadBefore = load();
    const t0 = Date.now();
    const failed = await run(step, figuresFile);
    done.push({
      name: step.name,
      seconds: (Date.now() - t0) / 1000,
      loadBefore,
      loadAfter: load(),
      failed,
    });
  }
  const records = existsSync(figuresFile)
    ? readFileSync(figuresFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];
  const header =
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} cores ` +
    `(${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.versions.node}, ` +
    `${number((Date.now() - started) / 60_000, 1)} min in all.\n\n`;
  const text = header + renderTable(records, done);
  const out = path.join(results, `table-${stamp}.md`);
  writeFileSync(out, text);
  console.log(`\n${text}\ntable: ${path.relative(repoRoot, out)}`);
  process.exit(done.some((s) => s.failed) ? 1 : 0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
