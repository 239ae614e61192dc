// SHA-256 of a Blob, streamed: read in 4 MiB pieces, each fed to hash-wasm's incremental hasher,
// so memory stays bounded for a multi-GB file. Where the Blob's stream is a byte stream (Chromium,
// Node) every piece is read into the same 4 MiB buffer (a BYOB reader), so hashing makes no
// garbage; otherwise each piece is a Blob.slice read and dropped, and the garbage waits for the
// collector (bench/files-app measured the worker at +157 MB for 1 GB that way). In the app the
// work runs in a Worker (hash-worker.ts) so the window never stalls; where there is no Worker
// (tests under Node) it runs inline, the same code.
import { createSHA256 } from 'hash-wasm';

export const HASH_CHUNK = 4 * 1024 * 1024;

type Sha = Awaited<ReturnType<typeof createSHA256>>;

function byobReader(blob: Blob): ReadableStreamBYOBReader | null {
  try {
    return blob.stream().getReader({ mode: 'byob' });
  } catch {
    return null;
  }
}

/** Fills one reused buffer from a BYOB reader; hashes and reports each full buffer. */
async function hashStream(
  h: Sha,
  reader: ReadableStreamBYOBReader,
  onProgress?: (done: number) => void,
): Promise<void> {
  let buf = new ArrayBuffer(HASH_CHUNK);
  let fill = 0;
  let done = 0;
  for (;;) {
    const r = await reader.read(new Uint8Array(buf, fill, HASH_CHUNK - fill));
    if (!r.value) throw new Error('the file could not be read');
    buf = r.value.buffer as ArrayBuffer;
    fill += r.value.byteLength;
    if (fill === HASH_CHUNK || (r.done && fill > 0)) {
      h.update(new Uint8Array(buf, 0, fill));
      done += fill;
      fill = 0;
      onProgress?.(done);
    }
    if (r.done) return;
  }
}

/** The SHA-256 of `blob` as 64 lower-case hex digits. `onProgress(bytesDone)` after each slice. */
export async function sha256Blob(blob: Blob, onProgress?: (done: number) => void): Promise<string> {
  const h = await createSHA256();
  h.init();
  const reader = byobReader(blob);
  if (reader) {
    await hashStream(h, reader, onProgress);
    return h.digest('hex');
  }
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
