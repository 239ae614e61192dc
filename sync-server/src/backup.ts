// Backup and restore. Backup uses SQLite's online backup API from a separate connection, so it
// is consistent while the relay keeps writing (WAL). Restore needs the relay stopped, and keeps
// the database it replaces next to it, so a wrong restore loses nothing either.
import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DB_FILE, relayRunning } from './store';
import { copyBlobs } from './blobs/copy';

export interface BackupSummary {
  file: string;
  rooms: number;
  updates: number;
  bytes: number;
  /** Files (blobs) copied next to the database, in `<file>.files/`. */
  files?: number;
  /** Set instead of `files` when the files are in an S3-compatible bucket (not copied). */
  filesNotCopied?: string;
}

/** Where a backup keeps its files: `<backup file>.files/`, the `files/` tree of the data dir. */
export const filesDirOf = (backupFile: string) => `${backupFile}.files`;

function summarize(file: string): BackupSummary {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`${file} failed the integrity check: ${String(check)}`);
    const hasSchema = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    if (!hasSchema) throw new Error(`${file} is not a Ferry relay database (no schema_migrations)`);
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      file,
      rooms: count(
        'SELECT COUNT(*) AS n FROM (SELECT name FROM rooms UNION SELECT room FROM updates)',
      ),
      updates: count('SELECT COUNT(*) AS n FROM updates'),
      bytes: count(
        'SELECT COALESCE((SELECT SUM(LENGTH(snapshot)) FROM rooms), 0) + COALESCE((SELECT SUM(LENGTH(data)) FROM updates), 0) AS n',
      ),
    };
  } finally {
    db.close();
  }
}

/**
 * `blobs`: the `--blobs s3://…` setting. The bucket is not copied: it is backed up by the
 * storage's own means (versioning, replication), and the summary says so instead of a count.
 */
export async function backup(
  dataDir: string,
  target: string,
  blobs: string | null = null,
): Promise<BackupSummary> {
  const source = path.join(dataDir, DB_FILE);
  if (!existsSync(source)) throw new Error(`no database at ${source} (check --data)`);
  if (existsSync(target)) throw new Error(`${target} exists; refusing to overwrite it`);
  const db = new Database(source, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    await db.backup(target);
  } finally {
    db.close();
  }
  if (blobs !== null) {
    return {
      ...summarize(target),
      filesNotCopied:
        `the files are in ${blobs}, not in this backup: back ` +
        `${blobs.startsWith('s3://') ? 'the bucket' : 'that directory'} up with the ` +
        "storage's own means (versioning, replication or snapshots)",
    };
  }
  // After the database: a file stored since is only extra; one garbage-collected since was
  // unreferenced for the whole grace period. Blobs never change, so hard links are safe.
  const files = await copyBlobs(path.join(dataDir, 'files'), filesDirOf(target));
  return { ...summarize(target), files };
}

export async function restore(
  dataDir: string,
  source: string,
): Promise<BackupSummary & { previous: string | null }> {
  const pid = relayRunning(dataDir);
  if (pid !== null) {
    throw new Error(`a relay (pid ${pid}) is running on ${dataDir}; stop it before restoring`);
  }
  const summary = summarize(source);
  const target = path.join(dataDir, DB_FILE);
  const staging = target + '.restoring';
  rmSync(staging, { force: true });
  const from = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await from.backup(staging);
  } finally {
    from.close();
  }
  let previous: string | null = null;
  if (existsSync(target)) {
    // Fold the old WAL into the old file so the kept copy is complete on its own.
    const old = new Database(target);
    old.pragma('wal_checkpoint(TRUNCATE)');
    old.close();
    previous = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, previous);
  }
  rmSync(target + '-wal', { force: true });
  rmSync(target + '-shm', { force: true });
  renameSync(staging, target);
  // The backup's files replace the data directory's (kept aside, like the database).
  let files: number | undefined;
  const savedFiles = filesDirOf(source);
  if (existsSync(savedFiles)) {
    const live = path.join(dataDir, 'files');
    if (existsSync(live)) {
      renameSync(live, `${live}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    }
    files = await copyBlobs(savedFiles, live);
  }
  return { ...summary, file: target, previous, ...(files !== undefined ? { files } : {}) };
}
