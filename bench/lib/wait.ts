// Bounded waiting helpers for benchmarks: every wait has a deadline, so a run always ends.
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuSeconds } from './proc';

/** Resolves with the promise's value, or rejects with `what` timed out after `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until a process has used less than 10 ms of CPU in each of two consecutive 250 ms
 * windows (it finished the work we gave it), at most `maxMs`. Returns its CPU seconds then.
 */
export async function cpuQuiet(pid: number, maxMs = 30_000): Promise<number> {
  const deadline = Date.now() + maxMs;
  let last = cpuSeconds(pid);
  let calm = 0;
  while (Date.now() < deadline && calm < 2) {
    await sleep(250);
    const now = cpuSeconds(pid);
    calm = now - last < 0.01 ? calm + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * Starts `count` jobs with at most `window` running at once (like a crowd arriving through a
 * door rather than all in the same microsecond) and resolves when all finished.
 */
export async function inWindows(
  count: number,
  window: number,
  job: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < count) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, count) }, lane));
}
