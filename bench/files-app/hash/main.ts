// The page of the hashing bench (bench/files-app/run.ts): the app's own hasher (hash.ts, which
// starts hash-worker.ts, hash-wasm fed 4 MiB slices) and the naive peer, on a file chosen in
// the page's file input (the bench sets it to a temporary file).
import { createHasher } from '../../../renderer/src/data/files/hash';

let blob: Blob | null = null;

declare global {
  interface Window {
    bench: {
      pick(): number;
      ferry(): Promise<{ hash: string; ms: number }>;
      naive(): Promise<{ hash: string; ms: number }>;
    };
  }
}

const hex = (b: ArrayBuffer) =>
  [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');

window.bench = {
  /** The file chosen in the page's file input (a File backed by the file on disk, as when
   *  a person attaches one): neither the page nor the browser holds its bytes. */
  pick() {
    const input = document.getElementById('file') as HTMLInputElement;
    blob = input.files?.[0] ?? null;
    return blob?.size ?? -1;
  },
  async ferry() {
    if (!blob) throw new Error('no blob');
    const { hash, close } = createHasher();
    const t0 = performance.now();
    const h = await hash(blob);
    const ms = performance.now() - t0;
    close();
    return { hash: h, ms };
  },
  async naive() {
    if (!blob) throw new Error('no blob');
    const t0 = performance.now();
    const h = hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
    return { hash: h, ms: performance.now() - t0 };
  },
};
