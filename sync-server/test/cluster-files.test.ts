// Files with several nodes (issue 14): an upload begun through one node is resumed and
// finished through another and read through both, with the bytes in an S3-compatible
// bucket (s3rver) or in a directory every node mounts. Real PostgreSQL and Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTestId, type TestUser } from './authz-fixture';
import { Cluster } from './cluster-fixture';
import { usePostgres } from './engines/postgres';
import { useRedis } from './engines/redis';
import { S3Engine } from './engines/s3';
import { bytes, get, offsetOf, partialUpload, sha256, upload } from './files-helpers';

process.setMaxListeners(0);
const postgres = usePostgres();
const redis = useRedis();

describe.each([
  { name: 'an S3-compatible bucket', s3: true },
  { name: 'a shared directory', s3: false },
])('files in $name, two nodes', ({ s3: useS3 }) => {
  let s3: S3Engine | null = null;
  let cluster: Cluster;
  let alice: TestUser;
  let conv: string;

  beforeAll(async () => {
    s3 = useS3 ? await S3Engine.start() : null;
    const database = await postgres().createDatabase(`cluster_files_${useS3 ? 's3' : 'dir'}`);
    cluster = await Cluster.start({
      database,
      redis: redis().url,
      nodes: 2,
      ...(s3 ? { args: s3.args('f'), env: s3.env() } : {}),
    });
    alice = await cluster.user('alice', 0);
    conv = newTestId();
    const r = await cluster.call(1, 'POST', '/conversations', alice, {
      id: conv,
      kind: 'channel',
      title: 'Files',
    });
    expect(r.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
    await s3?.destroy();
  });

  it('resumes through another node an upload begun through one, and serves it from both', async () => {
    const data = bytes(12 * 1024 * 1024);
    const hash = sha256(data);
    const [a, b] = [0, 1].map((i) => cluster.node(i).http);
    const url = await partialUpload(a!, alice, data, conv, 5 * 1024 * 1024, 3 * 1024 * 1024);
    let offset = 0;
    for (let i = 0; i < 200 && offset === 0; i++) offset = await offsetOf(a!, alice, url);
    expect(offset).toBeGreaterThan(0);
    expect(await offsetOf(b!, alice, url)).toBe(offset);
    let firstSent = -1;
    const done = await upload(b!, alice, data, {
      conv,
      uploadUrl: new URL(new URL(url).pathname, b).href,
      onProgress: (sent) => {
        if (firstSent < 0) firstSent = sent;
      },
    });
    expect(done.ok, done.body).toBe(true);
    expect(firstSent).toBeGreaterThanOrEqual(offset);
    const back = await get(a!, alice, hash);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
    const part = await get(b!, alice, hash, { range: 'bytes=100-199' });
    expect(part.status).toBe(206);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
  }, 60_000);
});
