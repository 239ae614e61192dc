// The two servers the relay benchmark compares, each started as a child process on an
// ephemeral loopback port, with a way to stop it, to read its pid for /proc figures and to
// ask it (through probe.mjs) for its memory after a full GC.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const probeUrl = pathToFileURL(path.join(repoRoot, 'bench/relay/probe.mjs')).href;

export interface MemoryProbe {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

export interface RunningServer {
  readonly name: string;
  /** ws://127.0.0.1:<port> (rooms are appended as /<room>). */
  readonly url: string;
  /** The pid of the Node process that serves (the one whose CPU and memory we read). */
  readonly pid: number;
  /** http://127.0.0.1:<port> */
  readonly httpUrl: string;
  /** The server's own /metrics page, or null when it has none (the reference). */
  metrics(): Promise<string | null>;
  /** Full GC in the server, then its process.memoryUsage(). */
  probe(): Promise<MemoryProbe>;
  /** SIGTERM, then SIGKILL after 10 s; removes the server's temp data dir. */
  stop(): Promise<void>;
}

export interface ServerKind {
  readonly name: string;
  /** One line for the report: what exactly runs. */
  readonly description: string;
  /** How long after its last client left the server may keep a room in memory. */
  readonly roomIdleMs: number;
  /** Why this server cannot run here, or null when it can. */
  unavailable(): string | null;
  /** Work done once before any timed start (e.g. compiling the relay). */
  prepare?(): void;
  start(): Promise<RunningServer>;
}

/**
 * Finds the bound port in a server's output: a JSON log line with a numeric `port`, or
 * a loopback URL such as http://127.0.0.1:PORT in a line that is not JSON. (A JSON log line
 * without `port` is not searched for URLs: the relay logs its Redis URL before it listens.)
 */
export function findPort(line: string): number | null {
  const trimmed = line.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (typeof parsed === 'object' && parsed !== null) {
        const record = parsed as Record<string, unknown>;
        const address = record.address as Record<string, unknown> | undefined;
        const port = record.port ?? address?.port;
        return typeof port === 'number' && port > 0 ? port : null;
      }
    } catch {
      // not JSON after all; try the URL form below
    }
  }
  const url = /(?:127\.0\.0\.1|localhost|\[::1\]):(\d{2,5})\b/.exec(trimmed);
  return url?.[1] ? Number(url[1]) : null;
}

/** Extra Node flags for both servers (run.ts --server-node-args), e.g. --max-semi-space-size=1. */
const serverNodeArgs: string[] = [];
export function setServerNodeArgs(args: string[]): void {
  serverNodeArgs.splice(0, serverNodeArgs.length, ...args);
}

export interface SpawnSpec {
  name: string;
  /** Whether the server serves Prometheus metrics at /metrics. */
  hasMetrics?: boolean;
  /** Script and its arguments (run with the probe and --expose-gc, and tsx unless compiled). */
  args: string[];
  /** The script is JavaScript: no TypeScript loader (tsx) in the server process. */
  compiled?: boolean;
  env?: Record<string, string>;
  cleanup?: () => void;
  /**
   * Start through `setpriv --pdeathsig KILL` (which execs, so the pid is still the server's):
   * the server dies with the benchmark even when the benchmark itself is killed.
   */
  dieWithParent?: boolean;
}

/** Starts the server and resolves once its output names the port it listens on. */
export function startNode(spec: SpawnSpec): Promise<RunningServer> {
  const nodeArgs = [
    '--expose-gc',
    ...serverNodeArgs,
    ...(spec.compiled ? [] : ['--import', 'tsx']),
    '--import',
    probeUrl,
    ...spec.args,
  ];
  const child = spawn(
    spec.dieWithParent ? 'setpriv' : process.execPath,
    spec.dieWithParent ? ['--pdeathsig', 'KILL', '--', process.execPath, ...nodeArgs] : nodeArgs,
    {
      cwd: repoRoot,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const tail: string[] = [];
  const probeWaiters: ((probe: MemoryProbe) => void)[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise<RunningServer>((resolve, reject) => {
    let port: number | null = null;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${spec.name} did not report a port within 30 s:\n${tail.join('\n')}`));
    }, 30_000);
    const onLine = (line: string): void => {
      if (line.startsWith('{"benchProbe":')) {
        const probe = (JSON.parse(line) as { benchProbe: MemoryProbe }).benchProbe;
        probeWaiters.shift()?.(probe);
        return;
      }
      if (process.env.BENCH_SERVER_LOG) console.log(`[${spec.name}] ${line}`);
      if (tail.length >= 20) tail.shift();
      tail.push(line);
      if (port !== null) return;
      port = findPort(line);
      if (port === null) return;
      clearTimeout(timer);
      const pid = child.pid ?? -1;
      resolve({
        name: spec.name,
        url: `ws://127.0.0.1:${port}`,
        httpUrl: `http://127.0.0.1:${port}`,
        pid,
        metrics: async () => {
          if (!spec.hasMetrics) return null;
          const response = await fetch(`http://127.0.0.1:${port}/metrics`);
          return response.ok ? response.text() : null;
        },
        probe: () =>
          child.exitCode !== null || child.signalCode !== null
            ? Promise.reject(new Error(`${spec.name} exited:\n${tail.join('\n')}`))
            : new Promise<MemoryProbe>((resolveProbe) => {
                probeWaiters.push(resolveProbe);
                child.kill('SIGUSR2');
              }),
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) {
            child.kill('SIGTERM');
            const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            await exited;
            clearTimeout(killer);
          }
          spec.cleanup?.();
        },
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) onLine(line.trim());
      });
    }
    child.once('error', (error) => {
      clearTimeout(timer);
      spec.cleanup?.();
      reject(error);
    });
    child.once('exit', (code, signal) => {
      if (port !== null) return;
      clearTimeout(timer);
      spec.cleanup?.();
      reject(
        new Error(`${spec.name} exited (${code ?? signal}) before listening:\n${tail.join('\n')}`),
      );
    });
  });
}

