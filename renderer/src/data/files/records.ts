// The upload queue and the download cache in IndexedDB (stores `uploads` and `files`, idb.ts
// version 2). Both keep the Blob itself, so my unsent files survive reload, restart, crash and
// sign-out/in (the database is the account's), and what was downloaded opens with no network.
import { FILES, UPLOADS, done, req } from '../idb';
import type { FileRef } from '../../../../core/src/model/files';

/** One of my files waiting for the relay (keyed by hash: attached twice, sent once). */
export interface UploadRecord {
  hash: string;
  /** The conversation named in the upload's metadata (the first message's). */
  conv: string;
  /** The messages that reference it: [conversation, message id]. */
  messages: Array<[string, string]>;
  ref: FileRef;
  blob: Blob;
  /** The tus upload URL once the relay created it: resumed from there after a restart. */
  url: string | null;
  /** queued: waits for the relay (or `nextAt`); failed: stopped, `error` says why. */
  state: 'queued' | 'failed';
  error: string | null;
  retryable: boolean;
  /** Automatic retries after a hash mismatch (one). */
  mismatches: number;
  /** Not tried before this time (ms since epoch): quota and disk full retry hourly. */
  nextAt: number;
  /** A failed file tried again by itself at this time (quota, disk full: hourly). */
  autoAt?: number;
  createdAt: number;
}

/** A downloaded file, or part of one (`complete` false: resumed with Range). */
export interface CachedFile {
  hash: string;
  blob: Blob;
  size: number;
  complete: boolean;
  usedAt: number;
  /** Conversations it was opened from (eviction spares those kept offline). */
  convs: string[];
}

export class FileRecords {
  constructor(private readonly db: IDBDatabase) {}

  private async one<T>(store: string, mode: IDBTransactionMode, fn: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const tx = this.db.transaction(store, mode);
    const r = req(fn(tx.objectStore(store)));
    await done(tx);
    return r;
  }

  uploads(): Promise<UploadRecord[]> {
    return this.one(UPLOADS, 'readonly', (s) => s.getAll() as IDBRequest<UploadRecord[]>);
  }

  upload(hash: string): Promise<UploadRecord | undefined> {
    return this.one(UPLOADS, 'readonly', (s) => s.get(hash) as IDBRequest<UploadRecord | undefined>);
  }

  /** Resolves once the record is on disk (the transaction completed). */
  async putUpload(rec: UploadRecord): Promise<void> {
    await this.one(UPLOADS, 'readwrite', (s) => s.put(rec));
  }

  async deleteUpload(hash: string): Promise<void> {
    await this.one(UPLOADS, 'readwrite', (s) => s.delete(hash));
  }

  cached(hash: string): Promise<CachedFile | undefined> {
    return this.one(FILES, 'readonly', (s) => s.get(hash) as IDBRequest<CachedFile | undefined>);
  }

  async putCached(rec: CachedFile): Promise<void> {
    await this.one(FILES, 'readwrite', (s) => s.put(rec));
  }

  async deleteCached(hash: string): Promise<void> {
    await this.one(FILES, 'readwrite', (s) => s.delete(hash));
  }

  /** Every cached file's bookkeeping (the Blobs are read lazily by the engine). */
  allCached(): Promise<CachedFile[]> {
    return this.one(FILES, 'readonly', (s) => s.getAll() as IDBRequest<CachedFile[]>);
  }
}
