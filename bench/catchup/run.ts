// Catch-up benchmark (issue 16 item 3): a week away, for real. One reader with two devices
// (two Chromium profiles, the real renderer data layer served by a real relay process) syncs
// every conversation, closes; writers (real clients under Node) write MESSAGES messages across
// CONVS conversations (a few DMs, some mentions); then each device of the reader reopens and
// catches up: one with the peer setting (`PEER_CONC`, the window of 8 rooms at a time the
// client used before), one with the client's default. Prints a table per scenario, with the
// load average; writes bench/.results/catchup.json.
//
//   npm run bench:catchup                         # 10,000 messages over 200 and 1,000 conversations
//   SCENARIOS=200 MESSAGES=2000 RESTARTS=3 npm run bench:catchup   # quick look
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';
import { recordFigures, type Figure } from '../lib/figures';
import { chromiumCpuSeconds, cpuSeconds } from '../lib/proc';
import { inWindows } from '../lib/wait';
import { startRelay, type BenchRelay } from './relay';
import { sentence, settled, signIn, write } from './writer';

type Writer = Awaited<ReturnType<typeof signIn>>;

const here = fileURLToPath(new URL('.', import.meta.url));
const resultsDir = fileURLToPath(new URL('../.results/', import.meta.url));
const outDir = join(resultsDir, 'catchup-page');

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MESSAGES = env('MESSAGES', 10_000);
const SCENARIOS = (process.env.SCENARIOS ?? '200,1000').split(',').map(Number);
const RESTARTS = env('RESTARTS', 5);
const DMS = env('DMS', 5);
const PEER_CONC = env('PEER_CONC', 8);
/** Conversations the writers write into at once. */
const WRITERS = env('WRITERS', 16);
/** Channels per owner (each a signed-in writer of its own). */
const CHANNELS_PER_OWNER = env('CHANNELS_PER_OWNER', 100);
const TIMEOUT = 10 * 60_000;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');

type Result = Record<string, number> & { error?: string };

async function runPage(
  ctx: BrowserContext,
  url: string,
  profileAs: string | null = null,
): Promise<Result> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  if (process.env.DEBUG) {
    page.on('console', (m) => console.error(`page: ${m.text()}`));
    page.on('pageerror', (e) => console.error(`page error: ${e.message}`));
  }
  let stop: ((name: string) => Promise<void>) | null = null;
  if (profileAs !== null) {
    // The page waits (`&wait=1`) until the profiler runs in its own renderer process.
    await page.goto(`${url}&wait=1`);
    await page.waitForFunction(() => window.__waiting === true, null, { timeout: TIMEOUT });
    stop = await profile(ctx, page);
    await page.evaluate(() => window.__go?.());
  } else await page.goto(url);
  await page.waitForFunction(() => window.__bench !== undefined, null, { timeout: TIMEOUT });
  const r = (await page.evaluate(() => window.__bench)) as Result;
  if (stop) await stop(profileAs as string);
  await page.goto('about:blank');
  if (r.error) throw new Error(`${url}: ${r.error}`);
  return r;
}

const launch = (dir: string) =>
  chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    // Profiling: no process swap on navigation (the profiler follows one renderer process).
    args: process.env.PROFILE
      ? [...CHROMIUM_ARGS, '--disable-features=ProactivelySwapBrowsingInstance,BackForwardCache']
      : CHROMIUM_ARGS,
  });

interface Device {
  name: string;
  conc: number | null;
  profile: string;
  ctx: BrowserContext;
}

