// The arithmetic of the virtualized message list, kept apart from the DOM so it is tested
// on its own. Rows have variable heights: measured heights are cached by row key, rows not
// measured yet use an estimate. Offsets are prefix sums over the current row order, so
// prepending older rows shifts every offset and the list keeps its place by re-anchoring
// (see `anchorFor` / `scrollTopFor`).

export interface Layout {
  keys: readonly string[];
  /** offsets[i] = top of row i; offsets[keys.length] = total height. */
  offsets: Float64Array;
}

export function computeLayout(
  keys: readonly string[],
  heightOf: (key: string, index: number) => number,
): Layout {
  const offsets = new Float64Array(keys.length + 1);
  for (let i = 0; i < keys.length; i++) {
    offsets[i + 1] = (offsets[i] ?? 0) + heightOf(keys[i] ?? '', i);
  }
  return { keys, offsets };
}

export function totalHeight(layout: Layout): number {
  return layout.offsets[layout.keys.length] ?? 0;
}

/** Index of the row that contains pixel `y` (clamped to the list). Binary search. */
export function indexAt(layout: Layout, y: number): number {
  const n = layout.keys.length;
  if (n === 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((layout.offsets[mid] ?? 0) <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Rows [start, end) to render for a viewport, with `overscan` pixels above and below. */
export function visibleRange(
  layout: Layout,
  scrollTop: number,
  viewportHeight: number,
  overscan: number,
): { start: number; end: number } {
  const n = layout.keys.length;
  if (n === 0) return { start: 0, end: 0 };
  const start = indexAt(layout, Math.max(0, scrollTop - overscan));
  const end = Math.min(n, indexAt(layout, scrollTop + viewportHeight + overscan) + 1);
  return { start, end };
}

export interface Anchor {
  key: string;
  /** Distance from the top of the viewport to the top of the anchor row. */
  delta: number;
}

/**
 * The first row visible at `scrollTop`, and where it sits in the viewport. Rows for which
 * `skip` is true (a "loading older" placeholder that is replaced when the load finishes)
 * are passed over: the anchor must be a row that survives the change.
 */
export function anchorFor(
  layout: Layout,
  scrollTop: number,
  skip: (key: string) => boolean = () => false,
): Anchor | null {
  for (let i = indexAt(layout, scrollTop); i < layout.keys.length; i++) {
    const key = layout.keys[i];
    if (key === undefined) return null;
    if (!skip(key)) return { key, delta: (layout.offsets[i] ?? 0) - scrollTop };
  }
  return null;
}

/** The scrollTop that puts the anchor row back where it was, or null if it is gone. */
export function scrollTopFor(layout: Layout, anchor: Anchor): number | null {
  const i = layout.keys.indexOf(anchor.key);
  if (i < 0) return null;
  return (layout.offsets[i] ?? 0) - anchor.delta;
}
