// The emoji picker's grid geometry, pure: sections of options laid out in rows of `cols`, one
// flat index over all of them (the keyboard's), and which option is above or below another.

/** The section holding flat index `i`, given each section's first index. */
export function sectionOf(offsets: readonly number[], i: number): number {
  let si = 0;
  while (si + 1 < offsets.length && (offsets[si + 1] ?? 0) <= i) si++;
  return si;
}

/**
 * The option above (`dir` -1) or below (1) flat index `i`: the same column of the previous or
 * next row, across section boundaries (a shorter row gives its last option); `i` at the ends.
 */
export function vertical(
  sizes: readonly number[],
  offsets: readonly number[],
  cols: number,
  i: number,
  dir: 1 | -1,
): number {
  const si = sectionOf(offsets, i);
  const start = offsets[si] ?? 0;
  const size = sizes[si] ?? 0;
  const col = (i - start) % cols;
  const row = Math.floor((i - start) / cols);
  const rows = Math.ceil(size / cols);
  if (dir === 1) {
    if (row + 1 < rows) return Math.min(start + size - 1, i + cols);
    const next = sizes[si + 1];
    if (next === undefined || next === 0) return i;
    return start + size + Math.min(col, next - 1);
  }
  if (row > 0) return i - cols;
  const prev = sizes[si - 1];
  if (prev === undefined || prev === 0) return i;
  const prevStart = offsets[si - 1] ?? 0;
  const lastRow = Math.floor((prev - 1) / cols);
  return prevStart + Math.min(lastRow * cols + col, prev - 1);
}
