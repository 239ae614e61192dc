// Where the bytes of uploads in progress live, next to the blob store they end in: on this
// node's disk (@tus/file-store, renamed into the filesystem blob store at completion) or in
// the S3-compatible bucket (s3-upload-bytes.ts: tus-s3-store.ts, streamed into the S3 blob
// store, so any node can resume and complete an upload). uploads.ts and service.ts see only
// this interface. The tus packages are imported when the first upload arrives, not at start
// (issue 16: a relay nobody uploads to never pays for them).
import { access, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DataStore } from '@tus/server';
import type { FsBlobStore } from '../blobs/fs-store';
import type { BlobStat, BlobStore } from '../blobs/store';
import { sniffFile } from './sniff';
import type { HashingFileStore } from './tus-store';

export interface UploadBytes {
  /** The tus data store (loaded on first use). */
  datastore(): Promise<DataStore>;
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
  let loading: Promise<HashingFileStore> | null = null;
  let loaded: HashingFileStore | null = null;
  const store = (): Promise<HashingFileStore> =>
    (loading ??= import('./tus-store').then(({ HashingFileStore }) => {
      loaded = new HashingFileStore({ directory });
      return loaded;
    }));
  // HashingFileStore.fileOf: where FileStore keeps an upload's bytes.
  const fileOf = (id: string) => path.join(directory, id);
  return {
    datastore: store,
    blobs,
    diskPath,
    async init() {
      await blobs.init();
      await mkdir(directory, { recursive: true });
    },
    exists: (id) =>
      access(fileOf(id)).then(
        () => true,
        () => false,
      ),
    sniff: (id) => sniffFile(fileOf(id)),
    async complete(id, hash, size) {
      const computed = (await store()).takeHash(id, size);
      const stat = await blobs.adopt(hash, fileOf(id), computed);
      return { ...stat, hashedAsSent: !!computed };
    },
    async drop(id) {
      const s = await store();
      s.forget(id);
      await rm(fileOf(id), { force: true });
      await s.configstore.delete(id).catch(() => undefined);
    },
    // Nothing is held in memory before the store is loaded.
    forget: (id) => loaded?.forget(id),
    // On disk a row and its file are dropped together, by this node alone.
    sweep: () => Promise.resolve(0),
  };
}
