// Files on an S3-compatible store (issue 14, docs/scale-out.md), real relay processes on a real
// s3rver. An upload started through relay A is finished through relay B: B runs at the same time
// on its own data directory, holding a copy of A's database made with `ferry-relay backup` while
// the upload was paused (PostgreSQL, the shared database, is not on this branch), so the bytes
// B continues from can only come from the bucket. Also: Range reads, a hash mismatch keeps
// nothing, the store going down mid-upload (503, nothing recorded as stored, the upload
// finishes once it is back), GC deleting from the bucket, a missing bucket refused at startup,
// and `backup` saying plainly that it does not copy the bucket.
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverage } from '../src/files/tus-s3-store';
import { runCli } from './accounts-helpers';
import { Fixture, newTestId, type TestUser } from './authz-fixture';
import { S3_ACCESS_KEY, S3_SECRET_KEY, S3Engine } from './engines/s3';
import { bytes, get, offsetOf, partialUpload, sha256, upload } from './files-helpers';
import { removeDir, startRelayProcess, tempDir, until, type RelayProcess } from './helpers';

process.setMaxListeners(0);

describe('upload segments', () => {
  const seg = (start: number, end: number) => ({ key: `${start}-${end}`, start, end });

  it('reads the segments reaching furthest, so two nodes writing at once cannot corrupt', () => {
    // A kept writing [8, 12) of an old request while B took the resumed one from 8.
    const path = coverage([seg(0, 8), seg(8, 12), seg(8, 16), seg(16, 20), seg(30, 40)]);
    expect(path.map((s) => [s.key, s.skip])).toEqual([
      ['0-8', 0],
      ['8-16', 0],
      ['16-20', 0],
    ]);
    // Overlaps are skipped into, and a gap ends the offset.
    expect(coverage([seg(0, 10), seg(5, 20)]).map((s) => [s.key, s.skip])).toEqual([
      ['0-10', 0],
      ['5-20', 5],
    ]);
    expect(coverage([seg(4, 10)])).toEqual([]);
    expect(coverage([seg(0, 10)], 3).map((s) => s.skip)).toEqual([3]);
  });
});

