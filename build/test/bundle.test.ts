// The esbuild bundles themselves (what ships in the asar), run under Node with a stand-in
// `electron` module: everything they need is inside them, and they start the way app.ts says.
import { spawnSync } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DESKTOP_API_MEMBERS, VERSION_ARG_PREFIX } from '../../core/src/desktop/api';
import { buildElectron } from '../../scripts/build-electron.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fake = path.join(root, 'build/test/fixtures/fake-electron.cjs');

let out: string;
beforeAll(async () => {
  // Its own output folder: the packaging test rebuilds dist/electron in parallel.
  out = await buildElectron({ outDir: await mkdtemp(path.join(os.tmpdir(), 'ferry-bundle-')) });
}, 60_000);
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

function run(file: string, env: Record<string, string>, args: string[] = []) {
  const result = spawnSync(process.execPath, ['--require', fake, path.join(out, file), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const last = result.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as {
    calls: string[];
    exposed: { key: string; members: string[]; kind: string; version: string } | null;
  };
}

it('main.cjs needs only Node built-ins and electron (electron-log and electron-updater are inside)', async () => {
  const main = await readFile(path.join(out, 'main.cjs'), 'utf8');
  const required = new Set([...main.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] ?? ''));
  const allowed = new Set([
    'electron',
    ...builtinModules,
    ...builtinModules.map((m) => `node:${m}`),
  ]);
  expect([...required].filter((r) => !allowed.has(r))).toEqual([]);
  expect(main).toContain('GenericProvider');
});

it('main.cjs: a second instance registers app:// and quits at the lock', () => {
  const { calls } = run('main.cjs', { FAKE_ELECTRON_LOCK: '0' });
  expect(calls).toEqual(['registerSchemesAsPrivileged app', 'requestSingleInstanceLock', 'quit']);
});

it('main.cjs: the first instance listens for links and guards web contents before ready', () => {
  const { calls } = run('main.cjs', { FAKE_ELECTRON_LOCK: '1' });
  expect(calls.slice(0, 2)).toEqual([
    'registerSchemesAsPrivileged app',
    'requestSingleInstanceLock',
  ]);
  expect(calls).toContain('app.on second-instance');
  expect(calls).toContain('app.on open-url');
  expect(calls).toContain('app.on web-contents-created');
  expect(calls.indexOf('app.on web-contents-created')).toBeLessThan(calls.indexOf('whenReady'));
  expect(calls).not.toContain('quit');
});

it('preload.cjs exposes exactly window.ferry with the version main passed', () => {
  const { exposed } = run('preload.cjs', { FAKE_ELECTRON_PROCESS: 'renderer' }, [
    `${VERSION_ARG_PREFIX}7.8.9`,
  ]);
  expect(exposed).toEqual({
    key: 'ferry',
    kind: 'electron',
    version: '7.8.9',
    members: [...DESKTOP_API_MEMBERS],
  });
});
