// Relay deployments for the cluster benchmark: N real `ferry-relay` processes (`--no-auth`,
// loopback), on SQLite (one node), on PostgreSQL, or on PostgreSQL + Redis with a distinct
// --node-id and data directory each. The engines are the relay tests' own (started on temp
// dirs and ephemeral ports, dying with this process); the nodes of a cluster share a files
// directory (--blobs). Every relay started here is killed at
// exit, whatever happened before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPostgres, type PostgresEngine } from '../../sync-server/test/engines/postgres';
import { startRedis, type RedisEngine } from '../../sync-server/test/engines/redis';
import { startNode, type RunningServer } from '../relay/servers';

export type Storage = 'sqlite' | 'postgres' | 'postgres+redis';

export interface Engines {
  pg: PostgresEngine;
  redis: RedisEngine;
  dispose(): Promise<void>;
}

export async function startEngines(): Promise<Engines> {
  const pg = await startPostgres();
  const redis = await startRedis().catch(async (error: unknown) => {
    await pg.dispose();
    throw error;
  });
  return {
    pg,
    redis,
    dispose: async () => {
      await Promise.all([pg.dispose(), redis.dispose()]);
    },
  };
}

export interface Deployment {
  readonly label: string;
  readonly storage: Storage;
  /** Index i is node i; null once killed. */
  readonly nodes: (RunningServer | null)[];
  /** The ports the nodes listen on (a killed node's port stays, as in a load balancer's list). */
  readonly ports: number[];
  node(i: number): RunningServer;
  /** ws://127.0.0.1:PORT of node i (rooms are appended). */
  url(i: number): string;
  /** kill -9 of node i; resolves once the process is gone. */
  kill(i: number): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<RunningServer>();
/** SIGKILL for every relay still running: at exit, and on SIGINT/SIGTERM of the bench. */
function killAll(): void {
  for (const server of live) {
    try {
      process.kill(server.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

const cli = 'sync-server/src/cli.ts';

/**
 * Waits for /readyz to say ready, as a load balancer's health check would: a node listens
 * before it has reached Redis, and hangs up on sockets until it has.
 */
async function ready(server: RunningServer, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await fetch(`${server.httpUrl}/readyz`).catch(() => null);
    if (response?.ok) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${server.name}: not ready after ${timeoutMs / 1000} s: ${await response?.text()}`,
      );
    }
    await sleep(50);
  }
}
let databases = 0;

/** Starts `count` nodes one after the other (the first migrates a fresh database). */
export async function startDeployment(
  storage: Storage,
  count: number,
  engines: Engines,
): Promise<Deployment> {
  if (storage === 'sqlite' && count !== 1) throw new Error('SQLite is one node only');
  const database =
    storage === 'sqlite' ? null : await engines.pg.createDatabase(`bench_${++databases}`);
  const nodes: (RunningServer | null)[] = [];
  const dirs: string[] = [];
  // Several nodes need one place for file bytes (the benchmark sends none): a shared directory.
  const files =
    storage === 'postgres+redis' ? mkdtempSync(path.join(tmpdir(), 'ferry-bench-files-')) : null;
  if (files) dirs.push(files);
  const stop = async (): Promise<void> => {
    await Promise.all(
      nodes.map(async (n) => {
        if (!n) return;
        await n.stop();
        live.delete(n);
      }),
    );
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < count; i++) {
      const dir = mkdtempSync(path.join(tmpdir(), `ferry-bench-cluster-${i}-`));
      dirs.push(dir);
      const shared = database
        ? [
            ...['--database', database],
            ...(files ? ['--redis', engines.redis.url, '--blobs', files] : []),
            ...['--node-id', `bench-node${i}`],
          ]
        : [];
      const server = await startNode({
        name: `node${i}`,
        hasMetrics: true,
        dieWithParent: true,
        args: [
          cli,
          ...['--host', '127.0.0.1', '--port', '0', '--data', dir, '--no-auth'],
          ...shared,
        ],
      });
      live.add(server);
      nodes.push(server);
      await ready(server);
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const ports = nodes.map((n) => Number(new URL(n?.httpUrl ?? 'http://x:0').port));
  const node = (i: number): RunningServer => {
    const n = nodes[i];
    if (!n) throw new Error(`node ${i} is not running`);
    return n;
  };
  return {
    label: `${count} node${count > 1 ? 's' : ''}, ${storage}`,
    storage,
    nodes,
    ports,
    node,
    url: (i) => node(i).url,
    kill: async (i) => {
      const n = node(i);
      nodes[i] = null;
      live.delete(n);
      process.kill(n.pid, 'SIGKILL');
      await n.stop(); // resolves at once for a dead process; removes nothing else
    },
    stop,
  };
}
