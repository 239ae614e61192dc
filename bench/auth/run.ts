// Auth benchmark: what accounts and enforced authorship (docs/accounts.md) cost the relay.
// Two real relay processes in one run, same machine, same clients, same schema-valid writes:
//   peer:  the relay with --no-auth (no accounts, no update checker, no policy);
//   Ferry: the relay as deployed, accounts on, tokens, every update decoded and checked.
// Prints a table and writes the raw figures as JSON to bench/.results/. Loopback only; every
// wait is bounded; stops by itself.
//
//   npx tsx bench/auth/run.ts [--quick] [--ferry-first]
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { recordMessage } from '../../core/src/model/meta';
import { addMessage, messagesOf } from '../../core/src/model/page';
import { metaRoom, pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { MuxConnection, type WebSocketConstructor } from '../../core/src/protocol/mux-client';
import { cpuSeconds, rssBytes } from '../lib/proc';
import { parseSamples } from '../lib/prom';
import { fmt, percentile, table } from '../lib/stats';

process.setMaxListeners(0);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repoRoot, 'sync-server/src/cli.ts');
const PASSWORD = 'correct horse battery';
const quick = process.argv.includes('--quick');
/** Ferry's relay runs each workload before the peer's, to see what the order does. */
const ferryFirst = process.argv.includes('--ferry-first');
for (const arg of process.argv.slice(2)) {
  if (arg !== '--quick' && arg !== '--ferry-first') {
    console.error(
      `bench/auth: unknown argument "${arg}" (usage: npx tsx bench/auth/run.ts [--quick] [--ferry-first])`,
    );
    process.exit(2);
  }
}
const sizes = {
  writers: 10,
  readers: 10,
  messagesPerWriter: quick ? 40 : 200,
  pacedIntervalMs: 50,
  /** 100 messages/s per writer, 1,000/s in all: busy, but below what the relays can take. */
  fastIntervalMs: 10,
  pageMessages: quick ? 2_000 : 10_000,
  pageBatch: quick ? 500 : 1_000,
  roundTrips: 20,
  logins: quick ? 8 : 24,
  loginConcurrency: 4,
  refreshes: quick ? 20 : 50,
};
// Rate limits raised so the bench measures decoding, checks and storage, not the throttle.
const NO_THROTTLE = [
  'limit-api-address',
  'limit-login-username',
  'limit-api-user',
  'limit-upgrades-address',
  'limit-upgrades-user',
  'limit-updates-user',
  'limit-update-bytes-user',
  'limit-client-ids-user',
  'limit-awareness-user',
  'limit-frames-user',
].flatMap((flag) => [`--${flag}`, '1000000/1000000/s']);

// ---------------------------------------------------------------------------------------------
// Events: everything a wait depends on calls `changed()`; `until` re-checks then.
const waiters = new Set<() => void>();
function changed(): void {
  for (const wake of [...waiters]) wake();
}
async function until(pred: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, 250);
      waiters.add(wake);
    });
  }
}

const nodeId = (): string => newId((n) => new Uint8Array(randomBytes(n)));

// ---------------------------------------------------------------------------------------------
interface Relay {
  proc: ChildProcessWithoutNullStreams;
  pid: number;
  url: string;
  http: string;
  dir: string;
  stop(): Promise<void>;
}

/** `ferry-relay` on port 0 in a temp dir, argon2 at its default (OWASP) cost, log level info. */
async function startRelay(auth: boolean): Promise<Relay> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-auth-'));
  const args = ['--host', '127.0.0.1', '--port', '0', '--data', dir];
  const env: NodeJS.ProcessEnv = { ...process.env, FERRY_LOG_LEVEL: 'info' };
  delete env.FERRY_ARGON2_MEMORY;
  delete env.FERRY_ARGON2_TIME;
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', cli, ...args, ...(auth ? NO_THROTTLE : ['--no-auth'])],
    { cwd: repoRoot, env },
  );
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c: string) => (stderr += c));
  const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
    let buffer = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const l = JSON.parse(text) as Record<string, unknown>;
          if (l.msg === 'listening') resolve(l);
        } catch {
          // not a log line
        }
      }
    });
    void exited.then(() => reject(new Error(`relay exited at start: ${stderr}`)));
    setTimeout(() => reject(new Error('relay did not start in 60 s')), 60_000).unref();
  });
  const port = Number(line.port);
  return {
    proc,
    pid: proc.pid ?? 0,
    url: String(line.url),
    http: `http://127.0.0.1:${port}`,
    dir,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
  user: { id: string };
}

