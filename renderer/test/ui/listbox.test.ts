import { describe, expect, it, vi } from 'vitest';
import { listboxKey, wrapIndex } from '../../src/ui/lib/listbox';

const key = (k: string, isComposing = false) => ({
  key: k,
  isComposing,
  preventDefault: vi.fn(),
});

describe('listbox keys', () => {
  it('wraps at both ends and stays at 0 in an empty list', () => {
    expect([wrapIndex(2, 1, 3), wrapIndex(0, -1, 3), wrapIndex(1, 1, 3)]).toEqual([0, 2, 2]);
    expect([wrapIndex(0, 1, 0), wrapIndex(0, -1, 0)]).toEqual([0, 0]);
  });

  it('↑/↓ move and prevent the caret from moving; Enter picks the active option', () => {
    const pick = vi.fn();
    const down = key('ArrowDown');
    expect(listboxKey(down, 0, 3, pick)).toBe(1);
    expect(down.preventDefault).toHaveBeenCalled();
    expect(listboxKey(key('ArrowUp'), 0, 3, pick)).toBe(2);
    const enter = key('Enter');
    expect(listboxKey(enter, 2, 3, pick)).toBe(2);
    expect(pick).toHaveBeenCalledOnce();
    expect(enter.preventDefault).toHaveBeenCalled();
  });

  it('leaves other keys, Enter without a pick (a form submits) and Enter in an IME alone', () => {
    const pick = vi.fn();
    const other = key('a');
    expect(listboxKey(other, 1, 3, pick)).toBeNull();
    const submit = key('Enter');
    expect(listboxKey(submit, 1, 3, null)).toBeNull();
    expect(submit.preventDefault).not.toHaveBeenCalled();
    expect(listboxKey(key('Enter', true), 1, 3, pick)).toBeNull();
    expect(other.preventDefault).not.toHaveBeenCalled();
    expect(pick).not.toHaveBeenCalled();
  });
});
