// App-side files benchmarks (issue 13), in Debian's Chromium driven by Playwright, each with a
// named peer measured in the same run. Prints figures; never passes or fails on time.
//
// 1. hash: the app's hasher (renderer/src/data/files/hash.ts + hash-worker.ts: hash-wasm fed
//    4 MiB Blob slices in a module Worker) on a temporary file of --mb MiB chosen in the page's
//    file input (a File backed by the disk, as when a person attaches one), against the
//    naive `crypto.subtle.digest('SHA-256', await blob.arrayBuffer())`. Memory: CDP
//    `Runtime.getHeapUsage` of the page and of the hashing worker (attached through the page's
//    CDP session), V8 heap used + ArrayBuffer backing stores, sampled every 50 ms; the figure is
//    the peak of page + worker above the page's idle (after a GC, before hashing).
// 2. images: the real App on the UI harness's fake client with a conversation of --images
//    messages each carrying a 1600×1200 JPEG, against the same conversation as text only.
//    First screen: click in the sidebar → every image on screen loaded (`data-loaded`), or the
//    messages drawn for the peer. Scrolling: wheel from the newest to the oldest (older pages
//    load as the list nears the top), counting PerformanceObserver 'longtask' entries.
//
//   npx tsx bench/files-app/run.ts [--mb=1024] [--images=500] [--only=hash|images] [--profile]
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { chromium, type Browser, type CDPSession, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { fmt, table } from '../lib/stats';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = new Map<string, string>();
for (const a of process.argv.slice(2)) {
  const m = /^--(mb|images|only|profile)(?:=(.+))?$/.exec(a);
  if (!m) {
    console.error(
      `bench/files-app: unknown argument "${a}" (usage: npx tsx bench/files-app/run.ts [--mb=1024] [--images=500] [--only=hash|images])`,
    );
    process.exit(2);
  }
  args.set(m[1] as string, m[2] ?? '1');
}
const MiB = 1024 * 1024;
const SIZE = Number(args.get('mb') ?? 1024) * MiB;
const IMAGES = Number(args.get('images') ?? 500);
const ONLY = args.get('only');
/** --profile: a CPU profile of the page while scrolling the images, its top self times. */
const PROFILE = args.has('profile');
const out = mkdtempSync(join(tmpdir(), 'ferry-bench-files-app-'));
process.on('exit', () => rmSync(out, { recursive: true, force: true }));

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
};

function serve(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(new URL(req.url ?? '/', 'http://x').pathname).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
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
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    }),
  );
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(', ');
const mb = (b: number) => `${fmt(b / MiB, 1)} MB`;

// ---------------------------------------------------------------- 1. hashing

interface HeapUsage {
  usedSize: number;
  backingStorageSize?: number;
}
const heapOf = (u: HeapUsage) => u.usedSize + (u.backingStorageSize ?? 0);

/** Heap of the page and of every worker it starts (old-style target sessions over the page's
 *  CDP session, since Playwright's public CDPSession cannot address flattened children). */
async function heapProbe(cdp: CDPSession) {
  const workers = new Map<string, string>(); // sessionId → url
  let seq = 0;
  const waiting = new Map<number, (v: HeapUsage | null) => void>();
  cdp.on(
    'Target.attachedToTarget',
    (e: { sessionId: string; targetInfo: { type: string; url: string } }) => {
      if (e.targetInfo.type === 'worker') workers.set(e.sessionId, e.targetInfo.url);
    },
  );
  cdp.on('Target.detachedFromTarget', (e: { sessionId: string }) => workers.delete(e.sessionId));
  cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: HeapUsage; error?: unknown };
    if (m.id === undefined) return;
    waiting.get(m.id)?.(m.result ?? null);
    waiting.delete(m.id);
  });
  await cdp.send('Target.setAutoAttach', {
    autoAttach: true,
    waitForDebuggerOnStart: false,
    flatten: false,
  });
  const worker = (sessionId: string) =>
    new Promise<HeapUsage | null>((resolve) => {
      const id = ++seq;
      waiting.set(id, resolve);
      setTimeout(() => {
        if (waiting.delete(id)) resolve(null);
      }, 2000);
      cdp
        .send('Target.sendMessageToTarget', {
          sessionId,
          message: JSON.stringify({ id, method: 'Runtime.getHeapUsage' }),
        })
        .catch(() => resolve(null));
    });
  return {
    workers,
    async sample(): Promise<{ page: number; worker: number }> {
      const [p, ...w] = await Promise.all([
        cdp.send('Runtime.getHeapUsage') as Promise<HeapUsage>,
        ...[...workers.keys()].map(worker),
      ]);
      return { page: heapOf(p), worker: w.reduce((s, u) => s + (u ? heapOf(u) : 0), 0) };
    },
  };
}

