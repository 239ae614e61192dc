// The blob store (sync-server/src/blobs/; docs/attachments.md "On the relay"), one suite run
// against both implementations: the filesystem store and the S3-compatible store (on a real
// s3rver started here). A put ends with the blob in place under its hash or nothing at all (a
// wrong hash leaves no object, not even a temporary one or a visible multipart upload), get
// reads a byte range, one copy per hash, stat, delete and list.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlobError, type BlobStore } from '../src/blobs/store';
import { FsBlobStore } from '../src/blobs/fs-store';
import { connectS3, type S3Target } from '../src/blobs/s3-client';
import { PART_BYTES, S3BlobStore } from '../src/blobs/s3-store';
import { S3_ACCESS_KEY, S3_SECRET_KEY, S3Engine } from './engines/s3';
import { bytes, sha256 } from './files-helpers';
import { removeDir, tempDir } from './helpers';

async function read(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

interface Subject {
  /** A fresh, empty store. */
  make(name: string): Promise<BlobStore>;
  /** Whether the backend holds `hash` where the store says blobs live. */
  present(store: BlobStore, hash: string): Promise<boolean>;
  /** Anything the backend holds that is not a blob (temporary files, stray objects). */
  leftovers(store: BlobStore): Promise<string[]>;
}

const dir = tempDir();
let s3: S3Engine;
let target: (prefix: string) => S3Target;

beforeAll(async () => {
  s3 = await S3Engine.start();
  target = (prefix) =>
    connectS3(
      { bucket: s3.bucket, prefix },
      {
        s3Endpoint: s3.endpoint,
        s3Region: null,
        s3ForcePathStyle: true,
        s3AccessKeyId: S3_ACCESS_KEY,
        s3SecretAccessKey: S3_SECRET_KEY,
      },
    );
});
afterAll(async () => {
  await s3?.destroy();
  removeDir(dir);
});

const subjects: Record<string, Subject> = {
  FsBlobStore: {
    async make(name) {
      const store = new FsBlobStore(path.join(dir, name));
      await store.init();
      return store;
    },
    async present(store, hash) {
      const root = (store as FsBlobStore).root;
      return existsSync(path.join(root, hash.slice(0, 2), hash.slice(2, 4), hash));
    },
    async leftovers(store) {
      return readdirSync((store as FsBlobStore).tmp);
    },
  },
  S3BlobStore: {
    async make(name) {
      const store = new S3BlobStore(target(`${name}/`));
      await store.init();
      return store;
    },
    async present(store, hash) {
      const t = (store as S3BlobStore).s3;
      const r = await t.client.send(
        new ListObjectsV2Command({ Bucket: t.bucket, Prefix: `${t.prefix}blobs/${hash}` }),
      );
      return (r.Contents ?? []).length === 1;
    },
    async leftovers(store) {
      const t = (store as S3BlobStore).s3;
      const r = await t.client.send(
        new ListObjectsV2Command({ Bucket: t.bucket, Prefix: t.prefix }),
      );
      return (r.Contents ?? [])
        .map((o) => o.Key ?? '')
        .filter((k) => !/^.*blobs\/[0-9a-f]{64}$/.test(k));
    },
  },
};

describe.each(Object.entries(subjects))('%s', (_name, subject) => {
  it('puts, reads ranges, keeps one copy, lists and deletes', async () => {
    const store = await subject.make('a');
    // Larger than one S3 part: the multipart path, verified before it completes.
    const data = bytes(PART_BYTES * 2 + 5);
    const hash = sha256(data);
    expect(await store.put(hash, Readable.from([data]))).toEqual({ size: data.length });
    expect(await subject.present(store, hash)).toBe(true);
    expect(await store.stat(hash)).toEqual({ size: data.length });
    expect((await read(store.get(hash))).equals(data)).toBe(true);
    expect(
      (await read(store.get(hash, { start: 10, end: 19 }))).equals(data.subarray(10, 20)),
    ).toBe(true);
    const tail = { start: data.length - 3, end: data.length - 1 };
    expect((await read(store.get(hash, tail))).equals(data.subarray(-3))).toBe(true);
    // The same bytes again: one copy, nothing temporary left.
    await store.put(hash, Readable.from([data]));
    expect(await subject.leftovers(store)).toEqual([]);
    // A small one (a single part) and an empty one.
    const small = bytes(1000);
    expect(await store.put(sha256(small), Readable.from([small]))).toEqual({ size: 1000 });
    const empty = Buffer.alloc(0);
    expect(await store.put(sha256(empty), Readable.from([empty]))).toEqual({ size: 0 });
    const listed: string[] = [];
    for await (const h of store.list()) listed.push(h);
    expect(listed.sort()).toEqual([hash, sha256(small), sha256(empty)].sort());
    await store.delete(hash);
    expect(await store.stat(hash)).toBeNull();
    await store.delete(hash); // absent: nothing happens
  });

  it('keeps nothing of bytes that do not match their hash, and refuses a hash that is not one', async () => {
    const store = await subject.make('b');
    const claimed = sha256(bytes(4));
    await expect(store.put(claimed, Readable.from([bytes(1000)]))).rejects.toMatchObject({
      code: 'hash-mismatch',
    });
    await expect(
      store.put(claimed, Readable.from([bytes(PART_BYTES), bytes(PART_BYTES + 1)])),
    ).rejects.toMatchObject({ code: 'hash-mismatch' });
    expect(await store.stat(claimed)).toBeNull();
    expect(await subject.leftovers(store)).toEqual([]);
    // adopt (a finished upload's file): checked the same way, and the file is gone either way.
    const file = path.join(dir, `upload-${_name}.bin`);
    writeFileSync(file, bytes(100));
    await expect(store.adopt(claimed, file)).rejects.toBeInstanceOf(BlobError);
    expect(existsSync(file)).toBe(false);
    const good = bytes(100);
    writeFileSync(file, good);
    expect(await store.adopt(sha256(good), file)).toEqual({ size: 100 });
    expect(existsSync(file)).toBe(false);
    expect(() => store.get('../../etc/passwd')).toThrow(BlobError);
  });

  it('reports a missing blob as ENOENT when read', async () => {
    const store = await subject.make('c');
    await expect(read(store.get(sha256(bytes(8))))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
