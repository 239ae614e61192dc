// Ferry's offline search: the public API. The data layer feeds it messages (see README.md);
// the UI asks it queries. The index lives in a Web Worker when there is one, else on the page
// (same interface, same code: host.ts). Every method resolves to a Result: errors are values.
import { HAS_LETTER, parseQuery, type ParsedQuery } from './query';
import { terms } from './text';
import type { EngineQuery, QueryResult, SearchDoc } from './engine';
import { SearchHost } from './host';
import type {
  InitInfo,
  Request,
  Response,
  Responses,
  Result,
  SearchError,
  Stats,
} from './protocol';

export type { SearchDoc, Hit, Snippet, QueryResult } from './engine';
export type { InitInfo, Result, SearchError, Stats } from './protocol';
export { parseQuery, type ParsedQuery } from './query';
export { fold, tokenize } from './text';

/** Words searched per query; a pasted paragraph is cut here (and says so). */
const MAX_TERMS = 32;

export interface SearchOptions {
  /** The search database, e.g. `ferry-search-<userId>`; null keeps the index in memory only. */
  dbName: string | null;
  /** For the same-thread index (tests, no workers). A worker uses its own `indexedDB`. */
  indexedDB?: IDBFactory | null;
  /** Run the index in a Web Worker (default: when `Worker` exists). */
  worker?: boolean;
  /** `from:` value → user ids (username or display name). Unset: match author names. */
  resolveUser?: (name: string) => string[] | Promise<string[]>;
  /** `in:` value → conversation ids (channel title). Unset: the value is taken as an id. */
  resolveConversation?: (title: string) => string[] | Promise<string[]>;
  /** Tuning for tests: flush delay and snapshot interval (host.ts defaults). */
  flushDelayMs?: number;
  snapshotEvery?: number;
}

export interface SearchResponse extends QueryResult {
  query: ParsedQuery;
}

export interface Search {
  /** Resolves once the saved index is loaded (or dropped and started empty). */
  ready: Promise<Result<InitInfo>>;
  /** Adds or replaces messages (new and edited ones). */
  upsert(docs: SearchDoc | SearchDoc[]): Promise<Result<number>>;
  /** Removes messages (deleted, tombstoned). */
  remove(ids: string | string[]): Promise<Result<number>>;
  /** Removes a whole conversation (forgotten, left, removed from it) and its marks. */
  removeConversation(convId: string): Promise<Result<number>>;
  /**
   * Replaces what was indexed from one page with its current messages and records the page's
   * high-water mark. Compare with marks() to re-index only pages that changed.
   */
  indexPage(page: {
    convId: string;
    room: string;
    docs: SearchDoc[];
    mark: string | number;
  }): Promise<Result<{ added: number; removed: number }>>;
  /** The high-water mark of every indexed page. */
  marks(): Promise<Result<Record<string, string | number>>>;
  /** Parses, resolves and runs a query. A newer query() cancels this one ('cancelled'). */
  query(
    text: string,
    options?: { limit?: number; offset?: number },
  ): Promise<Result<SearchResponse>>;
  stats(): Promise<Result<Stats>>;
  /** Writes pending changes now (they are also written about a second after they happen). */
  flush(): Promise<Result<boolean>>;
  /** Flushes, then stops the worker. */
  close(): Promise<Result<true>>;
}

interface Transport {
  send(req: Request): void;
  onResponse: (res: Response) => void;
  onFailure: (message: string) => void;
  terminate(): void;
}

function workerTransport(): Transport {
  const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  const t: Transport = {
    send: (req) => w.postMessage(req),
    onResponse: () => {},
    onFailure: () => {},
    terminate: () => w.terminate(),
  };
  w.onmessage = (ev: MessageEvent<Response>) => t.onResponse(ev.data);
  w.onerror = (ev) => {
    ev.preventDefault();
    t.onFailure(ev.message || 'the search worker failed');
  };
  w.onmessageerror = () => t.onFailure('a search message could not be read');
  return t;
}

function localTransport(options: SearchOptions): Transport {
  const host = new SearchHost({
    indexedDB: options.indexedDB ?? globalThis.indexedDB ?? null,
    flushDelayMs: options.flushDelayMs,
    snapshotEvery: options.snapshotEvery,
  });
  const t: Transport = {
    // structuredClone: the same copying semantics as postMessage, so callers may reuse objects.
    send: (req) =>
      host.handle(structuredClone(req), (res) => queueMicrotask(() => t.onResponse(res))),
    onResponse: () => {},
    onFailure: () => {},
    terminate: () => {},
  };
  return t;
}

