// Shared plumbing of the test engines (PostgreSQL, Redis): free ports, binaries, running as an
// unprivileged user when the tests run as root, and the guarantee that no engine outlives the
// test process (the parent-death signal, plus exit hooks as a second line).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chownSync, constants, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** A port that was free a moment ago on 127.0.0.1 (the engine binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** The first executable named `name` on PATH or in one of `extraDirs`; a clear error otherwise. */
export function findBinary(name: string, extraDirs: string[], installHint: string): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} not found on PATH nor in ${extraDirs.join(', ')}: ${installHint}`);
}

export interface RunAs {
  uid: number;
  gid: number;
  name: string;
}

/** The unprivileged user to run a server as when we are root (PostgreSQL refuses root). */
export function runAsFor(user: string): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  if (uid.status !== 0 || gid.status !== 0) {
    throw new Error(`running as root and there is no '${user}' user to run the engine as`);
  }
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), name: user };
}

/** A fresh temporary directory, owned by `runAs` when given. */
export function tempDir(prefix: string, runAs: RunAs | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  return dir;
}

const live = new Set<ChildProcess>();
const dirs = new Set<string>();

/** Removes the directory at process exit at the latest (and when `removeDir` is called). */
export function trackDir(dir: string): void {
  dirs.add(dir);
}

export function removeDir(dir: string): void {
  dirs.delete(dir);
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Spawns `command` so that it dies with this process even on SIGKILL of the test worker:
 * `setpriv --pdeathsig KILL` (which also switches user when `runAs` is given). The engine must
 * run in the foreground (no daemonizing), or the signal would not reach it.
 */
export function spawnEngine(command: string, args: string[], runAs: RunAs | null): ChildProcess {
  const user = runAs ? [`--reuid=${runAs.uid}`, `--regid=${runAs.gid}`, '--init-groups'] : [];
  const child = spawn('setpriv', [...user, '--pdeathsig', 'KILL', '--', command, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs a short command (initdb) to its end, as `runAs`; rejects with its output on failure. */
export function runToEnd(command: string, args: string[], runAs: RunAs | null): Promise<string> {
  const child = spawnEngine(command, args, runAs);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0
        ? resolve(output)
        : reject(new Error(`${path.basename(command)} exited ${code}:\n${output}`)),
    );
  });
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Polls `probe` until it resolves true, failing early with `failure()` when it returns a reason
 * (the engine exited), and after `timeoutMs` at the latest.
 */
export async function pollUntil(
  probe: () => Promise<boolean>,
  failure: () => string | null,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = failure();
    if (reason) throw new Error(`${what}: ${reason}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function killAllNow(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

// A test file that ends or fails leaves nothing running nor on disk. A test process killed by a
// signal runs no hook: the parent-death signal (spawnEngine) still ends its engines.
process.once('exit', killAllNow);

/** How many engine processes this test process has running (for the fixtures' own tests). */
export function liveEngines(): number {
  return live.size;
}
