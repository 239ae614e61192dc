// Helpers for the files tests (docs/attachments.md): uploads with tus-js-client (the app's own
// client) and raw fetch, messages that reference files, bytes and their hashes.
import { expect } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import * as tus from 'tus-js-client';
import type * as Y from 'yjs';
import { tick, type Clock } from '../../core/src/hlc';
import type { FileRef } from '../../core/src/model/files';
import { addMessage, deleteMessage, getMessage } from '../../core/src/model/page';
import type { TestUser } from './authz-fixture';
import { until } from './helpers';

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function bytes(n: number): Buffer {
  return randomBytes(n);
}

export interface UploadResult {
  ok: boolean;
  status: number | null;
  body: string;
  url: string | null;
}

export interface UploadOptions {
  conv: string;
  hash?: string;
  type?: string;
  chunkSize?: number;
  uploadUrl?: string;
  onProgress?: (sent: number, upload: tus.Upload) => void;
}

/** Uploads `data` with tus-js-client as `as`; resolves when it succeeds or fails for good. */
export function upload(
  http: string,
  as: TestUser,
  data: Buffer,
  o: UploadOptions,
): Promise<UploadResult> & { upload: tus.Upload } {
  let up!: tus.Upload;
  const done = new Promise<UploadResult>((resolve) => {
    up = new tus.Upload(data, {
      endpoint: `${http}/api/v1/files/uploads`,
      ...(o.uploadUrl ? { uploadUrl: o.uploadUrl } : {}),
      metadata: {
        hash: o.hash ?? sha256(data),
        conv: o.conv,
        type: o.type ?? 'application/octet-stream',
      },
      headers: { Authorization: `Bearer ${as.accessToken}` },
      retryDelays: [],
      storeFingerprintForResuming: false,
      ...(o.chunkSize ? { chunkSize: o.chunkSize } : {}),
      onProgress: (sent) => o.onProgress?.(sent, up),
      onSuccess: () => resolve({ ok: true, status: 204, body: '', url: up.url }),
      onError: (error) => {
        const res = (error as tus.DetailedError).originalResponse;
        resolve({
          ok: false,
          status: res?.getStatus() ?? null,
          body: res?.getBody() ?? String(error),
          url: up.url,
        });
      },
    });
    up.start();
  });
  return Object.assign(done, { upload: up });
}

export const fileUrl = (http: string, hash: string, query = '') =>
  `${http}/api/v1/files/${hash}${query}`;

export function get(
  http: string,
  as: TestUser | null,
  hash: string,
  init: { method?: string; range?: string; query?: string } = {},
): Promise<Response> {
  const headers: Record<string, string> = {};
  if (as) headers.Authorization = `Bearer ${as.accessToken}`;
  if (init.range) headers.Range = init.range;
  return fetch(fileUrl(http, hash, init.query), { method: init.method ?? 'GET', headers });
}

export function fileRef(data: Buffer, name = 'report.pdf', type = 'application/pdf'): FileRef {
  return { hash: sha256(data), name, size: data.length, type, kind: 'file' };
}

/** Writes a message with `files` as `author` into `doc`; resolves once `reader` sees it. */
export async function sendFiles(
  doc: Y.Doc,
  clock: Clock,
  author: TestUser,
  files: FileRef[],
  reader: Y.Doc,
): Promise<string> {
  const id = tick(clock, Date.now());
  addMessage(doc, { id, author: author.id, text: '', createdAt: Date.now(), files });
  await until(() => getMessage(reader, id) !== undefined, 'the message with files at the reader');
  return id;
}

export async function deleteFilesMessage(
  doc: Y.Doc,
  id: string,
  author: TestUser,
  reader: Y.Doc,
): Promise<void> {
  deleteMessage(doc, id, author.id, Date.now());
  await until(() => getMessage(reader, id)?.deleted === true, 'the deletion at the reader');
}

/** The offset a tus HEAD through `http` answers for the upload at `url`. */
export async function offsetOf(http: string, as: TestUser, url: string): Promise<number> {
  const r = await fetch(new URL(new URL(url).pathname, http), {
    method: 'HEAD',
    headers: { Authorization: `Bearer ${as.accessToken}`, 'Tus-Resumable': '1.0.0' },
  });
  expect(r.status).toBe(200);
  return Number(r.headers.get('upload-offset'));
}

/** Uploads until `after` bytes were sent, then stops (abort: no callback fires). */
export async function partialUpload(
  http: string,
  as: TestUser,
  data: Buffer,
  conv: string,
  after: number,
  /** Several PATCHes of this size instead of one: the abort lands before the end. */
  chunkSize?: number,
): Promise<string> {
  let stopped = false;
  let onStopped = () => {};
  const done = new Promise<void>((resolve) => (onStopped = resolve));
  const first = upload(http, as, data, {
    conv,
    ...(chunkSize ? { chunkSize } : {}),
    onProgress: (sent, up) => {
      if (!stopped && sent > after) {
        stopped = true;
        void up.abort().then(onStopped);
      }
    },
  });
  await done;
  return first.upload.url as string;
}
