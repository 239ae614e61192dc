// The client benchmark's page (built by Vite, driven by bench/client/run.ts through Playwright).
// One page, two designs, chosen by `?design=`:
// - ferry: the data layer of renderer/src/data (one IndexedDB database, paged documents,
//   summaries; the list renders without opening a Y.Doc);
// - plain: one Y.Doc per conversation persisted with y-indexeddb, every doc opened at start.
// `?mode=` seed | measure | restart | size. The result is left in `window.__bench`.
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { encodeHlc } from '../../../core/src/hlc';
import { newId } from '../../../core/src/ids';
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import * as workspace from '../../../core/src/model/workspace';
import { metaRoom, pageRoom, periodOf, workspaceRoom } from '../../../core/src/model/rooms';
import { createFerryClient, loadSession, saveSession } from '../../../renderer/src/data/client';
import { LocalStore, type SummaryRecord } from '../../../renderer/src/data/store';
import { splitUpdate } from '../../../renderer/src/data/pieces';
import type { ConversationSummary, MessageView } from '../../../renderer/src/data/api';
// Deterministic pseudo-random numbers (mulberry32), so both designs get the same data.
import { rng } from '../../../renderer/test/rng';

declare global {
  interface Window {
    __bench?: unknown;
    gc?: () => void;
  }
}

const scriptStart = performance.now();
const params = new URLSearchParams(location.search);
const design = params.get('design') === 'plain' ? 'plain' : 'ferry';
const mode = params.get('mode') ?? 'measure';
/** Older pages loaded one by one after the first screen (scrolling up), measured. */
const SCROLL = Number(params.get('scroll') ?? 10);

// Long tasks from the start of the page on.
const longTasks: Array<{ start: number; duration: number }> = [];
/** Longest task that started in [from, to) (0 if none was over 50 ms, the longtask threshold). */
const longest = (from: number, to: number) =>
  longTasks
    .filter((t) => t.start >= from && t.start < to)
    .reduce((m, t) => Math.max(m, t.duration), 0);
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ start: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });
} catch {
  // no longtask support: reported as 0
}

const random = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const WORDS =
  'the ship left harbour at dawn with crates of spare parts for the field station and a crew of nine who had not seen land in weeks so the radio was busy with lists plans weather and jokes about the cook'.split(
    ' ',
  );

function sentence(r: () => number): string {
  const n = 3 + Math.floor(r() * 25);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(WORDS[Math.floor(r() * WORDS.length)] as string);
  return out.join(' ');
}

interface Plan {
  convs: Array<{ id: string; title: string; count: number; spanWeeks: number }>;
  authors: string[];
  me: string;
  node: string;
  now: number;
}

function plan(total: number, convCount: number, big: number, me: string): Plan {
  const authors = [me, ...Array.from({ length: 7 }, () => newId(random))];
  const small = convCount - 1;
  const per = Math.floor((total - big) / small);
  const convs = [{ id: newId(random), title: 'Everyone', count: big, spanWeeks: 104 }];
  for (let i = 0; i < small; i++) {
    const extra = i < (total - big) % small ? 1 : 0;
    convs.push({ id: newId(random), title: `Team ${i + 1}`, count: per + extra, spanWeeks: 20 });
  }
  return { convs, authors, me, node: newId(random), now: Date.now() };
}

/** Calls `write(id, author, text, at)` for each message of a conversation, oldest first. */
function messagesOf(
  p: Plan,
  ci: number,
  write: (id: string, author: string, text: string, at: number) => void,
): number {
  const conv = p.convs[ci] as Plan['convs'][number];
  const r = rng(ci + 1);
  const span = conv.spanWeeks * 7 * 86_400_000;
  const step = span / conv.count;
  let raw = 0;
  const enc = new TextEncoder();
  for (let i = 0; i < conv.count; i++) {
    const at = Math.floor(p.now - span + i * step);
    const author = p.authors[Math.floor(r() * 4) + (ci % 4)] as string;
    const text = sentence(r);
    raw += enc.encode(text).length;
    write(encodeHlc({ wall: at, counter: 0, node: p.node }), author, text, at);
  }
  return raw;
}

function done(result: unknown): void {
  window.__bench = result;
}

