// One row per figure, for the table `npm run bench:table` prints (scripts/bench-table.mjs).
// A bench calls recordFigures() once with what it printed; when FERRY_BENCH_FIGURES names a
// file, the rows are appended to it as JSON lines (one bench run, one file), otherwise nothing
// happens: run alone, a bench prints its own table as before.
import { appendFileSync, readFileSync } from 'node:fs';

export interface Figure {
  /** What was measured, with its unit: "open the 100k conversation, first screen (ms)". */
  figure: string;
  /** The named peer in the same run: "plain (y-indexeddb)", "@y/websocket-server 0.1.1". */
  peer: string;
  peerValue: number | null;
  ferry: number | null;
  /** The target in words ("≤ 100 ms and ≤ 1.5× peer"), or null when there is none. */
  target: string | null;
  /** Whether Ferry met the target; null when there is no target or no figure. */
  met: boolean | null;
  /** Decimals to print (default 1). */
  digits?: number;
}

export interface FigureRecord extends Figure {
  bench: string;
  /** The 1-minute load average when the figure was recorded. */
  load: number;
  at: string;
}

function loadAverage(): number {
  try {
    return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  } catch {
    return Number.NaN;
  }
}

/** Appends the bench's figures to $FERRY_BENCH_FIGURES, if set. */
export function recordFigures(bench: string, figures: readonly Figure[]): void {
  const file = process.env.FERRY_BENCH_FIGURES;
  if (!file) return;
  const load = loadAverage();
  const at = new Date().toISOString();
  const lines = figures.map((f) =>
    JSON.stringify({ bench, load, at, ...f } satisfies FigureRecord),
  );
  appendFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

/** ferry ≤ limit, or null when either side is missing. */
export function atMost(ferry: number | null, limit: number | null): boolean | null {
  if (ferry === null || limit === null || !Number.isFinite(ferry) || !Number.isFinite(limit))
    return null;
  return ferry <= limit;
}
