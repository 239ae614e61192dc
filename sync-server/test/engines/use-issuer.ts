// vitest's one-issuer-per-file helper over oidc.ts (which stays free of vitest for Playwright
// and benchmarks): started before the file's tests, stopped after them, also when one fails.
import { afterAll, beforeAll } from 'vitest';
import { startIssuer, type IssuerEngine, type IssuerOptions } from './oidc';

/** Call at the top level of a test file; the returned getter works inside its tests. */
export function useIssuer(options: IssuerOptions): () => IssuerEngine {
  let engine: IssuerEngine | null = null;
  beforeAll(async () => {
    engine = await startIssuer(options);
  }, 30_000);
  afterAll(async () => {
    await engine?.dispose();
    engine = null;
  });
  return () => {
    if (!engine) throw new Error('useIssuer(): the issuer is used outside the tests of its file');
    return engine;
  };
}
