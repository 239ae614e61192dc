// The hashing worker (hash.ts): answers `{ id, blob }` with `{ id, hash }` or `{ id, error }`.
// Started by hash.ts with `new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' })`.
import { sha256Blob } from './hash';

interface Scope {
  onmessage: ((ev: MessageEvent<{ id: number; blob: Blob }>) => void) | null;
  postMessage(msg: unknown): void;
}
const scope = self as unknown as Scope;

scope.onmessage = (ev) => {
  const { id, blob } = ev.data;
  sha256Blob(blob).then(
    (hash) => scope.postMessage({ id, hash }),
    (e: unknown) => scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) }),
  );
};
