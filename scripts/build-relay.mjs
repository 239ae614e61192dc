#!/usr/bin/env node
// Compiles the relay to JavaScript with esbuild (issue 16): sync-server/src/cli.ts and the
// parts of core/ it uses -> sync-server/dist/ferry-relay.mjs (ES module, sourcemap beside it).
// Production runs this file with plain `node`: no TypeScript loader (tsx) compiling the sources
// at every start, which cost ~40 MB of RSS and ~0.7 s before the relay listened (bench/README.md).
//
// - Every npm package stays external (`packages: 'external'`): native modules (better-sqlite3,
//   @node-rs/argon2) and CommonJS packages load from node_modules exactly as under tsx.
// - Each source's `import.meta.url` is rewritten to that source's own URL, computed from the
//   bundle's location at run time. So `new URL('./pg-worker.mjs', import.meta.url)` (the
//   PostgreSQL worker thread), `../../package.json` and the repository root still resolve to
//   the files they name in the tree, wherever the tree is installed.
// - Code split: what the sources load with `await import()` (S3, Redis, tus, issue 16's start
//   cost) is written to `relay-*.mjs` beside the bundle and loaded when first needed.
// - Incremental: skipped when the bundle is newer than every file under sync-server/src,
//   core/src, this script and the package.json files (`--force` rebuilds anyway).
//
// Run by `npm start` (scripts/start.mjs), `npm run relay` and `npm run build:relay`.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'sync-server', 'dist');
export const relayBundle = path.join(outDir, 'ferry-relay.mjs');
/** Names of the chunks loaded on demand (`relay-<module>-<hash>.mjs`). */
const CHUNK_PREFIX = 'relay-';

/** Newest modification time under `target` (files or folders; node_modules and test skipped). */
function newest(target) {
  if (!existsSync(target)) return 0;
  const s = statSync(target);
  if (!s.isDirectory()) return s.mtimeMs;
  let max = s.mtimeMs; // a deleted file changes its folder's time
  for (const name of readdirSync(target)) {
    if (name === 'node_modules' || name === 'test') continue;
    max = Math.max(max, newest(path.join(target, name)));
  }
  return max;
}

/** Why the bundle must be (re)built, or null when it is up to date. */
export function relayOutdated() {
  if (!existsSync(relayBundle)) return 'missing';
  const built = statSync(relayBundle).mtimeMs;
  const sources = Math.max(
    newest(path.join(root, 'sync-server', 'src')),
    newest(path.join(root, 'core', 'src')),
    newest(path.join(root, 'sync-server', 'package.json')),
    newest(fileURLToPath(import.meta.url)),
  );
  return sources > built ? 'outdated' : null;
}

/** esbuild plugin: `import.meta.url` in a source file means that file, not the bundle. */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(build) {
    build.onLoad({ filter: /\.(ts|mts|js|mjs)$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const relative = path.relative(outDir, args.path).split(path.sep).join('/');
      const own = `new URL(${JSON.stringify(relative)}, import.meta.url).href`;
      return {
        contents: text.replaceAll('import.meta.url', own),
        loader: args.path.endsWith('ts') ? 'ts' : 'js',
      };
    });
  },
};

/**
 * Builds the relay bundle when it is missing or older than its sources. Returns what it did.
 * @param {{ force?: boolean, quiet?: boolean }} [opts]
 * @returns {Promise<'built' | 'fresh'>}
 */
export async function buildRelay({ force = false, quiet = false } = {}) {
  const why = force ? 'forced' : relayOutdated();
  if (!why) return 'fresh';
  const started = Date.now();
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { 'ferry-relay': path.join(root, 'sync-server', 'src', 'cli.ts') },
    outdir: outDir,
    outExtension: { '.js': '.mjs' },
    // Modules the relay imports with `await import()` (S3, Redis, tus: loaded only when the
    // configuration or a request needs them) become chunks beside the bundle, so their
    // packages are not imported at start. Same folder: `import.meta.url` stays right.
    splitting: true,
    chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
    metafile: true,
    absWorkingDir: root,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [ownUrl],
  });
  // Chunks of earlier builds (their names carry a hash) are removed.
  const made = new Set(Object.keys(result.metafile.outputs).map((f) => path.resolve(root, f)));
  for (const name of readdirSync(outDir)) {
    const file = path.join(outDir, name);
    if (name.startsWith(CHUNK_PREFIX) && !made.has(file)) rmSync(file, { force: true });
  }
  if (!quiet) {
    const shown = path.relative(root, relayBundle);
    console.log(`relay: ${shown} built in ${Date.now() - started} ms (${why})`);
  }
  return 'built';
}

if (process.argv[1] && pathToFileURL(path.resolve(process.argv[1])).href === import.meta.url) {
  await buildRelay({ force: process.argv.includes('--force') });
}
