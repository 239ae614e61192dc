// The catch-up benchmark's relay: a real relay process (sync-server/src/cli.ts, accounts on,
// SQLite in a temp dir, an ephemeral port), its first admin, and accounts made through the
// admin API the way an administrator makes them (each person then chooses their own password).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchUser {
  id: string;
  username: string;
  password: string;
}

export interface BenchRelay {
  url: string;
  pid: number;
  createUser(name: string): Promise<BenchUser>;
  stop(): Promise<void>;
}

const ADMIN = { username: 'admin', displayName: 'Admin', password: 'admin-password-bench-1' };

/** `web`: the folder the relay serves at `/` (the benchmark's page). */
export async function startRelay(web: string): Promise<BenchRelay> {
  // Nothing to do when the compiled relay is newer than its sources (~0.1 s).
  const built = spawnSync(process.execPath, ['scripts/build-relay.mjs'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (built.status !== 0) throw new Error('could not build the relay (scripts/build-relay.mjs)');
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-bench-catchup-'));
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      // The compiled relay, as deployed (built by scripts/build-relay.mjs before the run).
      ...['--max-semi-space-size=2', 'sync-server/dist/ferry-relay.mjs'],
      ...['--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--web', web],
      // One office behind one address: every device of the bench signs in from 127.0.0.1.
      ...['--limit-api-address', '10000/1000/s', '--limit-upgrades-address', '1000/100/s'],
    ],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FERRY_ARGON2_MEMORY: '1024', FERRY_ARGON2_TIME: '1' },
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      for (const line of out.split('\n')) {
        const m = line.includes('"listening"') ? /"port":(\d+)/.exec(line) : null;
        if (m) resolve(Number(m[1]));
      }
      if (out.length > 100_000) out = out.slice(-10_000);
    });
    proc.once('exit', (code) =>
      reject(new Error(`relay exited with ${code}: ${err.slice(0, 500)}`)),
    );
  });
  // Keep draining its log so a full pipe never blocks the relay.
  proc.stdout?.resume();
  // RELAY_LOG=<file>: the relay's log lines go there too (why a socket was closed, what was refused).
  if (process.env.RELAY_LOG) {
    const log = createWriteStream(process.env.RELAY_LOG);
    proc.stdout?.pipe(log);
    proc.stderr?.pipe(log);
  }
  const url = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body: unknown, token: string) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  const setup = await call('POST', '/setup', ADMIN, '');
  if (setup.status !== 201) throw new Error(`setup: ${setup.status}`);
  const adminToken = setup.body.accessToken as string;
  return {
    url,
    pid: proc.pid ?? 0,
    async createUser(name) {
      const username = name.toLowerCase();
      const first = `pw-${username}-chosen-by-admin`;
      const made = await call(
        'POST',
        '/admin/users',
        { username, displayName: name, password: first, role: 'member' },
        adminToken,
      );
      if (made.status !== 201) throw new Error(`createUser ${username}: ${made.status}`);
      const login = await call('POST', '/auth/login', { username, password: first }, '');
      const token = login.body.accessToken as string;
      const password = `${first}-own`;
      const changed = await call(
        'POST',
        '/me/password',
        { currentPassword: first, newPassword: password },
        token,
      );
      if (changed.status !== 204) throw new Error(`password ${username}: ${changed.status}`);
      await call('POST', '/auth/logout', {}, token);
      return { id: (made.body.user as { id: string }).id, username, password };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        proc.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        if (proc.exitCode !== null) proc.emit('exit');
        else proc.kill('SIGTERM');
      }),
  };
}
