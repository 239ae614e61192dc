// The embedded database's prepared statements are kept and reused (issue 16: compiling the same
// SQL at every room load was a cost per join), without ever handing out one that is busy.
import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { SqliteDb } from '../src/db/sqlite';
import { removeDir, tempDir } from './helpers';

const opened: Array<{ db: SqliteDb; dir: string }> = [];
const open = () => {
  const dir = tempDir('ferry-sqlite-statements-');
  const db = new SqliteDb(path.join(dir, 'test.db'));
  opened.push({ db, dir });
  db.exec('CREATE TABLE t (n INTEGER)');
  for (let i = 0; i < 5; i++) db.prepare('INSERT INTO t (n) VALUES (?)').run(i);
  return db;
};
afterEach(() => {
  for (const { db, dir } of opened.splice(0)) {
    db.close();
    removeDir(dir);
  }
});

describe('SQLite statements', () => {
  it('the same SQL gets the same statement, and its answers stay right', () => {
    const db = open();
    const sql = 'SELECT n FROM t WHERE n >= ? ORDER BY n';
    const first = db.prepare<[number], { n: number }>(sql);
    expect(db.prepare(sql)).toBe(first);
    expect(db.prepare<[number], { n: number }>(sql).all(3)).toEqual([{ n: 3 }, { n: 4 }]);
    expect(db.prepare<[number], { n: number }>(sql).get(1)).toEqual({ n: 1 });
  });

  it('a statement being iterated is not handed out again: the nested call gets its own', () => {
    const db = open();
    const sql = 'SELECT n FROM t ORDER BY n';
    const seen: Array<[number, number]> = [];
    for (const outer of db.prepare<[], { n: number }>(sql).iterate()) {
      // The cached statement is busy: reusing it would throw "This statement is busy".
      const inner = db.prepare<[], { n: number }>(sql).all();
      seen.push([outer.n, inner.length]);
    }
    expect(seen).toEqual([0, 1, 2, 3, 4].map((n) => [n, 5]));
  });

  it('keeps at most 256 statements: SQL that varies (IN lists) does not grow it without bound', () => {
    const db = open();
    const first = db.prepare('SELECT n FROM t WHERE n = 0');
    for (let i = 1; i <= 300; i++) {
      const list = Array.from({ length: i }, () => '?').join(', ');
      db.prepare(`SELECT n FROM t WHERE n IN (${list})`);
    }
    expect((db as unknown as { statements: Map<string, unknown> }).statements.size).toBe(256);
    // The oldest went first; it is prepared again, and works.
    const again = db.prepare<[], { n: number }>('SELECT n FROM t WHERE n = 0');
    expect(again).not.toBe(first);
    expect(again.get()).toEqual({ n: 0 });
  });
});
