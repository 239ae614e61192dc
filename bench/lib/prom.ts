// Reading one Prometheus histogram from a /metrics text page, summed over its labels, and
// estimating quantiles from the difference of two readings (bucket upper bounds).

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
