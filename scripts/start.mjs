#!/usr/bin/env node
// `npm start`: the relay (embedded SQLite in ./data) and the desktop app, one command.
//
// 1. builds the renderer if dist/renderer is missing or older than its sources, and the relay
//    (sync-server/dist/ferry-relay.mjs, scripts/build-relay.mjs) if it is missing or older;
// 2. starts the relay: 127.0.0.1:7880, data in ./data, serving dist/renderer at /;
// 3. starts Electron pointed at the relay if its binary is installed; otherwise prints one
//    line saying so and the URL to open in a browser;
// 4. runs until Ctrl+C (or SIGTERM, or the Electron window is closed) and stops the relay
//    cleanly (it drains and flushes before exiting).
//
// Options: --port N (0 = any free port), --data DIR, --web DIR (a built web client other than
// dist/renderer), --no-electron (browser only).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectron, electronBinary } from './build-electron.mjs';
import { buildRelay, relayBundle } from './build-relay.mjs';
import { readyLines, setupCodeOf } from './start-output.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const host = '127.0.0.1';
const port = option('--port', process.env.FERRY_PORT ?? '7880');
const dataDir = path.resolve(root, option('--data', process.env.FERRY_DATA ?? './data'));
const wantElectron = !args.includes('--no-electron') && process.env.FERRY_NO_ELECTRON !== '1';
const builtWeb = path.join(root, 'dist', 'renderer');
const webDir = path.resolve(root, option('--web', builtWeb));

/** Newest modification time of the files under `dir` (skips node_modules). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  const s = statSync(dir);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'test') continue;
    max = Math.max(max, newest(path.join(dir, name)));
  }
  return max;
}

function rendererOutdated() {
  const index = path.join(builtWeb, 'index.html');
  if (!existsSync(index)) return 'missing';
  const built = statSync(index).mtimeMs;
  const sources = Math.max(
    newest(path.join(root, 'renderer')),
    newest(path.join(root, 'core', 'src')),
    newest(path.join(root, 'package.json')),
  );
  return sources > built ? 'outdated' : null;
}

const why =
  process.env.FERRY_SKIP_RENDERER_BUILD === '1' || webDir !== builtWeb ? null : rendererOutdated();
if (why) {
  console.log(`Building the app (${why === 'missing' ? 'first start' : 'its sources changed'})…`);
  const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
  // Warnings still show (the chunk-size one is fixed at its cause in renderer/vite.config.ts).
  const built = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn'],
    { cwd: root, stdio: 'inherit' },
  );
  if (built.status !== 0) {
    console.error(`ferry: renderer build failed (exit ${built.status ?? built.signal})`);
    process.exit(1);
  }
}

// The relay runs compiled (no TypeScript loader: less memory, listens sooner; bench/README.md)
// as a direct child, so signals reach it, not a shim. About 0.3 s when its sources changed.
try {
  await buildRelay({ quiet: true }); // ~0.3 s, only when its sources changed: no line for it
} catch (error) {
  console.error(`ferry: relay build failed: ${error.message}`);
  process.exit(1);
}
// A small young generation keeps idle sockets cheap, as in deploy/ (bench/README.md).
const relayArgs = ['--max-semi-space-size=2', relayBundle, '--host', host, '--port', port];
relayArgs.push('--data', dataDir);
if (existsSync(path.join(webDir, 'index.html'))) relayArgs.push('--web', webDir);
const relay = spawn(process.execPath, relayArgs, {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let relayExited = false;
const relayExit = new Promise((resolve) => {
  relay.once('exit', (code, signal) => {
    relayExited = true;
    resolve(code ?? (signal ? 1 : 0));
  });
});

/** @type {import('node:child_process').ChildProcess | null} */
let app = null;
let stopping = false;
let ready = false;
/** The relay's one-time code for creating the first admin from another machine (its log). */
let setupCode = null;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  if (app && app.exitCode === null) app.kill('SIGTERM');
  if (!relayExited) relay.kill('SIGTERM');
  const relayCode = await relayExit;
  process.exit(code ?? relayCode);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

const url = await new Promise((resolve) => {
  let buffer = '';
  /** The relay's first log lines, shown if it fails to start. */
  const early = [];
  relay.stdout.setEncoding('utf8');
  relay.stdout.on('data', (chunk) => {
    buffer += chunk;
    let nl;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (process.env.FERRY_VERBOSE === '1') process.stdout.write(`relay │ ${line}\n`);
      else if (early.length < 50) early.push(line);
      setupCode ??= setupCodeOf(line);
      try {
        const entry = JSON.parse(line);
        if (entry.msg === 'listening' && typeof entry.port === 'number') {
          ready = true;
          resolve(`http://${host}:${entry.port}/`);
        }
      } catch {
        // not a JSON log line
      }
    }
  });
  relay.stderr.pipe(process.stderr);
  void relayExit.then((code) => {
    if (!stopping && !ready) {
      for (const line of early) console.error(`relay │ ${line}`);
      console.error(`ferry: the relay exited (code ${code}) before it was ready`);
      process.exit(typeof code === 'number' && code !== 0 ? code : 1);
    }
  });
});
void relayExit.then((code) => {
  if (!stopping && ready) {
    console.error(`ferry: the relay stopped (code ${code})`);
    void stop(typeof code === 'number' && code !== 0 ? code : 1);
  }
});
let setupRequired = false;
try {
  const info = await (await fetch(new URL('api/v1/server', url))).json();
  setupRequired = info.setupRequired === true;
} catch (error) {
  console.error(`ferry: could not ask the relay about accounts: ${error.message}`);
}
const shown = path.relative(process.cwd(), dataDir) || '.';
const where = shown.startsWith('..') ? dataDir : `./${shown}`;

const binary = wantElectron
  ? electronBinary()
  : { path: null, reason: 'Electron disabled (--no-electron)' };
const announce = (desktop) =>
  console.log(readyLines({ url, dataDir: where, desktop, setupRequired, setupCode }).join('\n'));
if (binary.path) {
  await buildElectron({ quiet: true }); // a timing line is of no use to the person starting Ferry
  announce({ running: true });
  const serverUrl = url.replace(/\/$/, '');
  app = spawn(binary.path, ['.', `--server-url=${serverUrl}`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FERRY_SERVER_URL: serverUrl, ELECTRON_RUN_AS_NODE: undefined },
  });
  app.once('exit', (code) => {
    console.log(`ferry: desktop app closed (code ${code ?? 0}), stopping the relay`);
    void stop(0);
  });
} else {
  announce({ running: false, reason: binary.reason });
}
