// `--blobs s3://<bucket>[/<prefix>]` (config.ts validates it without loading the S3 SDK).

export interface S3Location {
  bucket: string;
  /** '' or a prefix ending in '/': every key the relay writes starts with it. */
  prefix: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket[/prefix]`; null when `spec` is not one (the caller says why). */
export function parseS3Url(spec: string): S3Location | null {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(spec.trim());
  if (!m) return null;
  const bucket = m[1] ?? '';
  if (!BUCKET.test(bucket)) return null;
  const raw = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (raw.split('/').some((part) => part === '.' || part === '..')) return null;
  return { bucket, prefix: raw === '' ? '' : raw + '/' };
}