async function scenario(convs: number) {
  const relay: BenchRelay = await startRelay(outDir);
  const devices: Device[] = [];
  try {
    const reader = await relay.createUser('Bo');
    const dmUsers = await Promise.all(
      Array.from({ length: Math.min(DMS, convs) }, (_, i) => relay.createUser(`Dm${i}`)),
    );
    const nChannels = convs - dmUsers.length;
    // One channel owner per CHANNELS_PER_OWNER channels (a team writes, not one person): each
    // writer stays within the relay's default per-user budgets, which are left as they are.
    const owners = await Promise.all(
      Array.from({ length: Math.max(1, Math.ceil(nChannels / CHANNELS_PER_OWNER)) }, (_, i) =>
        relay.createUser(i === 0 ? 'Ada' : `Ada${i}`),
      ),
    );
    const step = (what: string) => console.error(`${convs} conversations: ${what}`);
    step('accounts made');
    const writers = await Promise.all(owners.map((u) => signIn(relay.url, u)));
    const ownerOf = (i: number) => writers[Math.floor(i / CHANNELS_PER_OWNER)] as Writer;
    const dmClients = await Promise.all(dmUsers.map((u) => signIn(relay.url, u)));
    const channels: string[] = Array.from({ length: nChannels }, () => '');
    await inWindows(channels.length, WRITERS, async (i) => {
      channels[i] = await ownerOf(i).createConversation({
        kind: 'channel',
        title: `Room ${i}`,
        visibility: 'private',
        members: [reader.id],
      });
    });
    const dms = await Promise.all(dmClients.map((c) => c.openDm(reader.id)));
    await Promise.all([...writers, ...dmClients].map(settled));
    step('conversations made');

    const plan = {
      serverUrl: relay.url,
      username: reader.username,
      password: reader.password,
      expected: {} as Record<string, number>,
      first: [] as string[],
    };
    for (const id of [...channels, ...dms]) plan.expected[id] = 0;
    writeFileSync(join(outDir, 'plan.json'), JSON.stringify(plan));

    // The reader's two devices sync everything, then go away.
    const base = `${relay.url}/index.html`;
    for (const [name, conc] of [
      [`window of ${PEER_CONC} (peer)`, PEER_CONC],
      ['default', null],
    ] as const) {
      const profile = mkdtempSync(join(tmpdir(), 'ferry-bench-catchup-profile-'));
      const ctx = await launch(profile);
      devices.push({ name, conc, profile, ctx });
      const q = conc === null ? '' : `&conc=${conc}`;
      await runPage(ctx, `${base}?mode=signin${q}`);
      step(`device ${name} signed in and synced`);
    }
    // Restarts with nothing new: does storage grow?
    const dev = devices[1] as Device;
    const usages: number[] = [];
    for (let i = 0; i < RESTARTS; i++)
      usages.push((await runPage(dev.ctx, `${base}?mode=restart`)).usage ?? 0);
    for (const d of devices) await d.ctx.close();

    // A week away: the writers write.
    const t0 = Date.now();
    const per = Math.floor(MESSAGES / convs);
    let extra = MESSAGES - per * convs;
    let n = 0;
    const texts = (id: string, mention: boolean) => {
      const count = per + (extra-- > 0 ? 1 : 0);
      plan.expected[id] = count;
      return Array.from({ length: count }, (_, k) =>
        mention && k === count - 1 ? `@${reader.username} ${sentence(n++)}` : sentence(n++),
      );
    };
    await Promise.all(
      dms.map((id, i) => write(dmClients[i] as (typeof dmClients)[number], id, texts(id, false))),
    );
    const batches = channels.map((id, i) => {
      const mention = i % 10 === 0;
      if (mention) plan.first.push(id);
      return texts(id, mention);
    });
    // Several conversations at once, as a team writes (the relay commits them in groups).
    await inWindows(channels.length, WRITERS, (i) =>
      write(ownerOf(i), channels[i] as string, batches[i] as string[]),
    );
    plan.first.push(...dms);
    await Promise.all([...writers, ...dmClients].map(settled));
    const writeMs = Date.now() - t0;
    writeFileSync(join(outDir, 'plan.json'), JSON.stringify(plan));
    // The directory's activity is coalesced by the relay (at most once a second).
    await new Promise((r) => setTimeout(r, 2_000));
    await Promise.all([...writers, ...dmClients].map((c) => c.close()));
    console.error(
      `${convs} conversations: written ${MESSAGES} messages in ${(writeMs / 1000).toFixed(1)} s`,
    );

    // Each device comes back and catches up, one after the other.
    const results: Array<{ name: string; load: string; r: Result }> = [];
    for (const d of devices) {
      d.ctx = await launch(d.profile);
      const q = d.conc === null ? '' : `&conc=${d.conc}`;
      const loadBefore = load();
      const profileAs = process.env.PROFILE ? `${convs}-${d.conc ?? 'default'}` : null;
      const cpu0 = cpuSeconds(relay.pid);
      const chromium0 = chromiumCpuSeconds(d.profile);
      const r = await runPage(d.ctx, `${base}?mode=catchup${q}`, profileAs);
      r.relayCpu = (cpuSeconds(relay.pid) - cpu0) * 1000;
      // The page's whole cost to the machine: its renderer, and the browser process's IndexedDB.
      r.chromiumCpu = (chromiumCpuSeconds(d.profile) - chromium0) * 1000;
      results.push({ name: d.name, load: `${loadBefore} → ${load()}`, r });
      console.error(`${convs} ${d.name}: ${JSON.stringify(r)}`);
      await d.ctx.close();
    }
    return { convs, results, usages };
  } finally {
    for (const d of devices) {
      await d.ctx.close().catch(() => undefined);
      rmSync(d.profile, { recursive: true, force: true });
    }
    await relay.stop();
  }
}

/**
 * PROFILE=1: a CPU profile of the page while it catches up (Chrome DevTools Protocol), saved
 * to bench/.results/ with the 25 functions of most self time printed (build with MINIFY=0).
 */
