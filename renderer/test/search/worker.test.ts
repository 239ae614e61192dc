// The worker protocol: the worker module's handler run directly under Node (a stand-in for the
// worker's global scope), request ids, errors as responses, cancellation of superseded queries.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { SearchHost } from '../../src/search/host';
import { createSearch, type SearchDoc } from '../../src/search/index';
import type { Request, Response } from '../../src/search/protocol';

const doc = (id: string, text: string, more: Partial<SearchDoc> = {}): SearchDoc => ({
  id,
  convId: 'general',
  author: 'u-ana',
  authorName: 'Ana Martínez',
  text,
  at: Date.UTC(2026, 0, 10),
  ...more,
});

const baseQuery = {
  phrases: [],
  prefixLast: false,
  authors: null,
  authorNames: null,
  convIds: null,
  since: null,
  until: null,
};

/** Loads worker.ts against a fake worker scope and returns a way to talk to it. */
async function loadWorker() {
  const posted: Response[] = [];
  const scope = {
    indexedDB: new IDBFactory(),
    onmessage: null as ((ev: { data: Request }) => void) | null,
    postMessage: (m: Response) => posted.push(structuredClone(m)),
  };
  vi.stubGlobal('self', scope);
  vi.resetModules();
  await import('../../src/search/worker');
  const send = (req: Request) => scope.onmessage?.({ data: structuredClone(req) });
  const answer = async (id: number) => {
    await vi.waitFor(() => expect(posted.some((p) => p.id === id)).toBe(true));
    return posted.find((p) => p.id === id) as Response;
  };
  return { send, answer, posted };
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('search worker protocol', () => {
  it('answers every request once, by id, with errors as values', async () => {
    const w = await loadWorker();
    // Before init: not ready, as a response.
    w.send({ id: 1, type: 'stats' });
    w.send({ id: 2, type: 'upsert', docs: [doc('a', 'x')] });
    expect(await w.answer(2)).toMatchObject({ ok: false, error: { code: 'not-ready' } });
    w.send({ id: 3, type: 'init', dbName: 'ferry-search-u1' });
    expect(await w.answer(3)).toMatchObject({ ok: true, value: { docs: 0, dropped: null } });
    w.send({ id: 4, type: 'upsert', docs: [doc('a', 'hello there'), doc('b', 'hello again')] });
    expect(await w.answer(4)).toEqual({ id: 4, ok: true, value: 2 });
    // A bad document in a batch: refused, and the good ones of that batch are not applied.
    w.send({ id: 5, type: 'upsert', docs: [doc('c', 'hello third'), { id: 'd' } as SearchDoc] });
    expect(await w.answer(5)).toMatchObject({
      ok: false,
      error: { code: 'bad-request', message: /not a message document/ },
    });
    w.send({ id: 6, type: 'query', query: { ...baseQuery, terms: ['hello'] } });
    const r = await w.answer(6);
    expect(r.ok && (r.value as { total: number }).total).toBe(2);
    w.send({ id: 7, type: 'nonsense' } as unknown as Request);
    expect(await w.answer(7)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    w.send({ id: 8, type: 'close' });
    expect(await w.answer(8)).toEqual({ id: 8, ok: true, value: true });
    w.send({ id: 9, type: 'query', query: { ...baseQuery, terms: ['hello'] } });
    expect(await w.answer(9)).toMatchObject({ ok: false, error: { code: 'not-ready' } });
    expect(w.posted.filter((p) => p.id === 1)).toHaveLength(1);
    expect(new Set(w.posted.map((p) => p.id)).size).toBe(w.posted.length);
  });

  it('a query superseded before it runs is answered cancelled; cancel works by id', async () => {
    const host = new SearchHost({ indexedDB: null });
    const got = new Map<number, Response>();
    const send = (req: Request) => host.handle(req, (res) => got.set(res.id, res));
    send({ id: 1, type: 'init', dbName: null });
    send({ id: 2, type: 'upsert', docs: [doc('a', 'alpha'), doc('b', 'alphabet')] });
    send({ id: 3, type: 'query', query: { ...baseQuery, terms: ['alp'], prefixLast: true } });
    send({ id: 4, type: 'query', query: { ...baseQuery, terms: ['alph'], prefixLast: true } });
    send({ id: 5, type: 'query', query: { ...baseQuery, terms: ['alpha'], prefixLast: true } });
    send({ id: 6, type: 'cancel', target: 5 });
    send({ id: 7, type: 'query', query: { ...baseQuery, terms: ['alphabet'] } });
    await vi.waitFor(() => expect(got.size).toBe(7));
    expect(got.get(3)).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(got.get(4)).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(got.get(5)).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(got.get(6)).toEqual({ id: 6, ok: true, value: true });
    const last = got.get(7);
    expect(last?.ok && (last.value as { hits: { id: string }[] }).hits.map((h) => h.id)).toEqual([
      'b',
    ]);
  });

  it('a request without an id is refused without throwing', () => {
    const host = new SearchHost({ indexedDB: null });
    const replies: Response[] = [];
    expect(() => host.handle(null as unknown as Request, (r) => replies.push(r))).not.toThrow();
    expect(replies[0]).toMatchObject({ ok: false, error: { code: 'bad-request' } });
  });
});

describe('createSearch (same-thread)', () => {
  it('resolves from: and in: through the caller, and a newer query cancels the older one', async () => {
    const s = createSearch({
      dbName: null,
      worker: false,
      resolveUser: (name) => (name === 'bo' ? ['u-bo'] : []),
      resolveConversation: async (title) => (title === 'dev team' ? ['dev'] : []),
    });
    await s.ready;
    await s.upsert([
      doc('1', 'ship it', { author: 'u-bo', authorName: 'Bo', convId: 'dev' }),
      doc('2', 'ship it', { convId: 'dev' }),
      doc('3', 'ship it', { author: 'u-bo', authorName: 'Bo' }),
    ]);
    const first = s.query('ship from:bo');
    const second = s.query('ship from:bo in:"dev team"');
    const [a, b] = await Promise.all([first, second]);
    expect(a).toMatchObject({ ok: false, error: { code: 'cancelled' } });
    expect(b.ok && b.value.hits.map((h) => h.id)).toEqual(['1']);
    const nobody = await s.query('ship from:zed');
    expect(nobody.ok && nobody.value.total).toBe(0);
    expect(nobody.ok && nobody.value.query.notes).toEqual(['No one called zed.']);
    await s.close();
  });

  it('without resolvers, from: matches author names', async () => {
    const s = createSearch({ dbName: null, worker: false });
    await s.ready;
    await s.upsert([
      doc('1', 'lunch?', { authorName: 'Zoë Quinn' }),
      doc('2', 'lunch!', { authorName: 'Bo' }),
    ]);
    const r = await s.query('lunch from:zoe');
    expect(r.ok && r.value.hits.map((h) => h.id)).toEqual(['1']);
    await s.close();
  });
});

describe('createSearch without a working worker', () => {
  it('falls back to the page when the worker fails to load, replaying what was sent', async () => {
    class FailingWorker {
      onerror: ((ev: { message: string; preventDefault(): void }) => void) | null = null;
      onmessage = null;
      onmessageerror = null;
      constructor() {
        setTimeout(
          () => this.onerror?.({ message: 'net::ERR_FAILED worker.js', preventDefault() {} }),
          5,
        );
      }
      postMessage() {}
      terminate() {}
    }
    vi.stubGlobal('Worker', FailingWorker);
    const s = createSearch({ dbName: null });
    const early = s.upsert(doc('1', 'sent before the worker failed'));
    const ready = await s.ready;
    expect(ready).toMatchObject({ ok: true, value: { worker: false, fallback: /ERR_FAILED/ } });
    expect(await early).toEqual({ ok: true, value: 1 });
    const r = await s.query('failed');
    expect(r.ok && r.value.hits.map((h) => h.id)).toEqual(['1']);
    await s.close();
  });

  it('falls back when Worker cannot even be constructed', async () => {
    vi.stubGlobal(
      'Worker',
      class {
        constructor() {
          throw new Error('module workers are not supported');
        }
      },
    );
    const s = createSearch({ dbName: null });
    expect(await s.ready).toMatchObject({
      ok: true,
      value: { worker: false, fallback: /not supported/ },
    });
    await s.close();
  });
});
