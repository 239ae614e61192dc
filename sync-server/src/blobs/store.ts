// The blob store (docs/attachments.md, "On the relay"): content-addressed file bytes, one copy
// per SHA-256. The relay's SQLite says who may read what; the store only keeps bytes. The
// filesystem store (fs-store.ts) is the embedded default; an S3-compatible store implements the
// same interface for several nodes (issue 14): `put` and `adopt` end with the object in place
// under its hash or nothing at all, `get` streams a byte range, `stat` and `delete` by hash.
import type { Readable } from 'node:stream';

/** Why a put was refused; each has its own HTTP answer (files/errors.ts). */
export type BlobErrorCode = 'hash-mismatch' | 'disk-full' | 'bad-hash';

export class BlobError extends Error {
  constructor(
    readonly code: BlobErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface BlobStat {
  size: number;
}

/** An inclusive byte range, as HTTP Range has it. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  /**
   * Stores `data` under `hash` after checking that the bytes have that SHA-256. Ends with the
   * blob stored (or already there: one copy) or, on any failure, nothing kept; throws
   * `BlobError` ('hash-mismatch', 'disk-full') or the underlying error.
   */
  put(hash: string, data: Readable): Promise<BlobStat>;
  /**
   * Takes a complete local file (a finished upload) as the blob `hash`: verified, then moved
   * (the filesystem store renames; a remote store uploads and deletes it). The file is gone
   * afterwards whatever happens. `computed`: the SHA-256 the caller already computed from the
   * very bytes it wrote into `file` (the upload's stream), so the file is not read again.
   */
  adopt(hash: string, file: string, computed?: string): Promise<BlobStat>;
  /** The bytes (of `range` when given); throws ENOENT-like errors for a missing blob. */
  get(hash: string, range?: ByteRange): Readable;
  /** Its size, or null when absent. */
  stat(hash: string): Promise<BlobStat | null>;
  /** Removes it (nothing when absent). */
  delete(hash: string): Promise<void>;
  /** Every stored hash (GC's consistency sweep, backup). */
  list(): AsyncIterable<string>;
}

const HASH = /^[0-9a-f]{64}$/;

/** Throws unless `hash` is 64 lower-case hex digits (a path component can then be trusted). */
export function assertHash(hash: string): void {
  if (!HASH.test(hash)) throw new BlobError('bad-hash', 'not a SHA-256 hash');
}
