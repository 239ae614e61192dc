// The files routes' answers (docs/attachments.md, the HTTP contract): refusals are a flat JSON
// body `{ error: code, message, ...extra }` the app reads as is, also inside tus responses.
import type http from 'node:http';

export type FileRefusalCode =
  | 'unauthenticated'
  | 'session-ended'
  | 'password-change-required'
  | 'not-member'
  | 'too-large'
  | 'quota'
  | 'disk-full'
  | 'too-many-uploads'
  | 'rate-limited'
  | 'bad-metadata'
  | 'hash-mismatch'
  | 'not-found'
  | 'bad-range'
  | 'method-not-allowed'
  | 'storage-unavailable';

export const STATUS: Record<FileRefusalCode, number> = {
  unauthenticated: 401,
  'session-ended': 401,
  'password-change-required': 403,
  'not-member': 403,
  'too-large': 413,
  quota: 507,
  'disk-full': 507,
  'too-many-uploads': 429,
  'rate-limited': 429,
  'bad-metadata': 400,
  'hash-mismatch': 460,
  'not-found': 404,
  'bad-range': 416,
  'method-not-allowed': 405,
  'storage-unavailable': 503,
};

/** A refusal, thrown from the tus hooks (its `status_code`/`body` shape) or answered directly. */
export class FileRefusal extends Error {
  readonly status_code: number;
  readonly body: string;
  /** Set once the refusal is counted and audited (it is never audited twice). */
  audited = false;
  constructor(
    readonly code: FileRefusalCode,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status_code = STATUS[code];
    this.body = JSON.stringify({ error: code, message, ...extra }) + '\n';
  }
}

export function sendRefusal(
  res: http.ServerResponse,
  refusal: FileRefusal,
  head = false,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(refusal.status_code, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Access-Control-Allow-Origin': '*',
  });
  res.end(head ? undefined : refusal.body);
}