async function profile(ctx: BrowserContext, page: Page): Promise<(name: string) => Promise<void>> {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
  await cdp.send('Profiler.start');
  return async (name) => {
    const { profile: p } = await cdp.send('Profiler.stop');
    writeFileSync(join(resultsDir, `catchup-${name}.cpuprofile`), JSON.stringify(p));
    const self = new Map<string, number>();
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const dt = p.timeDeltas ?? [];
    (p.samples ?? []).forEach((id, i) => {
      const n = byId.get(id);
      if (!n) return;
      const f = n.callFrame;
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25);
    console.error(
      `profile ${name}:\n${top.map(([k, v]) => `  ${v.toFixed(0)} ms ${k}`).join('\n')}`,
    );
  };
}

/** Rows for `npm run bench:table`: this client beside the window of 8, per scenario. */
function catchUpFigures(all: Array<{ convs: number; results: Array<{ r: Result }> }>): Figure[] {
  const value = (n: number | undefined) => (n === undefined || n < 0 ? null : n);
  const figures: Figure[] = [];
  for (const s of all) {
    const [peer, ours] = s.results;
    if (!peer || !ours) continue;
    const limit = s.convs >= 1000 ? 3000 : 2000;
    const row = (
      label: string,
      pick: (r: Result) => number | undefined,
      target: string | null,
      max: number | null,
    ): Figure => {
      const ferry = value(pick(ours.r));
      return {
        figure: `${s.convs} conversations, ${MESSAGES} messages: ${label} (ms)`,
        peer: `window of ${PEER_CONC} rooms`,
        peerValue: value(pick(peer.r)),
        ferry,
        target,
        met: max === null ? null : ferry !== null && ferry < max,
        digits: 0,
      };
    };
    figures.push(
      row('DMs and mentions shown right', (r) => r.firstShown, null, null),
      row('everything stored', (r) => r.stored, `< ${limit / 1000} s`, limit),
      row('longest main-thread task', (r) => r.longest ?? 0, '≤ 50 ms', 50.5),
    );
  }
  return figures;
}

const ms = (n: number | undefined) => (n === undefined || n < 0 ? 'never' : `${Math.round(n)} ms`);

async function main(): Promise<void> {
  mkdirSync(resultsDir, { recursive: true });
  await build({
    root: join(here, 'page'),
    base: './',
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', minify: process.env.MINIFY !== '0' },
    // As the app builds it (renderer/vite.config.ts): the search index in a module worker.
    worker: { format: 'es' },
  });
  const all = [];
  console.log(
    `Catch-up benchmark, ${new Date().toISOString()}, ${cpus().length} cores, ${MESSAGES} messages`,
  );
  for (const convs of SCENARIOS) {
    const s = await scenario(convs);
    all.push(s);
    const [peer, ours] = s.results;
    if (!peer || !ours) continue;
    const rows: Array<[string, (r: Result) => string]> = [
      ['rooms synced (socket drops during it)', (r) => `${r.rooms} (${r.drops})`],
      ['DMs + mentions shown right', (r) => `${ms(r.firstShown)} (${r.firstCount})`],
      ['every unread count right', (r) => ms(r.allShown)],
      ['catch-up done (progress gone)', (r) => ms(r.caughtUp)],
      ['everything stored (settled)', (r) => ms(r.stored)],
      ['relay CPU during it', (r) => ms(r.relayCpu)],
      ['Chromium CPU during it (all its processes)', (r) => ms(r.chromiumCpu)],
      ['IndexedDB transactions / requests', (r) => `${r.idbTx} / ${r.idbReq}`],
      ['longest main-thread task', (r) => (r.longest ? ms(r.longest) : 'none ≥ 50 ms')],
      ['tasks ≥ 50 ms (their total)', (r) => `${r.longTasks} (${ms(r.longTotal)})`],
      ['unread sum / expected, wrong', (r) => `${r.unread} / ${r.expected}, ${r.wrong} wrong`],
    ];
    console.log(`\n${convs} conversations, ${MESSAGES} messages while away`);
    console.log(`| metric | ${ours.name} | ${peer.name} |`);
    console.log('| --- | --- | --- |');
    for (const [label, f] of rows) console.log(`| ${label} | ${f(ours.r)} | ${f(peer.r)} |`);
    console.log(`| load average (1/5/15 min, before → after) | ${ours.load} | ${peer.load} |`);
    const u = s.usages;
    if (u.length > 1) {
      const growth = ((u[u.length - 1] as number) - (u[0] as number)) / (u.length - 1);
      console.log(
        `storage.estimate() over ${u.length} restarts with nothing new: ${u.map((x) => Math.round(x / 1024)).join(', ')} KB (${Math.round(growth / 1024)} KB per restart)`,
      );
    }
  }
  console.log(`Load average at the end: ${load()}`);
  recordFigures('catchup', catchUpFigures(all));
  writeFileSync(
    join(resultsDir, 'catchup.json'),
    JSON.stringify({ at: new Date().toISOString(), MESSAGES, all }, null, 2),
  );
}

// Vite's build and the browsers' pipes may keep handles open: the run ends when main does.
main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
