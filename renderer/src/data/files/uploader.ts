// The uploader (docs/attachments.md, "Messages between app and relay"): while the relay is
// reachable it sends my queued files two at a time with tus (tus-js-client) to
// /api/v1/files/uploads, the access token on every request (refreshed when refused), the tus
// upload URL kept in the queue record so a reload or restart resumes where it stopped. A HEAD of
// /api/v1/files/<hash> first skips bytes the relay already holds for me. Failures become plain
// words on the record: a damaged arrival (hash mismatch) is sent once more by itself, a full
// relay is tried again hourly, a conversation I was removed from holds the file.
import { Upload, type DetailedError, type HttpRequest } from 'tus-js-client';
import { apiBase, type FetchLike } from '../http';
import { onRelay } from './download';
import type { FileRecords, UploadRecord } from './records';

/** Files sent at the same time. */
export const PARALLEL = 2;
/** Bytes per PATCH: a dropped connection costs at most this much again. */
export const CHUNK = 16 * 1024 * 1024;
const HOUR = 60 * 60 * 1000;
/** Wait after a network failure tus itself gave up on (the next connect also restarts it). */
const BACKOFF = 30_000;

export interface UploaderDeps {
  records: FileRecords;
  serverUrl: string;
  fetch: FetchLike;
  /** A valid access token (refreshing first when near expiry); throws when signed out. */
  token(): Promise<string>;
  /** The relay refused the token: the next `token()` refreshes. */
  invalidate(): void;
  /** Whether the relay is reachable now. */
  online(): boolean;
  now(): number;
  /** A file's state changed (started, paused, failed, done): its record may have changed. */
  changed(hash: string): void;
  /** Bytes went out (many times a second: nothing is read from disk for it). */
  progress(hash: string): void;
  /** The relay holds the file now: the record is gone, the bytes move to the cache. */
  uploaded(rec: UploadRecord): Promise<void>;
}

/** What a failed upload becomes on its record. */
export interface Outcome {
  state: 'queued' | 'failed';
  error: string | null;
  retryable: boolean;
  /** ms to wait before the next try. */
  wait: number;
  /** Forget the tus URL and start over (the relay deleted what it had). */
  restart: boolean;
  /** Failed, but tried again by itself after `wait` (quota, disk full). */
  auto?: boolean;
}

/** The relay's JSON error body: `{ error: code, message }` (or the API's `{ error: { code, message } }`). */
function codeOf(body: string): string | null {
  try {
    const b = JSON.parse(body) as { error?: unknown };
    if (typeof b.error === 'string') return b.error;
    const inner = b.error as { code?: unknown } | undefined;
    return typeof inner?.code === 'string' ? inner.code : null;
  } catch {
    return null;
  }
}

/** Maps an HTTP status (0: no answer) and error code to what the record shows. Pure (tested). */
export function outcomeOf(status: number, code: string | null, mismatches: number): Outcome {
  const fail = (error: string, retryable: boolean, wait = 0): Outcome => ({
    state: 'failed',
    error,
    retryable,
    wait,
    restart: false,
  });
  if (status === 460 || code === 'hash-mismatch') {
    if (mismatches === 0) return { state: 'queued', error: null, retryable: true, wait: 0, restart: true };
    return { ...fail('The file arrived damaged twice. Try again; if it keeps failing, attach it again.', true), restart: true };
  }
  if (status === 507 || code === 'quota' || code === 'disk-full') {
    const why =
      code === 'quota'
        ? 'You have used all the space for files this relay allows.'
        : 'The relay is out of space for files.';
    return { ...fail(`${why} Ask your admin; Ferry tries again every hour.`, true, HOUR), auto: true };
  }
  if (status === 403 || code === 'not-member') {
    return fail('You are no longer a member of this conversation, so the file was not sent. It is kept on this device.', false);
  }
  if (status === 413 || code === 'too-large') return fail('This file is over the relay’s size limit.', false);
  if (status === 429 || code === 'too-many-uploads') {
    return { state: 'queued', error: null, retryable: true, wait: BACKOFF, restart: false };
  }
  if (status === 400 || code === 'bad-metadata') {
    return fail('The relay did not accept this file’s details. Attach it again.', false);
  }
  // No answer, a dropped connection, a relay error: stays queued, resumed from the relay's offset.
  return { state: 'queued', error: null, retryable: true, wait: BACKOFF, restart: false };
}

/** tus's file reader over a Blob: slices read as bytes (Node's HTTP stack) or kept as Blobs (XHR). */
const blobReader = {
  openFile(input: Blob) {
    const asBlob = typeof XMLHttpRequest === 'function';
    return Promise.resolve({
      size: input.size,
      async slice(start: number, end: number) {
        const part = input.slice(start, Math.min(end, input.size));
        // tus reads a slice's length from `size` (as its own Buffer source sets it).
        const value = asBlob ? part : Object.assign(new Uint8Array(await part.arrayBuffer()), { size: part.size });
        return { value, done: end >= input.size };
      },
      close() {},
    });
  },
};

export class Uploader {
  /** Running uploads by hash, with their progress. */
  private readonly running = new Map<string, { upload: Upload | null; sent: number; total: number }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pumping: Promise<void> | null = null;
  private closed = false;

  constructor(private readonly deps: UploaderDeps) {}

  /** Bytes sent so far of a running upload, or null when it is not running. */
  progress(hash: string): { sent: number; total: number } | null {
    const r = this.running.get(hash);
    return r ? { sent: r.sent, total: r.total } : null;
  }

