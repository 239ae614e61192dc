// The file bytes of a migration (docs/scale-out.md "Moving a single-node install"): with
// `--blobs` (a bucket or a shared directory) every blob the source's `blobs` table lists is
// put from <data>/files into that store. A store's put hashes the bytes as they stream and
// keeps them only when they have the name's SHA-256, so a copied blob is verified on the way;
// one already there with the recorded size is skipped (an interrupted run resumes at the first blob
// it had not finished). Uploads in progress are not copied (see cli.ts).
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { FsBlobStore } from '../blobs/fs-store';
import type { BlobStore } from '../blobs/store';
import type { SqlDb } from '../db/sql';

export interface FilesResult {
  copied: number;
  present: number;
  bytes: number;
  /** Listed in the source database, absent from <data>/files (already lost there). */
  missing: string[];
  problems: string[];
}

export async function copyFiles(
  source: SqlDb,
  dataDir: string,
  target: BlobStore,
  log: (line: string) => void,
): Promise<FilesResult> {
  const local = new FsBlobStore(path.join(dataDir, 'files'));
  const blobs = source
    .prepare<[], { hash: string; size: number }>('SELECT hash, size FROM blobs ORDER BY hash')
    .all();
  const out: FilesResult = { copied: 0, present: 0, bytes: 0, missing: [], problems: [] };
  let lastLine = 0;
  for (const [i, b] of blobs.entries()) {
    const there = await target.stat(b.hash);
    if (there && there.size === b.size) {
      out.present++;
      continue;
    }
    const file = local.pathOf(b.hash);
    if (!existsSync(file)) {
      out.missing.push(b.hash);
      continue;
    }
    // A wrong size in the bucket is replaced: put verifies the hash of what it stores.
    if (there) await target.delete(b.hash);
    await target.put(b.hash, createReadStream(file));
    out.copied++;
    out.bytes += b.size;
    if (Date.now() - lastLine > 1_000) {
      log(`files: ${i + 1} of ${blobs.length} checked, ${out.copied} copied`);
      lastLine = Date.now();
    }
  }
  // Verified after: every listed blob that the source holds is in the target with its size.
  for (const b of blobs) {
    if (out.missing.includes(b.hash)) continue;
    const there = await target.stat(b.hash);
    if (!there) out.problems.push(`file ${b.hash}: not in the target store`);
    else if (there.size !== b.size) {
      out.problems.push(`file ${b.hash}: ${there.size} bytes in the target, ${b.size} recorded`);
    }
  }
  return out;
}