async function seedFerry(p: Plan): Promise<number> {
  const session = await saveSession(indexedDB, {
    serverUrl: 'http://127.0.0.1:9',
    displayName: 'Bench',
    userId: p.me,
  });
  const store = await LocalStore.open(indexedDB);
  const ws = new Y.Doc();
  let raw = 0;
  const summaries: SummaryRecord[] = [];
  for (let ci = 0; ci < p.convs.length; ci++) {
    const conv = p.convs[ci] as Plan['convs'][number];
    const start = p.now - conv.spanWeeks * 7 * 86_400_000;
    workspace.registerConversation(ws, {
      id: conv.id,
      title: conv.title,
      createdBy: p.me,
      createdAt: start,
    });
    const m = new Y.Doc();
    meta.initConversation(m, { title: conv.title, createdBy: p.me, createdAt: start });
    const pages = new Map<number, Y.Doc>();
    raw += messagesOf(p, ci, (id, author, text, at) => {
      const period = periodOf(at);
      let d = pages.get(period);
      if (!d) pages.set(period, (d = new Y.Doc()));
      page.addMessage(d, { id, author, text, createdAt: at });
      meta.recordMessage(m, { period, author, id, text, at });
    });
    // As after a sync: the reader has read up to now; preview and unread come from the
    // newest page (core/README.md), as the client computes them.
    const periods = [...pages.keys()].sort((a, b) => b - a);
    const newest = periods[0] === undefined ? undefined : pages.get(periods[0]);
    if (newest) meta.markRead(newest, p.me, p.now);
    const lm = newest ? meta.lastMessage(newest) : null;
    const unread = newest ? meta.unreadCount(newest, p.me) : 0;
    for (const [period, d] of pages) {
      const room = pageRoom(conv.id, period);
      await store.readDoc(room);
      // Stored as the app stores a compacted page: in pieces (renderer/src/data/pieces.ts).
      void store.compact(room, Y.encodeStateAsUpdate(d), (s) => Promise.resolve(splitUpdate(s)));
      d.destroy();
    }
    await store.readDoc(metaRoom(conv.id));
    void store.compact(metaRoom(conv.id), Y.encodeStateAsUpdate(m));
    summaries.push({
      id: conv.id,
      title: conv.title,
      createdAt: start,
      lastMessage: lm ? { text: lm.text, authorName: 'Someone', at: lm.at } : null,
      unread,
      activity: lm?.at ?? start,
      periods,
    });
    m.destroy();
    await store.flush();
  }
  workspace.setProfile(ws, { user: p.me, name: session.displayName, at: p.now });
  await store.readDoc(workspaceRoom);
  await store.compact(workspaceRoom, Y.encodeStateAsUpdate(ws));
  await store.putSummaries(summaries);
  await store.close();
  return raw;
}

async function seedPlain(p: Plan): Promise<number> {
  let raw = 0;
  for (let ci = 0; ci < p.convs.length; ci++) {
    const conv = p.convs[ci] as Plan['convs'][number];
    const d = new Y.Doc();
    meta.initConversation(d, {
      title: conv.title,
      createdBy: p.me,
      createdAt: p.now - conv.spanWeeks * 7 * 86_400_000,
    });
    raw += messagesOf(p, ci, (id, author, text, at) => {
      page.addMessage(d, { id, author, text, createdAt: at });
    });
    const persistence = new IndexeddbPersistence(`plain-${conv.id}`, d);
    await persistence.whenSynced;
    await persistence.destroy();
    d.destroy();
  }
  return raw;
}

function renderList(list: ConversationSummary[]): void {
  const ul = document.createElement('ul');
  for (const c of list) {
    const li = document.createElement('li');
    li.textContent = `${c.title} · ${c.lastMessage?.text ?? ''} · ${c.unread}`;
    ul.append(li);
  }
  document.getElementById('list')?.replaceChildren(ul);
}

function renderMessages(messages: Array<Pick<MessageView, 'text' | 'authorName'>>): void {
  const ol = document.createElement('ol');
  for (const m of messages.slice(-50)) {
    const li = document.createElement('li');
    li.textContent = `${m.authorName}: ${m.text}`;
    ol.append(li);
  }
  document.getElementById('conv')?.replaceChildren(ol);
}

/** Resolves after the browser painted what was just put in the DOM. */
const painted = () => new Promise<void>((r) => requestAnimationFrame(() => setTimeout(r, 0)));

