#!/usr/bin/env node
// `npm run dev`: the relay (127.0.0.1:7880, ./data) and the Vite dev server with hot reload;
// plus Electron loading the dev server when its binary is installed. Ctrl+C stops all.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildElectron, electronBinary } from './build-electron.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const relayUrl = 'http://127.0.0.1:7880';
/** @type {import('node:child_process').ChildProcess[]} */
const children = [];
let stopping = false;

function run(name, command, args, env = {}) {
  const child = spawn(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  });
  children.push(child);
  child.once('exit', (code) => {
    if (!stopping) {
      console.log(`dev: ${name} exited (code ${code}), stopping the rest`);
      stop();
    }
  });
  return child;
}

function stop() {
  if (stopping) return;
  stopping = true;
  const exits = children
    .filter((c) => c.exitCode === null && c.signalCode === null)
    .map((c) => new Promise((resolve) => c.once('exit', resolve)));
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  void Promise.all(exits).then(() => process.exit(0));
}
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

run('relay', process.execPath, [
  '--import',
  'tsx',
  'sync-server/src/cli.ts',
  '--host',
  '127.0.0.1',
  '--port',
  '7880',
  '--data',
  path.join(root, 'data'),
]);
const devUrl = 'http://127.0.0.1:5173/';
run('vite', process.execPath, [
  path.join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
  '--config',
  'renderer/vite.config.ts',
  '--port',
  '5173',
  '--strictPort',
]);

const binary = electronBinary();
if (binary.path) {
  process.env.NODE_ENV = 'development';
  await buildElectron();
  run('electron', binary.path, ['.', `--server-url=${relayUrl}`], {
    FERRY_DEV_URL: devUrl,
    FERRY_SERVER_URL: relayUrl,
  });
} else {
  console.log(`${binary.reason} — open Ferry in a browser: ${devUrl} (relay ${relayUrl})`);
}
