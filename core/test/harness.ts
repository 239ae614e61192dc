// Test tooling shared by core/test: the runner, fast-check and ESLint, and seeded randomness.
export { describe, it, expect, beforeEach, vi } from 'vitest';
export { default as fc } from 'fast-check';
export { ESLint } from 'eslint';

let seed = 1;
/** Deterministic "random" bytes for ids in tests (the real app passes crypto.getRandomValues). */
export function testRandom(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    out[i] = seed >>> 24;
  }
  return out;
}