function heap(): number {
  window.gc?.();
  const mem = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
  return mem?.usedJSHeapSize ?? -1;
}

async function usage(): Promise<number> {
  const e = await navigator.storage.estimate();
  return e.usage ?? -1;
}

async function measureFerry(bigId: string, open: boolean): Promise<Record<string, number>> {
  const session = await loadSession(indexedDB);
  if (!session) throw new Error('not seeded');
  const tSession = performance.now();
  const client = await createFerryClient({ session, indexedDB, online: false });
  const tClient = performance.now();
  await new Promise<void>((resolve) => {
    const off = client.conversations((list) => {
      if (list.length === 0) return;
      renderList(list);
      queueMicrotask(() => off());
      resolve();
    });
  });
  await painted();
  const list = performance.now();
  performance.mark('ferry:list');
  const out: Record<string, number> = { list, scriptStart, tSession, tClient };
  if (open) {
    const t1 = performance.now();
    const conv = client.open(bigId);
    // As the UI does (ConversationPane): observe first, then load. The first screen is the
    // first view with messages painted (from the stored screen cache or the documents);
    // `loaded` is when loadRecent() resolved and its view was painted (the documents' view).
    let first = 0;
    let latest: MessageView[] = [];
    const firstShown = new Promise<void>((resolve) => {
      conv.observe((v) => {
        latest = v.messages;
        if (v.messages.length === 0 || first > 0) return;
        first = -1;
        renderMessages(v.messages);
        void painted().then(() => {
          first = performance.now() - t1;
          resolve();
        });
      });
    });
    await Promise.all([conv.loadRecent(), firstShown]);
    renderMessages(latest);
    await painted();
    out.firstScreen = first;
    out.loaded = performance.now() - t1;
    performance.mark('ferry:first-screen');
    const t2 = performance.now();
    // Let what loads behind the first screen (meta document, workspace) finish.
    if (mode === 'measure') await new Promise((r) => setTimeout(r, 1000));
    out.heap = heap();
    out.longestStart = longest(0, list);
    out.longestOpen = longest(t1, t2);
    out.longestAfter = longest(t2, performance.now());
    if (mode === 'measure' && SCROLL > 0) {
      // Scrolling up: SCROLL older pages loaded one after the other, the top of the list
      // rendered after each (what a reader reaching the top sees).
      const t3 = performance.now();
      let pages = 0;
      for (; pages < SCROLL; pages++) {
        if (!(await conv.loadBefore())) break;
        await new Promise<void>((r) => queueMicrotask(r));
        renderMessages(latest.slice(0, 50));
        await painted();
      }
      const t4 = performance.now();
      out.scrollPages = pages;
      out.scrollMs = (t4 - t3) / Math.max(1, pages);
      out.longestScroll = longest(t3, t4);
    }
  }
  await client.close();
  return out;
}

async function openPlain(ids: string[]): Promise<Map<string, Y.Doc>> {
  const docs = new Map<string, Y.Doc>();
  await Promise.all(
    ids.map(async (id) => {
      const d = new Y.Doc();
      const persistence = new IndexeddbPersistence(`plain-${id}`, d);
      await persistence.whenSynced;
      docs.set(id, d);
    }),
  );
  return docs;
}

