// The picker's grid keys (renderer/src/ui/lib/emoji-grid.ts): ↑/↓ keep the column across
// sections of different lengths and stop at the ends.
import { describe, expect, it } from 'vitest';
import { sectionOf, vertical } from '../../src/ui/lib/emoji-grid';

// Three sections of 10, 3 and 9 options in rows of 4: indexes 0-9, 10-12, 13-21.
const sizes = [10, 3, 9];
const offsets = [0, 10, 13];
const move = (i: number, dir: 1 | -1) => vertical(sizes, offsets, 4, i, dir);

describe('emoji grid keys', () => {
  it('finds the section of an index', () => {
    expect([0, 9, 10, 12, 13, 21].map((i) => sectionOf(offsets, i))).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('moves down a column, into the next section, to its last option when shorter', () => {
    expect(move(1, 1)).toBe(5);
    expect(move(5, 1)).toBe(9); // the last row of 10 has 2: column 1 → index 9
    expect(move(7, 1)).toBe(9); // column 3 of a row of 2: its last
    expect(move(9, 1)).toBe(11); // column 1 of the next section
    expect(move(12, 1)).toBe(15); // column 2 → the next section's column 2
    expect(move(21, 1)).toBe(21); // the end
  });

  it('moves up, into the previous section’s last row', () => {
    expect(move(13, -1)).toBe(10);
    expect(move(11, -1)).toBe(9); // column 1 of the last row of the first section
    expect(move(10, -1)).toBe(8);
    expect(move(2, -1)).toBe(2); // the start
  });
});
