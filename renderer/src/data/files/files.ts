// Files (api.ts FilesApi; docs/attachments.md): the service the client wires. Sending: `prepare`
// hashes and measures attachments (no writes), `enqueue` puts them in the upload queue BEFORE the
// message is written (conversation.ts), the uploader sends them when the relay is reachable.
// Reading: `open` from the queue, the cache or the relay; transfer states per hash; conversations
// kept offline download their files as pages arrive; the bounded cache.
import { ApiError, type ConversationFile, type FileTransfer, type FileView, type Observe, type Attachment } from '../api';
import type { OpenDoc } from '../docs';
import type { FetchLike } from '../http';
import type { LocalStore } from '../store';
import { DEFAULT_CACHE_LIMIT, FileCache } from './cache';
import { download, NotOnRelay, onRelay } from './download';
import { createHasher } from './hash';
import { prepare, type Prepared } from './measure';
import { FileRecords, type UploadRecord } from './records';
import { Uploader } from './uploader';
import { filesProblem } from './limits';
import { filesOfPages } from './view';

export { filesProblem, formatBytes } from './limits';

const LIMITS = 'filesLimits';
const CACHE_LIMIT = 'filesCacheLimit';
const KEPT = 'filesKeptOffline';

export interface FilesDeps {
  store: LocalStore;
  serverUrl: string;
  fetch: FetchLike;
  /** Signed in: the token; null without accounts (no files then). */
  auth: { token(): Promise<string>; invalidate(): void } | null;
  /** The relay reachable now (the socket is up). */
  online(): boolean;
  now(): number;
  nameOf(user: string): string;
  removed(conv: string): boolean;
  /** Deletes my message (cancel). */
  removeMessage(conv: string, messageId: string): Promise<void>;
  /** The uploads count changed (the sync status). */
  syncChanged(): void;
}

/**
 * Files still 'waiting' (their sender has not uploaded them yet) are asked for again after 2 s,
 * then twice as long each time up to a minute: a fresh message's file usually follows within
 * seconds, one from a device that went offline may take days.
 */
export const RECHECK_FIRST_MS = 2_000;
export const RECHECK_MAX_MS = 60_000;
/** Files remembered as waiting or unavailable. */
const MAX_MISSING = 5000;

export class Files {
  private readonly records: FileRecords;
  private readonly cacheStore: FileCache;
  private readonly uploader: Uploader;
  private readonly hasher = createHasher();
  /** What of the queue the states need, in memory (the Blobs stay on disk). */
  private readonly queued = new Map<string, { state: 'queued' | 'failed'; error: string | null; retryable: boolean; size: number }>();
  private readonly cachedSet = new Set<string>();
  private readonly downloading = new Map<string, { received: number; total: number; run: Promise<Blob> }>();
  /** What a 404 taught about someone else's file. */
  private readonly missing = new Map<string, FileTransfer>();
  private readonly listeners = new Map<string, Set<(t: FileTransfer) => void>>();
  /** Loaded pages per conversation, by room (the newest OpenDoc of each). */
  private readonly pages = new Map<string, Map<string, OpenDoc>>();
  private limitsValue: { maxFileBytes: number } | null = null;
  private readonly limitListeners = new Set<(v: { maxFileBytes: number } | null) => void>();
  private kept = new Set<string>();
  private readonly keptListeners = new Set<(v: ReadonlySet<string>) => void>();
  private cacheLimit = DEFAULT_CACHE_LIMIT;
  private readonly cacheListeners = new Set<(v: { bytes: number; limit: number }) => void>();
  readonly loaded: Promise<void>;
  private closed = false;
  private recheckTimer: ReturnType<typeof setTimeout> | null = null;
  private recheckMs = RECHECK_FIRST_MS;

