// The SQLite store on real files: migrations, atomic appends, byte-identical compaction.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { SqliteDb } from '../src/db/sqlite';
import { DB_FILE, SCHEMA_VERSION, Store } from '../src/store';
import { removeDir, tempDir } from './helpers';

const dirs: string[] = [];
const stores: Store[] = [];
const open = (dir: string, options?: { maxPages?: number }) => {
  const s = new Store(dir, options);
  stores.push(s);
  return s;
};
const fresh = () => {
  const d = tempDir('ferry-store-test-');
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

/** Applies what the store holds for a room to a fresh doc. */
function docOf(store: Store, room: string): Y.Doc {
  const doc = new Y.Doc();
  for (const u of store.load(room).updates) Y.applyUpdate(doc, u);
  return doc;
}

describe('store', () => {
  it('records its migrations and refuses a database from a newer relay', () => {
    const dir = fresh();
    const store = open(dir);
    expect(store.schemaVersion()).toBe(SCHEMA_VERSION);
    expect((store.db as SqliteDb).raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect((store.db as SqliteDb).raw.pragma('synchronous', { simple: true })).toBe(2); // FULL
    store.close();
    const db = new Database(path.join(dir, DB_FILE));
    db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(99, 'future', 'later');
    db.close();
    expect(() => open(dir)).toThrow(/schema version 99, newer than this relay knows/);
  });

  it('compacts the log into a snapshot with the same state vector and the same bytes', () => {
    const store = open(fresh());
    const writer = new Y.Doc();
    const updates: Uint8Array[] = [];
    writer.on('update', (u: Uint8Array) => updates.push(u));
    const text = writer.getText('t');
    for (let i = 0; i < 60; i++) {
      text.insert(Math.floor(text.length / 2), `${i} `);
      if (i % 7 === 0) text.delete(0, 1);
      writer.getMap('m').set(`k${i % 5}`, i);
    }
    store.append(updates.map((update) => ({ room: 'conv/c', update })));
    store.append([{ room: 'conv/other', update: updates[0]! }]);
    const before = docOf(store, 'conv/c');
    expect(store.load('conv/c').logCount).toBe(updates.length);

    const result = store.compact('conv/c');
    expect(result.entries).toBe(updates.length);
    expect(store.load('conv/c')).toMatchObject({ logCount: 0 });
    const after = docOf(store, 'conv/c');
    expect(Y.encodeStateVector(after)).toEqual(Y.encodeStateVector(before));
    expect(Y.encodeStateAsUpdate(after)).toEqual(Y.encodeStateAsUpdate(before));
    expect(after.getText('t').toString()).toBe(writer.getText('t').toString());
    // Other rooms are untouched; a second compaction on top of a snapshot keeps it all too.
    expect(store.load('conv/other').logCount).toBe(1);
    const late: Uint8Array[] = [];
    writer.on('update', (u: Uint8Array) => late.push(u));
    writer.getMap('m').set('late', true);
    store.append(late.map((update) => ({ room: 'conv/c', update })));
    const uncompacted = new Y.Doc();
    for (const u of [...updates, ...late]) Y.applyUpdate(uncompacted, u);
    store.compact('conv/c');
    const twice = docOf(store, 'conv/c');
    expect(Y.encodeStateVector(twice)).toEqual(Y.encodeStateVector(uncompacted));
    expect(Y.encodeStateAsUpdate(twice)).toEqual(Y.encodeStateAsUpdate(uncompacted));
  });

  it('commits a batch all or nothing: a full disk keeps what was stored', () => {
    const store = open(fresh(), { maxPages: 30 });
    const small = new Y.Doc();
    small.getMap('m').set('a', 1);
    store.append([{ room: 'r', update: Y.encodeStateAsUpdate(small) }]);
    const big = new Y.Doc();
    big.getMap('m').set('b', 'x'.repeat(300_000));
    expect(() =>
      store.append([
        { room: 'r', update: Y.encodeStateAsUpdate(small) },
        { room: 'r', update: Y.encodeStateAsUpdate(big) },
      ]),
    ).toThrow(/full/);
    expect(store.load('r').logCount).toBe(1);
    expect(docOf(store, 'r').getMap('m').toJSON()).toEqual({ a: 1 });
  });
});
