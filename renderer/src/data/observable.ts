// A value many listeners follow: each gets it at once, then once per microtask after changes.
import type { Observe } from './api';

export function observable<T>(get: () => T): { observe: Observe<T>; notify: () => void } {
  const listeners = new Set<(v: T) => void>();
  let scheduled = false;
  return {
    observe(listener) {
      listeners.add(listener);
      listener(get());
      return () => listeners.delete(listener);
    },
    notify() {
      if (scheduled || listeners.size === 0) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        const v = get();
        for (const l of [...listeners]) l(v);
      });
    },
  };
}
