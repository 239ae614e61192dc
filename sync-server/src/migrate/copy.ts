// Copying the rows of a single-node install into PostgreSQL, in batches, resumably (issue 14,
// docs/scale-out.md "Moving a single-node install").
//
// Resuming: the target keeps `migration_progress`, one row per table with the last primary key
// copied, written in the same transaction as the batch it describes. After a kill -9 the
// target holds exactly the batches whose transaction committed and the progress that says so;
// the next run reads on after that key. Inserts are plain INSERTs, not ON CONFLICT DO NOTHING:
// a row that is already there would mean the progress lies, and that must fail loudly rather
// than be skipped silently. (Reading the source in key order after a remembered key is also
// cheaper than re-reading every row to let the target ignore it.)
//
// Whose target: `migration_source` records a fingerprint of the source install (its secrets,
// which sign every token, and its first audit hash). A target with data and no fingerprint, or
// another one, belongs to another install and is refused.
import { createHash } from 'node:crypto';
import type { SqlDb } from '../db/sql';
import {
  type Row,
  type TableSpec,
  TABLES,
  columnsOf,
  count,
  keyOf,
  page,
  rowBytes,
} from './tables';

/** A batch is cut at this many bytes even with fewer rows (room snapshots can be large). */
const BATCH_BYTES = 8 * 1024 * 1024;

export class MigrationRefused extends Error {}

export interface CopyOptions {
  batchSize: number;
  /** Tables not copied (uploads in progress when the files move to S3). */
  skip: Set<string>;
  log: (line: string) => void;
}

/** Identifies an install: its token-signing secrets and the start of its audit chain. */
export function fingerprint(source: SqlDb): string {
  const h = createHash('sha256');
  const secrets = source
    .prepare<[], { name: string; value: Uint8Array }>(
      'SELECT name, value FROM secrets ORDER BY name',
    )
    .all();
  for (const s of secrets) h.update(`${s.name}=${Buffer.from(s.value).toString('hex')}\n`);
  const first = source
    .prepare<[], { hash: string }>('SELECT hash FROM audit ORDER BY seq LIMIT 1')
    .get();
  h.update(`audit=${first?.hash ?? ''}`);
  return h.digest('hex');
}

/**
 * Claims the target for this source, or throws MigrationRefused. Returns whether an earlier
 * run of this same migration had started (a resume).
 */
export function claimTarget(target: SqlDb, source: SqlDb, dataDir: string): boolean {
  target.exec(`CREATE TABLE IF NOT EXISTS migration_source (
    fingerprint TEXT PRIMARY KEY, data_dir TEXT NOT NULL, started_at INTEGER NOT NULL)`);
  target.exec(`CREATE TABLE IF NOT EXISTS migration_progress (
    tbl TEXT PRIMARY KEY, last_key TEXT, copied INTEGER NOT NULL, done INTEGER NOT NULL)`);
  const mine = fingerprint(source);
  return target.transaction(() => {
    const claimed = target
      .prepare<[], { fingerprint: string; data_dir: string }>('SELECT * FROM migration_source')
      .all();
    if (claimed.some((c) => c.fingerprint === mine)) return true;
    if (claimed.length > 0) {
      throw new MigrationRefused(
        `the target database holds a migration of another install (from ${claimed[0]?.data_dir}); ` +
          'migrate into an empty database',
      );
    }
    const held = TABLES.map((t) => [t.name, count(target, t.name)] as const).filter(([, n]) => n);
    if (held.length > 0) {
      throw new MigrationRefused(
        'the target database already holds data of another install (' +
          held.map(([t, n]) => `${n} ${t}`).join(', ') +
          '); migrate into an empty database (a relay started on it creates its own secrets)',
      );
    }
    target
      .prepare('INSERT INTO migration_source (fingerprint, data_dir, started_at) VALUES (?, ?, ?)')
      .run(mine, dataDir, Date.now());
    return false;
  })();
}

interface Progress {
  lastKey: unknown[] | null;
  copied: number;
  done: boolean;
  /** Left out on purpose by a run (uploads with --blobs), not copied. */
  skipped?: boolean;
}

/** `last_key` of a table a run left out on purpose. */
const SKIPPED = 'skipped';

