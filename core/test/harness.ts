// Test tooling for core/test. The layering rule (eslint.config.js) allows core/ to import only
// yjs, lib0 and y-protocols, which is right for core/src but also catches the test runner;
// the exception is made here, in one place, instead of in every test file.
/* eslint-disable no-restricted-imports -- tests run under Node with Vitest; never shipped */
export { describe, it, expect, beforeEach } from 'vitest';
export { default as fc } from 'fast-check';
export { ESLint } from 'eslint';
/* eslint-enable no-restricted-imports */

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
