// Uploads in progress in the S3-compatible bucket (tus-s3-store.ts), streamed into the S3 blob
// store at completion, so any node can resume and complete an upload. Imported by service.ts
// only when --blobs names a bucket: the AWS SDK and tus are not loaded at start otherwise
// (issue 16).
import { connectS3 } from '../blobs/s3-client';
import { S3BlobStore } from '../blobs/s3-store';
import type { S3Location } from '../blobs/s3-url';
import type { RelayConfig } from '../config';
import { sniffType } from './sniff';
import { S3UploadStore } from './tus-s3-store';
import type { UploadBytes } from './upload-bytes';

/** The bucket's blob store and upload store, for `location`. */
export function openS3UploadBytes(location: S3Location, config: RelayConfig): UploadBytes {
  return s3UploadBytes(new S3BlobStore(connectS3(location, config)));
}

export function s3UploadBytes(blobs: S3BlobStore): UploadBytes {
  const store = new S3UploadStore(blobs.s3);
  return {
    datastore: () => Promise.resolve(store),
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
