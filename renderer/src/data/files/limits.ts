// The limits a person is told about before anything is written (docs/attachments.md, "Limits"):
// at most 10 files on a message, each under the relay's `maxFileBytes`, said in plain words.
import { MAX_FILES } from '../../../../core/src/model/files';

/** "2 GB", "100 MB", "1.5 KB": sizes in words people read (1024-based, as file managers do). */
export function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
  return `${s} ${units[u] as string}`;
}

/** Why these files cannot be sent (count, the relay's size limit), or null. Pure (tested). */
export function filesProblem(files: readonly Blob[], maxFileBytes: number | null): string | null {
  if (files.length > MAX_FILES) return `You can attach up to ${MAX_FILES} files to one message.`;
  if (maxFileBytes === null) return null;
  const big = files.find((f) => f.size > maxFileBytes);
  if (!big) return null;
  const name = typeof File === 'function' && big instanceof File ? `“${big.name}” is ${formatBytes(big.size)}. ` : '';
  return `${name}Files can be up to ${formatBytes(maxFileBytes)} on this relay.`;
}
