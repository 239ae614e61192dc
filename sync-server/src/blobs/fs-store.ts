// The filesystem blob store, the relay's embedded default: `<dataDir>/files/ab/cd/<hash>`.
// Every write goes to a temporary file under `files/tmp`, is fsynced and hashed, and only then
// renamed into place (and the directory fsynced), so a crash or a full disk never leaves a
// half-written blob under a hash: a blob that exists is complete and has the bytes its name says.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobError, assertHash, type BlobStat, type BlobStore, type ByteRange } from './store';

const READ_CHUNK = 1024 * 1024;

function isNoSpace(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

async function fsyncPath(file: string, flags = 'r'): Promise<void> {
  const handle = await open(file, flags);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class FsBlobStore implements BlobStore {
  readonly tmp: string;

  /** `root` is `<dataDir>/files`. */
  /** `tmpName`: in a directory several nodes share, this node's own folder under tmp/. */
  constructor(
    readonly root: string,
    tmpName: string | null = null,
  ) {
    this.tmp = tmpName ? path.join(root, 'tmp', tmpName) : path.join(root, 'tmp');
  }

  /** Creates the folders and removes temporary files a crash left behind. */
  async init(): Promise<void> {
    await rm(this.tmp, { recursive: true, force: true });
    await mkdir(this.tmp, { recursive: true });
  }

  pathOf(hash: string): string {
    assertHash(hash);
    return path.join(this.root, hash.slice(0, 2), hash.slice(2, 4), hash);
  }

  async put(hash: string, data: Readable): Promise<BlobStat> {
    assertHash(hash);
    const file = path.join(this.tmp, randomBytes(12).toString('hex'));
    const sha = createHash('sha256');
    try {
      data.on('data', (chunk: Buffer) => sha.update(chunk));
      await pipeline(data, createWriteStream(file, { flags: 'wx' }));
      await fsyncPath(file, 'r+');
    } catch (error) {
      await rm(file, { force: true });
      if (isNoSpace(error)) throw new BlobError('disk-full', 'the relay is out of disk space');
      throw error;
    }
    return this.place(hash, file, sha.digest('hex'));
  }

  async adopt(hash: string, file: string, computed?: string): Promise<BlobStat> {
    assertHash(hash);
    let actual: string;
    try {
      actual = computed ?? (await hashFile(file));
      await fsyncPath(file, 'r+');
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    return this.place(hash, file, actual);
  }

  /** Renames a verified, fsynced file into place (or drops it when the blob is already there). */
  private async place(hash: string, file: string, actual: string): Promise<BlobStat> {
    if (actual !== hash) {
      await rm(file, { force: true });
      throw new BlobError('hash-mismatch', 'the bytes do not have the hash they were sent under');
    }
    const target = this.pathOf(hash);
    const existing = await this.stat(hash);
    if (existing) {
      await rm(file, { force: true });
      return existing;
    }
    try {
      await mkdir(path.dirname(target), { recursive: true });
      await rename(file, target);
      await fsyncPath(path.dirname(target));
    } catch (error) {
      await rm(file, { force: true });
      if (isNoSpace(error)) throw new BlobError('disk-full', 'the relay is out of disk space');
      throw error;
    }
    const s = await stat(target);
    return { size: s.size };
  }

  get(hash: string, range?: ByteRange): Readable {
    const file = this.pathOf(hash);
    return createReadStream(file, {
      highWaterMark: READ_CHUNK,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async stat(hash: string): Promise<BlobStat | null> {
    try {
      const s = await stat(this.pathOf(hash));
      return s.isFile() ? { size: s.size } : null;
    } catch {
      return null;
    }
  }

  async delete(hash: string): Promise<void> {
    await rm(this.pathOf(hash), { force: true });
  }

  async *list(): AsyncIterable<string> {
    const hex2 = /^[0-9a-f]{2}$/;
    for (const a of await readdir(this.root).catch(() => [] as string[])) {
      if (!hex2.test(a)) continue;
      for (const b of await readdir(path.join(this.root, a)).catch(() => [] as string[])) {
        if (!hex2.test(b)) continue;
        for (const h of await readdir(path.join(this.root, a, b)).catch(() => [] as string[])) {
          if (/^[0-9a-f]{64}$/.test(h) && h.startsWith(a + b)) yield h;
        }
      }
    }
  }
}

/** SHA-256 of a file, streamed (memory stays at one read buffer). */
export async function hashFile(file: string): Promise<string> {
  const sha = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: READ_CHUNK })) {
    sha.update(chunk as Buffer);
  }
  return sha.digest('hex');
}
