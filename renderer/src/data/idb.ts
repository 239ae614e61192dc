// IndexedDB plumbing for the local store: its object stores and their migrations, and promises
// over requests and transactions. Imports records.ts (StoreError) only.
import { StoreError } from './records';

/** IndexedDB version: bumped when object stores or indexes change (see `upgrade`). */
export const DB_VERSION = 2;

export const UPDATES = 'updates';
export const SUMMARIES = 'summaries';
export const DRAFTS = 'drafts';
export const META = 'meta';
/** My files waiting to upload, Blob included (files/queue.ts), by hash. Version 2. */
export const UPLOADS = 'uploads';
/** Downloaded files (files/cache.ts), by hash. Version 2. */
export const FILES = 'files';

export function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new StoreError('IndexedDB request failed'));
  });
}

export function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    // The event comes from the request that failed (a key taken: ConstraintError); the
    // transaction's own error is set only when it aborts, after this.
    tx.onerror = (e) => {
      const failed = (e.target as { error?: unknown } | null)?.error;
      reject(failed instanceof Error ? failed : (tx.error ?? new StoreError('IndexedDB transaction failed')));
    };
    tx.onabort = () => reject(tx.error ?? new StoreError('IndexedDB transaction aborted'));
  });
}

export function commitNow(tx: IDBTransaction): void {
  // `commit()` is in every current browser; fake-indexeddb and old engines autocommit.
  if (typeof tx.commit === 'function') tx.commit();
}

/** Creates and migrates object stores, one step per IndexedDB version. */
export function upgrade(db: IDBDatabase, oldVersion: number): void {
  if (oldVersion < 1) {
    db.createObjectStore(UPDATES, { keyPath: ['doc', 'seq'] });
    db.createObjectStore(SUMMARIES, { keyPath: 'id' });
    db.createObjectStore(DRAFTS, { keyPath: 'id' });
    db.createObjectStore(META);
  }
  if (oldVersion < 2) {
    // Issue 13: the upload queue and the download cache (docs/attachments.md).
    db.createObjectStore(UPLOADS, { keyPath: 'hash' });
    db.createObjectStore(FILES, { keyPath: 'hash' });
  }
  // Later versions: `if (oldVersion < 3) { ... }`, never editing an earlier step.
}
