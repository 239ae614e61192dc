// A real Redis for tests (Debian's redis-server), pub/sub only: no persistence, in the
// foreground on 127.0.0.1 and an ephemeral port. kill() + start() is "Redis restarted": same
// port, empty server, every connection cut.
//
//   const redis = await startRedis();   // redis.url = redis://127.0.0.1:PORT
//   await redis.kill(); await redis.start();
//   await redis.dispose();              // also done at process exit
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import {
  exited,
  findBinary,
  freePort,
  pollUntil,
  removeDir,
  spawnEngine,
  tempDir,
  trackDir,
} from './common';

const HINT = 'install Debian\'s "redis-server" package (.ci/run does)';

export interface RedisEngine {
  /** redis://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  running(): boolean;
  /** Starts again after stop() or kill() on the same port; resolves once it answers PING. */
  start(): Promise<void>;
  /** SIGTERM: a clean shutdown. */
  stop(): Promise<void>;
  /** SIGKILL: connections cut without a word. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  log(): string;
  dispose(): Promise<void>;
}

/** One PING over a fresh connection: true on +PONG. */
export function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

export async function startRedis(options: { readyTimeoutMs?: number } = {}): Promise<RedisEngine> {
  const bin = findBinary('redis-server', ['/usr/bin', '/usr/sbin'], HINT);
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const dir = tempDir('ferry-redis-', null);
  trackDir(dir);
  let port = await freePort();
  let child: ChildProcess | null = null;
  let output = '';

  const start = async (): Promise<void> => {
    if (child) return;
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--loglevel',
      'warning',
    ];
    const proc = spawnEngine(bin, args, null);
    child = proc;
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => {
      if (child === proc) child = null;
    });
    await pollUntil(
      () => ping(port),
      () => (proc.exitCode !== null || proc.signalCode !== null ? `exited:\n${output}` : null),
      readyTimeoutMs,
      `redis-server on port ${port}`,
    );
  };

  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc) return;
    proc.kill(signal);
    await exited(proc);
  };

  // An ephemeral port may be taken between freePort() and the bind: try another.
  for (let attempt = 0; ; attempt++) {
    try {
      await start();
      break;
    } catch (error) {
      await halt('SIGKILL');
      if (attempt >= 2 || !/address already in use/i.test(output)) {
        removeDir(dir);
        throw error;
      }
      port = await freePort();
    }
  }

  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    running: () => child !== null,
    start,
    stop: () => halt('SIGTERM'),
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGTERM');
      await start();
    },
    log: () => output,
    dispose: async () => {
      await halt('SIGTERM');
      removeDir(dir);
    },
  };
}

/** One Redis for the whole test file (see usePostgres). Call at the top level of a test file. */
export function useRedis(): () => RedisEngine {
  let engine: RedisEngine | null = null;
  beforeAll(async () => {
    engine = await startRedis();
  }, 30_000);
  afterAll(async () => {
    await engine?.dispose();
    engine = null;
  });
  return () => {
    if (!engine) throw new Error('useRedis(): the engine is used outside the tests of its file');
    return engine;
  };
}