async function api<T>(
  base: string,
  method: string,
  route: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}/api/v1${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function ok<T>(what: string, p: Promise<{ status: number; body: T }>): Promise<T> {
  const r = await p;
  if (r.status !== 200 && r.status !== 201) {
    throw new Error(`${what}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  }
  return r.body;
}

/** A user of the bench: an id, and on the accounts relay a token. */
interface User {
  id: string;
  token: string | null;
}

/** The accounts side of one relay: users and conversations, or plain ids under --no-auth. */
class Accounts {
  private admin: Tokens | null = null;
  private n = 0;
  constructor(
    readonly relay: Relay,
    readonly auth: boolean,
  ) {}

  async setup(): Promise<void> {
    if (!this.auth) return;
    this.admin = await ok(
      'setup',
      api<Tokens>(this.relay.http, 'POST', '/setup', {
        username: 'admin',
        password: PASSWORD,
        displayName: 'Admin',
      }),
    );
  }

  async user(): Promise<User> {
    if (!this.admin) return { id: nodeId(), token: null };
    const username = `user${++this.n}`;
    await ok(
      `create ${username}`,
      api(
        this.relay.http,
        'POST',
        '/admin/users',
        { username, role: 'member', password: PASSWORD, displayName: username },
        this.admin.accessToken,
      ),
    );
    const t = await login(this.relay.http, username);
    return { id: t.user.id, token: t.accessToken };
  }

  async conversation(members: User[]): Promise<string> {
    const id = nodeId();
    if (this.admin) {
      await ok(
        'create conversation',
        api(
          this.relay.http,
          'POST',
          '/conversations',
          { id, kind: 'channel', title: 'Bench', members: members.map((m) => m.id) },
          this.admin.accessToken,
        ),
      );
    }
    return id;
  }
}

function login(base: string, username: string): Promise<Tokens> {
  return ok(
    `login ${username}`,
    api<Tokens>(base, 'POST', '/auth/login', { username, password: PASSWORD }),
  );
}

// ---------------------------------------------------------------------------------------------
interface Client {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** The relay's state vector from its latest sync step 1: what it has durably stored. */
  relayState: Map<number, number>;
}

const muxes: MuxConnection[] = [];
const clients: Client[] = [];

function mux(relay: Relay, u: User): MuxConnection {
  const m = new MuxConnection(`${relay.url}/_mux${u.token ? `?token=${u.token}` : ''}`, {
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    minBackoffMs: 50,
  });
  m.onStatus(changed);
  muxes.push(m);
  return m;
}

/** A stock WebsocketProvider for `room` on a mux connection, with a tap on the relay's acks. */
function open(m: MuxConnection, room: string): Client {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(m.url, room, doc, {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the mux polyfill has the WebSocket surface the provider uses, not its type
    WebSocketPolyfill: m.WebSocketPolyfill as any,
    disableBc: true,
  });
  const c: Client = { doc, provider, relayState: new Map() };
  const sync = provider.messageHandlers[0];
  if (!sync) throw new Error('y-websocket has no sync handler');
  provider.messageHandlers[0] = (encoder, decoder, p, emitSynced, type) => {
    const peek = decoding.clone(decoder);
    if (decoding.readVarUint(peek) === 0) {
      c.relayState = Y.decodeStateVector(decoding.readVarUint8Array(peek));
    }
    sync(encoder, decoder, p, emitSynced, type);
    changed();
  };
  provider.on('sync', changed);
  provider.on('status', changed);
  clients.push(c);
  return c;
}

function stored(c: Client): boolean {
  for (const [id, clock] of Y.decodeStateVector(Y.encodeStateVector(c.doc))) {
    if ((c.relayState.get(id) ?? 0) < clock) return false;
  }
  return true;
}

function closeAll(): void {
  for (const c of clients.splice(0)) {
    c.provider.destroy();
    c.doc.destroy();
  }
  for (const m of muxes.splice(0)) m.destroy();
}

interface Writer {
  user: User;
  clock: Clock;
  page: Client;
  meta: Client;
  period: number;
}

/** One message as the app writes it: on the page, and in the meta document's page index. */
function write(w: Writer, text: string): string {
  const now = Date.now();
  const id = tick(w.clock, now);
  addMessage(w.page.doc, { id, author: w.user.id, text, createdAt: now });
  recordMessage(w.meta.doc, { period: w.period, author: w.user.id, id, text, at: now });
  return id;
}

const lat = (samples: number[]): { p50: number; p95: number; p99: number; n: number } => {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), n: s.length };
};

// ---------------------------------------------------------------------------------------------
// (1) 10 writers x N messages into one channel, 10 readers.
interface FanInPhase {
  latencyMs: ReturnType<typeof lat>;
  delivered: number;
  expected: number;
  seconds: number;
  messagesPerSecond: number;
  relayCpuSeconds: number;
  relayRssMB: number;
  /** Seconds until every writer had written (the bench generates the burst this fast). */
  writeSeconds: number;
  /** Share of the phase this bench process's event loop was busy (20 clients live here). */
  benchBusy: number;
  /** From the relay's /metrics over the phase: y-websocket messages in, updates stored. */
  relayMessagesIn: number;
  relayUpdatesStored: number;
}

/** The relay's counters (Prometheus text), summed over labels: name → value. */
async function counters(relay: Relay): Promise<Map<string, number>> {
  return parseSamples(await (await fetch(`${relay.http}/metrics`)).text());
}

async function fanIn(relay: Relay, auth: boolean): Promise<Record<string, FanInPhase>> {
  const acc = new Accounts(relay, auth);
  await acc.setup();
  const writerUsers: User[] = [];
  const readerUsers: User[] = [];
  for (let i = 0; i < sizes.writers; i++) writerUsers.push(await acc.user());
  for (let i = 0; i < sizes.readers; i++) readerUsers.push(await acc.user());
  const conv = await acc.conversation([...writerUsers, ...readerUsers]);
  const probe = tick(createClock(nodeId()), Date.now());
  const period = periodOfMessage(probe);
  const room = pageRoom(conv, period);
  const writers: Writer[] = writerUsers.map((user) => {
    const m = mux(relay, user);
    return {
      user,
      clock: createClock(nodeId()),
      page: open(m, room),
      meta: open(m, metaRoom(conv)),
      period,
    };
  });
  const readers = readerUsers.map((u) => open(mux(relay, u), room));
  await until(() => clients.every((c) => c.provider.synced), 'all clients synced', 60_000);

  const sentAt = new Map<string, number>();
  let samples: number[] = [];
  let delivered = 0;
  for (const r of readers) {
    messagesOf(r.doc).observe((event) => {
      const t = performance.now();
      for (const key of event.keysChanged) {
        const t0 = sentAt.get(key);
        if (t0 === undefined) continue;
        samples.push(t - t0);
        delivered++;
      }
      changed();
    });
  }

  const phase = async (label: string, intervalMs: number): Promise<FanInPhase> => {
    samples = [];
    delivered = 0;
    sentAt.clear();
    const expected = sizes.writers * sizes.messagesPerWriter * sizes.readers;
    const c0 = await counters(relay);
    const cpu0 = cpuSeconds(relay.pid);
    const elu0 = performance.eventLoopUtilization();
    const t0 = performance.now();
    let written = 0;
    await Promise.all(
      writers.map(async (w, wi) => {
        const start = performance.now();
        for (let i = 0; i < sizes.messagesPerWriter; i++) {
          if (intervalMs > 0) {
            // Paced: message i leaves at start + i * interval (writers are offset by a fraction).
            const due = start + (wi * intervalMs) / sizes.writers + i * intervalMs;
            const wait = due - performance.now();
            if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          } else {
            await yieldTurn();
          }
          const now = performance.now();
          const id = write(w, `${label} ${wi}/${i}`);
          sentAt.set(id, now);
        }
      }),
    ).then(() => (written = performance.now()));
    await until(() => delivered >= expected, `${label}: all deliveries`, 60_000);
    const seconds = (performance.now() - t0) / 1000;
    const benchBusy = performance.eventLoopUtilization(elu0).utilization;
    const c1 = await counters(relay);
    const delta = (name: string) => (c1.get(name) ?? 0) - (c0.get(name) ?? 0);
    return {
      latencyMs: lat(samples),
      delivered,
      expected,
      seconds,
      messagesPerSecond: (sizes.writers * sizes.messagesPerWriter) / seconds,
      relayCpuSeconds: cpuSeconds(relay.pid) - cpu0,
      relayRssMB: rssBytes(relay.pid) / 1024 / 1024,
      writeSeconds: (written - t0) / 1000,
      benchBusy,
      relayMessagesIn: delta('ferry_messages_received_total'),
      relayUpdatesStored: delta('ferry_updates_total'),
    };
  };
  const paced = await phase('paced', sizes.pacedIntervalMs);
  const fast = await phase('fast', sizes.fastIntervalMs);
  const burst = await phase('burst', 0);
  closeAll();
  return { paced, fast, burst };
}

// ---------------------------------------------------------------------------------------------
// (2) One writer filling one page: relay CPU per message as the page grows, and the write →
// durable-ack round trip at each size.
interface PageStep {
  pageSize: number;
  relayCpuMicrosPerMessage: number;
  batchSeconds: number;
  roundTripMs: ReturnType<typeof lat>;
}

async function growPage(relay: Relay, auth: boolean): Promise<PageStep[]> {
  const acc = new Accounts(relay, auth);
  await acc.setup();
  const user = await acc.user();
  const conv = await acc.conversation([user]);
  const clock = createClock(nodeId());
  const period = periodOfMessage(tick(createClock(nodeId()), Date.now()));
  const m = mux(relay, user);
  const w: Writer = {
    user,
    clock,
    page: open(m, pageRoom(conv, period)),
    meta: open(m, metaRoom(conv)),
    period,
  };
  await until(() => w.page.provider.synced && w.meta.provider.synced, 'writer synced', 60_000);
  const steps: PageStep[] = [];
  let size = 0;
  const roundTrips = async (): Promise<ReturnType<typeof lat>> => {
    const s: number[] = [];
    for (let i = 0; i < sizes.roundTrips; i++) {
      const t0 = performance.now();
      write(w, `round trip ${i}`);
      await until(() => stored(w.page), 'round-trip ack', 30_000);
      s.push(performance.now() - t0);
      size++;
    }
    return lat(s);
  };
  while (size < sizes.pageMessages) {
    const cpu0 = cpuSeconds(relay.pid);
    const t0 = performance.now();
    for (let i = 0; i < sizes.pageBatch; i++) {
      write(w, `page message ${size + i}`);
      if (i % 10 === 9) await yieldTurn();
    }
    await until(() => stored(w.page), 'batch stored', 60_000);
    const batchSeconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(relay.pid) - cpu0;
    size += sizes.pageBatch;
    steps.push({
      pageSize: size,
      relayCpuMicrosPerMessage: (cpu * 1e6) / sizes.pageBatch,
      batchSeconds,
      roundTripMs: await roundTrips(),
    });
  }
  closeAll();
  return steps;
}

// ---------------------------------------------------------------------------------------------
// (3) Sign-in: argon2id at the relay's default cost. Accounts relay only (the peer has none).
interface SignIn {
  loginMs: ReturnType<typeof lat>;
  loginsPerSecond: number;
  concurrency: number;
  refreshMs: ReturnType<typeof lat>;
  relayCpuSecondsPerLogin: number;
}

async function signIn(relay: Relay): Promise<SignIn> {
  const acc = new Accounts(relay, true);
  await acc.setup();
  await acc.user(); // user1
  const seq: number[] = [];
  const cpu0 = cpuSeconds(relay.pid);
  for (let i = 0; i < sizes.logins; i++) {
    const t0 = performance.now();
    await login(relay.http, 'user1');
    seq.push(performance.now() - t0);
  }
  const relayCpuSecondsPerLogin = (cpuSeconds(relay.pid) - cpu0) / sizes.logins;
  let left = sizes.logins;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: sizes.loginConcurrency }, async () => {
      while (left-- > 0) await login(relay.http, 'user1');
    }),
  );
  const loginsPerSecond = sizes.logins / ((performance.now() - t0) / 1000);
  let tokens = await login(relay.http, 'user1');
  const refresh: number[] = [];
  for (let i = 0; i < sizes.refreshes; i++) {
    const t1 = performance.now();
    tokens = await ok(
      'refresh',
      api<Tokens>(relay.http, 'POST', '/auth/refresh', { refreshToken: tokens.refreshToken }),
    );
    refresh.push(performance.now() - t1);
  }
  return {
    loginMs: lat(seq),
    loginsPerSecond,
    concurrency: sizes.loginConcurrency,
    refreshMs: lat(refresh),
    relayCpuSecondsPerLogin,
  };
}

// ---------------------------------------------------------------------------------------------
async function withRelay<T>(auth: boolean, run: (r: Relay) => Promise<T>): Promise<T> {
  const relay = await startRelay(auth);
  try {
    return await run(relay);
  } finally {
    closeAll();
    await relay.stop();
  }
}

const KINDS = [
  { name: 'peer --no-auth', auth: false },
  { name: 'Ferry (accounts)', auth: true },
];
const results: Record<
  string,
  { fanIn?: Record<string, FanInPhase>; page?: PageStep[]; signIn?: SignIn; error?: string }
> = {};
for (const k of KINDS) results[k.name] = {};
const load = [os.loadavg()];

// Relays take turns per workload, each workload on a fresh relay.
for (const [label, step] of [
  [
    'fan-in',
    async (k: (typeof KINDS)[number]) => {
      const r = results[k.name];
      if (r) r.fanIn = await withRelay(k.auth, (relay) => fanIn(relay, k.auth));
    },
  ],
  [
    'page growth',
    async (k: (typeof KINDS)[number]) => {
      const r = results[k.name];
      if (r) r.page = await withRelay(k.auth, (relay) => growPage(relay, k.auth));
    },
  ],
] as const) {
  for (const k of ferryFirst ? [...KINDS].reverse() : KINDS) {
    console.log(`-- ${k.name}: ${label}`);
    try {
      await step(k);
    } catch (e) {
      const r = results[k.name];
      if (r) r.error = `${label}: ${e instanceof Error ? e.message : String(e)}`;
      console.log(`-- ${k.name}: failed: ${r?.error}`);
    }
    load.push(os.loadavg());
  }
}
console.log('-- Ferry (accounts): sign-in');
const ferryName = KINDS[1]?.name ?? '';
try {
  const r = results[ferryName];
  if (r) r.signIn = await withRelay(true, signIn);
} catch (e) {
  const r = results[ferryName];
  if (r) r.error = `sign-in: ${e instanceof Error ? e.message : String(e)}`;
  console.log(`-- failed: ${r?.error}`);
}
load.push(os.loadavg());

// ---------------------------------------------------------------------------------------------
const names = KINDS.map((k) => k.name);
const rows: string[][] = [];
const row = (label: string, value: (name: string) => number | undefined, digits = 1): void => {
  rows.push([label, ...names.map((n) => fmt(value(n) ?? Number.NaN, digits))]);
};
const W = sizes.writers * sizes.messagesPerWriter;
for (const ph of ['paced', 'fast', 'burst'] as const) {
  const f = (n: string): FanInPhase | undefined => results[n]?.fanIn?.[ph];
  const rate = (ms: number) => `paced ${1000 / ms}/s/writer`;
  const kind =
    ph === 'paced'
      ? rate(sizes.pacedIntervalMs)
      : ph === 'fast'
        ? rate(sizes.fastIntervalMs)
        : 'burst';
  const head = `${kind} ${sizes.writers}w x ${sizes.messagesPerWriter} -> ${sizes.readers}r`;
  row(`${head}: latency p50 ms`, (n) => f(n)?.latencyMs.p50, 2);
  row(`${head}: latency p95 ms`, (n) => f(n)?.latencyMs.p95, 2);
  row(`${head}: latency p99 ms`, (n) => f(n)?.latencyMs.p99, 2);
  row(`${head}: messages/s (${W} msgs)`, (n) => f(n)?.messagesPerSecond, 0);
  row(`${head}: relay CPU s`, (n) => f(n)?.relayCpuSeconds, 2);
  row(`${head}: relay RSS MB after`, (n) => f(n)?.relayRssMB, 1);
  row(`${head}: s until all written`, (n) => f(n)?.writeSeconds, 2);
  row(`${head}: bench event loop busy %`, (n) => (f(n)?.benchBusy ?? NaN) * 100, 0);
  row(`${head}: relay messages in`, (n) => f(n)?.relayMessagesIn, 0);
  row(`${head}: relay updates stored`, (n) => f(n)?.relayUpdatesStored, 0);
}
const pageAt = (n: string, i: number): PageStep | undefined => {
  const steps = results[n]?.page ?? [];
  return i < 0 ? steps[steps.length + i] : steps[i];
};
const lastSize = sizes.pageMessages;
for (const [i, what] of [
  [0, `0-${sizes.pageBatch}`],
  [Math.floor(sizes.pageMessages / sizes.pageBatch / 2) - 1, 'middle'],
  [-1, `${lastSize - sizes.pageBatch}-${lastSize}`],
] as const) {
  const size = (n: string): number | undefined => pageAt(n, i)?.pageSize;
  const label =
    what === 'middle'
      ? `${(size(names[0] ?? '') ?? 0) - sizes.pageBatch}-${size(names[0] ?? '') ?? 0}`
      : what;
  row(`page ${label} msgs: relay CPU us/msg`, (n) => pageAt(n, i)?.relayCpuMicrosPerMessage, 0);
  row(
    `page at ${size(names[0] ?? '') ?? '?'}: write->ack p50 ms`,
    (n) => pageAt(n, i)?.roundTripMs.p50,
    2,
  );
}
const s = results[ferryName]?.signIn;
const only = (label: string, v: number | undefined, digits = 1): void => {
  rows.push([label, 'n/a (no accounts)', fmt(v ?? Number.NaN, digits)]);
};
only('sign-in (argon2id OWASP) p50 ms', s?.loginMs.p50);
only('sign-in p95 ms', s?.loginMs.p95);
only(`sign-ins/s, ${sizes.loginConcurrency} concurrent`, s?.loginsPerSecond, 1);
only('relay CPU ms per sign-in', s && s.relayCpuSecondsPerLogin * 1000, 1);
only('refresh p50 ms', s?.refreshMs.p50, 2);
only('refresh p95 ms', s?.refreshMs.p95, 2);

console.log('');
console.log(
  `Auth benchmark${quick ? ' (--quick: smaller sizes)' : ''}, ${new Date().toISOString()}`,
);
console.log(
  `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`,
);
console.log(
  `load average (1 min) during the run: ${load.map((l) => fmt(l[0] ?? NaN, 2)).join(', ')}`,
);
console.log('  peer --no-auth: the same relay, no accounts, no update checks (loopback only)');
console.log(
  '  Ferry (accounts): tokens, clientID binding, update checker + policy; rate limits raised',
);
console.log('');
console.log(table(['figure', ...names], rows));
for (const [name, r] of Object.entries(results))
  if (r.error) console.log(`\n${name} failed: ${r.error}`);

const outDir = path.join(repoRoot, 'bench/.results');
mkdirSync(outDir, { recursive: true });
const outFile = path.join(outDir, `auth-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(outFile, JSON.stringify({ quick, ferryFirst, sizes, load, results }, null, 2));
console.log(`\nraw figures: ${path.relative(repoRoot, outFile)}`);
process.exit(Object.values(results).some((r) => r.error) ? 1 : 0);