  constructor(private readonly deps: FilesDeps) {
    this.records = new FileRecords(deps.store.db);
    this.cacheStore = new FileCache(this.records, deps.now, () => this.cacheChanged());
    const auth = deps.auth;
    this.uploader = new Uploader({
      records: this.records,
      serverUrl: deps.serverUrl,
      fetch: deps.fetch,
      token: () => (auth ? auth.token() : Promise.reject(new Error('no account'))),
      invalidate: () => auth?.invalidate(),
      online: () => auth !== null && deps.online() && !this.closed,
      now: deps.now,
      changed: (hash) => {
        if (!this.closed) this.refreshQueued(hash).catch((e: unknown) => this.warn(e));
      },
      progress: (hash) => {
        this.emit(hash);
        this.deps.syncChanged();
      },
      uploaded: async (rec) => {
        await this.cacheStore.put(rec.hash, rec.blob, true, rec.conv);
        this.cachedSet.add(rec.hash);
        await this.records.deleteUpload(rec.hash);
        this.queued.delete(rec.hash);
        this.deps.syncChanged();
      },
    });
    this.loaded = this.load().catch((e: unknown) => {
      console.warn(`[ferry] files: ${e instanceof Error ? e.message : String(e)}`);
    });
  }

  private async load(): Promise<void> {
    const [uploads, cached, limits, cacheLimit, kept] = await Promise.all([
      this.records.uploads(),
      this.records.allCached(),
      this.deps.store.getMeta(LIMITS),
      this.deps.store.getMeta(CACHE_LIMIT),
      this.deps.store.getMeta(KEPT),
    ]);
    for (const r of uploads) this.queued.set(r.hash, { state: r.state, error: r.error, retryable: r.retryable, size: r.blob.size });
    for (const c of cached) if (c.complete) this.cachedSet.add(c.hash);
    this.cacheStore.bytes = cached.reduce((n, c) => n + c.size, 0);
    const max = (limits as { maxFileBytes?: unknown } | undefined)?.maxFileBytes;
    if (this.limitsValue === null && typeof max === 'number' && max > 0) this.setLimits(max, false);
    if (typeof cacheLimit === 'number' && cacheLimit >= 0) this.cacheLimit = cacheLimit;
    if (Array.isArray(kept)) this.kept = new Set(kept.filter((k): k is string => typeof k === 'string'));
    for (const l of this.keptListeners) l(this.kept);
    this.cacheChanged();
    this.deps.syncChanged();
    for (const hash of this.listeners.keys()) this.emit(hash);
    this.uploader.kick();
  }

  // ---- limits (GET /server `files`) ----

  /** GET /server's answer (relay-schema.ts asks it): keeps `files.maxFileBytes` for offline use. */
  serverInfo(info: unknown): void {
    const files = typeof info === 'object' && info !== null ? (info as { files?: { maxFileBytes?: unknown } }).files : undefined;
    const max = files?.maxFileBytes;
    if (typeof max === 'number' && Number.isInteger(max) && max > 0) this.setLimits(max, true);
  }

  private setLimits(maxFileBytes: number, save: boolean): void {
    if (this.limitsValue?.maxFileBytes === maxFileBytes) return;
    this.limitsValue = { maxFileBytes };
    if (save) this.deps.store.putMeta(LIMITS, { maxFileBytes }).catch(() => undefined);
    for (const l of this.limitListeners) l(this.limitsValue);
  }

  limits: Observe<{ maxFileBytes: number } | null> = (listener) => {
    this.limitListeners.add(listener);
    listener(this.limitsValue);
    return () => this.limitListeners.delete(listener);
  };

  problem(files: readonly Blob[]): string | null {
    if (!this.deps.auth) return 'Files need an account on the relay.';
    return filesProblem(files, this.limitsValue?.maxFileBytes ?? null);
  }

  // ---- sending (conversation.ts) ----

  /** Checks, hashes and measures the attachments; writes nothing. ApiError 'too-large' when refused. */
  async prepare(files: readonly Attachment[]): Promise<Prepared[]> {
    await this.loaded;
    const problem = this.problem(files.map((a) => a.file));
    if (problem) throw new ApiError('too-large', problem);
    const out: Prepared[] = [];
    for (const a of files) out.push(await prepare(a, this.hasher.hash));
    return out;
  }

