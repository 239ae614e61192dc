// The life of a stored file on a real relay (issue 13): garbage collection removes a file no
// stored message references once the grace period is over (a tiny one here), and keeps a
// referenced one until its message is deleted; /metrics counts files, bytes, uploads in
// progress and refusals; `ferry-relay backup`/`restore` carry the files with the database.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { runCli } from './accounts-helpers';
import { Fixture, newTestId, type TestUser } from './authz-fixture';
import { startRelayProcess, synced, tempDir, removeDir, until, type Client } from './helpers';
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
const GRACE = ['--file-grace-ms', '300'];

describe('stored files: GC, metrics, backup', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let conv: string;
  let clock: Clock;
  let a: Client;
  let b: Client;
  const backups = tempDir();

  beforeAll(async () => {
    f = await Fixture.start(GRACE);
    alice = await f.user('alice');
    bob = await f.user('bob');
    conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'GC', members: [bob.id] });
    clock = createClock(node());
    const room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
    a = f.onMux(f.mux(alice), room);
    b = f.onMux(f.mux(bob), room);
    await Promise.all([synced(a), synced(b)]);
  });
  afterAll(async () => {
    await f?.stop();
    removeDir(backups);
  });

  const stored = (hash: string) => f.rows(`SELECT 1 FROM blobs WHERE hash = '${hash}'`).length > 0;
  const shard = (hash: string) =>
    path.join(f.dir, 'files', hash.slice(0, 2), hash.slice(2, 4), hash);

  it('removes unreferenced files after the grace period and keeps referenced ones', async () => {
    const kept = bytes(1000);
    const orphan = bytes(1100);
    expect((await upload(f.http, alice, kept, { conv })).ok).toBe(true);
    const id = await sendFiles(a.doc, clock, alice, [fileRef(kept)], b.doc);
    expect((await upload(f.http, alice, orphan, { conv })).ok).toBe(true);
    await until(() => !stored(sha256(orphan)), 'GC of the unreferenced file');
    expect(existsSync(shard(sha256(orphan)))).toBe(false);
    expect((await get(f.http, alice, sha256(orphan))).status).toBe(404);
    expect(stored(sha256(kept))).toBe(true);

    await deleteFilesMessage(a.doc, id, alice, b.doc);
    await until(() => !stored(sha256(kept)), 'GC once its message was deleted');
    expect(existsSync(shard(sha256(kept)))).toBe(false);
  });

  it('counts files, bytes, uploads in progress and refusals in /metrics', async () => {
    const data = bytes(2000);
    expect((await upload(f.http, alice, data, { conv })).ok).toBe(true);
    await sendFiles(a.doc, clock, alice, [fileRef(data)], b.doc);
    const mismatch = await upload(f.http, alice, bytes(10), { conv, hash: sha256(bytes(1)) });
    expect(mismatch.status).toBe(460);
    const text = await (await fetch(`${f.http}/metrics`)).text();
    expect(text).toMatch(/^ferry_files_stored [1-9]/m);
    expect(text).toMatch(/^ferry_file_bytes_stored [1-9]/m);
    expect(text).toMatch(/^ferry_uploads_in_progress 0$/m);
    expect(text).toMatch(/^ferry_files_refused_total\{reason="hash-mismatch"\} 1$/m);
  });

  it('backs up and restores the files with the database', async () => {
    const data = bytes(3000);
    const hash = sha256(data);
    expect((await upload(f.http, alice, data, { conv })).ok).toBe(true);
    await sendFiles(a.doc, clock, alice, [fileRef(data)], b.doc);
    const file = path.join(backups, 'ferry.db');
    const made = await runCli(['backup', file, '--data', f.dir]);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ msg: 'backup written' });
    expect((JSON.parse(made.stdout) as { files: number }).files).toBeGreaterThanOrEqual(1);

    for (const c of f.clients) c.destroy();
    for (const m of f.muxes) m.destroy();
    await f.relay.stop('SIGTERM');
    // The live files are lost; the restore brings them back.
    removeDir(path.join(f.dir, 'files'));
    const restored = await runCli(['restore', file, '--data', f.dir]);
    expect(restored.code, restored.stderr).toBe(0);
    f.relay = await startRelayProcess(f.dir, GRACE, { auth: true });
    const back = await get(f.http, bob, hash);
    expect(back.status).toBe(200);
    expect(Buffer.from(await back.arrayBuffer()).equals(data)).toBe(true);
  });
});
