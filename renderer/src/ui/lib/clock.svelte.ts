// A shared "now" for relative times, refreshed on each minute boundary while anything reads it.

import { createSubscriber } from 'svelte/reactivity';
import { nextTickIn } from './time';

const subscribe = createSubscriber((update) => {
  let timer: ReturnType<typeof setTimeout>;
  const schedule = () => {
    timer = setTimeout(
      () => {
        update();
        schedule();
      },
      nextTickIn(Date.now()) + 50,
    );
  };
  schedule();
  return () => clearTimeout(timer);
});

/** The current time in ms; reading it inside an effect or template re-runs it every minute. */
export function now(): number {
  subscribe();
  return Date.now();
}
