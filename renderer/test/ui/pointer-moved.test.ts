// A menu closes when the pointer leaves it, not when the page moves under a still pointer
// (renderer/src/ui/lib/pointer-moved.ts; e2e/links.spec.ts met it when "Seen by" arrived).
import { describe, expect, it } from 'vitest';
import { leftByPointer, pointerMoved, watchPointer } from '../../src/ui/lib/pointer-moved';

describe('pointerMoved', () => {
  it('is a move when the coordinates differ from the last pointermove, or none was seen', () => {
    expect(pointerMoved(null, { x: 10, y: 10 })).toBe(true);
    expect(pointerMoved({ x: 10, y: 10 }, { x: 10, y: 11 })).toBe(true);
    expect(pointerMoved({ x: 10, y: 10 }, { x: 10, y: 10 })).toBe(false);
  });

  it('follows pointermove events once watching, so a leave at the same spot is the page moving', () => {
    const listeners: ((e: { clientX: number; clientY: number }) => void)[] = [];
    const target = {
      addEventListener: (_type: string, fn: (e: { clientX: number; clientY: number }) => void) =>
        listeners.push(fn),
    } as unknown as Pick<Window, 'addEventListener'>;
    watchPointer(target);
    watchPointer(target); // once per page
    expect(listeners).toHaveLength(1);
    listeners[0]?.({ clientX: 200, clientY: 300 });
    expect(leftByPointer({ clientX: 200, clientY: 300 })).toBe(false);
    expect(leftByPointer({ clientX: 260, clientY: 300 })).toBe(true);
  });
});
