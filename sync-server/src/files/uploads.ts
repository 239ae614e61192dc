// tus 1.0 uploads at /api/v1/files/uploads (@tus/server + a FileStore under
// <dataDir>/files/uploads; docs/attachments.md, the HTTP contract). The caller is authenticated
// before tus sees the request (service.ts); here: refusals at creation before a byte is stored,
// uploads touched only by the user who created them, and on the last byte the hash verified
// and the file moved into the blob store (a mismatch deletes it and answers 460).
// @tus/server is imported by the first request to this path, not at start (issue 16): that
// request waits for the one import, every later one finds the server made.
import { statfs } from 'node:fs/promises';
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Server, Upload } from '@tus/server';
import { isFileHash } from '../../../core/src/model/files';
import { BlobError } from '../blobs/store';
import type { RelayConfig } from '../config';
import type { Logger } from '../log';
import { FileRefusal } from './answers';
import type { FilesDb } from './db';
import type { UploadBytes } from './upload-bytes';

export const UPLOADS_PATH = '/api/v1/files/uploads';
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;
const CONV_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** An upload with no request for this long no longer counts as in progress (--max-uploads-user). */
const ACTIVE_MS = 15 * 60_000;
/** Idle uploads a person may keep, as a multiple of --max-uploads-user. */
const IDLE_UPLOADS_FACTOR = 4;
/** Free space kept on the disk beyond an upload's size (the database needs room too). */
const DISK_MARGIN = 64 * 1024 * 1024;

/** Who sent a request: set by service.ts before tus handles it. */
export interface Caller {
  userId: string;
  ip: string;
}

export interface UploadsDeps {
  config: RelayConfig;
  log: Logger;
  db: FilesDb;
  /** Where uploads in progress and stored files live (disk or S3-compatible bucket). */
  bytes: UploadBytes;
  callerOf: (req: http.IncomingMessage) => Caller | undefined;
  refused: (caller: Caller, refusal: FileRefusal, detail: Record<string, unknown>) => void;
  /** A file is complete and stored (metrics). */
  changed: () => void;
  /** Forgets an upload and deletes its bytes (an idle one making room). */
  dropUpload: (id: string) => Promise<void>;
}

const gib = (n: number) =>
  n >= 1024 ** 3
    ? `${Math.round((n / 1024 ** 3) * 10) / 10} GB`
    : `${Math.round(n / 1024 ** 2)} MB`;

/** The tus endpoint: handles every request under UPLOADS_PATH. */
export interface Uploads {
  handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void>;
}

export function createUploads(deps: UploadsDeps): Uploads {
  let server: Promise<Server> | null = null;
  return {
    async handle(req, res) {
      // A failed import is not kept: the next request tries again.
      server ??= makeServer(deps).catch((error: unknown) => {
        server = null;
        throw error;
      });
      await (await server).handle(req, res);
    },
  };
}