/** A temporary file of `size` random bytes and its SHA-256 (node:crypto), made once per size. */
const files = new Map<number, { path: string; hash: string }>();
function fileOf(size: number): { path: string; hash: string } {
  let f = files.get(size);
  if (!f) {
    const path = join(out, `file-${size}.bin`);
    const fd = openSync(path, 'w');
    const sha = createHash('sha256');
    for (let left = size; left > 0;) {
      const chunk = randomBytes(Math.min(16 * MiB, left));
      sha.update(chunk);
      writeSync(fd, chunk);
      left -= chunk.length;
    }
    closeSync(fd);
    f = { path, hash: sha.digest('hex') };
    files.set(size, f);
  }
  return f;
}

interface HashRun {
  ok: boolean;
  error?: string;
  size: number;
  ms: number;
  hash: string;
  idle: number;
  peak: number;
  peakPage: number;
  peakWorker: number;
  workerSeen: boolean;
  samples: number;
}

async function hashRun(browser: Browser, url: string, which: 'ferry' | 'naive', size: number) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const run: HashRun = {
    ok: false,
    size,
    ms: 0,
    hash: '',
    idle: 0,
    peak: 0,
    peakPage: 0,
    peakWorker: 0,
    workerSeen: false,
    samples: 0,
  };
  try {
    await page.goto(`${url}hash/`);
    await page.waitForFunction(() => 'bench' in window);
    const cdp = await ctx.newCDPSession(page);
    const probe = await heapProbe(cdp);
    await page.setInputFiles('#file', fileOf(size).path);
    const picked = await page.evaluate(() => window.bench.pick());
    if (picked !== size) throw new Error(`the page picked ${picked} bytes, not ${size}`);
    await cdp.send('HeapProfiler.collectGarbage');
    await new Promise((r) => setTimeout(r, 300));
    run.idle = (await probe.sample()).page;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const s = await probe.sample().catch(() => null);
        if (s) {
          run.samples++;
          run.peak = Math.max(run.peak, s.page + s.worker);
          run.peakPage = Math.max(run.peakPage, s.page);
          run.peakWorker = Math.max(run.peakWorker, s.worker);
          if (probe.workers.size > 0) run.workerSeen = true;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      const r = await page.evaluate((w) => window.bench[w](), which);
      run.ms = r.ms;
      run.hash = r.hash;
      run.ok = true;
    } finally {
      sampling = false;
      await sampler;
    }
  } catch (e) {
    run.error = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  } finally {
    await ctx.close().catch(() => undefined);
  }
  return run;
}

async function hashBench(browser: Browser, url: string): Promise<void> {
  console.log(`\n# hashing a ${mb(SIZE)} Blob in the page (load average ${load()})`);
  const ferry = await hashRun(browser, url, 'ferry', SIZE);
  const naive = [await hashRun(browser, url, 'naive', SIZE)];
  if (!naive[0]?.ok && SIZE > 256 * MiB)
    naive.push(await hashRun(browser, url, 'naive', 256 * MiB));
  const col = (r: HashRun) => [
    r.ok ? mb(r.peak - r.idle) : `failed: ${r.error ?? '?'}`,
    r.ok ? `${mb(r.peakPage - r.idle)} / ${mb(r.peakWorker)}` : '',
    r.ok ? `${fmt(r.ms, 0)} ms` : '',
    r.ok ? `${fmt(r.size / MiB / (r.ms / 1000), 0)} MB/s` : '',
  ];
  const rows = [
    ['Ferry (hash.ts: hash-wasm in its Worker)', mb(ferry.size), ...col(ferry)],
    ...naive.map((n) => ['naive (subtle.digest of blob.arrayBuffer())', mb(n.size), ...col(n)]),
  ];
  console.log(
    table(['who', 'size', 'heap peak above idle', 'page / worker', 'time', 'throughput'], rows),
  );
  console.log(
    `page idle heap ${mb(ferry.idle)} (V8 heap used + ArrayBuffer backing stores, CDP Runtime.getHeapUsage); worker attached: ${ferry.workerSeen ? 'yes' : 'NO (hashed inline?)'}; samples ${ferry.samples} / ${naive.map((n) => n.samples).join(', ')}`,
  );
  for (const r of [ferry, ...naive])
    if (r.ok && r.hash !== fileOf(r.size).hash)
      console.log(`WRONG HASH at ${mb(r.size)}: ${r.hash}`);
  console.log(
    `hashes checked against node:crypto: ${[ferry, ...naive].filter((r) => r.ok).length} runs`,
  );
  console.log(
    `goal: < 64 MB above idle (Ferry: ${ferry.ok && ferry.peak - ferry.idle < 64 * MiB ? 'met' : 'missed'}); load average after: ${load()}`,
  );
}

