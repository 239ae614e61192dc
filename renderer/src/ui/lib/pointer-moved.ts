// Did the pointer move, or did the page move under it? When content shifts under a still
// pointer (a message arrives, a "Seen by" line appears, the list sticks to its newest end),
// the browser sends the boundary events (pointerleave, pointerout) as if the pointer had left
// the element, with the coordinates of the pointer's last real position. A menu that closes
// "when the pointer leaves it" must not close then: the person did nothing. A real leave comes
// from a move to a new position, and the boundary events of that move carry the new
// coordinates before its own pointermove is dispatched.

/** The pointer's last position as pointermove saw it (viewport coordinates). */
export interface PointerSpot {
  x: number;
  y: number;
}

/** Whether a boundary event came from the pointer moving (not from the page moving under it). */
export function pointerMoved(last: PointerSpot | null, event: PointerSpot): boolean {
  return last === null || last.x !== event.x || last.y !== event.y;
}

let last: PointerSpot | null = null;
let watching = false;

/** Starts following the pointer's position (once per page; capture, passive). */
export function watchPointer(target: Pick<Window, 'addEventListener'> = window): void {
  if (watching) return;
  watching = true;
  target.addEventListener(
    'pointermove',
    (e) => {
      last = { x: e.clientX, y: e.clientY };
    },
    { capture: true, passive: true },
  );
}

/** Whether this pointerleave/pointerout is the person's doing (see the top of the file). */
export function leftByPointer(e: Pick<PointerEvent, 'clientX' | 'clientY'>): boolean {
  return pointerMoved(last, { x: e.clientX, y: e.clientY });
}
