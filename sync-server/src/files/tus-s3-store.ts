// A tus DataStore whose bytes live in the S3-compatible bucket (issue 14), so that an upload
// started through one relay node resumes (HEAD, then PATCH at the offset) through any other.
// Every piece of state is in the bucket, none in a node's memory or disk:
//   <prefix>uploads/<id>/info                 the upload's size, metadata and creation date
//   <prefix>uploads/<id>/s/<start>-<end>      a segment: the bytes [start, end) of the file
// A PATCH is stored as segments of at most 8 MiB, each a PutObject sent once its bytes are in
// (an interrupted request keeps what arrived, as the file store does). The offset is how far
// the segments cover the file from byte 0 without a gap. Two nodes writing at once (a client
// that resumed on B while A still drained the old request) can only add overlapping segments
// of the same file: reading takes, at each point, the segment reaching furthest, and the
// relay's hash check at the end catches anything else. On the last byte the segments are read
// in order into the blob store's put, which hashes them and completes the blob only when the
// hash matches. Unlike @tus/s3-store this needs no ListParts or AbortMultipartUpload (missing
// from several S3-compatible servers, s3rver among them) and no per-process metadata cache.
import { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DataStore, ERRORS, Upload } from '@tus/server';
import { listObjects, type S3Target } from '../blobs/s3-client';
import { isS3Missing } from '../blobs/s3-store';
import { FileRefusal } from './answers';

/** Bytes of a PATCH held in memory before they are sent as one segment. */
export const SEGMENT_BYTES = 8 * 1024 * 1024;
const DIGITS = 13; // up to 10 TB, so keys sort as numbers

interface Segment {
  key: string;
  start: number;
  end: number;
}

interface Info {
  size: number;
  metadata: Record<string, string | null>;
  creation_date: string;
}

const unavailable = (cause: unknown) => {
  const refusal = new FileRefusal(
    'storage-unavailable',
    'The file storage is unreachable; the upload resumes when it is back.',
  );
  refusal.cause = cause;
  return refusal;
};

/** The segments read in order to get bytes [from, size): each step the one reaching furthest. */
export function coverage(segments: Segment[], from = 0): Array<Segment & { skip: number }> {
  const sorted = [...segments].sort((a, b) => a.start - b.start);
  const out: Array<Segment & { skip: number }> = [];
  let at = from;
  for (;;) {
    let best: Segment | undefined;
    for (const s of sorted) {
      if (s.start > at) break;
      if (s.end > at && (!best || s.end > best.end)) best = s;
    }
    if (!best) return out;
    out.push({ ...best, skip: at - best.start });
    at = best.end;
  }
}

export class S3UploadStore extends DataStore {
  constructor(readonly s3: S3Target) {
    super();
    this.extensions = ['creation', 'creation-with-upload', 'termination'];
  }

  private dirOf(id: string): string {
    return `${this.s3.prefix}uploads/${id}/`;
  }

