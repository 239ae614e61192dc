// The pieces worker (pieces.ts): answers `{ id, update, maxStructs }` with `{ id, pieces }` or
// `{ id, error }`. Started by createSplitter with
// `new Worker(new URL('./pieces-worker.ts', import.meta.url), { type: 'module' })`.
import { splitUpdate } from './pieces';

interface Scope {
  onmessage: ((ev: MessageEvent<{ id: number; update: Uint8Array; maxStructs: number }>) => void) | null;
  postMessage(msg: unknown, transfer?: Transferable[]): void;
}
const scope = self as unknown as Scope;

scope.onmessage = (ev) => {
  const { id, update, maxStructs } = ev.data;
  try {
    const pieces = splitUpdate(update, maxStructs);
    scope.postMessage({ id, pieces }, pieces.map((p) => p.buffer));
  } catch (e) {
    scope.postMessage({ id, error: e instanceof Error ? e.message : String(e) });
  }
};
