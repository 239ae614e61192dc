// Files on a real relay (issue 13, docs/attachments.md): tus uploads with tus-js-client, then
// HEAD/GET with Range by plain fetch; who may read (members of a conversation whose stored
// message references the file through a granting reference, the uploader) and who may not (a
// non-member, a removed member, someone who references another person's hash), all as 404.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { tick } from '../../core/src/hlc';
import { Fixture, newTestId, type TestUser } from './authz-fixture';
import { synced, type Client } from './helpers';
import {
  bytes,
  deleteFilesMessage,
  fileRef,
  get,
  sendFiles,
  sha256,
  upload,
} from './files-helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));

describe('file uploads and downloads', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let conv: string;
  let eveConv: string;
  let clock: Clock;
  let a: Client;
  let b: Client;
  /** The file of the first test, readable by bob through alice's message. */
  let shared: Buffer;

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    eve = await f.user('eve');
    conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Files', members: [bob.id] });
    eveConv = newTestId();
    await f.conversation(eve, { id: eveConv, kind: 'channel', title: 'Eve', members: [bob.id] });
    clock = createClock(node());
    const room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
    a = f.onMux(f.mux(alice), room);
    b = f.onMux(f.mux(bob), room);
    await Promise.all([synced(a), synced(b)]);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('announces its limits in GET /server', async () => {
    const r = await f.call<{ files: unknown }>('GET', '/server', null);
    expect(r.body.files).toEqual({ maxFileBytes: 2 * 1024 ** 3, maxFiles: 10 });
  });

  it('stores an upload once verified; members read it (Range too) once a message references it', async () => {
    const data = bytes(300_000);
    shared = data;
    const hash = sha256(data);
    const r = await upload(f.http, alice, data, { conv, chunkSize: 100_000 });
    expect(r, r.body).toMatchObject({ ok: true });
    // The uploader may read it at once; bob not until a stored message references it.
    expect((await get(f.http, alice, hash, { method: 'HEAD' })).status).toBe(200);
    expect((await get(f.http, bob, hash, { method: 'HEAD' })).status).toBe(404);

    await sendFiles(a.doc, clock, alice, [fileRef(data)], b.doc);
    const head = await get(f.http, bob, hash, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(data.length));
    const whole = await get(f.http, bob, hash);
    expect(whole.status).toBe(200);
    expect(Buffer.from(await whole.arrayBuffer()).equals(data)).toBe(true);
    expect(whole.headers.get('x-content-type-options')).toBe('nosniff');
    expect(whole.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(whole.headers.get('cache-control')).toBe('private');
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(whole.headers.get('content-disposition')).toMatch(/^attachment;/);

    const part = await get(f.http, bob, hash, { range: 'bytes=1000-1999' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 1000-1999/${data.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000))).toBe(true);
    const tail = await get(f.http, bob, hash, { range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(data.length - 10))).toBe(
      true,
    );
    expect((await get(f.http, bob, hash, { range: `bytes=${data.length}-` })).status).toBe(416);

    // Not a member: the same 404 as a file that does not exist. No token: 401.
    expect((await get(f.http, eve, hash)).status).toBe(404);
    expect((await get(f.http, eve, sha256(bytes(8)))).status).toBe(404);
    expect((await get(f.http, null, hash)).status).toBe(401);
    const rows = f.rows<{ grants: number; author: string }>(
      `SELECT grants, author FROM blob_refs WHERE hash = '${hash}'`,
    );
    expect(rows).toEqual([{ grants: 1, author: alice.id }]);
  });

  it("a reference to somebody else's hash grants nothing (no hash-as-capability)", async () => {
    const data = bytes(5000);
    const hash = sha256(data);
    expect((await upload(f.http, alice, data, { conv })).ok).toBe(true);
    // Eve learned the hash and references it in her own conversation with bob.
    const room = pageRoom(eveConv, periodOfMessage(tick(clock, Date.now())));
    const e = f.onMux(f.mux(eve), room);
    const b2 = f.onMux(f.mux(bob), room);
    await Promise.all([synced(e), synced(b2)]);
    await sendFiles(e.doc, clock, eve, [fileRef(data)], b2.doc);
    expect((await get(f.http, eve, hash)).status).toBe(404);
    expect((await get(f.http, bob, hash)).status).toBe(404);
    const rows = f.rows<{ grants: number }>(`SELECT grants FROM blob_refs WHERE hash = '${hash}'`);
    expect(rows).toEqual([{ grants: 0 }]);
  });

  it('a reader who references a file in another conversation shares it there (a forward)', async () => {
    const hash = sha256(shared);
    expect((await get(f.http, eve, hash, { method: 'HEAD' })).status).toBe(404);
    const room = pageRoom(eveConv, periodOfMessage(tick(clock, Date.now())));
    const b2 = f.onMux(f.mux(bob), room);
    const e = f.onMux(f.mux(eve), room);
    await Promise.all([synced(b2), synced(e)]);
    await sendFiles(b2.doc, clock, bob, [fileRef(shared)], e.doc);
    expect((await get(f.http, eve, hash, { method: 'HEAD' })).status).toBe(200);
  });

  it("a message sent before its file arrives grants access once the author's upload completes", async () => {
    const data = bytes(4000);
    const hash = sha256(data);
    await sendFiles(a.doc, clock, alice, [fileRef(data, 'later.bin')], b.doc);
    expect((await get(f.http, bob, hash, { method: 'HEAD' })).status).toBe(404);
    expect((await upload(f.http, alice, data, { conv })).ok).toBe(true);
    expect((await get(f.http, bob, hash, { method: 'HEAD' })).status).toBe(200);
  });

  it('a removed member reads nothing any more; a deleted message drops its reference', async () => {
    const data = bytes(2000);
    const hash = sha256(data);
    expect((await upload(f.http, alice, data, { conv })).ok).toBe(true);
    const id = await sendFiles(a.doc, clock, alice, [fileRef(data)], b.doc);
    expect((await get(f.http, bob, hash)).status).toBe(200);
    await deleteFilesMessage(a.doc, id, alice, b.doc);
    expect((await get(f.http, bob, hash)).status).toBe(404);
    expect(f.rows(`SELECT 1 FROM blob_refs WHERE hash = '${hash}'`)).toEqual([]);
    // The uploader still may (until GC removes the unreferenced file).
    expect((await get(f.http, alice, hash)).status).toBe(200);

    const other = bytes(2100);
    expect((await upload(f.http, alice, other, { conv })).ok).toBe(true);
    await sendFiles(a.doc, clock, alice, [fileRef(other)], b.doc);
    expect((await get(f.http, bob, sha256(other))).status).toBe(200);
    const removed = await f.call('DELETE', `/conversations/${conv}/members/${bob.id}`, alice);
    expect(removed.status).toBeLessThan(300);
    expect((await get(f.http, bob, sha256(other))).status).toBe(404);
  });

  it('a wrong hash is refused with 460 when the last byte arrives, and nothing is kept', async () => {
    const data = bytes(10_000);
    const claimed = sha256(bytes(10));
    const before = f.audit('file.refused').length;
    const r = await upload(f.http, alice, data, { conv, hash: claimed });
    expect(r.status).toBe(460);
    expect(JSON.parse(r.body)).toMatchObject({ error: 'hash-mismatch' });
    expect((await get(f.http, alice, claimed, { method: 'HEAD' })).status).toBe(404);
    expect(f.rows(`SELECT 1 FROM blobs WHERE hash = '${claimed}'`)).toEqual([]);
    expect(f.rows(`SELECT 1 FROM uploads WHERE hash = '${claimed}'`)).toEqual([]);
    expect(f.audit('file.refused').length).toBeGreaterThan(before);
  });

  it('a second upload of a stored hash keeps one copy', async () => {
    const data = bytes(3000);
    const hash = sha256(data);
    expect((await upload(f.http, alice, data, { conv })).ok).toBe(true);
    expect((await upload(f.http, alice, data, { conv })).ok).toBe(true);
    expect(f.rows(`SELECT user FROM blob_owners WHERE hash = '${hash}'`)).toEqual([
      { user: alice.id },
    ]);
  });
});
