// Search benchmark (issue 5): Ferry's search engine (renderer/src/search, FlexSearch underneath)
// over 200k generated chat messages, against two peers in the same run on the same messages:
// a linear scan (lowercased `includes`, texts lowercased once up front) and MiniSearch 7.2.0.
// Persistence runs against fake-indexeddb under Node (an in-memory IndexedDB): its times show
// our serialisation and restore work, not a disk; the size is V8's structured-serialisation
// size of every record, which is what Chromium's IndexedDB stores.
//
//   npm run bench:search                          # 200k messages, 50 conversations
//   MESSAGES=20000 npm run bench:search           # quick
//   PEERS=scan npm run bench:search               # skip MiniSearch
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { serialize } from 'node:v8';
import { IDBFactory } from 'fake-indexeddb';
import MiniSearch from 'minisearch';
import { SearchEngine, type EngineQuery, type SearchDoc } from '../../renderer/src/search/engine';
import { SearchHost } from '../../renderer/src/search/host';
import { SearchStore } from '../../renderer/src/search/store';
import type { Request, Response } from '../../renderer/src/search/protocol';
import { parseQuery } from '../../renderer/src/search/query';
import { fold, terms } from '../../renderer/src/search/text';
import { fmt, percentile, table } from '../lib/stats';
import { generateCorpus, type Corpus } from './corpus';
import { queryMix, type Case } from './queries';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MESSAGES = env('MESSAGES', 200_000);
const CONVS = env('CONVS', 50);
const QUERIES = env('QUERIES', 100);
const PEERS = (process.env.PEERS ?? 'scan,minisearch').split(',');
const resultsDir = fileURLToPath(new URL('../.results/', import.meta.url));
const WEEK = 7 * 86_400_000;

const gc = (globalThis as { gc?: () => void }).gc;
function heap(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}
const mb = (b: number) => `${fmt(b / 1e6)} MB`;
const ms = (t: number) => `${fmt(t, t < 10 ? 2 : 0)} ms`;

// ---- Ferry ----

function toEngineQuery(c: Corpus, text: string): EngineQuery {
  const p = parseQuery(text);
  const users = new Map(c.authors.map((a) => [a.username, a.id]));
  const convs = new Map(c.conversations.map((x) => [x.title, x.id]));
  return {
    terms: p.words.flatMap((w) => terms(w)),
    phrases: p.phrases.map((x) => terms(x)),
    prefixLast: p.prefixLast,
    authors: p.from.length ? p.from.map((n) => users.get(n) ?? '') : null,
    authorNames: null,
    convIds: p.in.length ? p.in.map((n) => convs.get(n) ?? '') : null,
    since: p.since,
    until: p.until,
    limit: 50,
  };
}

// ---- peers ----

/** The plain approach: every message, lowercased once, scanned with `includes` per query. */
function scanPeer(c: Corpus) {
  const lower = c.messages.map((m) => m.text.toLowerCase());
  return (text: string) => {
    const p = parseQuery(text);
    const words = p.words.flatMap((w) => w.toLowerCase().split(/\s+/)).filter(Boolean);
    const users = new Set(p.from.map((n) => c.authors.find((a) => a.username === n)?.id));
    const convs = new Set(p.in.map((n) => c.conversations.find((x) => x.title === n)?.id));
    const found: number[] = [];
    for (let i = 0; i < lower.length; i++) {
      const m = c.messages[i] as Corpus['messages'][0];
      if (p.from.length && !users.has(m.author)) continue;
      if (p.in.length && !convs.has(m.convId)) continue;
      if (p.since !== null && m.at < p.since) continue;
      if (p.until !== null && m.at >= p.until) continue;
      const t = lower[i] as string;
      if (words.every((w) => t.includes(w))) found.push(i);
    }
    // Newest first, top 50: a scan has no relevance.
    found.sort((a, b) => (c.messages[b]?.at ?? 0) - (c.messages[a]?.at ?? 0));
    return found.slice(0, 50).length;
  };
}

