// The catch-up benchmark's page: the real renderer data layer (browserBackend, the signed-in
// client over the authenticated mux) in Chromium, served by the relay itself (`--web`), so it
// talks to the relay the way the web client does. Driven by bench/catchup/run.ts.
//   ?mode=signin   sign in, sync everything, close (the device before it goes away)
//   ?mode=catchup  restore the kept session and catch up; times, long tasks, unread check
//   ?mode=restart  restore, settle, close (storage growth across restarts)
// `&conc=N`: rooms synced at once (the peer: 8, the window before issue 16). Result in
// `window.__bench`.
import { browserBackend } from '../../../renderer/src/data/browser-backend';
import type { ConversationSummary, FerryClient, SyncStatus } from '../../../renderer/src/data/api';

/** The client's own surface the benchmark waits on (client.ts has it; FerryClient does not). */
type BenchClient = FerryClient & {
  idle(): Promise<void>;
  whenSettled(timeoutMs?: number): Promise<void>;
};

declare global {
  interface Window {
    __bench?: unknown;
    /** `&wait=1`: set once the page waits for the driver (PROFILE=1 starts its profiler). */
    __waiting?: boolean;
    __go?: () => void;
  }
}

interface Plan {
  serverUrl: string;
  username: string;
  password: string;
  /** Conversation id → messages written while this device was away. */
  expected: Record<string, number>;
  /** The conversations the person looks at first (DMs, mentions). */
  first: string[];
}

const params = new URLSearchParams(location.search);
const mode = params.get('mode') ?? 'catchup';
const conc = params.has('conc') ? Number(params.get('conc')) : undefined;

const longTasks: Array<{ start: number; duration: number }> = [];
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch {
  // no Long Tasks API: reported as none
}

/**
 * IndexedDB transactions and requests the page starts, counted (every database of the origin):
 * the cost a catch-up puts on the browser process is per request, and this says how many.
 */
const idb = { tx: 0, req: 0 };
{
  const transaction = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (
    this: IDBDatabase,
    ...args: Parameters<typeof transaction>
  ) {
    idb.tx++;
    return transaction.apply(this, args);
  };
  const proto = IDBObjectStore.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of [
    'add',
    'put',
    'get',
    'getAll',
    'getAllKeys',
    'getKey',
    'delete',
    'clear',
    'count',
    'openCursor',
    'openKeyCursor',
  ]) {
    const method = proto[name];
    if (typeof method !== 'function') continue;
    proto[name] = function (this: unknown, ...a: unknown[]) {
      idb.req++;
      return method.apply(this, a);
    };
  }
}

const backend = () =>
  browserBackend({
    indexedDB,
    WebSocket,
    events: window,
    online: true,
    device: 'catch-up bench',
    ...(conc === undefined ? {} : { catchUpConcurrency: conc }),
  });

function current<T>(observe: (l: (v: T) => void) => () => void): T {
  let value: T | undefined;
  observe((v) => (value = v))();
  return value as T;
}

async function usage(): Promise<number> {
  return (await navigator.storage.estimate()).usage ?? 0;
}

async function settle(client: BenchClient): Promise<void> {
  await client.idle();
  await client.whenSettled(120_000);
  await client.idle();
}

async function signin(plan: Plan): Promise<Record<string, number>> {
  const r = await backend().signIn({
    serverUrl: plan.serverUrl,
    username: plan.username,
    password: plan.password,
  });
  if (!r.ok) throw new Error(`sign-in: ${r.code} ${r.message}`);
  const client = r.client as BenchClient;
  const n = Object.keys(plan.expected).length;
  await new Promise<void>((resolve) => {
    const off = client.conversations((l) => {
      if (l.length >= n) {
        queueMicrotask(() => off());
        resolve();
      }
    });
  });
  await settle(client);
  await client.close();
  return { usage: await usage() };
}

async function restart(): Promise<Record<string, number>> {
  const client = (await backend().restore()) as BenchClient | null;
  if (!client) throw new Error('no kept session');
  await new Promise<void>((resolve) => {
    const off = client.sync((s) => {
      if (s.connection === 'online') {
        queueMicrotask(() => off());
        resolve();
      }
    });
  });
  await settle(client);
  await client.close();
  return { usage: await usage() };
}

async function catchup(plan: Plan): Promise<Record<string, number>> {
  const before = await usage();
  const ids = Object.keys(plan.expected);
  const first = new Set(plan.first);
  const t0 = performance.now();
  let firstDone = 0;
  let allShown = 0;
  let caughtUp = 0;
  let started = 0;
  let drops = 0;
  let lastConnection = '';
  const idb0 = { ...idb };
  const client = (await backend().restore()) as BenchClient | null;
  if (!client) throw new Error('no kept session');
  const check = (list: ConversationSummary[]) => {
    const by = new Map(list.map((s) => [s.id, s]));
    const ok = (id: string) => (by.get(id)?.unread ?? -1) === plan.expected[id];
    const now = performance.now() - t0;
    if (!firstDone && plan.first.every(ok)) firstDone = now;
    if (!allShown && ids.every(ok)) allShown = now;
  };
  const offList = client.conversations(check);
  const done = new Promise<void>((resolve) => {
    const off = client.sync((s: SyncStatus) => {
      if (lastConnection === 'online' && s.connection !== 'online') drops++;
      lastConnection = s.connection;
      if (s.catchUp && !started) started = performance.now() - t0;
      if (started && !s.catchUp) {
        caughtUp = performance.now() - t0;
        queueMicrotask(() => off());
        resolve();
      }
    });
  });
  await done;
  await settle(client);
  const stored = performance.now() - t0;
  const idbTx = idb.tx - idb0.tx;
  const idbReq = idb.req - idb0.req;
  // The unread check after everything settled: every conversation, its exact count.
  const list = current(client.conversations);
  offList();
  let wrong = 0;
  let unread = 0;
  let expected = 0;
  for (const id of ids) {
    const s = list.find((x) => x.id === id);
    unread += s?.unread ?? 0;
    expected += plan.expected[id] ?? 0;
    if ((s?.unread ?? -1) !== plan.expected[id]) wrong++;
  }
  const during = longTasks.filter((t) => t.start >= t0 && t.start < t0 + stored);
  const rooms = (client as unknown as { lastCatchUp: readonly string[] }).lastCatchUp.length;
  await client.close();
  return {
    started,
    firstShown: firstDone || -1,
    firstCount: first.size,
    allShown: allShown || -1,
    caughtUp,
    stored,
    rooms,
    drops,
    longest: during.reduce((m, t) => Math.max(m, t.duration), 0),
    longTasks: during.length,
    longTotal: during.reduce((m, t) => m + t.duration, 0),
    unread,
    expected,
    wrong,
    usageBefore: before,
    usage: await usage(),
    idbTx,
    idbReq,
  };
}

async function main(): Promise<void> {
  // The driver starts the CPU profiler in this page's own process, then lets it go.
  if (params.has('wait')) {
    await new Promise<void>((resolve) => {
      window.__go = resolve;
      window.__waiting = true;
    });
  }
  const plan = (await (await fetch('./plan.json', { cache: 'no-store' })).json()) as Plan;
  if (mode === 'signin') window.__bench = await signin(plan);
  else if (mode === 'restart') window.__bench = await restart();
  else window.__bench = await catchup(plan);
}

main().catch((e: unknown) => {
  window.__bench = { error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) };
});
