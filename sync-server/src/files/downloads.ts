// HEAD and GET /api/v1/files/<hash> (docs/attachments.md, the HTTP contract): 404 for anything
// the caller may not read, the same as absent, so a hash alone reveals nothing; Range (206,
// one range); the type sniffed at upload; inline only for the image/audio types the app draws;
// `?download=1` forces an attachment; nosniff, a sandbox CSP and private caching on every answer.
import type http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { cleanFileName } from '../../../core/src/model/files';
import type { BlobStore, ByteRange } from '../blobs/store';
import type { Logger } from '../log';
import { FileRefusal, sendRefusal } from './answers';
import type { FilesDb } from './db';
import { isInlineType } from './sniff';

/** A Content-Disposition with a clean name: ASCII fallback plus RFC 5987 UTF-8. */
export function contentDisposition(kind: 'inline' | 'attachment', rawName: string): string {
  const name = cleanFileName(rawName);
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_');
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** One byte range of `size` bytes from a Range header; null: serve it whole; 'bad': 416. */
export function parseRange(header: string | undefined, size: number): ByteRange | null | 'bad' {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return header.includes(',') ? null : 'bad'; // several ranges: the whole file
  const [, a = '', b = ''] = m;
  if (a === '' && b === '') return 'bad';
  let start: number;
  let end: number;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'bad';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || end < start) return 'bad';
  return { start, end };
}

export async function serveFile(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  deps: { db: FilesDb; blobs: BlobStore; log: Logger; userId: string; hash: string },
): Promise<void> {
  const { db, blobs, userId, hash } = deps;
  const head = req.method === 'HEAD';
  const row = db.blob(hash);
  let stat;
  try {
    stat = row && db.mayRead(userId, hash) ? await blobs.stat(hash) : null;
  } catch (error) {
    // The storage is unreachable (S3 down): say so, not "no such file".
    deps.log.warn({ err: error, hash }, 'file storage unreachable');
    sendRefusal(
      res,
      new FileRefusal('storage-unavailable', 'The file storage is unreachable; try again soon.'),
      head,
    );
    return;
  }
  if (!row || !stat) {
    sendRefusal(res, new FileRefusal('not-found', 'no such file'), head);
    return;
  }
  const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
  const inline = isInlineType(row.type) && query.get('download') !== '1';
  const name = query.get('name') ?? `${hash.slice(0, 12)}`;
  const headers: Record<string, string> = {
    'Content-Type': row.type,
    'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', name),
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "sandbox; default-src 'none'",
    'Cache-Control': 'private',
    'Accept-Ranges': 'bytes',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'Content-Length, Content-Range, Content-Disposition',
    'Cross-Origin-Resource-Policy': 'same-site',
    ETag: `"${hash}"`,
  };
  const range = parseRange(req.headers.range, stat.size);
  if (range === 'bad') {
    res.writeHead(416, { ...headers, 'Content-Range': `bytes */${stat.size}` }).end();
    return;
  }
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${stat.size}`;
    headers['Content-Length'] = String(range.end - range.start + 1);
    res.writeHead(206, headers);
  } else {
    headers['Content-Length'] = String(stat.size);
    res.writeHead(200, headers);
  }
  if (head) {
    res.end();
    return;
  }
  try {
    await pipeline(blobs.get(hash, range ?? undefined), res);
  } catch (error) {
    // The reader went away, or the blob vanished (GC) mid-answer: the connection is cut.
    deps.log.debug({ err: error, hash }, 'file download ended early');
    res.destroy();
  }
}