async function measurePlain(
  ids: string[],
  bigId: string,
  open: boolean,
): Promise<Record<string, number>> {
  const docs = await openPlain(ids);
  const list: ConversationSummary[] = [];
  for (const [id, d] of docs) {
    const info = meta.readInfo(d);
    let last: page.Message | null = null;
    page.messagesOf(d).forEach((v, key) => {
      if (last === null || key > last.id) last = page.readMessage(key, v) ?? last;
    });
    const lm = last as page.Message | null;
    list.push({
      id,
      title: info?.title ?? '',
      createdAt: info?.createdAt ?? 0,
      lastMessage: lm ? { text: lm.text, authorName: 'Someone', at: lm.createdAt } : null,
      unread: 0,
      kind: 'channel',
      visibility: 'open',
      role: 'member',
      archived: false,
      memberCount: 0,
      dmWith: null,
      registered: true,
      removed: false,
      undelivered: 0,
      mentions: 0,
    });
  }
  list.sort((a, b) => (b.lastMessage?.at ?? 0) - (a.lastMessage?.at ?? 0));
  renderList(list);
  await painted();
  const out: Record<string, number> = { list: performance.now() };
  performance.mark('plain:list');
  if (open) {
    const t1 = performance.now();
    const d = docs.get(bigId) as Y.Doc;
    const messages = page.listMessages(d).map((m) => ({ text: m.text, authorName: m.author }));
    renderMessages(messages);
    await painted();
    out.firstScreen = performance.now() - t1;
    performance.mark('plain:first-screen');
    const t2 = performance.now();
    if (mode === 'measure') await new Promise((r) => setTimeout(r, 1000));
    out.heap = heap();
    out.longestStart = longest(0, out.list as number);
    out.longestOpen = longest(t1, t2);
    out.longestAfter = longest(t2, performance.now());
    out.loaded = out.firstScreen as number;
    if (mode === 'measure' && SCROLL > 0) {
      // The same scrolling: everything is in memory, each step renders an older slice.
      const t3 = performance.now();
      const per = Math.max(1, Math.round(messages.length / 104));
      let pages = 0;
      for (; pages < SCROLL && (pages + 1) * per < messages.length; pages++) {
        const end = messages.length - (pages + 1) * per;
        renderMessages(messages.slice(Math.max(0, end - 50), end));
        await painted();
      }
      const t4 = performance.now();
      out.scrollPages = pages;
      out.scrollMs = (t4 - t3) / Math.max(1, pages);
      out.longestScroll = longest(t3, t4);
    }
  }
  // Keep the docs referenced until measured (they are what the plain design holds).
  if (docs.size < 0) console.log(docs);
  return out;
}

async function plainRecordBytes(ids: string[]): Promise<number> {
  let total = 0;
  for (const id of ids) {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open(`plain-${id}`);
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const values = await new Promise<unknown[]>((resolve, reject) => {
      const r = db.transaction(['updates'], 'readonly').objectStore('updates').getAll();
      r.onsuccess = () => resolve(r.result as unknown[]);
      r.onerror = () => reject(r.error);
    });
    for (const v of values) if (v instanceof Uint8Array) total += v.byteLength;
    db.close();
  }
  return total;
}

async function main(): Promise<void> {
  const total = Number(params.get('messages') ?? 200_000);
  const convCount = Number(params.get('convs') ?? 500);
  const big = Number(params.get('big') ?? 100_000);
  if (mode === 'seed') {
    const p = plan(total, convCount, big, newId(random));
    const t0 = performance.now();
    const raw = design === 'ferry' ? await seedFerry(p) : await seedPlain(p);
    let indexMs = 0;
    if (design === 'ferry') {
      // A device in use has its search index up to date: the app indexes what it stores as it
      // arrives. Seeding wrote the store directly, so index it once here, as the first start
      // after an upgrade would; the measured starts then find nothing new.
      const t1 = performance.now();
      const session = await loadSession(indexedDB);
      if (!session) throw new Error('not seeded');
      const client = await createFerryClient({ session, indexedDB, online: false });
      // `indexing` says the start-up pass over what is stored is still running.
      while ((await client.search('ferry')).indexing) await new Promise((r) => setTimeout(r, 200));
      await client.close();
      indexMs = performance.now() - t1;
    }
    localStorage.setItem(
      'bench',
      JSON.stringify({ ids: p.convs.map((c) => c.id), big: p.convs[0]?.id }),
    );
    done({ raw, seedMs: performance.now() - t0, indexMs, usage: await usage() });
    return;
  }
  const saved = JSON.parse(localStorage.getItem('bench') ?? 'null') as {
    ids: string[];
    big: string;
  } | null;
  if (!saved) throw new Error('not seeded');
  if (mode === 'size') {
    let records: number;
    if (design === 'ferry') {
      const store = await LocalStore.open(indexedDB);
      const b = await store.storedBytes();
      records = b.updates + b.other;
      await store.close();
    } else {
      records = await plainRecordBytes(saved.ids);
    }
    done({ records, usage: await usage() });
    return;
  }
  const open = mode === 'measure' || params.get('open') === '1';
  const r =
    design === 'ferry'
      ? await measureFerry(saved.big, open)
      : await measurePlain(saved.ids, saved.big, open);
  done(r);
}

main().catch((e: unknown) =>
  done({ error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) }),
);
