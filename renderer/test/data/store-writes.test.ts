// The local store's writes and records under contention (issue 16): a record due is read as it
// is due without a transaction in front of the read, and a row whose key another window took is
// written again on a key of its own. The per-room counts the sync status sums stay small.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import { PendingCounts } from '../../src/data/doc-host';
import { done } from '../../src/data/idb';
import { LocalStore, type DocRecord } from '../../src/data/store';

const bytes = (...b: number[]) => new Uint8Array(b);
const texts = (rows: Array<{ data: Uint8Array }>) => rows.map((r) => [...r.data].join(','));
/** The store's lane, fixed: two windows given the same one collide on their first keys. */
const setLane = (store: LocalStore, lane: number) => Object.assign(store as unknown as { lane: number }, { lane });

describe('local store: records and contended writes', () => {
  it('a record due is read back as it is due, without writing the records first', async () => {
    const store = await LocalStore.open(new IDBFactory(), 'due');
    await store.readDoc('a');
    const record: DocRecord = { remoteSV: bytes(9), pending: [], version: 7 };
    store.putDocRecordSoon('a', record);
    const spy = vi.spyOn(store.db, 'transaction');
    const read = await store.readDoc('a');
    // One read-only transaction: the records due were not written in front of it.
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]?.[1]).toBe('readonly');
    expect(read.record).toEqual(record);
    // A copy: the reader's record is not the one the host keeps changing.
    expect(read.record).not.toBe(record);
    spy.mockRestore();
    // Any other reader of the records sees them written first.
    expect((await store.docRecords()).get('a')).toEqual(record);
    // Due again and changed since: the newest is the one read.
    store.putDocRecordSoon('a', { ...record, version: 8 });
    expect((await store.readDoc('a')).record?.version).toBe(8);
    await store.writeRecordsNow();
    expect((await store.docRecords()).get('a')?.version).toBe(8);
    await store.close();
  });

  it('a row on a key another window took is written again on a key of its own; nothing is lost', async () => {
    const idb = new IDBFactory();
    const one = await LocalStore.open(idb, 'collide');
    const two = await LocalStore.open(idb, 'collide');
    setLane(one, 7);
    setLane(two, 7);
    // An update from the relay (relaxed, no record).
    await one.readDoc('a');
    await two.readDoc('a');
    await one.append('a', bytes(1));
    await two.append('a', bytes(2));
    // A local write (strict, with its record), the promise send() keeps.
    await one.readDoc('b');
    await two.readDoc('b');
    await one.append('b', bytes(3), { remoteSV: null, pending: [[1, 1]] });
    await two.append('b', bytes(4), { remoteSV: null, pending: [[2, 1]] });
    for (const doc of ['a', 'b']) {
      const rows = (await one.readDoc(doc)).rows;
      expect(rows).toHaveLength(2);
      expect(new Set(rows.map((r) => r.seq)).size).toBe(2);
    }
    expect(texts((await one.readDoc('a')).rows).sort()).toEqual(['1', '2']);
    expect(texts((await one.readDoc('b')).rows).sort()).toEqual(['3', '4']);
    await one.close();
    await two.close();
  });

  it("a failed write reports its request's error, not a generic one", async () => {
    const store = await LocalStore.open(new IDBFactory(), 'errors');
    const tx = store.db.transaction(['updates'], 'readwrite');
    tx.objectStore('updates').add({ doc: 'a', seq: 1, data: bytes(1) });
    tx.objectStore('updates').add({ doc: 'a', seq: 1, data: bytes(2) });
    // A full disk says QuotaExceededError the same way; before, both read "transaction failed".
    await expect(done(tx)).rejects.toMatchObject({ name: 'ConstraintError' });
    await store.close();
  });

  it('pending counts list only the rooms above zero', () => {
    const counts = new PendingCounts();
    counts.set('a', 2);
    counts.set('b', 0);
    counts.set('c', 1);
    expect([...counts.rooms()].sort()).toEqual(['a', 'c']);
    counts.set('a', 0);
    counts.delete('c');
    expect([...counts.rooms()]).toEqual([]);
    expect(counts.get('a')).toBe(0);
    counts.set('d', 3);
    counts.clear();
    expect([...counts.rooms()]).toEqual([]);
  });
});
