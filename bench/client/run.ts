// Client benchmark (issue 3 §7): Ferry's data layer against the plain design (one Y.Doc per
// conversation with y-indexeddb, every doc opened at start), in the same run, in Debian's
// Chromium driven by Playwright. Prints a table; writes bench/.results/client.json.
//
//   npx tsx bench/client/run.ts            # 500 conversations, 200k messages (one with 100k)
//   MESSAGES=20000 BIG=10000 CONVS=100 RESTARTS=10 npx tsx bench/client/run.ts   # quick
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type BrowserContext } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { recordFigures, type Figure } from '../lib/figures';

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = fileURLToPath(new URL('../.results/', import.meta.url));
const outDir = join(resultsDir, 'client-page');

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MESSAGES = env('MESSAGES', 200_000);
const BIG = env('BIG', 100_000);
const CONVS = env('CONVS', 500);
const RESTARTS = env('RESTARTS', 100);
// The plain design takes ~6 s per restart here (it opens every doc): 20 by default.
const PLAIN_RESTARTS = env('PLAIN_RESTARTS', Math.min(RESTARTS, 20));
/** Cold starts (browser restarts) measured per design; the table shows the median. */
const COLD = env('COLD', 3);
/** Older pages loaded one by one after the first screen (scrolling up the big conversation). */
const SCROLL = env('SCROLL', 10);
/** Which designs to run (comma-separated): `DESIGNS=ferry` while iterating on Ferry alone. */
const DESIGNS = (process.env.DESIGNS ?? 'ferry,plain').split(',');
const TIMEOUT = 20 * 60_000;

const ARGS = [...CHROMIUM_ARGS, '--js-flags=--expose-gc', '--enable-precise-memory-info'];

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
};

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    const file = join(root, path === '/' ? 'index.html' : path);
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    // Hashed assets are cacheable, so Chromium keeps V8's compiled code for them across starts,
    // as the app's own scheme does (electron/src/protocol.ts: `codeCache: true`); the page is not.
    const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': cache,
    });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    }),
  );
}

type Result = Record<string, number> & { error?: string };

function chromiumVersion(): string {
  try {
    return execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return CHROMIUM_PATH;
  }
}

function median(results: Result[]): Result {
  const out: Result = {};
  for (const key of Object.keys(results[0] ?? {})) {
    const v = results.map((r) => r[key] as number).sort((a, b) => a - b);
    out[key] = v[Math.floor(v.length / 2)] as number;
  }
  return out;
}

/** `PROFILE=1`: each measured cold start also writes a CPU profile of the page (DevTools). */
const PROFILE = process.env.PROFILE === '1';

async function run(ctx: BrowserContext, url: string, profileTo?: string): Promise<Result> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  const cdp = profileTo ? await ctx.newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
  }
  await page.goto(url);
  await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: TIMEOUT });
  const r = (await page.evaluate(() => window.__bench)) as Result;
  if (cdp && profileTo) {
    const { profile } = await cdp.send('Profiler.stop');
    writeFileSync(profileTo, JSON.stringify(profile));
    console.error(`profile: ${profileTo} (open in DevTools, Performance)`);
  }
  if (r.error) throw new Error(`${url}: ${r.error}`);
  return r;
}

const launch = (dir: string) =>
  chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ARGS,
  });

interface DesignResult {
  raw: number;
  seedMs: number;
  list: number;
  firstScreen: number;
  loaded: number;
  heap: number;
  longestStart: number;
  longestOpen: number;
  longestAfter: number;
  longestScroll: number;
  scrollMs: number;
  records: number;
  usage: number;
  recordsAfter: number;
  usageAfter: number;
  restarts: number;
  restartMs: number;
}

