// `npm run bench`: runs every benchmark in bench/ one after the other and prints their figures.
// Each benchmark compares Ferry against a named peer in the same run (see bench/README.md).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const scripts = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).scripts;
// bench:table runs a subset of these again and prints one table (scripts/bench-table.mjs).
const benches = Object.keys(scripts).filter(
  (name) => name.startsWith('bench:') && name !== 'bench:table',
);
if (benches.length === 0) {
  console.error('No bench:* scripts in package.json.');
  process.exit(1);
}
let failed = 0;
for (const name of benches) {
  console.log(`\n=== npm run ${name}`);
  const run = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
