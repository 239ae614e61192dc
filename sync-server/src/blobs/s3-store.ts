// The blob store on an S3-compatible bucket (issue 14): the same guarantees as fs-store.ts.
// A blob is the object `<prefix>blobs/<hash>`. `put` streams the bytes into a multipart upload
// (one 8 MiB part in memory at a time, never the whole file) while hashing them, and completes
// the upload only when the hash matches: until CompleteMultipartUpload the object does not
// exist, so a wrong hash, a broken stream or an unreachable store leaves nothing under the hash.
// A file smaller than one part is hashed first and then sent with one PutObject.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3ServiceException,
} from '@aws-sdk/client-s3';
import { checkBucket, listObjects, type S3Target } from './s3-client';
import { BlobError, assertHash, type BlobStat, type BlobStore, type ByteRange } from './store';

/** Bytes per multipart part (S3 wants at least 5 MiB for every part but the last). */
export const PART_BYTES = 8 * 1024 * 1024;

export const isS3Missing = (error: unknown): boolean => {
  const e = error as S3ServiceException;
  return e?.$metadata?.httpStatusCode === 404 || e?.name === 'NoSuchKey' || e?.name === 'NotFound';
};

/** Reads `source` in pieces of exactly `size` bytes (the last may be shorter). */
async function* pieces(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let n = 0;
  for await (const chunk of source) {
    let c = chunk;
    while (n + c.length >= size) {
      const take = size - n;
      held.push(c.subarray(0, take));
      yield Buffer.concat(held);
      held = [];
      n = 0;
      c = c.subarray(take);
    }
    if (c.length > 0) {
      held.push(c);
      n += c.length;
    }
  }
  if (n > 0 || held.length > 0) yield Buffer.concat(held);
}

export class S3BlobStore implements BlobStore {
  constructor(readonly s3: S3Target) {}

  keyOf(hash: string): string {
    assertHash(hash);
    return `${this.s3.prefix}blobs/${hash}`;
  }

  /** Checks the bucket answers (startup): a clear error instead of failing uploads later. */
  async init(): Promise<void> {
    await checkBucket(this.s3);
  }

  async put(hash: string, data: Readable): Promise<BlobStat> {
    const key = this.keyOf(hash);
    const { client, bucket } = this.s3;
    const sha = createHash('sha256');
    const parts = pieces(data as AsyncIterable<Buffer>, PART_BYTES);
    const first = await parts.next();
    const firstPart = first.done ? Buffer.alloc(0) : first.value;
    sha.update(firstPart);
    const second = first.done ? { done: true as const, value: undefined } : await parts.next();
    if (second.done) {
      // One part: hashed before anything is sent.
      this.verify(hash, sha.digest('hex'));
      const existing = await this.stat(hash);
      if (existing) return existing;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: firstPart }));
      return { size: firstPart.length };
    }
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }),
    );
    const abort = () =>
      client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
        .catch(() => undefined); // parts left behind expire by the bucket's lifecycle rule
    const done: CompletedPart[] = [];
    let size = 0;
    const send = async (body: Buffer) => {
      const PartNumber = done.length + 1;
      const r = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body }),
      );
      done.push({ ETag: r.ETag, PartNumber });
      size += body.length;
    };
    try {
      await send(firstPart);
      sha.update(second.value);
      await send(second.value);
      for await (const part of parts) {
        sha.update(part);
        await send(part);
      }
      this.verify(hash, sha.digest('hex'));
    } catch (error) {
      data.destroy();
      await abort();
      throw error;
    }
    const existing = await this.stat(hash);
    if (existing) {
      await abort();
      return existing;
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: done },
      }),
    );
    return { size };
  }

  private verify(hash: string, actual: string): void {
    if (actual !== hash) {
      throw new BlobError('hash-mismatch', 'the bytes do not have the hash they were sent under');
    }
  }

  async adopt(hash: string, file: string): Promise<BlobStat> {
    try {
      return await this.put(hash, createReadStream(file, { highWaterMark: 1024 * 1024 }));
    } finally {
      await rm(file, { force: true });
    }
  }

  get(hash: string, range?: ByteRange): Readable {
    const key = this.keyOf(hash);
    const out = new PassThrough({ highWaterMark: 1024 * 1024 });
    this.s3.client
      .send(
        new GetObjectCommand({
          Bucket: this.s3.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      )
      .then(
        (r) => {
          const body = r.Body as Readable;
          body.on('error', (error) => out.destroy(error));
          out.on('close', () => body.destroy());
          body.pipe(out);
        },
        (error: unknown) => {
          const missing = isS3Missing(error);
          const e = new Error(missing ? `no blob ${hash}` : `reading blob ${hash} failed`, {
            cause: error,
          }) as NodeJS.ErrnoException;
          if (missing) e.code = 'ENOENT';
          out.destroy(e);
        },
      );
    return out;
  }

  async stat(hash: string): Promise<BlobStat | null> {
    try {
      const r = await this.s3.client.send(
        new HeadObjectCommand({ Bucket: this.s3.bucket, Key: this.keyOf(hash) }),
      );
      return { size: r.ContentLength ?? 0 };
    } catch (error) {
      if (isS3Missing(error)) return null;
      throw error;
    }
  }

  async delete(hash: string): Promise<void> {
    await this.s3.client.send(
      new DeleteObjectCommand({ Bucket: this.s3.bucket, Key: this.keyOf(hash) }),
    );
  }

  async *list(): AsyncIterable<string> {
    const prefix = `${this.s3.prefix}blobs/`;
    for await (const o of listObjects(this.s3, prefix)) {
      const name = (o.Key ?? '').slice(prefix.length);
      if (/^[0-9a-f]{64}$/.test(name)) yield name;
    }
  }
}
