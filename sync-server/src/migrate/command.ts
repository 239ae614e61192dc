// `ferry-relay migrate --to postgres://… [--data DIR] [--blobs s3://… --s3-*]` (issue 14,
// docs/scale-out.md "Moving a single-node install"): moves a stopped single-node install (the
// SQLite database in the data directory, the files in <data>/files) into the shared stores of
// several nodes, then verifies the copy. Resumable: running the same command again after an
// interruption continues where it stopped (copy.ts). Exit 0: copied and verified; 1: refused,
// failed or a difference found (each printed); 2: bad usage.
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FsBlobStore } from '../blobs/fs-store';
import { S3BlobStore } from '../blobs/s3-store';
import { connectS3 } from '../blobs/s3-client';
import { parseS3Url } from '../blobs/s3-url';
import { ConfigError, parseArgs } from '../config';
import { isPostgresUrl, redactUrl } from '../db/sql';
import { DB_FILE, SCHEMA_VERSION, Store, relayRunning } from '../store';
import { MigrationRefused, advanceSequence, claimTarget, copyTables } from './copy';
import { type FilesResult, copyFiles } from './files';
import { verify } from './verify';

export const MIGRATE_USAGE = `Usage:
  ferry-relay migrate --to postgres://USER:PASSWORD@HOST:PORT/DB [--data DIR]
      [--blobs /SHARED/DIR | --blobs s3://BUCKET[/PREFIX] --s3-endpoint URL --s3-force-path-style]
Copies a stopped single-node relay (its SQLite database and files) into PostgreSQL (and the
bucket or directory of --blobs), then verifies the copy. Run it again to resume after an
interruption.`;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};

class UsageError extends Error {}

/** `argv` starts with the word "migrate". */
export async function runMigrate(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    return await migrate(argv.slice(1), io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(`ferry-relay migrate: ${error.message}\n\n${MIGRATE_USAGE}`);
      return 2;
    }
    io.err(`ferry-relay migrate: ${(error as Error).message}`);
    if (!(error instanceof MigrationRefused)) {
      io.err('nothing copied so far is lost: run the same command again to resume');
    }
    return 1;
  }
}

async function migrate(argv: string[], io: Io): Promise<number> {
  let to: string | null = null;
  let batchSize = 1_000;
  const relayArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      io.out(MIGRATE_USAGE);
      return 0;
    }
    const [name, inline] = arg.startsWith('--') ? splitFlag(arg) : [null, null];
    if (name === 'to' || name === 'batch-size') {
      const value = inline ?? argv[++i];
      if (!value) throw new UsageError(`--${name}: needs a value`);
      if (name === 'to') to = value;
      else {
        // Not in the usage: small batches make the interruption tests cheap.
        batchSize = Number(value);
        if (!Number.isInteger(batchSize) || batchSize < 1) {
          throw new UsageError('--batch-size: a whole number >= 1');
        }
      }
    } else relayArgs.push(arg);
  }
  if (to === null) throw new UsageError('--to: give the PostgreSQL URL to migrate into');
  if (!isPostgresUrl(to)) throw new UsageError('--to: give a postgres://… URL');
  const { config } = parseArgs(relayArgs);
  const dataDir = config.data;
  if (config.database !== null) {
    io.err(`note: --database (${redactUrl(config.database)}) is ignored: the source is ${dataDir}`);
  }

  const dbFile = path.join(dataDir, DB_FILE);
  if (!existsSync(dbFile)) {
    throw new MigrationRefused(`no relay database at ${dbFile} (give --data DIR)`);
  }
  const pid = relayRunning(dataDir);
  if (pid !== null) {
    throw new MigrationRefused(
      `a relay (pid ${pid}) is serving ${dataDir}; stop it first: the migration copies a ` +
        'database that must not change meanwhile',
    );
  }
  const started = Date.now();
  const before = schemaVersionOf(dbFile);
  // Opening with Store brings an older schema up to this relay's, as a relay would at start;
  // a newer one is refused (Store says which version to run).
  const source = new Store(dataDir);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ferry-migrate-'));
  let target: Store | null = null;
  try {
    if (before < SCHEMA_VERSION) {
      io.out(`the source schema was version ${before}: upgraded to ${SCHEMA_VERSION} first`);
    }
    target = new Store(tmp, { database: to });
    const where = redactUrl(to);
    const resumed = claimTarget(target.db, source.db, dataDir);
    io.out(`${resumed ? 'resuming the migration of' : 'migrating'} ${dataDir} into ${where}`);

    // --blobs: an S3-compatible bucket, or a directory every node mounts (as for serve).
    const s3 = config.blobs ? parseS3Url(config.blobs) : null;
    const s3Store = s3 ? new S3BlobStore(connectS3(s3, config)) : null;
    const blobs = s3Store ?? (config.blobs ? new FsBlobStore(config.blobs, 'ferry-migrate') : null);
    if (blobs) await blobs.init();
    // Uploads in progress keep their bytes under files/uploads/<id> on this machine; with
    // --blobs they are dropped, and the app's tus client, finding no upload, sends the file again.
    const skip = new Set<string>(blobs ? ['uploads'] : []);
    copyTables(source.db, target.db, { batchSize, skip, log: io.out });
    advanceSequence(source.db, target.db);

    let files: FilesResult | null = null;
    if (blobs) {
      files = await copyFiles(source.db, dataDir, blobs, io.out);
      s3Store?.s3.client.destroy();
    }
    io.out('verifying');
    const v = verify(source, target, skip);
    const problems = [...v.problems, ...(files?.problems ?? [])];
    const n = (t: string) => v.rows.get(t) ?? 0;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    io.out(
      `${problems.length === 0 ? 'migrated and verified' : 'migrated, but the copy differs'}: ` +
        `${v.rooms} rooms, ${n('updates')} updates, ${n('users')} users, ${n('sessions')} sessions, ` +
        `${v.auditEntries} audit entries (head ${v.auditHead ?? 'none'}), ` +
        `${filesLine(files, n('blobs'))} in ${secs} s`,
    );
    if (blobs) {
      const dropped = source.db
        .prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM uploads')
        .get()?.n;
      if (dropped) {
        io.out(`${dropped} uploads in progress were not moved: the app sends those files again`);
      }
    } else {
      io.out(
        `files: not copied (no --blobs): a node on PostgreSQL with --data ${dataDir} finds ` +
          `these ${n('blobs')} files where they are; several nodes need --blobs (s3://… or a ` +
          'directory they all mount): run this again with it to copy them there',
      );
    }
    if (files && files.missing.length > 0) {
      io.err(
        `warning: ${files.missing.length} files listed in the database were already missing ` +
          `from ${path.join(dataDir, 'files')} (not copied): ${files.missing.slice(0, 5).join(', ')}`,
      );
    }
    for (const p of problems) io.err(`differs: ${p}`);
    return problems.length === 0 ? 0 : 1;
  } finally {
    target?.close();
    source.close();
    rmSync(tmp, { recursive: true, force: true });
  }
}

function splitFlag(arg: string): [string, string | null] {
  const eq = arg.indexOf('=');
  return eq >= 0 ? [arg.slice(2, eq), arg.slice(eq + 1)] : [arg.slice(2), null];
}

function filesLine(files: FilesResult | null, listed: number): string {
  if (!files) return `${listed} files (left where they are)`;
  return `${listed} files (${files.copied} copied, ${files.present} already there)`;
}

function schemaVersionOf(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const has = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    if (!has) return 0;
    return (db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number }).v;
  } finally {
    db.close();
  }
}
