// Where the bytes of uploads in progress live, next to the blob store they end in: on this
// node's disk (@tus/file-store, renamed into the filesystem blob store at completion) or in
// the S3-compatible bucket (tus-s3-store.ts, streamed into the S3 blob store, so any node can
// resume and complete an upload). uploads.ts and service.ts see only this interface.
import { access, mkdir, rm } from 'node:fs/promises';
import type { DataStore } from '@tus/server';
import type { FsBlobStore } from '../blobs/fs-store';
import type { S3BlobStore } from '../blobs/s3-store';
import type { BlobStat, BlobStore } from '../blobs/store';
import { sniffFile, sniffType } from './sniff';
import { HashingFileStore } from './tus-store';
import { S3UploadStore } from './tus-s3-store';

export interface UploadBytes {
  readonly datastore: DataStore;
  readonly blobs: BlobStore;
  /** The disk whose free space decides `disk-full` at creation; null: not on this machine. */
  readonly diskPath: string | null;
  init(): Promise<void>;
  /** Whether upload `id` still has its bytes (a row whose bytes are gone is forgotten). */
  exists(id: string): Promise<boolean>;
  /** The served type, sniffed from the complete upload's first bytes. */
  sniff(id: string, size: number): Promise<string>;
  /**
   * Verifies the complete upload against `hash` and stores it as that blob (BlobError
   * 'hash-mismatch' otherwise). `hashedAsSent`: the hash came from the bytes as they arrived.
   */
  complete(id: string, hash: string, size: number): Promise<BlobStat & { hashedAsSent: boolean }>;
  /** Deletes what the upload holds (nothing when already gone). */
  drop(id: string): Promise<void>;
  /** Forgets anything held in memory about it. */
  forget(id: string): void;
  /** Deletes uploads' bytes no row knows, last written before `before` (GC); how many. */
  sweep(known: (id: string) => boolean, before: number): Promise<number>;
}

export function fsUploadBytes(
  blobs: FsBlobStore,
  directory: string,
  diskPath: string,
): UploadBytes {
  const store = new HashingFileStore({ directory });
  return {
    datastore: store,
    blobs,
    diskPath,
    async init() {
      await blobs.init();
      await mkdir(directory, { recursive: true });
    },
    exists: (id) =>
      access(store.fileOf(id)).then(
        () => true,
        () => false,
      ),
    sniff: (id) => sniffFile(store.fileOf(id)),
    async complete(id, hash, size) {
      const computed = store.takeHash(id, size);
      const stat = await blobs.adopt(hash, store.fileOf(id), computed);
      return { ...stat, hashedAsSent: !!computed };
    },
    async drop(id) {
      store.forget(id);
      await rm(store.fileOf(id), { force: true });
      await store.configstore.delete(id).catch(() => undefined);
    },
    forget: (id) => store.forget(id),
    // On disk a row and its file are dropped together, by this node alone.
    sweep: () => Promise.resolve(0),
  };
}

export function s3UploadBytes(blobs: S3BlobStore): UploadBytes {
  const store = new S3UploadStore(blobs.s3);
  return {
    datastore: store,
    blobs,
    diskPath: null,
    init: () => blobs.init(),
    exists: (id) => store.exists(id),
    sniff: async (id, size) => sniffType(await store.head(id, size, 4100)),
    async complete(id, hash, size) {
      // The blob store hashes the bytes as it reads them from the segments (the relay hashes
      // what it stored) and completes the object only when they match.
      const stat = await blobs.put(hash, store.read(id, size));
      return { ...stat, hashedAsSent: false };
    },
    drop: (id) => store.remove(id),
    forget: () => undefined,
    sweep: (known, before) => store.sweep(known, before),
  };
}
