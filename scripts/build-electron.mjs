#!/usr/bin/env node
// Bundles the Electron main process and preload with esbuild:
//   electron/src/main.ts    -> dist/electron/main.cjs     (with electron-log, electron-updater inlined)
//   electron/src/preload.ts -> dist/electron/preload.cjs  (sandboxed: may require only 'electron')
// and copies the window/tray icons to dist/electron/assets. `electron` stays external.
// Everything the app runs is inside these files, so the packaged app needs no node_modules.
// Also exports electronBinary(), used by start.mjs, dev.mjs and the Playwright _electron suite.
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'electron');

/**
 * @param {boolean} production
 * @returns {import('esbuild').BuildOptions}
 */
const options = (production) => ({
  bundle: true,
  format: 'cjs',
  platform: 'node',
  external: ['electron'],
  sourcemap: production ? false : 'inline',
  minify: production,
  legalComments: 'none',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': JSON.stringify(production ? 'production' : 'development') },
});

/**
 * Builds main, preload and assets into `outDir` (default dist/electron). Returns the folder.
 * @param {{ production?: boolean, outDir?: string }} [opts]
 */
export async function buildElectron({
  production = process.env.NODE_ENV !== 'development',
  outDir = out,
  quiet = false,
} = {}) {
  const started = Date.now();
  const common = options(production);
  await rm(outDir, { recursive: true, force: true });
  await Promise.all([
    build({
      ...common,
      entryPoints: [path.join(root, 'electron/src/main.ts')],
      outfile: path.join(outDir, 'main.cjs'),
      target: 'node22',
    }),
    build({
      ...common,
      entryPoints: [path.join(root, 'electron/src/preload.ts')],
      outfile: path.join(outDir, 'preload.cjs'),
      target: 'chrome140',
    }),
  ]);
  const icons = path.join(root, 'build', 'icons');
  const assets = path.join(outDir, 'assets');
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
  if (!quiet)
    console.log(
      `electron: main.cjs and preload.cjs built in ${Date.now() - started} ms -> ${path.relative(root, outDir)}`,
    );
  return outDir;
}

/**
 * The Electron executable if it is installed, else null. Reads what the electron package
 * would, without `require('electron')`: that tries to download the binary when it is missing,
 * which cannot work here (TOOLCHAIN.md) and would hang on a machine without internet.
 * @returns {{ path: string } | { path: null, reason: string }}
 */
export function electronBinary() {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathFile = path.join(pkg, 'path.txt');
  if (!existsSync(pathFile)) {
    return { path: null, reason: 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD)' };
  }
  const relative = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || path.join(pkg, 'dist');
  const executable = path.join(dist, relative);
  if (!existsSync(executable)) {
    return { path: null, reason: `Electron binary missing at ${executable}` };
  }
  return { path: executable };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildElectron();
}