function miniSearchPeer(c: Corpus) {
  const ms = new MiniSearch<Corpus['messages'][0]>({
    fields: ['text'],
    storeFields: [],
    tokenize: (s) => s.match(/[\p{L}\p{N}\p{M}]+/gu) ?? [],
    processTerm: (t) => fold(t),
  });
  ms.addAll(c.messages);
  const byId = new Map(c.messages.map((m) => [m.id, m]));
  const search = (text: string) => {
    const p = parseQuery(text);
    const q = p.words.join(' ');
    const users = new Set(p.from.map((n) => c.authors.find((a) => a.username === n)?.id));
    const convs = new Set(p.in.map((n) => c.conversations.find((x) => x.title === n)?.id));
    const res = ms.search(q, {
      combineWith: 'AND',
      prefix: (_t, i, all) => p.prefixLast && i === all.length - 1,
      fuzzy: (t) => (t.length >= 5 ? 1 : false),
      filter: (r) => {
        const m = byId.get(r.id as string) as Corpus['messages'][0];
        if (p.from.length && !users.has(m.author)) return false;
        if (p.in.length && !convs.has(m.convId)) return false;
        if (p.since !== null && m.at < p.since) return false;
        if (p.until !== null && m.at >= p.until) return false;
        return true;
      },
    });
    return res.slice(0, 50).length;
  };
  return { ms, search };
}

type Runner = (text: string) => unknown;

function summary(samples: Map<string, number[]>) {
  const sum = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return {
      p50: percentile(s, 50),
      p95: percentile(s, 95),
      p99: percentile(s, 99),
      max: s[s.length - 1] ?? NaN,
    };
  };
  return {
    all: sum([...samples.values()].flat()),
    kinds: Object.fromEntries([...samples].map(([k, v]) => [k, sum(v)])),
  };
}

/**
 * Times every case on every engine, interleaved (case by case, the engines in a rotating
 * order), so a burst of load from elsewhere on the machine hits all of them alike.
 */
function measureAll(cases: Case[], runners: Record<string, Runner>) {
  const names = Object.keys(runners);
  for (const c of cases.slice(0, 12)) for (const n of names) runners[n]?.(c.text); // JIT warm-up
  const samples = Object.fromEntries(names.map((n) => [n, new Map<string, number[]>()]));
  cases.forEach((c, i) => {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length] as string;
      const t = performance.now();
      runners[name]?.(c.text);
      const d = performance.now() - t;
      const byKind = samples[name] as Map<string, number[]>;
      if (!byKind.has(c.kind)) byKind.set(c.kind, []);
      byKind.get(c.kind)?.push(d);
    }
  });
  return Object.fromEntries(names.map((n) => [n, summary(samples[n] as Map<string, number[]>)]));
}
type Measured = ReturnType<typeof summary>;

// ---- persistence through the real host and store ----