  /** Puts the files in the upload queue; resolves once the queue is on disk. */
  async enqueue(conv: string, messageId: string, files: readonly Prepared[]): Promise<void> {
    for (const { ref, blob } of files) {
      const old = await this.records.upload(ref.hash);
      const rec: UploadRecord = old
        ? { ...old, messages: [...old.messages, [conv, messageId]] }
        : {
            hash: ref.hash,
            conv,
            messages: [[conv, messageId]],
            ref,
            blob,
            url: null,
            state: 'queued',
            error: null,
            retryable: true,
            mismatches: 0,
            nextAt: 0,
            createdAt: this.deps.now(),
          };
      try {
        await this.records.putUpload(rec);
      } catch (e) {
        await this.dropMessage(conv, messageId).catch(() => undefined);
        console.warn(`[ferry] files: queueing failed: ${e instanceof Error ? e.message : String(e)}`);
        throw new ApiError(
          'no-space',
          'This device has no room left to keep the file until it is sent. Free some disk space and try again.',
        );
      }
      this.queued.set(ref.hash, { state: rec.state, error: rec.error, retryable: rec.retryable, size: blob.size });
      this.emit(ref.hash);
    }
    this.deps.syncChanged();
  }

  /** The message could not be written after all: its files leave the queue again. */
  async dequeue(conv: string, messageId: string): Promise<void> {
    await this.dropMessage(conv, messageId);
  }

  /** The message is on disk: start uploading. */
  sent(): void {
    this.uploader.kick();
  }

  /** The relay became reachable (or not). */
  connectionChanged(online: boolean): void {
    if (online) {
      this.uploader.kick();
      for (const conv of this.kept) this.prefetch(conv);
      this.recheck().catch((e: unknown) => this.warn(e));
    } else this.uploader.pause();
  }

  private async dropMessage(conv: string, messageId: string): Promise<void> {
    for (const rec of await this.records.uploads()) {
      const rest = rec.messages.filter(([c, m]) => !(c === conv && m === messageId));
      if (rest.length === rec.messages.length) continue;
      if (rest.length > 0) {
        await this.records.putUpload({ ...rec, messages: rest });
        continue;
      }
      await this.uploader.stop(rec.hash);
      await this.records.deleteUpload(rec.hash);
      this.queued.delete(rec.hash);
      this.emit(rec.hash);
    }
    this.deps.syncChanged();
  }

  /** SyncStatus.uploads: my files waiting for or in upload (failed ones not counted). */
  uploads(): { count: number; bytesLeft: number } | null {
    let count = 0;
    let bytesLeft = 0;
    for (const [hash, q] of this.queued) {
      if (q.state !== 'queued') continue;
      count++;
      bytesLeft += q.size - (this.uploader.progress(hash)?.sent ?? 0);
    }
    return count > 0 ? { count, bytesLeft } : null;
  }

  private async refreshQueued(hash: string): Promise<void> {
    const rec = await this.records.upload(hash).catch(() => undefined);
    if (rec) this.queued.set(hash, { state: rec.state, error: rec.error, retryable: rec.retryable, size: rec.blob.size });
    else this.queued.delete(hash);
    this.emit(hash);
    this.deps.syncChanged();
  }

  async cancel(conv: string, messageId: string): Promise<void> {
    await this.dropMessage(conv, messageId);
    await this.deps.removeMessage(conv, messageId);
  }

  retry(hash: string): void {
    void (async () => {
      const rec = await this.records.upload(hash);
      if (!rec || rec.state !== 'failed') return;
      await this.records.putUpload({ ...rec, state: 'queued', error: null, nextAt: 0, mismatches: 0, autoAt: undefined });
      await this.refreshQueued(hash);
      this.uploader.kick();
    })().catch((e: unknown) => this.warn(e));
  }

  private warn(e: unknown): void {
    if (!this.closed) console.warn(`[ferry] files: ${e instanceof Error ? e.message : String(e)}`);
  }

  // ---- where the bytes are ----

  private stateOf(hash: string): FileTransfer {
    const up = this.uploader.progress(hash);
    if (up) return { state: 'uploading', sent: up.sent, total: up.total };
    const q = this.queued.get(hash);
    if (q?.state === 'failed') return { state: 'failed', error: q.error ?? 'The file was not sent.', retryable: q.retryable };
    if (q) return { state: 'queued', sent: 0, total: q.size };
    const d = this.downloading.get(hash);
    if (d) return { state: 'downloading', received: d.received, total: d.total };
    if (this.cachedSet.has(hash)) return { state: 'local' };
    return this.missing.get(hash) ?? { state: 'remote' };
  }