async function bench(
  design: 'ferry' | 'plain',
  base: string,
  restarts: number,
): Promise<DesignResult> {
  const profile = mkdtempSync(join(tmpdir(), `ferry-bench-${design}-`));
  const q = `design=${design}&messages=${MESSAGES}&big=${BIG}&convs=${CONVS}&scroll=${SCROLL}`;
  try {
    let ctx = await launch(profile);
    const seed = await run(ctx, `${base}?${q}&mode=seed`);
    await ctx.close();
    console.error(
      `${design}: seeded in ${((seed.seedMs ?? 0) / 1000).toFixed(1)} s` +
        (seed.indexMs
          ? ` (of which the first search indexing ${((seed.indexMs ?? 0) / 1000).toFixed(1)} s)`
          : ''),
    );
    // Browser restart (same profile): the cold start, COLD times; the median of each figure.
    const colds: Result[] = [];
    for (let i = 0; i < COLD; i++) {
      ctx = await launch(profile);
      const profileTo = PROFILE
        ? join(resultsDir, `client-${design}-cold${i}.cpuprofile`)
        : undefined;
      const r = await run(ctx, `${base}?${q}&mode=measure`, profileTo);
      console.error(`${design}: ${JSON.stringify(r)}`);
      colds.push(r);
      await ctx.close();
    }
    const m = median(colds);
    ctx = await launch(profile);
    const size = await run(ctx, `${base}?${q}&mode=size`);
    const t0 = Date.now();
    for (let i = 0; i < restarts; i++) await run(ctx, `${base}?${q}&mode=restart&open=1&i=${i}`);
    const restartMs = restarts > 0 ? (Date.now() - t0) / restarts : 0;
    await ctx.close();
    ctx = await launch(profile);
    const after = await run(ctx, `${base}?${q}&mode=size`);
    await ctx.close();
    console.error(`${design}: measured`);
    return {
      raw: seed.raw,
      seedMs: seed.seedMs,
      list: m.list,
      firstScreen: m.firstScreen,
      loaded: m.loaded,
      heap: m.heap,
      longestStart: m.longestStart,
      longestOpen: m.longestOpen,
      longestAfter: m.longestAfter,
      longestScroll: m.longestScroll,
      scrollMs: m.scrollMs,
      records: size.records,
      usage: size.usage,
      recordsAfter: after.records,
      usageAfter: after.usage,
      restarts,
      restartMs,
    } as DesignResult;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** The rows `npm run bench:table` prints (bench/lib/figures.ts), each beside the plain design. */
function clientFigures(ferry: DesignResult, plain: DesignResult): Figure[] {
  const peer = 'plain (one Y.Doc per conversation, y-indexeddb)';
  const n = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? null : v);
  const row = (
    figure: string,
    key: keyof DesignResult,
    limit: number | null,
    ratio?: number,
  ): Figure => {
    const f = n(ferry[key]);
    const p = n(plain[key]);
    const target =
      limit === null ? null : `≤ ${limit}${ratio === undefined ? '' : ` and ≤ ${ratio}× peer`}`;
    const met =
      limit === null || f === null
        ? null
        : f <= limit && (ratio === undefined || p === null || f <= ratio * Math.max(p, 1));
    return { figure, peer, peerValue: p, ferry: f, target, met, digits: 0 };
  };
  const tasks = (key: keyof DesignResult, figure: string) => row(figure, key, 50);
  return [
    { ...row('cold start to the list (ms)', 'list', 300), target: '< 300' },
    row('open the 100k conversation, first screen (ms)', 'firstScreen', 100, 1.5),
    row('open the 100k conversation, documents loaded (ms)', 'loaded', null),
    tasks('longestStart', 'longest task, start → list (ms)'),
    tasks('longestOpen', 'longest task, opening (ms)'),
    tasks('longestScroll', `longest task, scrolling up ${SCROLL} pages (ms)`),
    {
      ...row('JS heap, big conversation open (MB)', 'heap', null),
      ferry: n(ferry.heap / 1e6),
      peerValue: n(plain.heap / 1e6),
      digits: 1,
    },
  ];
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const ms = (n: number) => `${Math.round(n)} ms`;

async function main(): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  await build({
    root: join(here, 'page'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: !PROFILE },
    // As the app builds it (renderer/vite.config.ts): the search index in a module worker.
    worker: { format: 'es' },
  });
  const { server, url } = await serve(outDir);
  const loadStart = loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  try {
    const none = { raw: NaN } as DesignResult;
    const ferry = DESIGNS.includes('ferry') ? await bench('ferry', url, RESTARTS) : none;
    const plain = DESIGNS.includes('plain') ? await bench('plain', url, PLAIN_RESTARTS) : none;
    const rows: Array<[string, string, string, string]> = [
      ['cold start to conversation list', ms(ferry.list), ms(plain.list), '< 300 ms'],
      [
        'open the big conversation (first screen)',
        ms(ferry.firstScreen),
        ms(plain.firstScreen),
        '< 100 ms',
      ],
      ['open the big conversation (documents loaded)', ms(ferry.loaded), ms(plain.loaded), ''],
      ['JS heap after GC, big conversation open', mb(ferry.heap), mb(plain.heap), '< 60 MB'],
      [
        'longest task: start, until the list',
        ms(ferry.longestStart),
        ms(plain.longestStart),
        '<= 50 ms',
      ],
      [
        'longest task: opening, until first screen',
        ms(ferry.longestOpen),
        ms(plain.longestOpen),
        '<= 50 ms',
      ],
      ['longest task: 1 s after first screen', ms(ferry.longestAfter), ms(plain.longestAfter), ''],
      [
        `longest task: scrolling up ${SCROLL} pages`,
        ms(ferry.longestScroll),
        ms(plain.longestScroll),
        '<= 50 ms',
      ],
      ['mean time per page scrolled up', ms(ferry.scrollMs), ms(plain.scrollMs), ''],
      ['raw message text', mb(ferry.raw), mb(plain.raw), ''],
      ['stored: record bytes', mb(ferry.records), mb(plain.records), '<= 2x raw'],
      [
        'stored: record bytes / raw text',
        (ferry.records / ferry.raw).toFixed(2),
        (plain.records / plain.raw).toFixed(2),
        '<= 2',
      ],
      ['stored: storage.estimate() usage', mb(ferry.usage), mb(plain.usage), ''],
      [
        'restarts with no edits (each: start, open big)',
        String(ferry.restarts),
        String(plain.restarts),
        '',
      ],
      [
        'record bytes growth over those restarts',
        `${ferry.recordsAfter - ferry.records} B`,
        `${plain.recordsAfter - plain.records} B`,
        '0',
      ],
      [
        'record bytes growth per restart',
        `${((ferry.recordsAfter - ferry.records) / Math.max(1, ferry.restarts)).toFixed(0)} B`,
        `${((plain.recordsAfter - plain.records) / Math.max(1, plain.restarts)).toFixed(0)} B`,
        '0',
      ],
      [
        'estimate() growth over those restarts',
        mb(ferry.usageAfter - ferry.usage),
        mb(plain.usageAfter - plain.usage),
        '',
      ],
      ['mean time per restart (driver side)', ms(ferry.restartMs), ms(plain.restartMs), ''],
    ];
    const w = [46, 14, 14, 11];
    const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i] ?? 10)).join(' | ');
    console.log(
      `Load average at the start: ${loadStart}, at the end: ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (${cpus().length} cores)`,
    );
    console.log(
      `Client benchmark: ${CONVS} conversations, ${MESSAGES} messages (one with ${BIG}); ${chromiumVersion()}; cold-start figures: median of ${COLD} browser restarts`,
    );
    console.log(line(['metric', 'ferry', 'plain (y-idb)', 'target']));
    console.log(line(w.map((n) => '-'.repeat(n))));
    for (const r of rows) console.log(line(r));
    recordFigures('client', clientFigures(ferry, plain));
    writeFileSync(
      join(resultsDir, 'client.json'),
      JSON.stringify({ at: new Date().toISOString(), MESSAGES, BIG, CONVS, ferry, plain }, null, 2),
    );
  } finally {
    server.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
