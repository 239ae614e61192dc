// Keyboard for a list of options under a text input (an ARIA combobox with a listbox): the
// quick switcher, message search and the person picker behave the same. ↑/↓ move the active
// option and wrap at the ends; Enter picks it. Other keys are the caller's.

/** The index after moving `delta` from `active` in a list of `count` options, wrapping; 0 when empty. */
export function wrapIndex(active: number, delta: number, count: number): number {
  return count > 0 ? (((active + delta) % count) + count) % count : 0;
}

/**
 * Handles ↑, ↓ and Enter: returns the active index to use next, or null when the key is not one
 * of them (or Enter is left alone: `pick` null, or an IME composition in progress). Prevents
 * the default of what it handles.
 */
export function listboxKey(
  e: Pick<KeyboardEvent, 'key' | 'isComposing' | 'preventDefault'>,
  active: number,
  count: number,
  pick: (() => void) | null,
): number | null {
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    return wrapIndex(active, e.key === 'ArrowDown' ? 1 : -1, count);
  }
  if (e.key === 'Enter' && pick && !e.isComposing) {
    e.preventDefault();
    pick();
    return active;
  }
  return null;
}

/** An attachment for the active option: scrolls it into view within its list. */
export function keepVisible(el: HTMLElement): void {
  el.scrollIntoView({ block: 'nearest' });
}
