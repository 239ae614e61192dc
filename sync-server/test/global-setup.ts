// Vitest global setup: builds the compiled relay once (scripts/build-relay.mjs, ~0.3 s, nothing
// when it is fresh), so the tests run the relay as production does (plain node, no TypeScript
// loader compiling the sources at every start: ~0.7 s of CPU per relay or CLI process).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export default function globalSetup(): void {
  const build = spawnSync(process.execPath, ['scripts/build-relay.mjs'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (build.status !== 0)
    throw new Error(`relay build failed (exit ${build.status ?? build.signal})`);
}
