// Files on the relay (docs/attachments.md, issue 13): the blob store, tus uploads, downloads,
// the reference index kept with every stored update, and garbage collection. Mounted under
// /api/v1/files by http-routes.ts; every request carries the same bearer token as the socket.
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type * as Y from 'yjs';
import { referencedHashes, isFileHash } from '../../../core/src/model/files';
import { readMessage } from '../../../core/src/model/page';
import type { AccessInfo, Accounts } from '../accounts/service';
import { FsBlobStore } from '../blobs/fs-store';
import { parseS3Url } from '../blobs/s3-url';
import type { BlobStore } from '../blobs/store';
import type { RelayConfig } from '../config';
import { clientAddress } from '../http/router';
import { TokenBuckets } from '../limits';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import type { AppendEntry, Store } from '../store';
import { FileRefusal, sendRefusal } from './answers';
import { FilesDb } from './db';
import { serveFile } from './downloads';
import { fsUploadBytes, type UploadBytes } from './upload-bytes';
import { createUploads, UPLOADS_PATH, type Caller, type Uploads } from './uploads';

export const FILES_PATH = '/api/v1/files';
/** How often garbage collection runs (and at most how late after the grace period). */
const GC_EVERY_MS = 60 * 60 * 1000;
/**
 * Files requests per user (every tus request and every download): generous, a conversation of
 * 500 images opens within the burst, but bounded like the rest of the API.
 */
const REQUESTS_PER_USER = { burst: 1000, perSecond: 100 };
/** An upload request with no bytes for this long is cut (the client resumes from the offset). */
const UPLOAD_IDLE_MS = 60_000;

interface PendingRef {
  conv: string;
  author: string;
  hashes: string[];
}

export interface FilesDeps {
  config: RelayConfig;
  log: Logger;
  metrics: Metrics;
  store: Store;
  accounts: Accounts;
}

export class Files {
  readonly db: FilesDb;
  readonly root: string;
  // Set by start(): with --blobs naming a bucket, the AWS SDK is imported there (issue 16).
  private bytes!: UploadBytes;
  private blobs!: BlobStore;
  private uploads!: Uploads;
  private readonly callers = new WeakMap<http.IncomingMessage, Caller>();
  private readonly requests = new TokenBuckets(REQUESTS_PER_USER);
  /** Reference changes of accepted updates, written with the commit that stores them. */
  private readonly pending = new Map<string, Map<string, PendingRef>>();
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private readonly detach: () => void;

  constructor(private readonly deps: FilesDeps) {
    this.log = deps.log.child({ part: 'files' });
    const { blobs, data } = deps.config;
    const s3 = blobs ? parseS3Url(blobs) : null;
    // A directory given with --blobs is shared by several nodes (docs/scale-out.md): each
    // keeps its half-written files in a folder of its own, which only it clears at start.
    this.root = blobs !== null && s3 === null ? blobs : path.join(data, 'files');
    this.db = new FilesDb(deps.store.db);
    this.detach = deps.store.onCommit((entries) => this.commit(entries));
  }

  /** The bucket's stores (the AWS SDK imported now), or this node's disk. */
  private async openBytes(): Promise<UploadBytes> {
    const { blobs, data, nodeId } = this.deps.config;
    const s3 = blobs ? parseS3Url(blobs) : null;
    if (s3) return (await import('./s3-upload-bytes')).openS3UploadBytes(s3, this.deps.config);
    const shared = blobs !== null;
    return fsUploadBytes(
      new FsBlobStore(this.root, shared ? tmpName(nodeId) : null),
      path.join(this.root, 'uploads'),
      shared ? this.root : data,
    );
  }

  /**
   * Creates the folders and clears temporary files (or checks the bucket answers: a clear
   * error at startup otherwise), then starts GC.
   */
  async start(): Promise<void> {
    this.bytes = await this.openBytes();
    this.blobs = this.bytes.blobs;
    this.uploads = createUploads({
      config: this.deps.config,
      log: this.log,
      db: this.db,
      bytes: this.bytes,
      callerOf: (req) => this.callers.get(req),
      refused: (caller, refusal, detail) => this.refused(caller, refusal, detail),
      changed: () => this.refreshMetrics(),
      dropUpload: (id) => this.dropUpload(id),
    });
    await this.bytes.init();
    // An upload whose bytes are gone (a restored backup, a hand-cleaned folder) is forgotten:
    // its client starts it again, and it no longer counts against anyone's limits.
    // With several nodes another node may have just created one (its row is written before
    // its bytes): only uploads idle for a while are judged.
    const recent = this.deps.config.redis !== null ? Date.now() - 10 * 60_000 : Infinity;
    for (const id of this.db.uploadIds()) {
      const row = this.db.upload(id);
      if (!row || row.updated_at > recent) continue;
      if (!(await this.bytes.exists(id))) this.db.deleteUpload(id);
    }
    this.refreshMetrics();
    this.timer = setInterval(
      () => void this.gc().catch((err: unknown) => this.log.error({ err }, 'file GC failed')),
      Math.min(GC_EVERY_MS, Math.max(1000, this.deps.config.fileGraceMs)),
    );
    this.timer.unref();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.detach();
  }

  refreshMetrics(): void {
    const { files, bytes } = this.db.stored();
    this.deps.metrics.filesStored.set(files);
    this.deps.metrics.fileBytesStored.set(bytes);
    this.deps.metrics.uploadsInProgress.set(this.db.uploadsInProgress());
  }