  private async send<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (error) {
      if (isS3Missing(error)) throw error;
      throw unavailable(error);
    }
  }

  override async create(upload: Upload): Promise<Upload> {
    upload.creation_date = new Date().toISOString();
    const info: Info = {
      size: upload.size ?? 0,
      metadata: upload.metadata ?? {},
      creation_date: upload.creation_date,
    };
    await this.send(() =>
      this.s3.client.send(
        new PutObjectCommand({
          Bucket: this.s3.bucket,
          Key: this.dirOf(upload.id) + 'info',
          Body: JSON.stringify(info),
          ContentType: 'application/json',
        }),
      ),
    );
    return upload;
  }

  private async info(id: string): Promise<Info> {
    try {
      const r = await this.send(() =>
        this.s3.client.send(
          new GetObjectCommand({ Bucket: this.s3.bucket, Key: this.dirOf(id) + 'info' }),
        ),
      );
      return JSON.parse((await r.Body?.transformToString()) ?? '{}') as Info;
    } catch (error) {
      if (isS3Missing(error)) throw ERRORS.FILE_NOT_FOUND;
      throw error;
    }
  }

  /** Every object under the upload's folder. */
  private async keys(id: string): Promise<string[]> {
    const keys: string[] = [];
    for await (const o of listObjects(this.s3, this.dirOf(id), (op) => this.send(op))) {
      if (o.Key) keys.push(o.Key);
    }
    return keys;
  }

  private async segments(id: string): Promise<Segment[]> {
    const out: Segment[] = [];
    const prefix = this.dirOf(id) + 's/';
    for (const key of await this.keys(id)) {
      const m = /^(\d+)-(\d+)$/.exec(key.slice(prefix.length));
      if (key.startsWith(prefix) && m) out.push({ key, start: Number(m[1]), end: Number(m[2]) });
    }
    return out;
  }

  /** Bytes stored from 0 without a gap. */
  private offsetOf(segments: Segment[]): number {
    const path = coverage(segments);
    return path.length > 0 ? (path[path.length - 1]?.end ?? 0) : 0;
  }

  override async getUpload(id: string): Promise<Upload> {
    const info = await this.info(id);
    const offset = this.offsetOf(await this.segments(id));
    return new Upload({
      id,
      size: info.size,
      offset: Math.min(offset, info.size),
      metadata: info.metadata,
      creation_date: info.creation_date,
    });
  }

  override async write(readable: Readable, id: string, offset: number): Promise<number> {
    let at = offset;
    let held: Buffer[] = [];
    let n = 0;
    const flush = async () => {
      if (n === 0) return;
      const body = Buffer.concat(held);
      held = [];
      n = 0;
      const key = `${this.dirOf(id)}s/${String(at).padStart(DIGITS, '0')}-${String(at + body.length).padStart(DIGITS, '0')}`;
      await this.send(() =>
        this.s3.client.send(new PutObjectCommand({ Bucket: this.s3.bucket, Key: key, Body: body })),
      );
      at += body.length;
    };
    let failure: unknown = null;
    try {
      for await (const chunk of readable as AsyncIterable<Buffer>) {
        let c = chunk;
        while (n + c.length >= SEGMENT_BYTES) {
          const take = SEGMENT_BYTES - n;
          held.push(c.subarray(0, take));
          n += take;
          c = c.subarray(take);
          const failed = await flush().then(
            () => null,
            (error: unknown) => error,
          );
          if (failed) {
            // Stop the request with this error (not a bare abort) so the client is told why.
            readable.destroy(failed as Error);
            throw failed;
          }
        }
        if (c.length > 0) {
          held.push(c);
          n += c.length;
        }
      }
    } catch (error) {
      if (error instanceof FileRefusal) throw error;
      // The request broke: what arrived is kept (below), and the client resumes after it.
      failure = error;
    }
    await flush();
    if (failure instanceof FileRefusal) throw failure;
    if (failure) throw ERRORS.FILE_WRITE_ERROR;
    return at;
  }

  /** The upload's bytes from `from` (a stream over its segments, one GET at a time). */
  read(id: string, size: number, from = 0): Readable {
    return Readable.from(this.chunks(id, size, from), { objectMode: false });
  }

  private async *chunks(id: string, size: number, from: number): AsyncGenerator<Buffer> {
    const path = coverage(await this.segments(id), from);
    let at = from;
    for (const s of path) {
      if (at >= size) return;
      const r = await this.send(() =>
        this.s3.client.send(
          new GetObjectCommand({
            Bucket: this.s3.bucket,
            Key: s.key,
            Range: `bytes=${s.skip}-${Math.min(s.end, size) - s.start - 1}`,
          }),
        ),
      );
      for await (const chunk of r.Body as Readable) {
        yield chunk as Buffer;
        at += (chunk as Buffer).length;
      }
    }
    if (at < size) throw new Error(`upload ${id} has a gap at byte ${at}`);
  }

  /** Its first bytes, for sniffing the type. */
  async head(id: string, size: number, n: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let got = 0;
    const stream = this.read(id, Math.min(size, n));
    for await (const chunk of stream) {
      parts.push(chunk as Buffer);
      got += (chunk as Buffer).length;
    }
    return Buffer.concat(parts, got);
  }

  /** Whether the upload still exists in the bucket. */
  async exists(id: string): Promise<boolean> {
    return this.info(id).then(
      () => true,
      (error: unknown) => {
        if (error === ERRORS.FILE_NOT_FOUND) return false;
        throw error;
      },
    );
  }

  /**
   * Removes upload folders no upload row knows (their row was dropped while the bucket was
   * unreachable) whose last write is older than `before`: returns how many.
   */
  async sweep(known: (id: string) => boolean, before: number): Promise<number> {
    const root = `${this.s3.prefix}uploads/`;
    const newest = new Map<string, number>();
    for await (const o of listObjects(this.s3, root, (op) => this.send(op))) {
      const id = (o.Key ?? '').slice(root.length).split('/')[0] ?? '';
      const at = o.LastModified?.getTime() ?? Date.now();
      if (/^[0-9a-f]{32}$/.test(id)) newest.set(id, Math.max(newest.get(id) ?? 0, at));
    }
    let n = 0;
    for (const [id, at] of newest) {
      if (at >= before || known(id)) continue;
      await this.remove(id);
      n++;
    }
    return n;
  }

  override async remove(id: string): Promise<void> {
    const keys = await this.keys(id);
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000).map((Key) => ({ Key }));
      await this.send(() =>
        this.s3.client.send(
          new DeleteObjectsCommand({ Bucket: this.s3.bucket, Delete: { Objects: batch } }),
        ),
      );
    }
  }
}