// ---------------------------------------------------------------- 2. 500 images

interface ScrollRun {
  title: string;
  firstScreen: number;
  onScreen: number;
  longFirst: number[];
  longScroll: number[];
  scrollMs: number;
  wheels: number;
  reachedOldest: boolean;
}

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

/** Self time by function over the profile, the top 15. */
function printProfile(p: CpuProfile): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const f = byId.get(id)?.callFrame;
    const dt = (p.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const key = f
      ? `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`
      : '?';
    self.set(key, (self.get(key) ?? 0) + dt);
  });
  console.log(`CPU profile while scrolling the images: ${fmt(total / 1000, 1)} s sampled`);
  for (const [k, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15))
    console.log(`  ${fmt(ms, 0).padStart(7)} ms ${fmt((100 * ms) / total, 1).padStart(5)} %  ${k}`);
}

async function conversationRun(page: Page, title: string, images: boolean): Promise<ScrollRun> {
  // Back to another conversation first, so each run opens from the sidebar.
  await page.locator('[data-testid="conversation-item"]', { hasText: 'field' }).first().click();
  await page.waitForTimeout(1000);
  await page.evaluate(() => {
    const w = window as unknown as { longtasks: number[] };
    w.longtasks = [];
  });
  const first = await page.evaluate(
    async ({ title, images }) => {
      const w = window as unknown as { longtasks: number[] };
      const item = [
        ...document.querySelectorAll<HTMLElement>('[data-testid="conversation-item"]'),
      ].find((el) => el.textContent?.includes(title));
      if (!item) throw new Error(`no conversation ${title}`);
      const t0 = performance.now();
      item.click();
      const inView = (el: Element) => {
        const r = el.getBoundingClientRect();
        return r.bottom > 0 && r.top < innerHeight && r.width > 0;
      };
      for (;;) {
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        const title1 = document.querySelector('[data-testid="conversation-title"]')?.textContent;
        if (title1?.trim() !== title) continue;
        const msgs = [...document.querySelectorAll('[data-testid="message"]')].filter(inView);
        if (msgs.length === 0) continue;
        if (images) {
          const imgs = [...document.querySelectorAll('[data-testid="message-image"]')].filter(
            inView,
          );
          if (imgs.length === 0 || imgs.some((i) => i.getAttribute('data-loaded') !== 'true'))
            continue;
          // The frame after the last image's load event: its pixels are on screen.
          await new Promise((r) => requestAnimationFrame(() => r(null)));
          return { ms: performance.now() - t0, onScreen: imgs.length, long: [...w.longtasks] };
        }
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        return { ms: performance.now() - t0, onScreen: msgs.length, long: [...w.longtasks] };
      }
    },
    { title, images },
  );
  await page.waitForTimeout(1500);
  await page.evaluate(() => {
    (window as unknown as { longtasks: number[] }).longtasks = [];
  });
  const list = page.locator('[data-testid="conversation"]');
  const box = await list.boundingBox();
  if (box) await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const oldest = title === 'Pictures' ? `Picture 1 of ${IMAGES}:` : `Words 1 of ${IMAGES}:`;
  const cdp = PROFILE && images ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
    await cdp.send('Profiler.start');
  }
  const t0 = Date.now();
  let wheels = 0;
  let reached = false;
  // ~20 wheel notches a second (a brisk scroll) until the oldest message is on screen.
  while (Date.now() - t0 < 180_000) {
    await page.mouse.wheel(0, -400);
    wheels++;
    await page.waitForTimeout(50);
    if (wheels % 10 === 0) {
      reached = await page.evaluate((text) => {
        return [...document.querySelectorAll('[data-testid="message"]')].some((m) => {
          const r = m.getBoundingClientRect();
          return m.textContent?.includes(text) && r.bottom > 0 && r.top < innerHeight;
        });
      }, oldest);
      if (reached) break;
    }
  }
  const scrollMs = Date.now() - t0;
  if (cdp) printProfile(((await cdp.send('Profiler.stop')) as { profile: CpuProfile }).profile);
  await page.waitForTimeout(500);
  const longScroll = await page.evaluate(() => [
    ...(window as unknown as { longtasks: number[] }).longtasks,
  ]);
  return {
    title,
    firstScreen: first.ms,
    onScreen: first.onScreen,
    longFirst: first.long,
    longScroll,
    scrollMs,
    wheels,
    reachedOldest: reached,
  };
}

