#!/usr/bin/env node
// Bundles the Electron main process and preload with esbuild:
//   electron/src/main.ts    -> dist/electron/main.cjs     (with electron-log, electron-updater inlined)
//   electron/src/preload.ts -> dist/electron/preload.cjs  (sandboxed: may require only 'electron')
// and copies the window/tray icons to dist/electron/assets. `electron` stays external.
// Everything the app runs is inside these files, so the packaged app needs no node_modules.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'electron');
const production = process.env.NODE_ENV !== 'development';

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  external: ['electron'],
  sourcemap: production ? false : 'inline',
  minify: production,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
};

const started = Date.now();
await rm(out, { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: [path.join(root, 'electron/src/main.ts')],
    outfile: path.join(out, 'main.cjs'),
    target: 'node22',
  }),
  build({
    ...common,
    entryPoints: [path.join(root, 'electron/src/preload.ts')],
    outfile: path.join(out, 'preload.cjs'),
    target: 'chrome140',
  }),
]);

const icons = path.join(root, 'build', 'icons');
const assets = path.join(out, 'assets');
await mkdir(assets, { recursive: true });
for (const [from, to] of [
  ['256x256.png', 'icon.png'],
  ['tray-16.png', 'tray.png'],
  ['tray-32.png', 'tray@2x.png'],
  ['tray-unread-16.png', 'tray-unread.png'],
  ['tray-unread-32.png', 'tray-unread@2x.png'],
]) {
  await copyFile(path.join(icons, from), path.join(assets, to));
}
console.log(
  `electron: main.cjs and preload.cjs built in ${Date.now() - started} ms -> ${path.relative(root, out)}`,
);