function progressOf(target: SqlDb, table: string): Progress {
  const row = target
    .prepare<[string], { last_key: string | null; copied: number; done: number }>(
      'SELECT last_key, copied, done FROM migration_progress WHERE tbl = ?',
    )
    .get(table);
  if (!row) return { lastKey: null, copied: 0, done: false };
  if (row.last_key === SKIPPED) return { lastKey: null, copied: 0, done: true, skipped: true };
  return {
    lastKey: row.last_key === null ? null : (JSON.parse(row.last_key) as unknown[]),
    copied: row.copied,
    done: row.done === 1,
  };
}

/** Copies every table not yet done; returns the rows copied by this run per table. */
export function copyTables(source: SqlDb, target: SqlDb, o: CopyOptions): Map<string, number> {
  const out = new Map<string, number>();
  const saveProgress = target.prepare<[string, string | null, number, number]>(
    `INSERT INTO migration_progress (tbl, last_key, copied, done) VALUES (?, ?, ?, ?)
     ON CONFLICT (tbl) DO UPDATE SET last_key = excluded.last_key, copied = excluded.copied,
       done = excluded.done`,
  );
  for (const spec of TABLES) {
    let p = progressOf(target, spec.name);
    if (o.skip.has(spec.name)) {
      // Rows an earlier run without --blobs copied name bytes the new store does not have.
      if (p.skipped) continue;
      target.transaction(() => {
        const removed = target.prepare(`DELETE FROM ${spec.name}`).run().changes;
        if (removed > 0) o.log(`${spec.name}: ${removed} rows of an earlier run removed`);
        saveProgress.run(spec.name, SKIPPED, 0, 1);
      })();
      continue;
    }
    // Left out by an earlier run with --blobs, wanted now: copied from the start.
    if (p.skipped) p = { lastKey: null, copied: 0, done: false };
    if (p.done) continue;
    const total = count(source, spec.name);
    if (p.copied > 0) o.log(`${spec.name}: resuming after ${p.copied} of ${total} rows`);
    const columns = columnsOf(source, spec.name);
    let thisRun = 0;
    let lastLine = 0;
    for (;;) {
      const rows = cut(page(source, spec, columns, p.lastKey, o.batchSize));
      const last = rows[rows.length - 1];
      const next: Progress = last
        ? { lastKey: keyOf(spec, last), copied: p.copied + rows.length, done: false }
        : { ...p, done: true };
      target.transaction(() => {
        if (rows.length > 0) insertRows(target, spec, columns, rows);
        saveProgress.run(
          spec.name,
          next.lastKey ? JSON.stringify(next.lastKey) : null,
          next.copied,
          next.done ? 1 : 0,
        );
      })();
      p = next;
      thisRun += rows.length;
      if (p.done) break;
      if (thisRun === rows.length || Date.now() - lastLine > 1_000) {
        o.log(`${spec.name}: ${p.copied} of ${total} rows copied`);
        lastLine = Date.now();
      }
    }
    out.set(spec.name, thisRun);
  }
  return out;
}

/** The first rows of a page that fit in BATCH_BYTES (always at least one). */
function cut(rows: Row[]): Row[] {
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    bytes += rowBytes(rows[i]!);
    if (bytes > BATCH_BYTES && i > 0) return rows.slice(0, i);
  }
  return rows;
}

function insertRows(target: SqlDb, spec: TableSpec, columns: string[], rows: Row[]): void {
  const one = `(${columns.map(() => '?').join(', ')})`;
  // At most ~60,000 parameters per statement (PostgreSQL's limit is 65,535).
  const perStatement = Math.max(1, Math.floor(60_000 / columns.length));
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    const sql =
      `INSERT INTO ${spec.name} (${columns.join(', ')}) VALUES ` + chunk.map(() => one).join(', ');
    target.prepare(sql).run(...chunk.flatMap((r) => columns.map((c) => r[c] ?? null)));
  }
}

/**
 * Sets the target's update sequence past every seq the source used (also those compaction
 * deleted), so the first append on PostgreSQL cannot collide with a copied update.
 */
export function advanceSequence(source: SqlDb, target: SqlDb): number {
  const max = source
    .prepare<[], { n: number | null }>(
      `SELECT MAX(n) AS n FROM (SELECT MAX(seq) AS n FROM updates
         UNION ALL SELECT seq AS n FROM sqlite_sequence WHERE name = 'updates')`,
    )
    .get()?.n;
  const next = (max ?? 0) + 1;
  target
    .prepare<[number]>(
      `SELECT setval(pg_get_serial_sequence('updates', 'seq'),
         GREATEST(CAST(? AS BIGINT), (SELECT COALESCE(MAX(seq), 0) + 1 FROM updates)), false)`,
    )
    .get(next);
  return next;
}