async function imagesBench(browser: Browser, url: string): Promise<void> {
  console.log(`\n# a conversation of ${IMAGES} images in the App (load average ${load()})`);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await ctx.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  // tsx (esbuild keepNames) wraps named functions inside page.evaluate callbacks in __name().
  await page.addInitScript('globalThis.__name = (f) => f;');
  await page.addInitScript(() => {
    const w = window as unknown as { longtasks: number[] };
    w.longtasks = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.longtasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  try {
    await page.goto(`${url}ui/?n=${IMAGES}`);
    // Set by ui/main.ts once both conversations are seeded (it is type-checked with the renderer).
    type Seeded = { benchSeeded?: { images: number; bytes: number; ms: number } };
    await page.waitForFunction(() => (window as Seeded).benchSeeded !== undefined, null, {
      timeout: 600_000,
    });
    const seededInfo = await page.evaluate(() => (window as Seeded).benchSeeded);
    await page.locator('[data-testid="conversation-item"]').first().waitFor();
    console.log(
      `seeded ${seededInfo?.images} JPEGs 1600×1200, ${mb(seededInfo?.bytes ?? 0)} (mean ${fmt((seededInfo?.bytes ?? 0) / IMAGES / 1024, 0)} KB) in ${fmt((seededInfo?.ms ?? 0) / 1000, 1)} s`,
    );
    // The peer first, then the images, in the same page and browser.
    const runs = [
      await conversationRun(page, 'Words', false),
      await conversationRun(page, 'Pictures', true),
    ];
    const over = (l: number[]) => l.filter((d) => d > 50);
    const longest = (l: number[]) => (l.length ? `${fmt(Math.max(...l), 0)} ms` : 'none');
    const col = (r: ScrollRun) => [
      `${fmt(r.firstScreen, 0)} ms (${r.onScreen} on screen)`,
      `${over(r.longFirst).length}, longest ${longest(r.longFirst)}`,
      `${fmt(r.scrollMs / 1000, 1)} s, ${r.wheels} notches${r.reachedOldest ? '' : ' (oldest NOT reached)'}`,
      `${over(r.longScroll).length}`,
      longest(r.longScroll),
    ];
    console.log(
      table(
        [
          'conversation',
          'first screen',
          'tasks > 50 ms opening',
          'scroll to oldest',
          'tasks > 50 ms scrolling',
          'longest',
        ],
        runs.map((r) => [
          r.title === 'Pictures' ? `${IMAGES} images` : `${IMAGES} text only (peer)`,
          ...col(r),
        ]),
      ),
    );
    for (const r of runs)
      console.log(
        `${r.title}: long tasks while scrolling (ms): ${r.longScroll.map((d) => d.toFixed(0)).join(' ') || 'none'}`,
      );
    if (problems.length) console.log(`page problems: ${problems.slice(0, 5).join(' | ')}`);
    console.log(`goal: no main-thread task > 50 ms; load average after: ${load()}`);
  } finally {
    await ctx.close();
  }
}

// ---------------------------------------------------------------- main

const ui = join(here, 'ui');
const plugins = [svelte({ emitCss: true, configFile: false })];
await build({
  root: join(here, 'hash'),
  base: './',
  logLevel: 'warn',
  configFile: false,
  worker: { format: 'es' },
  build: {
    outDir: join(out, 'hash'),
    emptyOutDir: true,
    target: 'es2022',
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
await build({
  root: ui,
  base: './',
  logLevel: 'warn',
  configFile: false,
  define: { __FERRY_VERSION__: JSON.stringify('bench') },
  plugins,
  worker: { format: 'es' },
  build: {
    chunkSizeWarningLimit: 2000,
    outDir: join(out, 'ui'),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
const { server, url } = await serve(out);
const version = (() => {
  try {
    return execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return CHROMIUM_PATH;
  }
})();
console.log(
  `${version}; ${new Date().toISOString()}; uptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`,
);
const browser = await chromium.launch({
  executablePath: CHROMIUM_PATH,
  args: [...CHROMIUM_ARGS, '--js-flags=--expose-gc'],
});
try {
  if (ONLY !== 'images') await hashBench(browser, url);
  if (ONLY !== 'hash') await imagesBench(browser, url);
} finally {
  await browser.close();
  server.close();
  console.log(`\nuptime: ${execFileSync('uptime', { encoding: 'utf8' }).trim()}`);
}
