// Downloading one file (docs/attachments.md, "Downloads"): GET /api/v1/files/<hash> with the
// access token, resuming with Range from the part already on this device, the part saved every
// few MB so a dropped connection or a restart loses little; the whole is hashed before it is
// kept, and a file that does not match is dropped, never shown.
import { ApiError } from '../api';
import { apiBase, type FetchLike } from '../http';
import type { FileCache } from './cache';
import type { Hasher } from './hash';

/** Bytes kept in memory before they are saved as the resumable part. */
const SAVE_EVERY = 8 * 1024 * 1024;

export interface DownloadDeps {
  serverUrl: string;
  fetch: FetchLike;
  token(): Promise<string>;
  invalidate(): void;
  cache: FileCache;
  hash: Hasher;
  progress(received: number, total: number): void;
}


/** HEAD /files/<hash>: whether the relay holds the file and lets me read it (200), else false. */
export async function onRelay(
  d: Pick<DownloadDeps, 'serverUrl' | 'fetch' | 'token' | 'invalidate'>,
  hash: string,
): Promise<boolean> {
  const url = `${apiBase(d.serverUrl)}/files/${hash}`;
  const head = async () => d.fetch(url, { method: 'HEAD', headers: { Authorization: `Bearer ${await d.token()}` } });
  let res = await head();
  if (res.status === 401) {
    d.invalidate();
    res = await head();
  }
  return res.status === 200;
}

export class NotOnRelay extends Error {
  constructor() {
    super('not on the relay (or not readable by me)');
  }
}

/** Downloads `hash` (of `size` bytes, opened from `conv`), keeps it in the cache, returns it. */
export async function download(d: DownloadDeps, conv: string, hash: string, size: number, type: string): Promise<Blob> {
  let part = (await d.cache.partial(hash)) ?? new Blob([]);
  if (part.size >= size && size > 0) part = new Blob([]);
  const url = `${apiBase(d.serverUrl)}/files/${hash}`;
  const get = async () =>
    d.fetch(url, {
      headers: {
        Authorization: `Bearer ${await d.token()}`,
        ...(part.size > 0 ? { Range: `bytes=${part.size}-` } : {}),
      },
    });
  let res: Response;
  try {
    res = await get();
    if (res.status === 401) {
      d.invalidate();
      res = await get();
    }
  } catch {
    throw new ApiError('unreachable', 'The relay did not answer. The file opens once it is reachable again.');
  }
  if (res.status === 404) throw new NotOnRelay();
  if (res.status === 416) {
    // What was kept is not a prefix any more (should not happen): start over.
    await d.cache.put(hash, new Blob([]), false, conv);
    throw new ApiError('unreachable', 'The download has to start again. Try once more.');
  }
  if (res.status !== 200 && res.status !== 206) {
    throw new ApiError('error', `The relay answered ${res.status} for this file. Try again later.`);
  }
  if (res.status === 200) part = new Blob([]);
  const chunks: Uint8Array[] = [];
  let pending = 0;
  let received = part.size;
  d.progress(received, size);
  const reader = res.body?.getReader();
  try {
    while (reader) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      pending += value.byteLength;
      received += value.byteLength;
      d.progress(received, size);
      if (pending >= SAVE_EVERY) {
        part = new Blob([part, ...(chunks.splice(0) as Uint8Array<ArrayBuffer>[])]);
        pending = 0;
        await d.cache.put(hash, part, false, conv);
      }
    }
  } catch {
    part = new Blob([part, ...(chunks.splice(0) as Uint8Array<ArrayBuffer>[])]);
    await d.cache.put(hash, part, false, conv);
    throw new ApiError('unreachable', 'The download stopped. It continues where it stopped when you open the file again.');
  }
  const whole = new Blob([part, ...(chunks as Uint8Array<ArrayBuffer>[])], { type });
  if ((await d.hash(whole)) !== hash) {
    await d.cache.put(hash, new Blob([]), false, conv);
    throw new ApiError('damaged', 'The file arrived damaged. Try opening it again.');
  }
  await d.cache.put(hash, whole, true, conv);
  return whole;
}