  private emit(hash: string): void {
    const ls = this.listeners.get(hash);
    if (!ls) return;
    const t = this.stateOf(hash);
    for (const l of [...ls]) l(t);
  }

  transfer(hash: string): Observe<FileTransfer> {
    return (listener) => {
      let ls = this.listeners.get(hash);
      if (!ls) this.listeners.set(hash, (ls = new Set()));
      ls.add(listener);
      listener(this.stateOf(hash));
      return () => {
        ls.delete(listener);
        if (ls.size === 0) this.listeners.delete(hash);
      };
    };
  }

  async open(conv: string, file: FileView): Promise<Blob> {
    await this.loaded;
    const mine = await this.records.upload(file.hash);
    if (mine) return mine.blob;
    const cached = await this.cacheStore.get(file.hash, conv);
    if (cached) return cached;
    const running = this.downloading.get(file.hash);
    if (running) return running.run;
    if (!this.deps.auth) throw new ApiError('unavailable', 'Files need an account on the relay.');
    if (this.deps.removed(conv)) {
      throw new ApiError('unavailable', 'You are no longer in this conversation, so its files cannot be downloaded.');
    }
    if (!this.deps.online()) {
      throw new ApiError('offline', 'This file is not on this device yet. It opens once you are connected.');
    }
    const auth = this.deps.auth;
    const entry = { received: 0, total: file.size, run: Promise.resolve(new Blob([])) };
    entry.run = download(
      {
        serverUrl: this.deps.serverUrl,
        fetch: this.deps.fetch,
        token: () => auth.token(),
        invalidate: () => auth.invalidate(),
        cache: this.cacheStore,
        hash: this.hasher.hash,
        progress: (received, total) => {
          entry.received = received;
          entry.total = total;
          this.emit(file.hash);
        },
      },
      conv,
      file.hash,
      file.size,
      file.type,
    )
      .then(async (blob) => {
        this.cachedSet.add(file.hash);
        this.missing.delete(file.hash);
        await this.cacheStore.evict(this.cacheLimit, this.kept, file.hash);
        await this.syncCachedSet();
        return blob;
      })
      .catch((e: unknown) => {
        if (!(e instanceof NotOnRelay)) throw e;
        const removed = this.deps.removed(conv);
        // Bounded: the oldest answers are forgotten (asked again when that file is opened).
        if (this.missing.size >= MAX_MISSING) this.missing.delete(this.missing.keys().next().value as string);
        this.missing.set(
          file.hash,
          removed
            ? { state: 'unavailable', error: 'You are no longer in this conversation.' }
            : { state: 'waiting' },
        );
        if (!removed) {
          this.recheckMs = RECHECK_FIRST_MS;
          this.scheduleRecheck();
        }
        throw removed
          ? new ApiError('unavailable', 'You are no longer in this conversation, so its files cannot be downloaded.')
          : new ApiError('waiting', 'This file has not reached the relay yet. It opens once the sender’s device has uploaded it.');
      })
      .finally(() => {
        this.downloading.delete(file.hash);
        this.emit(file.hash);
      });
    this.downloading.set(file.hash, entry);
    this.emit(file.hash);
    return entry.run;
  }

  /** Asks again, later, for files their sender has not uploaded yet (a HEAD each). */
  private scheduleRecheck(): void {
    if (this.recheckTimer !== null || this.closed) return;
    this.recheckTimer = setTimeout(() => {
      this.recheckTimer = null;
      this.recheck().catch((e: unknown) => this.warn(e));
    }, this.recheckMs);
    this.recheckMs = Math.min(RECHECK_MAX_MS, this.recheckMs * 2);
  }