export const reference: ServerKind = {
  name: 'reference',
  description:
    '@y/websocket-server 0.1.1, in memory (bench/relay/reference-server.mjs, plain node)',
  // It keeps every room in memory for ever when it runs without persistence.
  roomIdleMs: 0,
  unavailable: () => null,
  start: () =>
    startNode({
      name: 'reference',
      args: ['bench/relay/reference-server.mjs'],
      compiled: true,
      env: { HOST: '127.0.0.1' },
    }),
};

const ferryEntry = 'sync-server/src/cli.ts';
/** What production runs (npm start, npm run relay, the bin): scripts/build-relay.mjs's bundle. */
export const ferryBundle = 'sync-server/dist/ferry-relay.mjs';
/** The relay's default (--room-idle-ms), passed explicitly so the benchmark knows what to wait. */
const FERRY_ROOM_IDLE_MS = 30_000;

let relayBuilt = false;
/** Compiles the relay as `npm start` does (incremental), once per benchmark process. */
function buildRelay(): void {
  if (relayBuilt) return;
  const built = spawnSync(process.execPath, ['scripts/build-relay.mjs'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error(`relay build failed (${built.status ?? built.signal})`);
  relayBuilt = true;
}

/**
 * Ferry's relay from `entry`: its compiled bundle (the default, what ships), its TypeScript
 * sources through tsx (cli.ts, as before issue 16), or another copy of the sources (e.g. an
 * older commit extracted with `git archive`) to compare two in one run.
 */
export function ferryFrom(entry: string, name = 'ferry', extraArgs: string[] = []): ServerKind {
  // A `.mjs` entry is a compiled bundle (this tree's, or a copy of another commit's placed
  // beside it in sync-server/dist so its packages and `import.meta.url`s resolve the same).
  const compiled = entry.endsWith('.mjs');
  const ownBundle = entry === ferryBundle;
  const how = compiled ? 'compiled, plain node' : 'TypeScript through tsx';
  return {
    name,
    description: `Ferry relay (${entry}, ${how}), durable SQLite storage in a fresh temp dir, default settings, --no-auth`,
    roomIdleMs: FERRY_ROOM_IDLE_MS,
    unavailable: () =>
      ownBundle || existsSync(path.resolve(repoRoot, entry)) ? null : `${entry} does not exist yet`,
    prepare: ownBundle ? buildRelay : undefined,
    start: () => {
      if (ownBundle) buildRelay(); // done already when run.ts called prepare()
      const data = mkdtempSync(path.join(tmpdir(), 'ferry-bench-relay-'));
      // `node --import tsx` is what `npx tsx` runs, minus its wrapper processes, so the pid we
      // measure is the relay itself.
      return startNode({
        name,
        hasMetrics: true,
        compiled,
        args: [
          entry,
          ...['--host', '127.0.0.1', '--port', '0', '--data', data],
          ...['--room-idle-ms', String(FERRY_ROOM_IDLE_MS)],
          // The load generator's clients are stock y-websocket clients without accounts and its
          // updates are not conversation documents, as with the reference server: this measures
          // the relay's transport and storage, without accounts or authorship checks.
          '--no-auth',
          ...extraArgs,
        ],
        cleanup: () => rmSync(data, { recursive: true, force: true }),
      });
    },
  };
}

/** The relay as it ships (compiled). */
export const ferry: ServerKind = ferryFrom(ferryBundle);
/** The relay's sources through tsx, as production ran it before issue 16 (startup figures). */
export const ferryTsx: ServerKind = ferryFrom(ferryEntry, 'ferry-tsx');
