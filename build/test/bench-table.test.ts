// The issue-16 bench table (scripts/bench-table.mjs): figures recorded by the benches through
// bench/lib/figures.ts become one markdown row each, Ferry beside its peer and their ratio.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { atMost, recordFigures, type FigureRecord } from '../../bench/lib/figures';
import { STEPS, renderTable } from '../../scripts/bench-table.mjs';

const dirs: string[] = [];
afterEach(() => {
  delete process.env.FERRY_BENCH_FIGURES;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('bench table', () => {
  it('records nothing unless a figures file is named', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-figures-'));
    dirs.push(dir);
    recordFigures('relay', [
      { figure: 'x', peer: 'p', peerValue: 1, ferry: 1, target: null, met: null },
    ]);
    const file = path.join(dir, 'figures.jsonl');
    process.env.FERRY_BENCH_FIGURES = file;
    recordFigures('relay', [
      {
        figure: 'fan-out p50 (ms)',
        peer: 'reference',
        peerValue: 2,
        ferry: 3,
        target: '≤ 2.4',
        met: false,
      },
    ]);
    recordFigures('client', [
      {
        figure: 'first screen (ms)',
        peer: 'plain',
        peerValue: 80,
        ferry: 60,
        target: '≤ 100',
        met: true,
        digits: 0,
      },
    ]);
    const records = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FigureRecord);
    expect(records.map((r) => r.bench)).toEqual(['relay', 'client']);
    expect(records[0]?.load).toBeGreaterThanOrEqual(0);

    const text = renderTable(records, [
      { name: 'relay', seconds: 70, loadBefore: 4.1, loadAfter: 5.2, failed: null },
      { name: 'client', seconds: 500, loadBefore: 5.2, loadAfter: 4.9, failed: 'exit 1' },
    ]);
    const rows = text
      .split('\n')
      .filter((l) => l.startsWith('| relay') || l.startsWith('| client'));
    expect(rows[0]).toContain(
      '| fan-out p50 (ms) | reference | 2.0 | 3.0 | 1.50× | ≤ 2.4 | missed |',
    );
    expect(rows[1]).toContain('| first screen (ms) | plain | 80 | 60 | 0.75× | ≤ 100 | met |');
    expect(text).toContain('relay 70 s (load 4.10 → 5.20)');
    expect(text).toContain('client 500 s (load 5.20 → 4.90), FAILED: exit 1');
  });

  it('a missing side prints n/a and no ratio; atMost needs both sides', () => {
    const text = renderTable(
      [
        {
          bench: 'crowd',
          load: 5,
          at: '',
          figure: 'join (s)',
          peer: 'reference',
          peerValue: null,
          ferry: 4.2,
          target: null,
          met: null,
        },
      ],
      [],
    );
    expect(text).toContain('| crowd | join (s) | reference | n/a | 4.2 |  |  |  | 5.00 |');
    expect(atMost(1, 2)).toBe(true);
    expect(atMost(3, 2)).toBe(false);
    expect(atMost(null, 2)).toBeNull();
  });

  it('every step is a bench script of package.json', () => {
    const scripts = (
      JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    for (const step of STEPS as { script: string }[]) expect(scripts[step.script]).toBeDefined();
  });
});
