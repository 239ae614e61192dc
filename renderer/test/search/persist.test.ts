// Persistence in IndexedDB (fake-indexeddb under Node): round trip, incremental re-index by
// page marks, batched writes, and corrupt or foreign stores dropped and rebuilt, never a crash.
import { describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import { createSearch, type Result, type Search, type SearchDoc } from '../../src/search/index';
import { FORMAT } from '../../src/search/store';

const T0 = Date.UTC(2026, 0, 5);

function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

function page(
  convId: string,
  week: number,
  texts: string[],
): { convId: string; room: string; docs: SearchDoc[] } {
  const room = `${convId}/p${week}`;
  return {
    convId,
    room,
    docs: texts.map((text, i) => ({
      id: `${room}-${i}`,
      convId,
      author: 'u-ana',
      authorName: 'Ana',
      text,
      at: T0 + week * 7 * 86_400_000 + i * 1000,
    })),
  };
}

function open(idb: IDBFactory, extra: { snapshotEvery?: number } = {}): Search {
  return createSearch({
    dbName: 'ferry-search-u1',
    indexedDB: idb,
    worker: false,
    flushDelayMs: 5,
    ...extra,
  });
}

async function hits(s: Search, text: string): Promise<string[]> {
  return ok(await s.query(text)).hits.map((h) => h.id);
}

/** Raw access to the search database, to break it the way a crash or an old build would. */
function rawPut(idb: IDBFactory, store: string, key: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const r = idb.open('ferry-search-u1');
    r.onsuccess = () => {
      const tx = r.result.transaction(store, 'readwrite');
      tx.objectStore(store).put(value, key);
      tx.oncomplete = () => {
        r.result.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
    r.onerror = () => reject(r.error);
  });
}

describe('search persistence', () => {
  it('a restart loads the saved index and page marks instead of re-reading messages', async () => {
    const idb = new IDBFactory();
    const s = open(idb);
    expect(ok(await s.ready)).toMatchObject({ docs: 0, dropped: null });
    ok(await s.indexPage({ ...page('general', 1, ['hello world', 'déjà vu']), mark: 'v1' }));
    ok(await s.indexPage({ ...page('dev', 1, ['deploy at noon']), mark: 7 }));
    ok(await s.close());

    const again = open(idb);
    const info = ok(await again.ready);
    expect(info).toMatchObject({ docs: 3, rooms: 2, dropped: null, fromSnapshot: true });
    expect(ok(await again.marks())).toEqual({ 'general/p1': 'v1', 'dev/p1': 7 });
    expect(await hits(again, 'deja')).toEqual(['general/p1-1']);
    const r = ok(await again.query('noon'));
    expect(r.hits[0]).toMatchObject({ convId: 'dev', authorName: 'Ana' });
    expect(r.hits[0]?.snippet).toEqual({
      text: 'deploy at noon',
      ranges: [[10, 14]],
      cutStart: false,
      cutEnd: false,
    });
    ok(await again.close());
  });

  it('re-indexes only the pages whose mark changed; edits and deletes survive a restart', async () => {
    const idb = new IDBFactory();
    const s = open(idb);
    await s.ready;
    for (let w = 0; w < 5; w++)
      ok(await s.indexPage({ ...page('general', w, [`week ${w} notes`]), mark: 1 }));
    ok(await s.close());

    // The data layer compares its page versions with marks() and feeds only the changed page.
    const current: Record<string, number> = {
      'general/p0': 1,
      'general/p1': 1,
      'general/p2': 2,
      'general/p3': 1,
      'general/p4': 1,
    };
    const again = open(idb);
    await again.ready;
    const marks = ok(await again.marks());
    const stale = Object.keys(current).filter((room) => marks[room] !== current[room]);
    expect(stale).toEqual(['general/p2']);
    const edited = page('general', 2, ['week 2 notes, edited']);
    const res = ok(await again.indexPage({ ...edited, mark: 2 }));
    expect(res).toEqual({ added: 1, removed: 0 });
    ok(await again.remove('general/p3-0'));
    ok(await again.close());

    const third = open(idb);
    expect(ok(await third.ready).docs).toBe(4);
    expect(await hits(third, 'edited')).toEqual(['general/p2-0']);
    expect(await hits(third, 'week 3')).toEqual([]);
    expect(ok(await third.marks())['general/p2']).toBe(2);
    // A page re-read without a message (deleted meanwhile) drops it.
    ok(await third.indexPage({ ...page('general', 4, []), mark: 2 }));
    expect(await hits(third, 'week 4')).toEqual([]);
    ok(await third.close());
  });

  it('rows newer than the saved snapshot are indexed again on load', async () => {
    const idb = new IDBFactory();
    // A huge snapshot interval: only close() writes a snapshot.
    const s = open(idb, { snapshotEvery: 1e9 });
    await s.ready;
    ok(await s.upsert(page('general', 1, ['alpha one']).docs));
    ok(await s.flush());
    ok(await s.upsert(page('general', 2, ['beta two']).docs));
    // Wait for the timed flush (rows only, no snapshot), then "crash": no close().
    await expect.poll(async () => ok(await s.stats()).pending, { timeout: 5000 }).toBe(0);

    const again = open(idb);
    const info = ok(await again.ready);
    expect(info.docs).toBe(2);
    expect(await hits(again, 'beta')).toEqual(['general/p2-0']);
    expect(await hits(again, 'alpha')).toEqual(['general/p1-0']);
    ok(await again.close());
  });

  it('writes a batch of changes in one transaction, not one per message', async () => {
    const idb = new IDBFactory();
    const s = open(idb);
    await s.ready;
    let transactions = 0;
    // Count readwrite transactions on the open connection.
    const proto = Object.getPrototypeOf(
      await new Promise<IDBDatabase>((resolve) => {
        const r = idb.open('probe');
        r.onsuccess = () => resolve(r.result);
      }),
    ) as { transaction: (...a: unknown[]) => IDBTransaction };
    const orig = proto.transaction;
    proto.transaction = function (this: IDBDatabase, ...a: unknown[]) {
      if (this.name === 'ferry-search-u1' && a[1] === 'readwrite') transactions++;
      return orig.apply(this, a);
    };
    try {
      const docs = page(
        'general',
        1,
        Array.from({ length: 500 }, (_, i) => `message ${i}`),
      ).docs;
      for (const d of docs) void s.upsert(d);
      ok(await s.flush());
      expect(transactions).toBe(1);
      expect(ok(await s.stats())).toMatchObject({ docs: 500, pending: 0, flushError: null });
    } finally {
      proto.transaction = orig;
    }
    ok(await s.close());
  });

  it('a corrupt index is dropped and rebuilt empty, and says so', async () => {
    const idb = new IDBFactory();
    const s = open(idb);
    await s.ready;
    ok(await s.indexPage({ ...page('general', 1, ['precious']), mark: 1 }));
    ok(await s.close());
    await rawPut(idb, 'segments', 'general/p1', [['not', 'a', 'row']]);

    const again = open(idb);
    const info = ok(await again.ready);
    expect(info.dropped).toMatch(/corrupt/);
    expect(info).toMatchObject({ docs: 0, rooms: 0 });
    // Empty marks: the data layer feeds every page again, and search works.
    expect(ok(await again.marks())).toEqual({});
    ok(await again.indexPage({ ...page('general', 1, ['precious']), mark: 1 }));
    expect(await hits(again, 'precious')).toEqual(['general/p1-0']);
    ok(await again.close());

    // Columns of different lengths (a torn or foreign write): dropped the same way.
    await rawPut(idb, 'segments', 'general/p1', {
      seq: new Float64Array(2),
      at: new Float64Array(1),
      ref: new Uint32Array(2),
      refs: [],
      id: ['a', 'b'],
      text: ['x', 'y'],
    });
    const torn = open(idb);
    expect(ok(await torn.ready).dropped).toMatch(/corrupt index dropped: segment: columns/);
    ok(await torn.close());

    // A snapshot that FlexSearch cannot import is dropped the same way.
    await rawPut(idb, 'meta', 'snapshot', { nextSeq: 'x', indexed: 1, index: 7, vocab: null });
    const third = open(idb);
    expect(ok(await third.ready).dropped).toMatch(/corrupt/);
    ok(await third.close());
  });

  it('an index of another format or schema version is dropped, never crashes', async () => {
    const idb = new IDBFactory();
    const s = open(idb);
    await s.ready;
    ok(await s.upsert(page('general', 1, ['old format']).docs));
    ok(await s.close());
    await rawPut(idb, 'meta', 'format', FORMAT + 1);
    const again = open(idb);
    const dropped = ok(await again.ready);
    expect(dropped).toMatchObject({ docs: 0 });
    expect(dropped.dropped).toMatch(/format 2, expected 1/);
    ok(await again.close());

    // A database a newer build opened at a higher version.
    await new Promise<void>((resolve) => {
      const r = idb.open('ferry-search-u1', 99);
      r.onupgradeneeded = () => r.result.createObjectStore('future');
      r.onsuccess = () => {
        r.result.close();
        resolve();
      };
    });
    const fourth = open(idb);
    const info = ok(await fourth.ready);
    expect(info.dropped).toMatch(/VersionError/);
    ok(await fourth.upsert(page('dev', 1, ['fresh start']).docs));
    expect(await hits(fourth, 'fresh')).toEqual(['dev/p1-0']);
    ok(await fourth.close());
  });

  it('removeConversation drops its messages and marks, also after a restart', async () => {
    const idb = new IDBFactory();
    const s = open(idb);
    await s.ready;
    ok(await s.indexPage({ ...page('general', 1, ['shared word']), mark: 1 }));
    ok(await s.indexPage({ ...page('secret', 1, ['shared word']), mark: 1 }));
    expect(ok(await s.removeConversation('secret'))).toBe(1);
    ok(await s.close());
    const again = open(idb);
    await again.ready;
    expect(await hits(again, 'shared')).toEqual(['general/p1-0']);
    expect(Object.keys(ok(await again.marks()))).toEqual(['general/p1']);
    ok(await again.close());
  });
});

describe('search persistence when IndexedDB fails', () => {
  it('a failed write is reported, kept pending and retried; close still closes', async () => {
    const idb = new IDBFactory();
    const s = open(idb);
    await s.ready;
    ok(await s.upsert(page('general', 1, ['kept in memory']).docs));
    // Make every readwrite transaction fail from now on.
    const probe = await new Promise<IDBDatabase>((resolve) => {
      const r = idb.open('probe-2');
      r.onsuccess = () => resolve(r.result);
    });
    const proto = Object.getPrototypeOf(probe) as {
      transaction: (...a: unknown[]) => IDBTransaction;
    };
    const orig = proto.transaction;
    proto.transaction = function (this: IDBDatabase, ...a: unknown[]) {
      if (this.name === 'ferry-search-u1' && a[1] === 'readwrite')
        throw new Error('QuotaExceededError');
      return orig.apply(this, a);
    };
    try {
      const failed = await s.flush();
      expect(failed).toMatchObject({
        ok: false,
        error: { code: 'storage', message: /QuotaExceeded/ },
      });
      const st = ok(await s.stats());
      expect(st.pending).toBeGreaterThan(0);
      expect(st.flushError).toMatch(/QuotaExceeded/);
      // Search still answers from memory.
      expect(await hits(s, 'memory')).toEqual(['general/p1-0']);
    } finally {
      proto.transaction = orig;
    }
    // Storage back: the next flush writes what was pending.
    ok(await s.flush());
    expect(ok(await s.stats())).toMatchObject({ pending: 0, flushError: null });
    ok(await s.close());
    const again = open(idb);
    expect(ok(await again.ready).docs).toBe(1);
    ok(await again.close());
  });
});
