// Builds the renderer. base './' because the desktop app serves it from its own app://
// protocol and the relay serves it at '/': every asset URL must be relative.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

import pkg from '../package.json' with { type: 'json' };

// No node: imports here: the layering lint treats renderer/ as browser code. Vite gives
// config files import.meta.dirname; outDir is relative to root.
const root = import.meta.dirname;
const outDir = '../dist/renderer';

export default defineConfig({
  root,
  base: './',
  publicDir: 'public',
  define: { __FERRY_VERSION__: JSON.stringify(pkg.version) },
  plugins: [
    // Component styles go to CSS files (emitCss), so the strict CSP (style-src 'self') holds.
    svelte({ emitCss: true }),
  ],
  build: {
    outDir,
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    // Inlined assets would need data: URLs for fonts/scripts; keep everything a file.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  // The search index runs in a module worker (renderer/src/search/worker.ts); its chunk is kept
  // offline by public/sw.js, which finds it named in the entry script.
  worker: { format: 'es' },
  server: { host: '127.0.0.1', strictPort: false },
  preview: { host: '127.0.0.1' },
});
