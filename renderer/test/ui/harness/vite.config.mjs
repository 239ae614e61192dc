// Builds the UI harness (the real App on a fake client) for screenshots: same plugins and CSP.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  define: { __FERRY_VERSION__: JSON.stringify('harness') },
  plugins: [svelte({ emitCss: true })],
  build: {
    outDir: '/tmp/ferry-ui-harness',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
