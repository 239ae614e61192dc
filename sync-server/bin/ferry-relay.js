#!/usr/bin/env node
// The `ferry-relay` command. Runs the compiled relay (dist/ferry-relay.mjs, made by
// `npm run build:relay` or `npm start` from the repository root: scripts/build-relay.mjs).
// Without it, falls back to the TypeScript sources through tsx, and says so: that start is
// slower and holds ~40 MB more memory (bench/README.md, issue 16).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/ferry-relay.mjs', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write(
    'ferry-relay: sync-server/dist/ferry-relay.mjs not built (npm run build:relay);' +
      ' running the TypeScript sources through tsx\n',
  );
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
}