  private refused(caller: Caller, refusal: FileRefusal, detail: Record<string, unknown>): void {
    this.deps.metrics.filesRefused.inc({ reason: refusal.code });
    this.log.warn({ user: caller.userId, reason: refusal.code, ...detail }, 'file refused');
    this.deps.accounts.refusals.refused({
      actor: caller.userId,
      action: 'file.refused',
      target: typeof detail.hash === 'string' ? detail.hash : null,
      ip: caller.ip,
      reason: refusal.code,
      detail: { ...detail, message: refusal.message },
    });
  }

  // ---- the reference index ----

  /**
   * Called once an accepted update was applied to page room `room` of conversation `conv`:
   * the messages it changed are read back, and what they reference is written with the commit.
   */
  noteMessages(room: string, conv: string, doc: Y.Doc, messageIds: Iterable<string>): void {
    const messages = doc.getMap('messages');
    let forRoom = this.pending.get(room);
    for (const id of messageIds) {
      const m = readMessage(id, messages.get(id));
      if (!m) continue;
      forRoom ??= new Map();
      forRoom.set(id, {
        conv,
        author: m.author,
        hashes: m.deleted ? [] : referencedHashes(m.files),
      });
    }
    if (forRoom) this.pending.set(room, forRoom);
  }

  /** Inside the transaction that stores `entries` (Store.onCommit). */
  private commit(entries: AppendEntry[]): void {
    const now = Date.now();
    for (const room of new Set(entries.map((e) => e.room))) {
      const refs = this.pending.get(room);
      if (!refs) continue;
      this.pending.delete(room);
      for (const [id, r] of refs) this.db.setMessageRefs(room, r.conv, id, r.author, r.hashes, now);
    }
  }

  // ---- garbage collection ----

  /** Deletes files no message referenced for the grace period, and abandoned uploads. */
  async gc(now = Date.now()): Promise<{ files: number; uploads: number }> {
    const before = now - this.deps.config.fileGraceMs;
    let files = 0;
    for (const hash of this.db.orphans(before)) {
      // The bytes first: if the storage is unreachable the row stays and the next GC retries.
      await this.blobs.delete(hash);
      this.db.deleteBlob(hash);
      this.deps.metrics.filesDeleted.inc();
      this.log.info({ hash }, 'file deleted: no stored message referenced it for the grace period');
      files++;
    }
    let uploads = 0;
    for (const row of this.db.staleUploads(before)) {
      await this.dropUpload(row.id);
      uploads++;
    }
    // Upload bytes whose row went while the storage was unreachable (S3 only).
    const strays = await this.bytes.sweep((id) => this.db.upload(id) !== null, before);
    if (strays > 0) this.log.info({ strays }, 'deleted the bytes of forgotten uploads');
    if (files + uploads > 0) this.refreshMetrics();
    return { files, uploads };
  }

  /** Forgets upload `id` and deletes what it had received. */
  async dropUpload(id: string): Promise<void> {
    await this.bytes.drop(id);
    this.db.deleteUpload(id);
    this.log.info({ upload: id }, 'upload dropped (idle)');
    this.refreshMetrics();
  }

  // ---- HTTP ----

  /** Whether `pathname` is one of ours. */
  static owns(pathname: string): boolean {
    return pathname === FILES_PATH || pathname.startsWith(FILES_PATH + '/');
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const method = req.method ?? 'GET';
    const isUpload = pathname === UPLOADS_PATH || pathname.startsWith(UPLOADS_PATH + '/');
    if (method === 'OPTIONS') {
      if (isUpload) return this.uploads.handle(req, res);
      res.writeHead(204, {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Range',
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    const head = method === 'HEAD';
    const access = await this.deps.accounts.authenticateRequest(req);
    if (typeof access === 'string') {
      req.resume();
      const code = access === 'session ended' ? 'session-ended' : 'unauthenticated';
      sendRefusal(res, new FileRefusal(code, access), head);
      return;
    }
    if ((access as AccessInfo).mustChangePassword) {
      req.resume();
      sendRefusal(
        res,
        new FileRefusal('password-change-required', 'choose your own password first'),
        head,
      );
      return;
    }
    const allowed = this.requests.take(access.userId);
    if (!allowed.ok) {
      req.resume();
      this.deps.metrics.rateLimited.inc({ what: 'files-user' });
      const retry = String(Math.max(1, Math.ceil(allowed.retryAfterMs / 1000)));
      sendRefusal(
        res,
        new FileRefusal('rate-limited', 'too many requests; try again later'),
        head,
        {
          'Retry-After': retry,
        },
      );
      return;
    }
    const caller: Caller = {
      userId: access.userId,
      ip: clientAddress(req, this.deps.config.trustProxy),
    };
    if (isUpload) {
      this.callers.set(req, caller);
      req.setTimeout(UPLOAD_IDLE_MS, () => req.destroy());
      await this.uploads.handle(req, res);
      return;
    }
    const hash = pathname.slice(FILES_PATH.length + 1);
    if (!isFileHash(hash)) {
      sendRefusal(res, new FileRefusal('not-found', 'no such file'), head);
      return;
    }
    if (method !== 'GET' && !head) {
      res.setHeader('Allow', 'GET, HEAD');
      sendRefusal(res, new FileRefusal('method-not-allowed', 'use GET or HEAD'));
      return;
    }
    await serveFile(req, res, {
      db: this.db,
      blobs: this.blobs,
      log: this.log,
      userId: caller.userId,
      hash,
    });
  }
}

/** The temporary folder of this node in a shared files directory: stable across restarts. */
function tmpName(nodeId: string | null): string {
  return (nodeId ?? os.hostname()).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64) || 'node';
}