async function makeServer(deps: UploadsDeps): Promise<Server> {
  const [{ Server, EVENTS, ERRORS }, datastore] = await Promise.all([
    import('@tus/server'),
    deps.bytes.datastore(),
  ]);
  const { config, db, bytes, log } = deps;
  const nodeReq = (req: unknown) =>
    (req as { runtime?: { node?: { req?: http.IncomingMessage } } }).runtime?.node?.req;
  const caller = (req: unknown): Caller => {
    const r = nodeReq(req);
    const c = r ? deps.callerOf(r) : undefined;
    if (!c) throw new FileRefusal('unauthenticated', 'not authenticated');
    return c;
  };
  const refuse = (who: Caller, refusal: FileRefusal, detail: Record<string, unknown> = {}) => {
    if (!refusal.audited) deps.refused(who, refusal, detail);
    refusal.audited = true;
    return refusal;
  };

  const create = async (req: unknown, upload: Upload) => {
    const who = caller(req);
    const meta = upload.metadata ?? {};
    const hash = meta.hash ?? '';
    const conv = meta.conv ?? '';
    const type = (meta.type ?? '').toLowerCase();
    const size = upload.size;
    const bad = (message: string) =>
      refuse(who, new FileRefusal('bad-metadata', message), { hash: hash.slice(0, 64) });
    if (!isFileHash(hash)) throw bad('Upload-Metadata "hash" must be the SHA-256 (64 hex digits)');
    if (!CONV_ID.test(conv)) throw bad('Upload-Metadata "conv" must be a conversation id');
    if (!MIME.test(type)) throw bad('Upload-Metadata "type" must be a MIME type');
    if (size === undefined) throw bad('Upload-Length is required (deferred lengths are refused)');
    const detail = { hash, conv, size };
    if (size > config.maxFileBytes) {
      throw refuse(
        who,
        new FileRefusal(
          'too-large',
          `Files can be up to ${gib(config.maxFileBytes)} on this relay.`,
          {
            maxFileBytes: config.maxFileBytes,
          },
        ),
        detail,
      );
    }
    if (!db.isMember(conv, who.userId)) {
      throw refuse(
        who,
        new FileRefusal('not-member', 'You are not a member of this conversation.'),
        detail,
      );
    }
    // In progress means active: uploads idle for 15 minutes do not count (an app that lost
    // them must not be locked out for the grace period), but a person keeps at most 4× the
    // limit; past that the one idle the longest is dropped to make room.
    if (db.uploadsOf(who.userId) >= config.maxUploadsUser * IDLE_UPLOADS_FACTOR) {
      const oldest = db.oldestUploadOf(who.userId);
      if (oldest && oldest.updated_at < Date.now() - ACTIVE_MS) await deps.dropUpload(oldest.id);
    }
    if (
      db.activeUploadsOf(who.userId, Date.now() - ACTIVE_MS) >= config.maxUploadsUser ||
      db.uploadsOf(who.userId) >= config.maxUploadsUser * IDLE_UPLOADS_FACTOR
    ) {
      throw refuse(
        who,
        new FileRefusal(
          'too-many-uploads',
          `At most ${config.maxUploadsUser} uploads at once; the others wait their turn.`,
        ),
        detail,
      );
    }
    const quota = (message: string) =>
      refuse(who, new FileRefusal('quota', message, { quota: config.fileQuotaUser }), detail);
    if (db.usage(who.userId) + size > config.fileQuotaUser) {
      throw quota(
        `Your files on this relay would pass your ${gib(config.fileQuotaUser)}; ask your admin.`,
      );
    }
    if (config.fileQuotaTotal > 0 && db.totalBytes() + size > config.fileQuotaTotal) {
      throw quota('The relay is out of space for files; ask your admin.');
    }
    const disk = bytes.diskPath ? await statfs(bytes.diskPath).catch(() => null) : null;
    if (disk && disk.bavail * disk.bsize < size + DISK_MARGIN) {
      throw refuse(
        who,
        new FileRefusal('disk-full', 'The relay is out of disk space for files; ask your admin.'),
        detail,
      );
    }
    const now = Date.now();
    db.addUpload({
      id: upload.id,
      hash,
      size,
      conv,
      type,
      user: who.userId,
      created_at: now,
      updated_at: now,
    });
    deps.changed();
    return { metadata: { hash, conv, type } };
  };

  /** Every request on an existing upload: its creator only; others see it as absent. */
  const incoming = async (req: unknown, id: string) => {
    const method = (req as { method: string }).method;
    if (method === 'POST') return;
    const who = caller(req);
    const row = db.upload(id);
    if (!row || row.user !== who.userId) {
      throw new FileRefusal('not-found', 'no such upload');
    }
    if (method === 'GET') throw new FileRefusal('method-not-allowed', 'uploads are not read back');
    db.touchUpload(id);
  };

  const finish = async (req: unknown, upload: Upload) => {
    const who = caller(req);
    const row = db.upload(upload.id);
    if (!row) throw new FileRefusal('not-found', 'no such upload');
    const drop = async () => {
      db.deleteUpload(upload.id);
      deps.changed();
      // Bytes left behind when the storage is down: GC never sees them again (the row is gone);
      // the S3 bucket's lifecycle rule on uploads/ is the net (docs/scale-out.md).
      await bytes.drop(upload.id).catch((err: unknown) => {
        log.warn({ err, upload: upload.id }, 'could not delete the bytes of a finished upload');
      });
    };
    const started = performance.now();
    let type: string;
    let hashedAsSent: boolean;
    try {
      type = await bytes.sniff(upload.id, row.size);
      const stat = await bytes.complete(upload.id, row.hash, row.size);
      hashedAsSent = stat.hashedAsSent;
      db.completed(row.hash, stat.size, type, row.user);
    } catch (error) {
      await drop();
      if (error instanceof BlobError && error.code === 'hash-mismatch') {
        throw refuse(
          who,
          new FileRefusal(
            'hash-mismatch',
            'The file arrived damaged (its bytes do not match its hash); send it again.',
          ),
          { hash: row.hash, conv: row.conv, size: row.size },
        );
      }
      if (error instanceof BlobError && error.code === 'disk-full') {
        throw refuse(
          who,
          new FileRefusal('disk-full', 'The relay is out of disk space for files; ask your admin.'),
          {
            hash: row.hash,
          },
        );
      }
      log.error({ err: error, upload: upload.id }, 'completing an upload failed');
      if (error instanceof FileRefusal) throw error;
      throw new FileRefusal(
        'storage-unavailable',
        'The file could not be stored; the upload starts again when the storage is back.',
      );
    }
    await drop();
    // completeMs: verify, fsync and rename (a hash not computed while the bytes arrived, after
    // a restart, is a full read of the file).
    const completeMs = Math.round(performance.now() - started);
    log.info(
      {
        user: row.user,
        hash: row.hash,
        size: row.size,
        type,
        completeMs,
        hashedAsSent,
      },
      'file stored',
    );
    return {};
  };

  const tus = new Server({
    path: UPLOADS_PATH,
    datastore,
    relativeLocation: true,
    respectForwardedHeaders: config.trustProxy,
    namingFunction: () => randomBytes(16).toString('hex'),
    onUploadCreate: create,
    onIncomingRequest: incoming,
    onUploadFinish: finish,
    allowedHeaders: ['Authorization'],
    // Advertised as Tus-Max-Size; tus refuses a larger Upload-Length itself, mapped below.
    maxSize: config.maxFileBytes,
    onResponseError: (req, error) => {
      if (error === ERRORS.ERR_MAX_SIZE_EXCEEDED) {
        const r = nodeReq(req);
        const who = r ? deps.callerOf(r) : undefined;
        const tooLarge = new FileRefusal(
          'too-large',
          `Files can be up to ${gib(config.maxFileBytes)} on this relay.`,
          { maxFileBytes: config.maxFileBytes },
        );
        if (who) refuse(who, tooLarge);
        return { status_code: tooLarge.status_code, body: tooLarge.body };
      }
      if (!(error instanceof FileRefusal)) return undefined;
      // A full disk found while writing (tus-store.ts) is audited here, once.
      const r = nodeReq(req);
      const who = r ? deps.callerOf(r) : undefined;
      if (who && error.code === 'disk-full') refuse(who, error);
      return { status_code: error.status_code, body: error.body };
    },
  });
  tus.on(EVENTS.POST_TERMINATE, (_req, _res, id) => {
    db.deleteUpload(id);
    bytes.forget(id);
    deps.changed();
  });
  return tus;
}