  private async recheck(): Promise<void> {
    const auth = this.deps.auth;
    const waiting = [...this.missing].filter(([, t]) => t.state === 'waiting').map(([h]) => h);
    if (!auth || waiting.length === 0 || this.closed) return;
    if (!this.deps.online()) return; // connectionChanged(true) asks again
    const deps = { serverUrl: this.deps.serverUrl, fetch: this.deps.fetch, token: () => auth.token(), invalidate: () => auth.invalidate() };
    let arrived = false;
    for (const hash of waiting) {
      if (await onRelay(deps, hash).catch(() => false)) {
        this.missing.delete(hash);
        this.emit(hash);
        arrived = true;
      }
    }
    if (arrived) {
      this.recheckMs = RECHECK_FIRST_MS;
      for (const conv of this.kept) this.prefetch(conv);
    }
    if ([...this.missing.values()].some((t) => t.state === 'waiting')) this.scheduleRecheck();
  }

  private async syncCachedSet(): Promise<void> {
    const all = await this.records.allCached();
    const now = new Set(all.filter((c) => c.complete).map((c) => c.hash));
    for (const h of [...this.cachedSet]) {
      if (!now.has(h)) {
        this.cachedSet.delete(h);
        this.emit(h);
      }
    }
  }

  // ---- a conversation's files, kept offline ----

  /** A loaded page of a conversation (client.onPage): listed, and prefetched when kept offline. */
  watch(conv: string, od: OpenDoc): void {
    let rooms = this.pages.get(conv);
    if (!rooms) this.pages.set(conv, (rooms = new Map()));
    if (rooms.get(od.room) === od) return;
    rooms.set(od.room, od);
    void od.loaded.then(
      () => {
        if (this.closed) return;
        this.prefetch(conv);
        od.doc.on('update', () => {
          if (this.kept.has(conv)) this.prefetch(conv);
        });
      },
      () => undefined,
    );
  }

  private prefetching = new Set<string>();

  /** Downloads the files of a kept conversation's loaded pages that are not here yet, one by one. */
  private prefetch(conv: string): void {
    if (!this.kept.has(conv) || !this.deps.online() || this.prefetching.has(conv) || this.closed) return;
    this.prefetching.add(conv);
    void (async () => {
      try {
        for (const f of await this.list(conv)) {
          const s = this.stateOf(f.file.hash).state;
          if (s === 'remote' && this.deps.online()) await this.open(conv, f.file).catch(() => undefined);
        }
      } finally {
        this.prefetching.delete(conv);
      }
    })();
  }

  list(conv: string): Promise<ConversationFile[]> {
    const docs = [...(this.pages.get(conv)?.values() ?? [])].filter((od) => od.isLoaded).map((od) => od.doc);
    return Promise.resolve(filesOfPages(docs, (u) => this.deps.nameOf(u)));
  }

  keptOffline: Observe<ReadonlySet<string>> = (listener) => {
    this.keptListeners.add(listener);
    listener(this.kept);
    return () => this.keptListeners.delete(listener);
  };

  async keepOffline(conv: string, on: boolean): Promise<void> {
    await this.loaded;
    const next = new Set(this.kept);
    if (on) next.add(conv);
    else next.delete(conv);
    await this.deps.store.putMeta(KEPT, [...next]);
    this.kept = next;
    for (const l of this.keptListeners) l(this.kept);
    if (on) this.prefetch(conv);
  }

  cache: Observe<{ bytes: number; limit: number }> = (listener) => {
    this.cacheListeners.add(listener);
    listener({ bytes: this.cacheStore.bytes, limit: this.cacheLimit });
    return () => this.cacheListeners.delete(listener);
  };

  private cacheChanged(): void {
    const v = { bytes: this.cacheStore.bytes, limit: this.cacheLimit };
    for (const l of this.cacheListeners) l(v);
  }

  async setCacheLimit(bytes: number): Promise<void> {
    if (!Number.isFinite(bytes) || bytes < 0) throw new ApiError('invalid', 'The cache size must be a number of bytes, 0 or more.');
    await this.loaded;
    this.cacheLimit = Math.floor(bytes);
    await this.deps.store.putMeta(CACHE_LIMIT, this.cacheLimit);
    await this.cacheStore.evict(this.cacheLimit, this.kept);
    await this.syncCachedSet();
    this.cacheChanged();
  }

  close(): void {
    this.closed = true;
    if (this.recheckTimer !== null) clearTimeout(this.recheckTimer);
    this.uploader.close();
    this.hasher.close();
  }
}
