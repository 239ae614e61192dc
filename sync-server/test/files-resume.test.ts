// Resumable uploads on a real relay (issue 13): the connection drops mid-upload and
// tus-js-client resumes from the relay's offset; the relay process is killed with SIGKILL
// mid-upload, restarted on the same data directory, and the same upload continues where the
// disk says it stopped, and is verified (hashed from disk, the running hash died with the
// process) before it is stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fixture, newTestId, type TestUser } from './authz-fixture';
import { startRelayProcess } from './helpers';
import { bytes, get, sha256, upload } from './files-helpers';

process.setMaxListeners(0);

async function offsetOf(http: string, as: TestUser, url: string): Promise<number> {
  const r = await fetch(new URL(new URL(url).pathname, http), {
    method: 'HEAD',
    headers: { Authorization: `Bearer ${as.accessToken}`, 'Tus-Resumable': '1.0.0' },
  });
  expect(r.status).toBe(200);
  return Number(r.headers.get('upload-offset'));
}

describe('resumable uploads', () => {
  let f: Fixture;
  let alice: TestUser;
  let conv: string;

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Resume' });
  });
  afterAll(async () => {
    await f?.stop();
  });

  it("resumes from the relay's offset after the connection drops", async () => {
    const data = bytes(24 * 1024 * 1024);
    let dropped = false;
    let onDropped = () => {};
    const droppedNow = new Promise<void>((resolve) => (onDropped = resolve));
    // 8 MiB requests, as below: sent as one 24 MiB request, the whole upload could reach the
    // relay before the abort does (a clean run saw the upload finished, so HEAD answered 404).
    const first = upload(f.http, alice, data, {
      conv,
      chunkSize: 8 * 1024 * 1024,
      onProgress: (sent, up) => {
        if (!dropped && sent > 6 * 1024 * 1024) {
          dropped = true;
          void up.abort().then(onDropped);
        }
      },
    });
    // abort() settles neither of the upload's callbacks: its own promise says it is done.
    await droppedNow;
    const url = first.upload.url as string;
    let offset = 0;
    // The relay may still be writing the last bytes it got: ask until it has some.
    for (let i = 0; i < 200 && offset === 0; i++) offset = await offsetOf(f.http, alice, url);
    expect(offset).toBeGreaterThan(0);
    expect(offset).toBeLessThan(data.length);

    let firstSent = -1;
    const resumed = await upload(f.http, alice, data, {
      conv,
      uploadUrl: url,
      onProgress: (sent) => {
        if (firstSent < 0) firstSent = sent;
      },
    });
    expect(resumed.ok, resumed.body).toBe(true);
    expect(firstSent).toBeGreaterThanOrEqual(offset);
    const back = await get(f.http, alice, sha256(data));
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
  });

  it('continues an upload after the relay is killed with SIGKILL and restarted', async () => {
    const data = bytes(24 * 1024 * 1024);
    const hash = sha256(data);
    let killed = false;
    // 8 MiB requests: the kill comes during the second, so two requests (16 MiB) are left to
    // send and answer one after the other, which a relay killed now cannot finish (without
    // them one request of 24 MiB could arrive whole before the signal on a loaded machine).
    const first = upload(f.http, alice, data, {
      conv,
      chunkSize: 8 * 1024 * 1024,
      onProgress: (sent) => {
        if (!killed && sent > 8 * 1024 * 1024) {
          killed = true;
          f.relay.proc.kill('SIGKILL');
        }
      },
    });
    const failed = await first;
    expect(failed.ok).toBe(false);
    await f.relay.exited;
    const url = first.upload.url as string;
    // The upload is still known after the crash: its row and its bytes so far.
    expect(f.rows(`SELECT hash FROM uploads WHERE hash = '${hash}'`)).toEqual([{ hash }]);

    f.relay = await startRelayProcess(f.dir, [], { auth: true });
    const offset = await offsetOf(f.http, alice, url);
    expect(offset).toBeGreaterThan(0);
    const resumed = await upload(f.http, alice, data, {
      conv,
      uploadUrl: new URL(new URL(url).pathname, f.http).href,
    });
    expect(resumed.ok, resumed.body).toBe(true);
    const back = await get(f.http, alice, hash);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
    expect(f.rows(`SELECT 1 FROM uploads WHERE hash = '${hash}'`)).toEqual([]);
  });
});
