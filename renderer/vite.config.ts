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
    // Every chunk the app starts with is under 500 kB (the groups below). The one above is the
    // emoji data (emoji-data-*.js, ~700 kB, 117 kB gzipped), loaded only the first time the
    // picker or the completion is used (ui README, "Emoji"): the limit says so rather than
    // warning on every build (issue 12).
    chunkSizeWarningLimit: 750,
    rolldownOptions: {
      // Rolldown prints a block of plugin timings on every build where plugins take most of
      // the time (vite-plugin-svelte compiling always does): not actionable, and noise in
      // `npm start` (issue 12). Profiling a slow build: turn it back on here.
      checks: { pluginTimings: false },
      output: {
        // The libraries apart from the app (issue 12: one 650 kB chunk set off Vite's size
        // warning): Yjs and its sync (the largest), markdown and sanitizing, and the rest of
        // node_modules. They change less often than the app, so the service worker and the
        // browser keep them across releases. index.html names each (modulepreload), so
        // public/sw.js keeps them for offline starts.
        codeSplitting: {
          groups: [
            { name: 'yjs', test: /node_modules[\\/](yjs|y-[\w-]+|lib0)[\\/]/ },
            { name: 'markdown', test: /node_modules[\\/](marked|dompurify)[\\/]/ },
            // Not emojibase-data: lib/emoji-data.ts loads it on first use, a chunk of its own.
            { name: 'vendor', test: /node_modules[\\/](?!emojibase-data[\\/])/ },
          ],
        },
      },
    },
  },
  // The search index runs in a module worker (renderer/src/search/worker.ts); its chunk is kept
  // offline by public/sw.js, which finds it named in the entry script.
  worker: { format: 'es' },
  server: { host: '127.0.0.1', strictPort: false },
  preview: { host: '127.0.0.1' },
});