export function createSearch(options: SearchOptions): Search {
  let nextId = 1;
  let failed: SearchError | null = null;
  const pending = new Map<number, (res: Result<unknown>) => void>();
  /** Requests not answered yet, to replay them on the page if the worker cannot start. */
  const unanswered = new Map<number, Request>();
  let querySeq = 0;
  let inflight: number | null = null;
  let inWorker = false;
  /** Why the index runs on the page although a worker was asked for. */
  let fallback: string | null = null;
  /** The worker answered init: from then on its failure is an error, not a fallback. */
  let workerStarted = false;

  const onResponse = (res: Response) => {
    unanswered.delete(res.id);
    const done = pending.get(res.id);
    if (!done) return;
    pending.delete(res.id);
    done(res.ok ? { ok: true, value: res.value } : { ok: false, error: res.error });
  };
  const onFailure = (message: string) => {
    if (inWorker && !workerStarted) {
      // The worker did not load (blocked, missing file offline, no module workers): run the
      // same host on the page and replay what was sent, init first.
      transport.terminate();
      useLocal(`search worker failed to start: ${message}`);
      for (const id of [...unanswered.keys()].sort((a, b) => a - b)) {
        transport.send(unanswered.get(id) as Request);
      }
      return;
    }
    failed = { code: 'worker', message };
    for (const done of pending.values()) done({ ok: false, error: failed });
    pending.clear();
    unanswered.clear();
  };
  let transport: Transport;
  const useLocal = (reason: string | null) => {
    fallback = reason;
    inWorker = false;
    transport = localTransport(options);
    transport.onResponse = onResponse;
    transport.onFailure = onFailure;
  };
  if (options.worker ?? typeof Worker !== 'undefined') {
    try {
      transport = workerTransport();
      transport.onResponse = (res) => {
        if (unanswered.get(res.id)?.type === 'init' && res.ok) workerStarted = true;
        onResponse(res);
      };
      transport.onFailure = onFailure;
      inWorker = true;
    } catch (err) {
      useLocal(`no search worker: ${(err as Error)?.message ?? err}`);
    }
  } else useLocal(null);

  function call<K extends keyof Responses>(
    req: Omit<Extract<Request, { type: K }>, 'id'>,
    onId?: (id: number) => void,
  ): Promise<Result<Responses[K]>> {
    const id = nextId++;
    onId?.(id);
    if (failed) return Promise.resolve({ ok: false, error: failed });
    return new Promise((resolve) => {
      pending.set(id, resolve as (r: Result<unknown>) => void);
      try {
        const full = { ...req, id } as Request;
        if (full.type !== 'cancel') unanswered.set(id, full);
        transport.send(full);
      } catch (err) {
        pending.delete(id);
        unanswered.delete(id);
        resolve({
          ok: false,
          error: {
            code: 'bad-request',
            message: `could not send: ${(err as Error)?.message ?? err}`,
          },
        });
      }
    });
  }

  const CANCELLED: SearchError = { code: 'cancelled', message: 'a newer query replaced this one' };

  /** Answers a query 'cancelled' now and tells the worker not to run it if it has not yet. */
  function cancel(id: number): void {
    const done = pending.get(id);
    if (!done) return;
    pending.delete(id);
    done({ ok: false, error: CANCELLED });
    try {
      transport.send({ id: nextId++, type: 'cancel', target: id });
    } catch {
      /* the worker is gone: nothing to cancel */
    }
  }

  const ready = call<'init'>({ type: 'init', dbName: options.dbName }).then(
    (r): Result<InitInfo> =>
      r.ok ? { ok: true, value: { ...r.value, worker: inWorker, fallback } } : r,
  );
  const list = <T>(x: T | T[]) => (Array.isArray(x) ? x : [x]);

  async function resolve(parsed: ParsedQuery): Promise<EngineQuery> {
    let authors: string[] | null = null;
    let authorNames: string[] | null = null;
    let convIds: string[] | null = null;
    if (parsed.from.length > 0) {
      if (options.resolveUser) {
        authors = [];
        for (const name of parsed.from) {
          const ids = await options.resolveUser(name);
          if (ids.length === 0) parsed.notes.push(`No one called ${name}.`);
          authors.push(...ids);
        }
      } else authorNames = [...parsed.from];
    }
    if (parsed.in.length > 0) {
      convIds = [];
      for (const title of parsed.in) {
        const ids = options.resolveConversation
          ? await options.resolveConversation(title)
          : [title];
        if (ids.length === 0) parsed.notes.push(`No conversation called ${title}.`);
        convIds.push(...ids);
      }
    }
    let words = parsed.words.flatMap((w) => terms(w));
    if (words.length > MAX_TERMS) {
      parsed.notes.push(`Only the first ${MAX_TERMS} words are searched.`);
      words = words.slice(0, MAX_TERMS);
    }
    return {
      terms: words,
      phrases: parsed.phrases.map((p) => terms(p)).filter((p) => p.length > 0),
      prefixLast: parsed.prefixLast,
      authors,
      authorNames,
      convIds,
      since: parsed.since,
      until: parsed.until,
      has: parsed.has.length > 0 ? parsed.has.map((h) => HAS_LETTER[h]) : null,
    };
  }

  return {
    ready,
    upsert: (docs) => call<'upsert'>({ type: 'upsert', docs: list(docs) }),
    remove: (ids) => call<'remove'>({ type: 'remove', ids: list(ids) }),
    removeConversation: (convId) =>
      call<'removeConversation'>({ type: 'removeConversation', convId }),
    indexPage: (page) => call<'indexPage'>({ type: 'indexPage', ...page }),
    marks: () => call<'marks'>({ type: 'marks' }),
    async query(text, opts = {}) {
      // A query started later cancels this one, even while this one is resolving names.
      const mine = ++querySeq;
      if (inflight !== null) cancel(inflight);
      const parsed = parseQuery(text);
      let engineQuery: EngineQuery;
      try {
        engineQuery = await resolve(parsed);
      } catch (err) {
        return {
          ok: false,
          error: {
            code: 'bad-request',
            message: `could not resolve names: ${(err as Error)?.message ?? err}`,
          },
        };
      }
      if (querySeq !== mine) return { ok: false, error: CANCELLED };
      let id = 0;
      const r = await call<'query'>(
        { type: 'query', query: { ...engineQuery, limit: opts.limit, offset: opts.offset } },
        (n) => (inflight = id = n),
      );
      if (inflight === id) inflight = null;
      if (!r.ok) return r;
      return { ok: true, value: { ...r.value, query: parsed } };
    },
    stats: () => call<'stats'>({ type: 'stats' }),
    flush: () => call<'flush'>({ type: 'flush', snapshot: true }),
    async close() {
      const r = await call<'close'>({ type: 'close' });
      transport.terminate();
      return r;
    },
  };
}