async function persistence(docsByRoom: Map<string, SearchDoc[]>) {
  const idb = new IDBFactory();
  const host = new SearchHost({ indexedDB: idb, flushDelayMs: 1e9 });
  let id = 0;
  type NoId<T> = T extends unknown ? Omit<T, 'id'> : never;
  const call = (req: NoId<Request>) =>
    new Promise<unknown>((resolve, reject) =>
      host.handle({ ...req, id: ++id } as Request, (r: Response) =>
        r.ok ? resolve(r.value) : reject(new Error(`${r.error.code}: ${r.error.message}`)),
      ),
    );
  await call({ type: 'init', dbName: 'bench-search' });
  const t0 = performance.now();
  for (const [room, docs] of docsByRoom) {
    await call({ type: 'indexPage', convId: docs[0]?.convId ?? '', room, docs, mark: 1 });
  }
  const build = performance.now() - t0;
  const t1 = performance.now();
  await call({ type: 'flush', snapshot: true });
  const save = performance.now() - t1;
  await call({ type: 'close' });

  // Size: read every record back and measure its structured serialisation.
  const { store, loaded } = await SearchStore.open(idb, 'bench-search');
  store.close();
  const snapshotBytes = loaded.snapshot ? serialize(loaded.snapshot).length : 0;
  let segmentBytes = 0;
  for (const [, rows] of loaded.segments) segmentBytes += serialize(rows).length;

  // Restart: open, read, restore (the whole `init` of a worker).
  const h0 = heap();
  const restart = new SearchHost({ indexedDB: idb, flushDelayMs: 1e9 });
  const t2 = performance.now();
  type Info = { docs: number; fromSnapshot: boolean };
  const info = await new Promise<Info>((resolve) =>
    restart.handle({ id: 1, type: 'init', dbName: 'bench-search' }, (r) =>
      resolve(r.ok ? (r.value as Info) : { docs: -1, fromSnapshot: false }),
    ),
  );
  const load = performance.now() - t2;
  const heapAfterLoad = heap() - h0;

  // An incremental update: one page changed while offline, re-indexed and flushed; three
  // times (another message edited each time), the median.
  const [room, docs] = [...docsByRoom][Math.floor(docsByRoom.size / 2)] as [string, SearchDoc[]];
  const rounds: number[] = [];
  for (let k = 0; k < 3; k++) {
    const edited = docs.map((d, i) => (i === k ? { ...d, text: `${d.text} edited` } : d));
    const t3 = performance.now();
    await new Promise((resolve) =>
      restart.handle(
        {
          id: 10 + 2 * k,
          type: 'indexPage',
          convId: docs[0]?.convId ?? '',
          room,
          docs: edited,
          mark: 2 + k,
        },
        resolve,
      ),
    );
    await new Promise((resolve) =>
      restart.handle({ id: 11 + 2 * k, type: 'flush', snapshot: false }, resolve),
    );
    rounds.push(performance.now() - t3);
  }
  const incremental = [...rounds].sort((x, y) => x - y)[1] as number;
  await new Promise((resolve) => restart.handle({ id: 99, type: 'close' }, resolve));
  return {
    build,
    save,
    snapshotBytes,
    segmentBytes,
    load,
    heapAfterLoad,
    loadedDocs: info.docs,
    fromSnapshot: info.fromSnapshot,
    incremental,
    pageSize: docs.length,
  };
}