describe('files on S3-compatible storage', () => {
  let s3: S3Engine;
  let client: S3Client;
  let f: Fixture;
  let alice: TestUser;
  let conv: string;
  const others: RelayProcess[] = [];
  const dirs: string[] = [];

  const objects = async (prefix: string) => {
    const r = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key ?? '');
  };
  const blobExists = (prefix: string, hash: string) =>
    client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `${prefix}blobs/${hash}` })).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    s3 = await S3Engine.start();
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    });
    f = await Fixture.start(s3.args('a'), s3.env());
    alice = await f.user('alice');
    conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'S3' });
  });
  afterAll(async () => {
    for (const r of others) await r.stop('SIGKILL');
    await f?.stop();
    for (const d of dirs) removeDir(d);
    client?.destroy();
    await s3?.destroy();
  });

  it('finishes through relay B an upload started through relay A', async () => {
    const data = bytes(20 * 1024 * 1024);
    const hash = sha256(data);
    const url = await partialUpload(f.http, alice, data, conv, 10 * 1024 * 1024, 5 * 1024 * 1024);
    let offset = 0;
    // A may still be sending its last segment to the bucket: ask until it has one.
    for (let i = 0; i < 200 && offset === 0; i++) offset = await offsetOf(f.http, alice, url);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(data.length);
    // Nothing of the upload is on A's disk: it is all in the bucket.
    expect(existsSync(path.join(f.dir, 'files', 'uploads'))).toBe(false);
    expect((await objects('a/uploads/')).length).toBeGreaterThan(1);

    // B: a second relay on the same bucket with a copy of A's database, running alongside A.
    const dirB = tempDir();
    dirs.push(dirB);
    const file = path.join(dirB, 'copy.db');
    const copied = await runCli(['backup', file, '--data', f.dir, ...s3.args('a')], {
      env: s3.env(),
    });
    expect(copied.code, copied.stderr).toBe(0);
    expect(copied.stderr).toMatch(/not in this backup: back the bucket up with the storage's own/);
    expect(JSON.parse(copied.stdout)).not.toHaveProperty('files');
    const restored = await runCli(['restore', file, '--data', dirB]);
    expect(restored.code, restored.stderr).toBe(0);
    const b = await startRelayProcess(dirB, s3.args('a'), { auth: true, env: s3.env() });
    others.push(b);

    expect(await offsetOf(b.http, alice, url)).toBe(offset);
    let firstSent = -1;
    const resumed = await upload(b.http, alice, data, {
      conv,
      uploadUrl: new URL(new URL(url).pathname, b.http).href,
      onProgress: (sent) => {
        if (firstSent < 0) firstSent = sent;
      },
    });
    expect(resumed.ok, resumed.body).toBe(true);
    expect(firstSent).toBeGreaterThanOrEqual(offset);
    expect(existsSync(path.join(dirB, 'files', 'uploads'))).toBe(false);
    const back = await get(b.http, alice, hash);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
    expect(await blobExists('a/', hash)).toBe(true);
    expect(await objects(`a/uploads/${new URL(url).pathname.split('/').pop()}/`)).toEqual([]);

    // Range reads from the bucket: 206 with the right bytes.
    const part = await get(b.http, alice, hash, { range: 'bytes=9000000-9000099' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 9000000-9000099/${data.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(9000000, 9000100))).toBe(
      true,
    );
  });

  it('keeps nothing of an upload whose bytes do not match its hash (460)', async () => {
    const claimed = sha256(bytes(8));
    const r = await upload(f.http, alice, bytes(9 * 1024 * 1024), { conv, hash: claimed });
    expect(r.status).toBe(460);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'hash-mismatch' });
    expect(await blobExists('a/', claimed)).toBe(false);
    expect(f.rows(`SELECT 1 FROM blobs WHERE hash = '${claimed}'`)).toEqual([]);
    expect(f.rows(`SELECT 1 FROM uploads WHERE hash = '${claimed}'`)).toEqual([]);
    expect(await objects(`a/uploads/${new URL(r.url ?? '').pathname.split('/').pop()}/`)).toEqual(
      [],
    );
  });

  it('answers 503 while the store is down mid-upload, records nothing, and finishes once it is back', async () => {
    const kept = bytes(3000);
    expect((await upload(f.http, alice, kept, { conv })).ok).toBe(true);
    const data = bytes(20 * 1024 * 1024);
    const hash = sha256(data);
    let down: Promise<void> | null = null;
    const first = await upload(f.http, alice, data, {
      conv,
      onProgress: (sent) => {
        if (!down && sent > 2 * 1024 * 1024) down = s3.stop();
      },
    });
    await down;
    try {
      expect(first.ok).toBe(false);
      expect(first.status, first.body).toBe(503);
      expect(JSON.parse(first.body)).toMatchObject({ error: 'storage-unavailable' });
      expect(f.rows(`SELECT 1 FROM blobs WHERE hash = '${hash}'`)).toEqual([]);
      // Downloads say the same while it is down (not "no such file").
      const unreachable = await get(f.http, alice, sha256(kept));
      expect(unreachable.status).toBe(503);
      expect(await unreachable.json()).toMatchObject({ error: 'storage-unavailable' });
      const metrics = await (await fetch(`${f.http}/metrics`)).text();
      expect(metrics).toMatch(/^ferry_files_stored \d+$/m);
    } finally {
      await s3.restart();
    }
    const resumed = await upload(f.http, alice, data, { conv, uploadUrl: first.url ?? '' });
    expect(resumed.ok, resumed.body).toBe(true);
    const back = await get(f.http, alice, hash);
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
  });

  it('refuses to start when the bucket does not exist, naming it', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const r = await runCli(
      [
        '--data',
        dir,
        '--port',
        '0',
        '--blobs',
        's3://no-such-bucket/x',
        '--s3-endpoint',
        s3.endpoint,
        '--s3-force-path-style',
      ],
      { env: s3.env() },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /--blobs s3:\/\/no-such-bucket\/x\/ at http.*the bucket does not exist/,
    );
    expect(r.stderr + r.stdout).not.toContain(S3_SECRET_KEY);
  });
});

describe('garbage collection on S3-compatible storage', () => {
  let s3: S3Engine;
  let f: Fixture;

  beforeAll(async () => {
    s3 = await S3Engine.start();
    f = await Fixture.start([...s3.args('gc'), '--file-grace-ms', '300'], s3.env());
  });
  afterAll(async () => {
    await f?.stop();
    await s3?.destroy();
  });

  it('deletes an unreferenced file from the bucket after the grace period', async () => {
    const alice = await f.user('alice');
    const conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'GC' });
    const orphan = bytes(1100);
    const hash = sha256(orphan);
    expect((await upload(f.http, alice, orphan, { conv })).ok).toBe(true);
    expect((await get(f.http, alice, hash)).status).toBe(200);
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: S3_ACCESS_KEY, secretAccessKey: S3_SECRET_KEY },
    });
    try {
      const there = () =>
        client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: `gc/blobs/${hash}` })).then(
          () => true,
          () => false,
        );
      expect(await there()).toBe(true);
      await until(
        () => f.rows(`SELECT 1 FROM blobs WHERE hash = '${hash}'`).length === 0,
        'GC of the unreferenced file',
      );
      expect(await there()).toBe(false);
      expect((await get(f.http, alice, hash)).status).toBe(404);
      // The bytes of an upload whose row is gone (dropped while the bucket was down) go too.
      const stray = `gc/uploads/${'ab'.repeat(16)}/s/0000000000000-0000000000004`;
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: stray, Body: 'abcd' }));
      const line = await f.relay.waitForLog(
        (l) => l.msg === 'deleted the bytes of forgotten uploads',
      );
      expect(line.strays).toBe(1);
      const left = await client.send(
        new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'gc/uploads/' }),
      );
      expect(left.Contents ?? []).toEqual([]);
    } finally {
      client.destroy();
    }
  });
});
