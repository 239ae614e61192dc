// The compiled relay (issue 16): scripts/build-relay.mjs bundles the relay to
// sync-server/dist/ferry-relay.mjs, which production runs with plain `node` (npm start, npm run
// relay, the bin, the systemd units, the Dockerfile). Built here, started on an ephemeral port
// with a temp data dir: it serves, its PostgreSQL worker thread is found, and SIGTERM drains.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { usePostgres } from './engines/postgres';
import { RelayProcess, TEST_ARGON2, removeDir, repoRoot, tempDir } from './helpers';

const bundle = path.join(repoRoot, 'sync-server/dist/ferry-relay.mjs');
const engine = usePostgres();

/** Starts the compiled relay on port 0 and waits for its "listening" line. */
async function startCompiled(
  dataDir: string,
  args: string[] = [],
  nodeArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<RelayProcess> {
  const proc = spawn(
    process.execPath,
    [
      ...nodeArgs,
      bundle,
      ...['--host', '127.0.0.1', '--port', '0', '--data', dataDir, '--no-auth', ...args],
    ],
    { cwd: repoRoot, env: { ...process.env, FERRY_LOG_LEVEL: 'info', ...TEST_ARGON2, ...env } },
  );
  const relay = new RelayProcess(proc, dataDir);
  const line = await relay.waitForLog((l) => l.msg === 'listening');
  relay.port = Number(line.port);
  relay.http = `http://127.0.0.1:${relay.port}`;
  return relay;
}

/** Serves /healthz, then exits 0 on SIGTERM after its "drained" line. */
async function servesAndDrains(relay: RelayProcess): Promise<void> {
  const health = await fetch(`${relay.http}/healthz`);
  expect(health.status).toBe(200);
  const exit = await relay.stop('SIGTERM');
  expect(exit).toEqual({ code: 0, signal: null });
  expect(relay.logs.some((l) => l.msg.startsWith('drained'))).toBe(true);
  // Plain node ran it: no TypeScript loader in the process.
  expect(relay.stderr).not.toMatch(/tsx/);
}

describe('compiled relay', () => {
  beforeAll(() => {
    const built = spawnSync(process.execPath, ['scripts/build-relay.mjs'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(built.stderr).toBe('');
    expect(built.status).toBe(0);
  }, 60_000);

  it('resolves every file it names relative to its sources (worker entries, package.json)', () => {
    // The bundle and the chunks it loads on demand, all in the same folder.
    const dist = path.dirname(bundle);
    const text = readdirSync(dist)
      .filter((f) => f === 'ferry-relay.mjs' || (f.startsWith('relay-') && f.endsWith('.mjs')))
      .map((f) => readFileSync(path.join(dist, f), 'utf8'))
      .join('\n');
    const own = /new URL\("([^"]+)", new URL\("([^"]+)", import\.meta\.url\)\.href\)/g;
    const named = [...text.matchAll(own)].map(([, file = '', source = '']) =>
      fileURLToPath(new URL(file, new URL(source, `file://${bundle}`))),
    );
    expect(named.map((f) => path.relative(repoRoot, f))).toContain(
      path.join('sync-server', 'src', 'db', 'pg-worker.mjs'),
    );
    for (const file of named) expect(existsSync(file), file).toBe(true);
  });

  it('serves on SQLite and exits cleanly on SIGTERM', async () => {
    const dir = tempDir();
    try {
      await servesAndDrains(await startCompiled(dir));
    } finally {
      removeDir(dir);
    }
  });

  it('runs its PostgreSQL worker thread and exits cleanly on SIGTERM', async () => {
    const dir = tempDir();
    try {
      const database = await engine().createDatabase('compiled');
      await servesAndDrains(await startCompiled(dir, ['--database', database]));
    } finally {
      removeDir(dir);
    }
  });

  it('loads no optional integration on a plain SQLite start (S3, Redis, tus, OIDC, LDAP)', async () => {
    // Every module file the process loads is recorded: ES modules by a resolve hook (it runs
    // in the loader thread), CommonJS ones from require.cache when the process exits.
    const dir = tempDir();
    try {
      const out = path.join(dir, 'loaded.txt');
      const hook = path.join(dir, 'hook.mjs');
      const preload = path.join(dir, 'preload.mjs');
      writeFileSync(
        hook,
        `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(${JSON.stringify(out)}, resolved.url + '\\n');
  return resolved;
}
`,
      );
      writeFileSync(
        preload,
        `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(pathToFileURL(hook).href)});
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => appendFileSync(${JSON.stringify(out)}, Object.keys(cache).join('\\n')));
`,
      );
      const data = path.join(dir, 'data');
      const relay = await startCompiled(data, [], ['--import', pathToFileURL(preload).href]);
      await servesAndDrains(relay);
      const loaded = readFileSync(out, 'utf8').replaceAll('\\', '/');
      const packages = (names: string[]) =>
        names.filter((name) => loaded.includes(`/node_modules/${name}/`));
      // The recording works: what every start needs is there (ESM and CommonJS).
      expect(packages(['yjs', 'better-sqlite3', 'ws'])).toEqual(['yjs', 'better-sqlite3', 'ws']);
      expect(
        packages([
          '@aws-sdk/client-s3',
          '@redis/client',
          '@tus/server',
          '@tus/file-store',
          'openid-client',
          'ldapts',
        ]),
      ).toEqual([]);
    } finally {
      removeDir(dir);
    }
  });

  it('is what the ferry-relay bin runs', () => {
    const help = spawnSync(process.execPath, ['sync-server/bin/ferry-relay.js', '--help'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(help.status).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toContain('--room-idle-ms');
  });
});
