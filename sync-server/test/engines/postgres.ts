// A real PostgreSQL for tests: initdb on a temporary directory, the postmaster in the foreground
// on 127.0.0.1 and an ephemeral port, fsync on (durability is what the relay's tests check).
// As root (CI) it runs as the `postgres` system user, since initdb and postgres refuse root.
//
//   const pg = await startPostgres();   // pg.url = postgres://ferry@127.0.0.1:PORT/ferry
//   await pg.stop(); await pg.start();  // "PostgreSQL stopped" tests: same port, same data
//   await pg.kill();                    // SIGKILL: crash recovery on the next start
//   await pg.dispose();                 // stopped and removed (also done at process exit)
import { mkdirSync, readdirSync, readlinkSync, chownSync } from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import {
  exited,
  findBinary,
  freePort,
  pollUntil,
  removeDir,
  runAsFor,
  runToEnd,
  spawnEngine,
  tempDir,
  trackDir,
} from './common';

/** Debian keeps the server binaries off PATH. */
const DEBIAN_DIRS = [
  '/usr/lib/postgresql/17/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/15/bin',
];
const HINT = 'install Debian\'s "postgresql" package (.ci/run does)';
const USER = 'ferry';

export interface PostgresEngine {
  /** postgres://ferry@127.0.0.1:PORT/ferry (trust auth, loopback only). */
  readonly url: string;
  readonly port: number;
  readonly database: string;
  /** The temporary directory (data/ and the unix socket directory sock/). */
  readonly dir: string;
  running(): boolean;
  /** Starts again after stop() or kill(): same port, same data; resolves once it accepts queries. */
  start(): Promise<void>;
  /** Fast shutdown (SIGINT): clients are disconnected, committed data is kept. */
  stop(): Promise<void>;
  /** SIGKILL of the postmaster (a crash): resolves once no process of it is left. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Another empty database on the same server (isolation within a shared instance); its URL. */
  createDatabase(name: string): Promise<string>;
  /** The server's recent log output (for failure messages). */
  log(): string;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

export interface PostgresOptions {
  database?: string;
  /** Time allowed to accept connections (initdb not included). */
  readyTimeoutMs?: number;
}

/** Processes whose working directory is this data directory: the postmaster and its children. */
function processesIn(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dataDir) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function query(port: number, database: string, sql: string): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: USER, database });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresEngine> {
  const initdb = findBinary('initdb', DEBIAN_DIRS, HINT);
  const postgresBin = path.join(path.dirname(initdb), 'postgres');
  const database = options.database ?? 'ferry';
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const runAs = runAsFor('postgres');
  const dir = tempDir('ferry-pg-', runAs);
  trackDir(dir);
  const dataDir = path.join(dir, 'data');
  const sockDir = path.join(dir, 'sock');
  mkdirSync(sockDir, { mode: 0o700 });
  if (runAs) chownSync(sockDir, runAs.uid, runAs.gid);
  // No fsync during initdb only: a test never survives an OS crash, only process crashes.
  await runToEnd(
    initdb,
    [
      '-D',
      dataDir,
      '-U',
      USER,
      '-A',
      'trust',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
      '--no-instructions',
    ],
    runAs,
  );

  let port = await freePort();
  let child: ChildProcess | null = null;
  let output = '';

  const launch = (): ChildProcess => {
    const args = ['-D', dataDir, '-p', String(port), '-k', sockDir];
    const settings = {
      listen_addresses: '127.0.0.1',
      fsync: 'on',
      synchronous_commit: 'on',
      full_page_writes: 'on',
      shared_buffers: '16MB',
      max_connections: '200',
      huge_pages: 'off',
      log_min_messages: 'warning',
    };
    for (const [key, value] of Object.entries(settings)) args.push('-c', `${key}=${value}`);
    const proc = spawnEngine(postgresBin, args, runAs);
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    return proc;
  };

  const waitReady = async (proc: ChildProcess) => {
    await pollUntil(
      () => query(port, 'postgres', 'SELECT 1').then(() => true),
      () => (proc.exitCode !== null || proc.signalCode !== null ? `exited:\n${output}` : null),
      readyTimeoutMs,
      `postgres on port ${port}`,
    );
  };

  const start = async (): Promise<void> => {
    if (child) return;
    // After a kill, wait for the orphaned backends: their shared memory blocks a new postmaster.
    await pollUntil(
      async () => processesIn(dataDir).length === 0,
      () => null,
      10_000,
      'old postgres processes to exit',
    );
    const proc = launch();
    child = proc;
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    await waitReady(proc);
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill('SIGINT');
    await exited(proc);
  };

  const kill = async (): Promise<void> => {
    const proc = child;
    if (proc) {
      proc.kill('SIGKILL');
      await exited(proc);
    }
    await pollUntil(
      async () => processesIn(dataDir).length === 0,
      () => null,
      10_000,
      'postgres backends to exit after SIGKILL',
    );
  };

  // First start: an ephemeral port may be taken between freePort() and the bind; try another.
  for (let attempt = 0; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      await kill();
      if (attempt >= 2 || !/could not (bind|create listen)/i.test(output)) {
        removeDir(dir);
        throw error;
      }
      port = await freePort();
    }
  }
  await query(port, 'postgres', `CREATE DATABASE "${database}"`);

  return {
    url: `postgres://${USER}@127.0.0.1:${port}/${database}`,
    port,
    database,
    dir,
    running: () => child !== null,
    start,
    stop,
    kill,
    restart: async () => {
      await stop();
      await start();
    },
    createDatabase: async (name) => {
      await query(port, 'postgres', `CREATE DATABASE "${name.replace(/"/g, '')}"`);
      return `postgres://${USER}@127.0.0.1:${port}/${name}`;
    },
    log: () => output,
    dispose: async () => {
      await stop();
      removeDir(dir);
    },
  };
}

/**
 * One PostgreSQL for the whole test file: started before its first test, disposed after its
 * last (and at process exit whatever happens). Call at the top level of a test file.
 */
export function usePostgres(options: PostgresOptions = {}): () => PostgresEngine {
  let engine: PostgresEngine | null = null;
  beforeAll(async () => {
    engine = await startPostgres(options);
  }, 60_000);
  afterAll(async () => {
    await engine?.dispose();
    engine = null;
  });
  return () => {
    if (!engine) throw new Error('usePostgres(): the engine is used outside the tests of its file');
    return engine;
  };
}