async function main() {
  console.log(
    `search bench: ${MESSAGES.toLocaleString('en-US')} messages, ${CONVS} conversations; ` +
      `${cpus().length} CPU, load ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')}, Node ${process.version}` +
      (gc ? '' : ' (no --expose-gc: heap figures include garbage)'),
  );
  const tg = performance.now();
  const corpus = generateCorpus({ messages: MESSAGES, conversations: CONVS });
  const textBytes = corpus.messages.reduce((s, m) => s + m.text.length, 0);
  console.log(`generated in ${ms(performance.now() - tg)}; ${mb(textBytes)} of text`);
  const docs: SearchDoc[] = corpus.messages.map((m) => ({
    ...m,
    room: `${m.convId}/${Math.floor(m.at / WEEK)}`,
  }));
  const cases = queryMix(corpus, QUERIES);

  // Ferry: build in memory, heap, queries.
  let h0 = heap();
  let t = performance.now();
  const engine = new SearchEngine();
  for (const d of docs) engine.upsert(d);
  const ferryBuild = performance.now() - t;
  const ferryHeap = heap() - h0;
  const hitCounts = Object.fromEntries(
    ['meeting ', 'deploy server ', 'caf', 'zurch '].map((q) => [
      q.trim(),
      engine.query(toEngineQuery(corpus, q)).total,
    ]),
  );
  console.log(
    `Ferry built in ${ms(ferryBuild)}, heap ${mb(ferryHeap)}; sample totals ${JSON.stringify(hitCounts)}`,
  );

  const runners: Record<string, Runner> = {
    ferry: (text) => engine.query(toEngineQuery(corpus, text)),
  };
  const built: Record<string, { build: number; heap: number }> = {};
  if (PEERS.includes('scan')) {
    h0 = heap();
    t = performance.now();
    runners.scan = scanPeer(corpus);
    built.scan = { build: performance.now() - t, heap: heap() - h0 };
  }
  if (PEERS.includes('minisearch')) {
    h0 = heap();
    t = performance.now();
    runners.minisearch = miniSearchPeer(corpus).search;
    built.minisearch = { build: performance.now() - t, heap: heap() - h0 };
  }
  const measured = measureAll(cases, runners);
  const ferry = measured.ferry as Measured;
  const peers: Record<string, { build: number; heap: number; q: Measured }> = {};
  for (const [name, b] of Object.entries(built))
    peers[name] = { ...b, q: measured[name] as Measured };

  const byRoom = new Map<string, SearchDoc[]>();
  for (const d of docs) {
    const room = d.room as string;
    if (!byRoom.has(room)) byRoom.set(room, []);
    byRoom.get(room)?.push(d);
  }
  const persist = await persistence(byRoom);

  const cols = ['scan', 'minisearch'].filter((p) => peers[p]);
  const colName: Record<string, string> = { scan: 'linear scan', minisearch: 'MiniSearch 7.2.0' };
  const rows: string[][] = [];
  const row = (label: string, f: (q: Measured) => string) =>
    rows.push([label, f(ferry), ...cols.map((p) => f((peers[p] as { q: Measured }).q))]);
  row(
    'all queries p50 / p95 / p99',
    (q) => `${ms(q.all.p50)} / ${ms(q.all.p95)} / ${ms(q.all.p99)}`,
  );
  for (const kind of Object.keys(ferry.kinds))
    row(
      `  ${kind} p50 / p99`,
      (q) => `${ms(q.kinds[kind]?.p50 ?? NaN)} / ${ms(q.kinds[kind]?.p99 ?? NaN)}`,
    );
  rows.push(['build in memory', ms(ferryBuild), ...cols.map((p) => ms(peers[p]?.build ?? NaN))]);
  rows.push(['heap retained', mb(ferryHeap), ...cols.map((p) => mb(peers[p]?.heap ?? NaN))]);
  console.log(`\nqueries: ${cases.length} (${QUERIES} of each kind), top 50`);
  console.log(table(['figure', 'Ferry', ...cols.map((p) => colName[p] as string)], rows));
  console.log('\npersistence (fake-indexeddb under Node):');
  console.log(
    table(
      ['figure', 'Ferry'],
      [
        ['first start: index every page (indexPage × rooms)', ms(persist.build)],
        ['write it (one transaction, with snapshot)', ms(persist.save)],
        ['stored: snapshot + rows', `${mb(persist.snapshotBytes)} + ${mb(persist.segmentBytes)}`],
        [
          'restart: open, read, restore',
          `${ms(persist.load)} (${persist.loadedDocs} docs, snapshot: ${persist.fromSnapshot})`,
        ],
        ['heap after restart', mb(persist.heapAfterLoad)],
        [
          `one changed page (${persist.pageSize} messages) re-indexed and written`,
          ms(persist.incremental),
        ],
      ],
    ),
  );
  mkdirSync(resultsDir, { recursive: true });
  const out = {
    at: new Date().toISOString(),
    messages: MESSAGES,
    conversations: CONVS,
    textBytes,
    load: loadavg(),
    ferry: { build: ferryBuild, heap: ferryHeap, queries: ferry },
    peers,
    persistence: persist,
  };
  writeFileSync(`${resultsDir}search.json`, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nwrote ${resultsDir}search.json`);
}

await main();
