// The search benchmark's page (built by Vite, driven by bench/search/chromium.ts): the real
// createSearch() with its Web Worker and Chromium's IndexedDB. `?mode=seed` indexes the corpus
// page by page and flushes; `?mode=restart` (after a browser restart) loads the saved index.
// Both then run the query mix through the worker. The result is left in `window.__bench`.
import { createSearch, type Result } from '../../../renderer/src/search/index';
import { generateCorpus } from '../corpus';
import { queryMix } from '../queries';

declare global {
  interface Window {
    __bench?: unknown;
  }
}

const params = new URLSearchParams(location.search);
const mode = params.get('mode') ?? 'seed';
const MESSAGES = Number(params.get('messages') ?? 200_000);
const PER_KIND = Number(params.get('queries') ?? 100);
const WEEK = 7 * 86_400_000;

function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1] ?? NaN;
};

async function main(): Promise<Record<string, number>> {
  const corpus = generateCorpus({ messages: MESSAGES });
  const users = new Map(corpus.authors.map((a) => [a.username, a.id]));
  const convs = new Map(corpus.conversations.map((c) => [c.title, c.id]));
  // Long tasks are reported asynchronously: count only those that started after `since`.
  let longest = 0;
  let since = Infinity;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries())
      if (e.startTime >= since) longest = Math.max(longest, e.duration);
  }).observe({ type: 'longtask' });

  const t0 = performance.now();
  const search = createSearch({
    dbName: 'ferry-search-bench',
    worker: true,
    resolveUser: (n) => (users.has(n) ? [users.get(n) as string] : []),
    resolveConversation: (t) => (convs.has(t) ? [convs.get(t) as string] : []),
  });
  const info = ok(await search.ready);
  const readyMs = performance.now() - t0;
  // 1 when the index really ran in the worker (0: it fell back to the page).
  const out: Record<string, number> = {
    readyMs,
    workerLoadMs: info.loadMs,
    docs: info.docs,
    inWorker: info.worker ? 1 : 0,
  };

  if (mode === 'seed') {
    const rooms = new Map<string, typeof corpus.messages>();
    for (const m of corpus.messages) {
      const room = `${m.convId}/${Math.floor(m.at / WEEK)}`;
      if (!rooms.has(room)) rooms.set(room, []);
      rooms.get(room)?.push(m);
    }
    longest = 0;
    const t1 = performance.now();
    since = t1;
    for (const [room, docs] of rooms) {
      ok(
        await search.indexPage({
          convId: docs[0]?.convId ?? '',
          room,
          docs: docs.map((d) => ({ ...d, room })),
          mark: 1,
        }),
      );
    }
    out.indexMs = performance.now() - t1;
    const t2 = performance.now();
    ok(await search.flush());
    out.flushMs = performance.now() - t2;
    out.docs = ok(await search.stats()).docs;
    await new Promise((r) => setTimeout(r, 100));
    out.longestTaskIndexing = longest;
  }

  await new Promise((r) => setTimeout(r, 100)); // let pending long-task entries arrive first
  longest = 0;
  since = performance.now();
  const samples: number[] = [];
  for (const c of queryMix(corpus, PER_KIND)) {
    const t = performance.now();
    ok(await search.query(c.text, { limit: 50 }));
    samples.push(performance.now() - t);
  }
  out.queryP50 = pct(samples, 50);
  out.queryP95 = pct(samples, 95);
  out.queryP99 = pct(samples, 99);
  out.queryMax = pct(samples, 100);
  out.longestTaskQuerying = longest;
  const est = await navigator.storage.estimate();
  out.usage = est.usage ?? NaN;
  const perf = performance as unknown as { memory?: { usedJSHeapSize: number } };
  out.pageHeap = perf.memory?.usedJSHeapSize ?? NaN;
  ok(await search.close());
  return out;
}

main().then(
  (r) => (window.__bench = r),
  (err: unknown) => (window.__bench = { error: String((err as Error)?.stack ?? err) }),
);
