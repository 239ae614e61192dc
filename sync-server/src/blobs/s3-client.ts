// The connection to an S3-compatible bucket (issue 14, docs/scale-out.md "Files on
// S3-compatible storage"): `--blobs s3://<bucket>[/<prefix>]` with `--s3-endpoint`,
// `--s3-region`, `--s3-force-path-style`, and credentials from FERRY_S3_ACCESS_KEY_ID /
// FERRY_S3_SECRET_ACCESS_KEY (or the config file) or else the SDK's standard chain
// (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance roles). Credentials are
// never logged: `describe()` names the bucket, prefix and endpoint only.
import {
  HeadBucketCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
  type _Object,
} from '@aws-sdk/client-s3';
import type { RelayConfig } from '../config';
import type { S3Location } from './s3-url';

export type S3Settings = Pick<
  RelayConfig,
  's3Endpoint' | 's3Region' | 's3ForcePathStyle' | 's3AccessKeyId' | 's3SecretAccessKey'
>;

export interface S3Target extends S3Location {
  client: S3Client;
  /** Where, for logs and errors (no credentials). */
  describe(): string;
}

export function connectS3(location: S3Location, s: S3Settings): S3Target {
  const client = new S3Client({
    region: s.s3Region ?? 'us-east-1',
    ...(s.s3Endpoint ? { endpoint: s.s3Endpoint } : {}),
    forcePathStyle: s.s3ForcePathStyle,
    ...(s.s3AccessKeyId && s.s3SecretAccessKey
      ? {
          credentials: {
            accessKeyId: s.s3AccessKeyId,
            secretAccessKey: s.s3SecretAccessKey,
          },
        }
      : {}),
    // Checksums only where S3 requires them: the newer default (a CRC32 trailer on every
    // streamed upload) is refused by several S3-compatible servers. The relay checks every
    // file's SHA-256 itself.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  });
  const where = `s3://${location.bucket}/${location.prefix}${s.s3Endpoint ? ` at ${s.s3Endpoint}` : ''}`;
  return { ...location, client, describe: () => where };
}

/** A one-line reason from an S3 error, without request ids or credentials. */
export function s3Reason(error: unknown): string {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    return `${error.name}${status ? ` (HTTP ${status})` : ''}`;
  }
  const e = error as { code?: string; message?: string };
  return e.code ?? e.message ?? String(error);
}

/** Throws a clear error unless the bucket exists and these credentials may use it. */
export async function checkBucket(target: S3Target): Promise<void> {
  try {
    await target.client.send(new HeadBucketCommand({ Bucket: target.bucket }));
  } catch (error) {
    const status = (error as S3ServiceException).$metadata?.httpStatusCode;
    const why =
      status === 404
        ? 'the bucket does not exist (create it first)'
        : status === 403
          ? 'access denied (check the credentials and the bucket policy)'
          : `unreachable: ${s3Reason(error)}`;
    throw new Error(`--blobs ${target.describe()}: ${why}`, { cause: error });
  }
}

/**
 * Every object under `prefix`, page after page. `wrap` runs each request (the tus store maps
 * an unreachable store to its own error there).
 */
export async function* listObjects(
  target: S3Target,
  prefix: string,
  wrap: <T>(op: () => Promise<T>) => Promise<T> = (op) => op(),
): AsyncIterable<_Object> {
  let token: string | undefined;
  do {
    const r = await wrap(() =>
      target.client.send(
        new ListObjectsV2Command({
          Bucket: target.bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      ),
    );
    yield* r.Contents ?? [];
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
}
