// "One measured fsync" (issue 16, item 4: fan-out p50 within one fsync of the reference): the
// time SQLite takes to commit a small transaction with synchronous=FULL in WAL mode, minus the
// same commit with synchronous=NORMAL, measured in the run's own temp dir, in this process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { summarize, type Summary } from '../lib/stats';

export interface FsyncFigures {
  full: Summary;
  normal: Summary;
}

export function measureFsync(commits = 200): FsyncFigures {
  const dir = mkdtempSync(path.join(tmpdir(), 'ferry-bench-fsync-'));
  try {
    const run = (synchronous: 'FULL' | 'NORMAL'): Summary => {
      const db = new Database(path.join(dir, `${synchronous}.db`));
      try {
        db.pragma('journal_mode = WAL');
        db.pragma(`synchronous = ${synchronous}`);
        db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
        const insert = db.prepare('INSERT INTO t (data) VALUES (?)');
        const commit = db.transaction(() => insert.run(Buffer.alloc(64)));
        const times: number[] = [];
        for (let i = 0; i < commits; i++) {
          const started = performance.now();
          commit();
          times.push(performance.now() - started);
        }
        return summarize(times);
      } finally {
        db.close();
      }
    };
    return { full: run('FULL'), normal: run('NORMAL') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
