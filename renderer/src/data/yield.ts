// Giving the main thread back between pieces of work (issue 16): the browser paints and handles
// input between two tasks, never inside one. `scheduler.yield()` where the engine has it (it
// resumes ahead of other queued tasks), else a MessageChannel message (a task, without the 4 ms
// clamp of nested setTimeout). Imports nothing.

interface YieldingScheduler {
  yield(): Promise<void>;
}

let channel: MessageChannel | null = null;
const waiting: Array<() => void> = [];

function viaChannel(): Promise<void> {
  return new Promise((resolve) => {
    if (!channel) {
      channel = new MessageChannel();
      channel.port1.onmessage = () => waiting.shift()?.();
      // Node keeps the process alive while a port is referenced: not for this one.
      (channel.port1 as unknown as { unref?: () => void }).unref?.();
    }
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

/** Resolves in a later task. */
export function yieldToMain(): Promise<void> {
  const s = (globalThis as { scheduler?: Partial<YieldingScheduler> }).scheduler;
  if (s && typeof s.yield === 'function') return s.yield();
  return viaChannel();
}


/**
 * Resolves after the next frame was painted where there are frames (a visible page), else in a
 * later task; 50 ms at most (a hidden window paints nothing).
 */
export function afterPaint(): Promise<void> {
  const g = globalThis as { requestAnimationFrame?: (f: () => void) => number; document?: { visibilityState?: string } };
  if (typeof g.requestAnimationFrame !== 'function' || g.document?.visibilityState !== 'visible') return yieldToMain();
  const raf = g.requestAnimationFrame;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 50);
    raf(() => {
      clearTimeout(timer);
      // rAF callbacks run before the paint: the task after them runs after it.
      void yieldToMain().then(resolve);
    });
  });
}

/**
 * Resolves when the main thread has nothing more urgent: an idle period where the engine has
 * `requestIdleCallback` (at most `timeoutMs` later on a busy one), else in a later task. For
 * start-up work neither the list nor the first screen needs (issue 16): it then runs after
 * them instead of queueing its IndexedDB reads and their decoding in front of them.
 */
export function whenIdle(timeoutMs = 1000): Promise<void> {
  const g = globalThis as { requestIdleCallback?: (f: () => void, o: { timeout: number }) => number };
  if (typeof g.requestIdleCallback !== 'function') return yieldToMain();
  const ric = g.requestIdleCallback;
  return new Promise((resolve) => ric(() => resolve(), { timeout: timeoutMs }));
}