  /** Starts what may start now (the relay reachable, a slot free, the record due). */
  kick(): void {
    if (this.closed || !this.deps.online()) return;
    this.pumping ??= this.pump()
      .catch((e: unknown) => this.lost('', e))
      .finally(() => {
        this.pumping = null;
      });
  }

  private async pump(): Promise<void> {
    const all = await this.deps.records.uploads();
    const now = this.deps.now();
    let soonest = Infinity;
    for (const rec of all.sort((a, b) => a.createdAt - b.createdAt)) {
      if (this.running.has(rec.hash)) continue;
      const auto = rec.state === 'failed' && rec.autoAt !== undefined;
      if (rec.state !== 'queued' && !auto) continue;
      const at = auto ? (rec.autoAt as number) : rec.nextAt;
      if (at > now) {
        soonest = Math.min(soonest, at);
        continue;
      }
      if (this.running.size >= PARALLEL || !this.deps.online() || this.closed) break;
      this.running.set(rec.hash, { upload: null, sent: 0, total: rec.blob.size });
      this.deps.progress(rec.hash);
      void this.send(rec).catch((e: unknown) => this.lost(rec.hash, e));
    }
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (soonest < Infinity && !this.closed) {
      this.timer = setTimeout(() => this.kick(), Math.min(soonest - now, HOUR));
    }
  }

  /** Stops every running upload (offline, signed out, closing); their records stay queued. */
  pause(): void {
    for (const [hash, r] of this.running) {
      r.upload?.abort(false).catch(() => undefined);
      this.running.delete(hash);
      this.deps.changed(hash);
    }
  }

  /** Stops one upload and tells the relay to drop what it has of it (cancel). */
  async stop(hash: string): Promise<void> {
    const r = this.running.get(hash);
    this.running.delete(hash);
    await r?.upload?.abort(true).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.pause();
  }

  private async send(rec: UploadRecord): Promise<void> {
    const { hash } = rec;
    const slot = this.running.get(hash);
    try {
      // The relay already holds it for me (sent before a crash, or attached twice): nothing to send.
      if (await onRelay(this.deps, hash)) return await this.finish(rec);
    } catch {
      // no answer: tus below meets the same network and decides
    }
    if (this.running.get(hash) !== slot || !slot) return; // paused or cancelled meanwhile
    await new Promise<void>((resolve) => {
      const upload = new Upload(rec.blob, {
        endpoint: `${apiBase(this.deps.serverUrl)}/files/uploads`,
        uploadUrl: rec.url,
        uploadSize: rec.blob.size,
        metadata: { hash, conv: rec.conv, type: rec.ref.type },
        chunkSize: CHUNK,
        retryDelays: [0, 1000, 3000, 10_000],
        storeFingerprintForResuming: false,
        fileReader: blobReader,
        onBeforeRequest: async (req: HttpRequest) => {
          req.setHeader('Authorization', `Bearer ${await this.deps.token()}`);
        },
        onShouldRetry: (err: DetailedError) => {
          const status = err.originalResponse?.getStatus() ?? 0;
          if (status === 401) {
            this.deps.invalidate();
            return true;
          }
          return status === 0 || status >= 500 ? status !== 507 : status === 409 || status === 423;
        },
        onUploadUrlAvailable: () => {
          rec.url = upload.url;
          void this.deps.records.putUpload({ ...rec }).catch(() => undefined);
        },
        onProgress: (sent: number, total: number) => {
          if (this.running.get(hash) !== slot) return;
          slot.sent = sent;
          slot.total = total;
          this.deps.progress(hash);
        },
        onSuccess: () => {
          this.finish(rec)
            .catch((e: unknown) => this.lost(hash, e))
            .finally(resolve);
        },
        onError: (err: Error) => {
          const res = (err as DetailedError).originalResponse ?? null;
          this.failed(rec, slot, res ? res.getStatus() : 0, res ? codeOf(res.getBody()) : null)
            .catch((e: unknown) => this.lost(hash, e))
            .finally(resolve);
        },
      });
      slot.upload = upload;
      upload.start();
    });
  }

  /** Bookkeeping that failed (the store closed under it): the record stays queued for next time. */
  private lost(hash: string, e: unknown): void {
    this.running.delete(hash);
    if (!this.closed) console.warn(`[ferry] upload of ${hash}: ${e instanceof Error ? e.message : String(e)}`);
  }

  private async finish(rec: UploadRecord): Promise<void> {
    this.running.delete(rec.hash);
    await this.deps.uploaded(rec);
    this.deps.changed(rec.hash);
    this.kick();
  }

  private async failed(rec: UploadRecord, slot: object, status: number, code: string | null): Promise<void> {
    if (this.running.get(rec.hash) !== slot) return; // paused or cancelled: the abort is not a failure
    this.running.delete(rec.hash);
    const o = outcomeOf(status, code, rec.mismatches);
    const current = await this.deps.records.upload(rec.hash);
    if (current) {
      const mismatch = status === 460 || code === 'hash-mismatch';
      await this.deps.records.putUpload({
        ...current,
        state: o.state,
        error: o.error,
        retryable: o.retryable,
        nextAt: this.deps.now() + o.wait,
        mismatches: current.mismatches + (mismatch ? 1 : 0),
        url: o.restart ? null : (rec.url ?? current.url),
        ...(o.auto ? { autoAt: this.deps.now() + o.wait } : { autoAt: undefined }),
      });
      if (o.error) console.warn(`[ferry] upload of ${rec.hash} failed (${status} ${code ?? ''})`);
    }
    this.deps.changed(rec.hash);
    this.kick();
  }
}
