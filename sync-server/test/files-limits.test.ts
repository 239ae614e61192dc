// Files refused on a real relay (issue 13, docs/attachments.md "What fails and how"): at
// creation, before a byte is stored (too large, not a member, bad metadata, too many at once,
// over quota), each with the contract's JSON code and an audit row; a disk that fills while
// the bytes arrive (a real ENOSPC from /dev/full) answers 507 and keeps nothing half-written
// under a hash; names and polyglots are served so that nothing runs.
import { rmSync, symlinkSync, writeFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { Fixture, newTestId, type TestUser } from './authz-fixture';
import { synced, type Client } from './helpers';
import { bytes, fileRef, get, sendFiles, sha256, upload } from './files-helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A tus creation request by plain fetch. */
function create(http: string, as: TestUser, size: number, meta: Record<string, string>) {
  return fetch(`${http}/api/v1/files/uploads`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${as.accessToken}`,
      'Tus-Resumable': '1.0.0',
      'Upload-Length': String(size),
      'Upload-Metadata': Object.entries(meta)
        .map(([k, v]) => `${k} ${b64(v)}`)
        .join(','),
    },
  });
}

function patch(http: string, as: TestUser, location: string, offset: number, body: Buffer) {
  return fetch(new URL(location, http), {
    method: 'PATCH',
    headers: {
      Authorization: `Bearer ${as.accessToken}`,
      'Tus-Resumable': '1.0.0',
      'Upload-Offset': String(offset),
      'Content-Type': 'application/offset+octet-stream',
    },
    body,
  });
}

describe('files refused, and served safely', () => {
  let f: Fixture;
  let alice: TestUser;
  let carol: TestUser;
  let dave: TestUser;
  let eve: TestUser;
  let bob: TestUser;
  let conv: string;
  let clock: Clock;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    f = await Fixture.start([
      '--max-file-bytes',
      '100000',
      '--file-quota-user',
      '150000',
      '--max-uploads-user',
      '2',
    ]);
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
    dave = await f.user('dave');
    eve = await f.user('eve');
    conv = newTestId();
    await f.conversation(alice, {
      id: conv,
      kind: 'channel',
      title: 'Limits',
      members: [bob.id, carol.id, dave.id],
    });
    clock = createClock(node());
    const room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
    a = f.onMux(f.mux(alice), room);
    b = f.onMux(f.mux(bob), room);
    await Promise.all([synced(a), synced(b)]);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const meta = (data: Buffer) => ({ hash: sha256(data), conv, type: 'application/pdf' });
  it('refuses at creation, with the code, before a byte is stored, and audits each', async () => {
    const before = f.audit('file.refused').length;
    const big = await create(f.http, alice, 100_001, meta(bytes(1)));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: 'too-large', maxFileBytes: 100_000 });

    const options = await fetch(`${f.http}/api/v1/files/uploads`, { method: 'OPTIONS' });
    expect(options.headers.get('tus-max-size')).toBe('100000');

    const outsider = await create(f.http, eve, 10, meta(bytes(10)));
    expect(outsider.status).toBe(403);
    expect(await outsider.json()).toMatchObject({ error: 'not-member' });

    for (const bad of [
      { hash: 'abc', conv, type: 'text/plain' },
      { hash: sha256(bytes(1)), conv: '../x', type: 'text/plain' },
      { hash: sha256(bytes(1)), conv, type: 'not a type' },
    ]) {
      const r = await create(f.http, alice, 10, bad);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ error: 'bad-metadata' });
    }
    const noToken = await fetch(`${f.http}/api/v1/files/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '1' },
    });
    expect(noToken.status).toBe(401);

    // Carol: two uploads in progress at most.
    expect((await create(f.http, carol, 10, meta(bytes(10)))).status).toBe(201);
    expect((await create(f.http, carol, 10, meta(bytes(10)))).status).toBe(201);
    const third = await create(f.http, carol, 10, meta(bytes(10)));
    expect(third.status).toBe(429);
    expect(await third.json()).toMatchObject({ error: 'too-many-uploads' });
    // Uploads idle for 15 minutes no longer count: an app that lost them is not locked out.
    const db = new Database(path.join(f.dir, 'ferry.db'));
    db.pragma('busy_timeout = 5000');
    db.prepare('UPDATE uploads SET updated_at = ? WHERE user = ?').run(
      Date.now() - 16 * 60_000,
      carol.id,
    );
    db.close();
    expect((await create(f.http, carol, 10, meta(bytes(10)))).status).toBe(201);

    // Dave: 150 000 bytes of quota, stored plus in progress.
    expect((await upload(f.http, dave, bytes(90_000), { conv })).ok).toBe(true);
    const over = await create(f.http, dave, 70_000, meta(bytes(1)));
    expect(over.status).toBe(507);
    expect(await over.json()).toMatchObject({ error: 'quota' });

    const rows = f.audit('file.refused').slice(before);
    expect(rows.map((r) => r.detail?.message !== undefined)).not.toContain(false);
    const actors = rows.map((r) => r.actor);
    expect(actors).toEqual(expect.arrayContaining([alice.id, eve.id, carol.id, dave.id]));
    // Nothing of the refused ones is stored or in progress.
    expect(
      f.rows(`SELECT 1 FROM uploads WHERE user IN ('${alice.id}', '${eve.id}', '${dave.id}')`),
    ).toEqual([]);
  });

  it('a disk that fills mid-upload answers 507 disk-full and keeps nothing under the hash; the upload resumes once there is room', async () => {
    const data = bytes(50_000);
    const hash = sha256(data);
    const created = await create(f.http, alice, data.length, meta(data));
    expect(created.status).toBe(201);
    const location = created.headers.get('location') ?? '';
    const id = location.split('/').pop() ?? '';
    const file = path.join(f.dir, 'files', 'uploads', id);
    // The upload's file now writes to /dev/full: every write fails with a real ENOSPC.
    rmSync(file);
    symlinkSync('/dev/full', file);
    const full = await patch(f.http, alice, location, 0, data);
    expect(full.status).toBe(507);
    expect(await full.json()).toMatchObject({ error: 'disk-full' });
    expect((await get(f.http, alice, hash, { method: 'HEAD' })).status).toBe(404);
    const shard = path.join(f.dir, 'files', hash.slice(0, 2), hash.slice(2, 4), hash);
    expect(existsSync(shard)).toBe(false);
    expect(readdirSync(path.join(f.dir, 'files', 'tmp'))).toEqual([]);
    expect(f.audit('file.refused').some((r) => r.detail?.message && r.actor === alice.id)).toBe(
      true,
    );

    // Room again: the same upload continues and completes.
    rmSync(file);
    writeFileSync(file, '');
    const resumed = await patch(f.http, alice, location, 0, data);
    expect(resumed.status).toBe(204);
    expect((await get(f.http, alice, hash, { method: 'HEAD' })).status).toBe(200);
  });

  it('serves a name with separators and bidi overrides cleaned, and a polyglot as an attachment', async () => {
    const png = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), bytes(200)]);
    const polyglot = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>' +
        '<html><body><script>alert(2)</script></body></html>',
    );
    for (const [data, type] of [
      [png, 'image/png'],
      [polyglot, 'image/svg+xml'],
    ] as const) {
      expect((await upload(f.http, alice, data, { conv, type })).ok).toBe(true);
    }
    await sendFiles(
      a.doc,
      clock,
      alice,
      [fileRef(png, 'x.png', 'image/png'), fileRef(polyglot, 'p.svg', 'image/svg+xml')],
      b.doc,
    );

    const name = encodeURIComponent('../../etc/pass\u202Egnp.exe');
    const img = await get(f.http, bob, sha256(png), { query: `?name=${name}` });
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    const disposition = img.headers.get('content-disposition') ?? '';
    expect(disposition).toMatch(/^inline; filename="/);
    expect(disposition).not.toMatch(/[/\\\u202e]|%2F|%E2%80%AE/i);
    expect(disposition).toContain('filename="_.._etc_pass_gnp.exe"');
    const forced = await get(f.http, bob, sha256(png), { query: '?download=1' });
    expect(forced.headers.get('content-disposition')).toMatch(/^attachment;/);

    const svg = await get(f.http, bob, sha256(polyglot), { query: '?name=p.svg' });
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(svg.headers.get('content-type')).not.toMatch(/html/);
    expect(svg.headers.get('x-content-type-options')).toBe('nosniff');
    expect(svg.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
  });
});
