// SHA-256 of a Blob, streamed: read in 4 MiB slices (Blob.slice), each fed to hash-wasm's
// incremental hasher and dropped, so memory stays bounded for a multi-GB file. In the app the
// work runs in a Worker (hash-worker.ts) so the window never stalls; where there is no Worker
// (tests under Node) it runs inline, the same code.
import { createSHA256 } from 'hash-wasm';

export const HASH_CHUNK = 4 * 1024 * 1024;

/** The SHA-256 of `blob` as 64 lower-case hex digits. `onProgress(bytesDone)` after each slice. */
export async function sha256Blob(blob: Blob, onProgress?: (done: number) => void): Promise<string> {
  const h = await createSHA256();
  h.init();
  for (let off = 0; off < blob.size; off += HASH_CHUNK) {
    const end = Math.min(blob.size, off + HASH_CHUNK);
    h.update(new Uint8Array(await blob.slice(off, end).arrayBuffer()));
    onProgress?.(end);
  }
  return h.digest('hex');
}

export type Hasher = (blob: Blob) => Promise<string>;

interface Reply {
  id: number;
  hash?: string;
  error?: string;
}

/**
 * A hasher backed by one module Worker (started on first use, kept for the client's life), or
 * inline when Workers are missing. A Blob is passed to the worker by reference (no copy).
 */
export function createHasher(): { hash: Hasher; close: () => void } {
  if (typeof Worker !== 'function') return { hash: (b) => sha256Blob(b), close: () => undefined };
  let worker: Worker | null = null;
  let next = 0;
  const waiting = new Map<number, { resolve: (h: string) => void; reject: (e: Error) => void }>();
  const start = (): Worker => {
    const w = new Worker(new URL('./hash-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (ev: MessageEvent<Reply>) => {
      const p = waiting.get(ev.data.id);
      if (!p) return;
      waiting.delete(ev.data.id);
      if (ev.data.hash) p.resolve(ev.data.hash);
      else p.reject(new Error(ev.data.error ?? 'hashing failed'));
    };
    w.onerror = () => {
      // A worker that cannot start (a strict CSP, an old engine): hash inline from now on.
      for (const [, p] of waiting) p.reject(new Error('the hashing worker stopped'));
      waiting.clear();
      worker = null;
      broken = true;
    };
    return w;
  };
  let broken = false;
  return {
    hash: (blob) => {
      if (broken) return sha256Blob(blob);
      worker ??= start();
      const id = ++next;
      const w = worker;
      return new Promise<string>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.postMessage({ id, blob });
      }).catch(() => sha256Blob(blob));
    },
    close: () => {
      worker?.terminate();
      worker = null;
    },
  };
}
