// Static checks of the deploy examples that cannot run here (issue 14): the systemd unit passes
// `systemd-analyze verify` without a warning, and every flag the unit and the compose file give
// `ferry-relay serve` is one the relay knows (see deploy/README.md for what runs for real).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../src/config';
import { repoRoot } from './helpers';

const deploy = (file: string) => path.join(repoRoot, 'deploy', file);
/** Flags issue 14 names that other work still adds to config.ts (--database and --redis are in). */
const PENDING = new Set(['blobs']);

function unknownFlags(command: string): string[] {
  const known = new Set(OPTIONS.map((o) => o.flag));
  const flags = [...command.matchAll(/--([a-z][a-z-]*)/g)].map((m) => m[1] ?? '');
  expect(flags.length).toBeGreaterThan(0);
  return flags.filter((f) => !known.has(f) && !PENDING.has(f));
}

describe('deploy/ferry-relay@.service', () => {
  it('passes systemd-analyze verify with no warning', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-unit-'));
    try {
      // An instance name is needed to verify a template.
      const unit = path.join(dir, 'ferry-relay@a.service');
      copyFileSync(deploy('ferry-relay@.service'), unit);
      const result = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(result.error).toBeUndefined();
      expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
      expect(result.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs `ferry-relay serve` with flags the relay knows', () => {
    const text = readFileSync(deploy('ferry-relay@.service'), 'utf8');
    const exec = /^ExecStart=((?:.*\\\n)*.*)/m.exec(text)?.[1] ?? '';
    expect(exec).toMatch(/ferry-relay\.js serve /);
    expect(exec).toMatch(/--database postgres:\/\//);
    expect(exec).toMatch(/--redis redis:\/\//);
    expect(unknownFlags(exec)).toEqual([]);
    expect(text).toMatch(/^Restart=always$/m);
  });
});

describe('deploy/compose.yaml', () => {
  it('gives the relays flags the relay knows and mounts the tested haproxy.cfg', () => {
    const text = readFileSync(deploy('compose.yaml'), 'utf8');
    const command = /command:\n((?: {4}- .*\n)+)/.exec(text)?.[1] ?? '';
    expect(command).toMatch(/- serve\n/);
    expect(unknownFlags(command)).toEqual([]);
    expect(text).toMatch(/\.\/haproxy\.cfg:\/usr\/local\/etc\/haproxy\/haproxy\.cfg:ro/);
    for (const name of ['relay1', 'relay2', 'relay3']) expect(text).toContain(`  ${name}: *relay`);
  });
});
