// `npm start` where there is no Electron binary: one clear line with the URL, a real relay
// behind it serving the web client, and Ctrl+C stops the relay cleanly (exit 0, nothing left).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-start-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

it('serves the app for a browser, says why in one line, and stops the relay on SIGINT', async () => {
  // A stand-in web build: the renderer need not be built for a unit-test run.
  const web = path.join(dir, 'web');
  await mkdir(web);
  await writeFile(path.join(web, 'index.html'), '<!doctype html><title>Ferry start test</title>');
  const args = ['scripts/start.mjs', '--port', '0', '--data', path.join(dir, 'data'), '--web', web];
  const child = spawn(process.execPath, args, {
    cwd: root,
    // Where the binary is installed (desktop CI runners), point Electron at an empty folder.
    env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: path.join(dir, 'no-electron') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = out.match(/Ferry is running: open (http:\/\/127\.0\.0\.1:\d+\/) in a browser\./);
      if (m?.[1] && out.includes('Ctrl+C stops Ferry.')) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`start.mjs exited early (${code}):\n${out}`)));
  });
  // Only what the person needs (issue 12): where the app is, the relay's address, and on a
  // relay without accounts how to create the first admin, with the setup code the relay
  // logged (it accepts that code from another machine).
  const code = out.match(/this setup code: (\S+)$/m)?.[1] ?? '';
  const relay = url.replace(/\/$/, '');
  expect(out.trim().split('\n')).toEqual([
    `Ferry is running: open ${url} in a browser.`,
    expect.stringMatching(
      /^ {2}\(Electron binary (not installed \(ELECTRON_SKIP_BINARY_DOWNLOAD\)|missing at .+): no desktop window\.\)$/,
    ),
    `  Relay:    ${relay}  (the server address people sign in to; data in ${path.join(dir, 'data')})`,
    '',
    'No accounts yet. Create the first admin account:',
    '  - on this computer: open the app, it offers "Create the first admin account";',
    `  - from another machine: open the app there, enter the relay address above and this setup code: ${code}`,
    '',
    'Ctrl+C stops Ferry.',
  ]);
  expect(code).toMatch(/^[\w-]{12}$/);
  const setup = await fetch(new URL('api/v1/server', url));
  expect(((await setup.json()) as { setupRequired: boolean }).setupRequired).toBe(true);

  expect((await fetch(new URL('healthz', url))).status).toBe(200);
  expect(await (await fetch(url)).text()).toContain('<title>Ferry start test</title>');

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(new URL('healthz', url))).rejects.toThrow(); // the relay is gone
}, 60_000);

it('a relay that cannot start is reported with its log, and start exits non-zero', async () => {
  const child = spawn(
    process.execPath,
    ['scripts/start.mjs', '--port', 'not-a-port', '--no-electron'],
    {
      cwd: root,
      env: { ...process.env, FERRY_SKIP_RENDERER_BUILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  expect(code).not.toBe(0);
  expect(err).toMatch(/--port/);
  expect(err).toMatch(/ferry: the relay exited \(code \d+\) before it was ready/);
}, 60_000);
