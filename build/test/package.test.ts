// Packages the app for real with electron-builder (`--linux dir`) around a stand-in Electron
// binary (there is none on this machine), then checks what would ship: the asar holds exactly
// main, preload, their assets, the renderer build and package.json; it stays small; the fuses
// were flipped in the binary; the update feed file is there. Installers (NSIS, DMG, AppImage,
// deb, rpm) are built by .github/workflows/desktop.yml on real runners.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractFile, listPackage, statFile } from '@electron/asar';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_ID } from '../../electron/src/app';
import { buildElectron } from '../../scripts/build-electron.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const rendererDir = path.join(root, 'dist', 'renderer');
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const MAX_ASAR_BYTES = 5 * 1024 * 1024;

let tmp: string;
let unpacked: string;
let asarPath: string;
let asarFiles: string[];

function filesUnder(dir: string, prefix: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    const rel = `${prefix}/${name}`;
    return statSync(full).isDirectory() ? filesUnder(full, rel) : [rel];
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ferry-package-'));
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    const vite = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        'renderer/vite.config.ts',
        '--logLevel',
        'warn',
      ],
      { cwd: root, stdio: 'inherit' },
    );
    if (vite.status !== 0) throw new Error('renderer build failed');
  }
  await buildElectron();

  // Stand-in Electron: a tiny executable carrying Electron's fuse wire with its default
  // values (RunAsNode on, cookie encryption off, NODE_OPTIONS on, inspect on, …).
  const dist = path.join(tmp, 'electron-dist');
  await mkdir(dist);
  const wire = Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, 8]), Buffer.from('10110001')]);
  await writeFile(
    path.join(dist, 'electron'),
    Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n# '), wire, Buffer.from('\n')]),
  );
  await chmod(path.join(dist, 'electron'), 0o755);

  const out = path.join(tmp, 'release');
  const builder = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules/electron-builder/cli.js'),
      '--config',
      'build/electron-builder.config.cjs',
      '--linux',
      'dir',
      '--publish',
      'never',
      `-c.electronDist=${dist}`,
      `-c.directories.output=${out}`,
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' } },
  );
  if (builder.status !== 0)
    throw new Error(`electron-builder failed:\n${builder.stdout}\n${builder.stderr}`);
  unpacked = path.join(out, 'linux-unpacked');
  asarPath = path.join(unpacked, 'resources', 'app.asar');
  asarFiles = listPackage(asarPath, { isPack: false })
    .map((f) => f.split(path.sep).join('/'))
    .filter((f) => !('files' in statFile(asarPath, f.slice(1)))); // directories have `files`
}, 120_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('packaged app (electron-builder --linux dir)', () => {
  it('the asar holds exactly main, preload, assets, the renderer build and package.json', () => {
    const expected = [
      '/package.json',
      '/dist/electron/main.cjs',
      '/dist/electron/preload.cjs',
      ...filesUnder(path.join(root, 'dist/electron/assets'), '/dist/electron/assets'),
      ...filesUnder(rendererDir, '/dist/renderer').filter((f) => !f.endsWith('.map')),
    ].sort();
    expect(asarFiles.sort()).toEqual(expected);
  });

  it('ships no sources, tests, node_modules or source maps', () => {
    for (const f of asarFiles) {
      expect(f).not.toMatch(/node_modules|\/src\/|\/test\/|\.tsx?$|\.svelte$|\.map$|\.spec\./);
    }
  });

  it('its package.json points at the bundled main and carries no dev dependencies or scripts', () => {
    const pkg = JSON.parse(extractFile(asarPath, 'package.json').toString()) as Record<
      string,
      unknown
    >;
    expect(pkg['main']).toBe('dist/electron/main.cjs');
    expect(pkg['devDependencies']).toBeUndefined();
    expect(pkg['dependencies'] ?? {}).toEqual({});
    expect(pkg['scripts']).toBeUndefined();
  });

  it('stays small', () => {
    const size = statSync(asarPath).size;
    console.log(`app.asar: ${(size / 1024).toFixed(0)} KiB, ${asarFiles.length} files`);
    expect(size).toBeLessThan(MAX_ASAR_BYTES);
  });

  it('the preload bundle needs nothing but electron (it runs sandboxed)', () => {
    const preload = extractFile(asarPath, 'dist/electron/preload.cjs').toString();
    const required = [...preload.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
  });

  it('flipped the fuses in the Electron binary', async () => {
    const wire = await getCurrentFuseWire(path.join(unpacked, 'ferry'));
    const on = 49;
    const off = 48;
    expect(wire[FuseV1Options.RunAsNode]).toBe(off);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(on);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(off);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(off);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(on);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(on);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(off);
  });

  it('declares ferry://, and the appId main uses for Windows notifications', async () => {
    const { default: config } = (await import('../electron-builder.config.cjs')) as {
      default: { appId: string; protocols: { schemes: string[] }[] };
    };
    expect(config.appId).toBe(APP_ID);
    expect(config.protocols.flatMap((p) => p.schemes)).toEqual(['ferry']);
  });

  it('writes the generic update feed config electron-updater reads', async () => {
    const yml = await readFile(path.join(unpacked, 'resources', 'app-update.yml'), 'utf8');
    expect(yml).toContain('provider: generic');
  });
});
