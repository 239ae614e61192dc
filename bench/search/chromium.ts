// The search benchmark in Debian's Chromium (Playwright): the real Web Worker and Chromium's
// IndexedDB. Seeds the index in one browser run, restarts the browser COLD times on the same
// profile and measures loading the saved index and the query latency through the worker.
// Writes bench/.results/search-chromium.json.
//
//   npx tsx bench/search/chromium.ts               # 200k messages
//   MESSAGES=20000 npx tsx bench/search/chromium.ts
import { createServer, type Server } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { fmt, table } from '../lib/stats';

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = fileURLToPath(new URL('../.results/', import.meta.url));
const outDir = join(resultsDir, 'search-page');
const MESSAGES = Number(process.env.MESSAGES ?? 200_000);
const QUERIES = Number(process.env.QUERIES ?? 100);
const COLD = Number(process.env.COLD ?? 3);
const TIMEOUT = 20 * 60_000;
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };

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
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({
        server,
        url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/`,
      });
    }),
  );
}

type R = Record<string, number> & { error?: string };

async function run(profile: string, url: string): Promise<R> {
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, '--enable-precise-memory-info'],
  });
  try {
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(
      () => (window as { __bench?: unknown }).__bench !== undefined,
      null,
      {
        timeout: TIMEOUT,
      },
    );
    const r = (await page.evaluate(() => (window as { __bench?: unknown }).__bench)) as R;
    if (r.error) throw new Error(r.error);
    return r;
  } finally {
    await ctx.close();
  }
}

async function main() {
  mkdirSync(resultsDir, { recursive: true });
  await build({
    root: join(here, 'page'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: true },
  });
  const { server, url } = await serve(outDir);
  const profile = mkdtempSync(join(tmpdir(), 'ferry-bench-search-'));
  try {
    const q = `messages=${MESSAGES}&queries=${QUERIES}`;
    const seed = await run(profile, `${url}?mode=seed&${q}`);
    console.error(`seeded: ${JSON.stringify(seed)}`);
    const colds: R[] = [];
    for (let i = 0; i < COLD; i++) {
      const r = await run(profile, `${url}?mode=restart&${q}`);
      console.error(`restart ${i + 1}: ${JSON.stringify(r)}`);
      colds.push(r);
    }
    const med = (k: string) => {
      const v = colds.map((r) => r[k] as number).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)] as number;
    };
    const ms = (n: number) => `${fmt(n, n < 10 ? 2 : 0)} ms`;
    console.log(
      `\nsearch in Chromium: ${MESSAGES.toLocaleString('en-US')} messages, load ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}`,
    );
    console.log(
      table(
        ['figure', 'Ferry (worker + IndexedDB)'],
        [
          ['first start: index every page through the worker', ms(seed.indexMs ?? NaN)],
          ['write it (flush with snapshot)', ms(seed.flushMs ?? NaN)],
          ['longest main-thread task while indexing', ms(seed.longestTaskIndexing ?? 0)],
          ['restart: ready (worker start + load), median', ms(med('readyMs'))],
          [
            'queries through the worker p50 / p95 / p99 (after restart, median)',
            `${ms(med('queryP50'))} / ${ms(med('queryP95'))} / ${ms(med('queryP99'))}`,
          ],
          [
            'queries p50 / p95 / p99 (first run)',
            `${ms(seed.queryP50 ?? NaN)} / ${ms(seed.queryP95 ?? NaN)} / ${ms(seed.queryP99 ?? NaN)}`,
          ],
          ['longest main-thread task while querying', ms(med('longestTaskQuerying'))],
          ['origin storage (navigator.storage.estimate)', `${fmt((med('usage') ?? 0) / 1e6)} MB`],
          ['page JS heap (the index is in the worker)', `${fmt((med('pageHeap') ?? 0) / 1e6)} MB`],
        ],
      ),
    );
    writeFileSync(
      join(resultsDir, 'search-chromium.json'),
      `${JSON.stringify({ at: new Date().toISOString(), messages: MESSAGES, load: loadavg(), seed, colds }, null, 2)}\n`,
    );
  } finally {
    server.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

await main();
