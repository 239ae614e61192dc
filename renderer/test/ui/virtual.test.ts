import { describe, expect, it } from 'vitest';
import {
  anchorFor,
  computeLayout,
  indexAt,
  scrollTopFor,
  totalHeight,
  visibleRange,
} from '../../src/ui/lib/virtual';

const keys = (n: number, prefix = 'k') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('virtual list layout', () => {
  it('sums heights into offsets and finds rows by pixel', () => {
    const l = computeLayout(['a', 'b', 'c'], (k) => ({ a: 10, b: 20, c: 30 })[k] ?? 0);
    expect(Array.from(l.offsets)).toEqual([0, 10, 30, 60]);
    expect(totalHeight(l)).toBe(60);
    expect(indexAt(l, 0)).toBe(0);
    expect(indexAt(l, 9.9)).toBe(0);
    expect(indexAt(l, 10)).toBe(1);
    expect(indexAt(l, 59)).toBe(2);
    expect(indexAt(l, 1000)).toBe(2);
  });

  it('renders only the rows in and near the viewport', () => {
    const l = computeLayout(keys(10_000), () => 50);
    expect(visibleRange(l, 5_000, 500, 100)).toEqual({ start: 98, end: 113 });
    expect(
      visibleRange(
        computeLayout([], () => 1),
        0,
        500,
        100,
      ),
    ).toEqual({ start: 0, end: 0 });
  });

  it('keeps the first visible row in place when older rows are prepended', () => {
    const before = computeLayout(keys(100), () => 40);
    const anchor = anchorFor(before, 1_010);
    expect(anchor).toEqual({ key: 'k25', delta: -10 });
    const after = computeLayout([...keys(30, 'old'), ...keys(100)], () => 40);
    expect(scrollTopFor(after, anchor!)).toBe(30 * 40 + 1_010);
    expect(scrollTopFor(after, { key: 'gone', delta: 0 })).toBeNull();
  });

  it('does not anchor on a placeholder row that a load replaces', () => {
    const before = computeLayout(['older', ...keys(10)], () => 40);
    const anchor = anchorFor(before, 0, (k) => k === 'older');
    expect(anchor).toEqual({ key: 'k0', delta: 40 });
    // The placeholder gives way to 20 older rows: k0 stays 40px below the viewport top.
    const after = computeLayout(['intro', ...keys(20, 'old'), ...keys(10)], () => 40);
    expect(scrollTopFor(after, anchor!)).toBe(21 * 40 - 40);
  });
});
