// The filesystem blob store (sync-server/src/blobs/; docs/attachments.md "On the relay"), the
// interface an S3-compatible store implements later: a put ends with the blob in place under
// its hash or nothing at all (a wrong hash leaves no file, not even a temporary one), get reads
// a byte range, one copy per hash, delete and list.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { BlobError } from '../src/blobs/store';
import { FsBlobStore } from '../src/blobs/fs-store';
import { bytes, sha256 } from './files-helpers';
import { removeDir, tempDir } from './helpers';

async function read(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe('FsBlobStore', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('puts, reads ranges, keeps one copy, lists and deletes', async () => {
    const store = new FsBlobStore(path.join(dir, 'files'));
    await store.init();
    const data = bytes(3 * 1024 * 1024 + 5);
    const hash = sha256(data);
    expect(await store.put(hash, Readable.from([data]))).toEqual({ size: data.length });
    expect(existsSync(path.join(dir, 'files', hash.slice(0, 2), hash.slice(2, 4), hash))).toBe(
      true,
    );
    expect((await read(store.get(hash))).equals(data)).toBe(true);
    expect(
      (await read(store.get(hash, { start: 10, end: 19 }))).equals(data.subarray(10, 20)),
    ).toBe(true);
    // The same bytes again: one copy, the temporary file gone.
    await store.put(hash, Readable.from([data]));
    expect(readdirSync(store.tmp)).toEqual([]);
    const listed: string[] = [];
    for await (const h of store.list()) listed.push(h);
    expect(listed).toEqual([hash]);
    await store.delete(hash);
    expect(await store.stat(hash)).toBeNull();
  });

  it('keeps nothing of bytes that do not match their hash, and refuses a hash that is not one', async () => {
    const store = new FsBlobStore(path.join(dir, 'files2'));
    await store.init();
    const claimed = sha256(bytes(4));
    await expect(store.put(claimed, Readable.from([bytes(1000)]))).rejects.toMatchObject({
      code: 'hash-mismatch',
    });
    expect(await store.stat(claimed)).toBeNull();
    expect(readdirSync(store.tmp)).toEqual([]);
    // adopt (a finished upload's file): checked the same way, and the file is gone either way.
    const file = path.join(dir, 'upload.bin');
    writeFileSync(file, bytes(100));
    await expect(store.adopt(claimed, file)).rejects.toBeInstanceOf(BlobError);
    expect(existsSync(file)).toBe(false);
    expect(() => store.pathOf('../../etc/passwd')).toThrow(BlobError);
  });
});
