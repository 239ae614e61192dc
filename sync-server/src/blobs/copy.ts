// Copies the blobs of a `files/` tree (ab/cd/<hash>; not tmp/ or uploads/ in progress) to
// another: hard links where the filesystem allows (blobs never change), else copies. Used by
// `ferry-relay backup` and `restore` (backup.ts).
import { copyFile, link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { FsBlobStore } from './fs-store';

export async function copyBlobs(fromRoot: string, toRoot: string): Promise<number> {
  const from = new FsBlobStore(fromRoot);
  const to = new FsBlobStore(toRoot);
  let n = 0;
  await mkdir(toRoot, { recursive: true });
  for await (const hash of from.list()) {
    const target = to.pathOf(hash);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await link(from.pathOf(hash), target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      await copyFile(from.pathOf(hash), target);
    }
    n++;
  }
  return n;
}
