// Reading a /metrics text page: one histogram summed over its labels, with quantiles
// estimated from the difference of two readings (bucket upper bounds); plain samples by name.

/** Every sample line's value summed over its labels, by metric name (counters, gauges). */
export function parseSamples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    const value = Number(m?.[2]);
    if (m?.[1] && Number.isFinite(value)) out.set(m[1], (out.get(m[1]) ?? 0) + value);
  }
  return out;
}

/** Cumulative count per upper bound (le), ascending; +Inf as Infinity. */
export type Histogram = Map<number, number>;

export function parseHistogram(text: string, name: string): Histogram {
  const buckets: Histogram = new Map();
  const prefix = `${name}_bucket{`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (le === undefined || !Number.isFinite(value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + value);
  }
  return new Map([...buckets].sort((a, b) => a[0] - b[0]));
}

/** after − before, bucket by bucket. */
export function diffHistogram(after: Histogram, before: Histogram): Histogram {
  return new Map([...after].map(([le, n]) => [le, n - (before.get(le) ?? 0)]));
}

export function histogramCount(h: Histogram): number {
  return h.get(Infinity) ?? 0;
}

/** The upper bound of the bucket holding quantile q (0..1), or NaN when empty. */
export function quantileUpperBound(h: Histogram, q: number): number {
  const total = histogramCount(h);
  if (total === 0) return Number.NaN;
  for (const [le, n] of h) if (n >= q * total) return le;
  return Infinity;
}
