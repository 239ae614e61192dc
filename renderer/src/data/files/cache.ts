// The download cache (docs/attachments.md, "On the device"): downloaded files by hash, bounded by
// a setting (default 1 GB), least recently used evicted first, never a file of a conversation
// kept offline. My own unsent files are not here at all: they live in the upload queue.
import type { CachedFile, FileRecords } from './records';

export const DEFAULT_CACHE_LIMIT = 1024 * 1024 * 1024;

/**
 * Which cached files to evict so the rest fit in `limit` bytes: the least recently used first,
 * skipping those opened from a conversation in `kept` and the one just stored (`keep`).
 */
export function toEvict(
  entries: readonly Pick<CachedFile, 'hash' | 'size' | 'usedAt' | 'convs'>[],
  limit: number,
  kept: ReadonlySet<string>,
  keep?: string,
): string[] {
  let total = entries.reduce((n, e) => n + e.size, 0);
  const out: string[] = [];
  const candidates = entries
    .filter((e) => e.hash !== keep && !e.convs.some((c) => kept.has(c)))
    .sort((a, b) => a.usedAt - b.usedAt);
  for (const e of candidates) {
    if (total <= limit) break;
    out.push(e.hash);
    total -= e.size;
  }
  return out;
}

export class FileCache {
  /** Bytes held, kept in step with writes (read once at start). */
  bytes = 0;

  constructor(
    private readonly records: FileRecords,
    private readonly now: () => number,
    private readonly changed: () => void,
  ) {}

  async load(): Promise<void> {
    const all = await this.records.allCached();
    this.bytes = all.reduce((n, e) => n + e.size, 0);
    this.changed();
  }

  /** A complete cached file, marked used now (and opened from `conv`). */
  async get(hash: string, conv?: string): Promise<Blob | null> {
    const rec = await this.records.cached(hash);
    if (!rec || !rec.complete) return null;
    rec.usedAt = this.now();
    if (conv && !rec.convs.includes(conv)) rec.convs.push(conv);
    await this.records.putCached(rec);
    return rec.blob;
  }

  /** Bytes already downloaded of an unfinished file (resumed with Range). */
  async partial(hash: string): Promise<Blob | null> {
    const rec = await this.records.cached(hash);
    return rec && !rec.complete ? rec.blob : null;
  }

  async put(hash: string, blob: Blob, complete: boolean, conv: string | undefined): Promise<void> {
    const old = await this.records.cached(hash);
    const convs = old?.convs ?? [];
    if (conv && !convs.includes(conv)) convs.push(conv);
    await this.records.putCached({ hash, blob, size: blob.size, complete, usedAt: this.now(), convs });
    this.bytes += blob.size - (old?.size ?? 0);
    this.changed();
  }

  /** Evicts down to `limit`; returns the hashes removed. */
  async evict(limit: number, kept: ReadonlySet<string>, keep?: string): Promise<string[]> {
    if (this.bytes <= limit) return [];
    const all = await this.records.allCached();
    const gone = toEvict(all, limit, kept, keep);
    for (const hash of gone) {
      const rec = all.find((e) => e.hash === hash);
      await this.records.deleteCached(hash);
      this.bytes -= rec?.size ?? 0;
    }
    if (gone.length > 0) this.changed();
    return gone;
  }
}
