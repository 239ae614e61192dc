// `npm start` where there is no Electron binary: one clear line with the URL, a real relay
// behind it, and Ctrl+C stops the relay cleanly (exit code 0, nothing left running).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'ferry-start-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

it('serves the app for a browser, says why in one line, and stops the relay on SIGINT', async () => {
  const child = spawn(
    process.execPath,
    ['scripts/start.mjs', '--port', '0', '--data', dataDir, '--no-electron'],
    {
      cwd: root,
      // The renderer may not be built in a unit-test run; the relay then serves no web client.
      env: { ...process.env, FERRY_SKIP_RENDERER_BUILD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  let out = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = out.match(/open Ferry in a browser: (http:\/\/127\.0\.0\.1:\d+\/)/);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`start.mjs exited early (${code}):\n${out}`)));
  });
  expect(out).toMatch(
    /^Electron disabled \(--no-electron\) — open Ferry in a browser: http:\/\/127\.0\.0\.1:\d+\/$/m,
  );

  const health = await fetch(new URL('healthz', url));
  expect(health.status).toBe(200);

  child.kill('SIGINT');
  expect(await exited).toBe(0);
  await expect(fetch(new URL('healthz', url))).rejects.toThrow(); // the relay is gone
}, 60_000);
