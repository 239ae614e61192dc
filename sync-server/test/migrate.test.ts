// `ferry-relay migrate` (issue 14, docs/scale-out.md "Moving a single-node install"): a real
// single-node relay on SQLite is populated (accounts, a conversation, messages through stock
// y-websocket clients, an uploaded file referenced by a message, admin actions), stopped, and
// moved into a real PostgreSQL (and s3rver for the files). Then a relay node on PostgreSQL
// serves the old messages and the old passwords. Also: a migration killed with SIGKILL half-way
// resumes without duplicating anything, and the refusals (relay running, a target of another
// install).
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { addMessage, getMessage } from '../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { FsBlobStore } from '../src/blobs/fs-store';
import { Store } from '../src/store';
import { login, runCli } from './accounts-helpers';
import { MuxConnection } from '../../core/src/protocol/mux-client';
import { Fixture, joinRoom, newTestId, PASSWORD, WS, type TestUser } from './authz-fixture';
import { usePostgres } from './engines/postgres';
import { S3Engine } from './engines/s3';
import { bytes, fileRef, get, partialUpload, sendFiles, upload } from './files-helpers';
import {
  RELAY_BUNDLE,
  TEST_ARGON2,
  client,
  removeDir,
  repoRoot,
  startRelayProcess,
  storedOwn,
  synced,
  tempDir,
  until,
  type RelayProcess,
} from './helpers';

process.setMaxListeners(0);
const postgres = usePostgres();

/** `ferry-relay migrate …` as a child process; `onLine` sees each stdout line as it comes. */
function migrate(args: string[], env: Record<string, string> = {}, onLine?: (l: string) => void) {
  const proc = spawn(process.execPath, [RELAY_BUNDLE, 'migrate', ...args], {
    cwd: repoRoot,
    env: { ...process.env, FERRY_LOG_LEVEL: 'warn', ...TEST_ARGON2, ...env },
  });
  let stdout = '';
  let stderr = '';
  let partial = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
    partial += c;
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      onLine?.(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
  });
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const done = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return Object.assign(
    done.then((r) => ({ ...r, stdout, stderr })),
    { proc },
  );
}

async function query<T>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as T[];
  } finally {
    await c.end();
  }
}

const sourceCount = (dir: string, table: string) => {
  const s = new Store(dir);
  try {
    return s.db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0;
  } finally {
    s.close();
  }
};

describe('ferry-relay migrate', () => {
  let f: Fixture;
  let s3: S3Engine;
  let alice: TestUser;
  let bob: TestUser;
  let room: string;
  let clock: Clock;
  const said: string[] = [];
  const file = bytes(3_000);
  const big = bytes(2 * 1024 * 1024);
  let partialUrl = '';
  let convId = '';
  const cleanup: Array<() => Promise<unknown> | void> = [];

  beforeAll(async () => {
    s3 = await S3Engine.start();
    f = await Fixture.start(['--room-idle-ms', '300']);
    alice = await f.user('alice');
    bob = await f.user('bob');
    const conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Old', members: [bob.id] });
    // Admin actions (audited): carol made, then disabled with the admin CLI (her session ends).
    await f.user('carol');
    const off = await runCli(['admin', 'users', 'disable', 'carol', '--data', f.dir]);
    expect(off.code, off.stderr).toBe(0);
    clock = createClock(newId((n) => crypto.getRandomValues(new Uint8Array(n))));
    room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
    // Half the messages end up in the room's snapshot (the room unloads when idle, compacting),
    // half stay in its update log.
    const write = async (from: number, to: number) => {
      const a = await joinRoom(f, alice, room);
      for (let i = from; i < to; i++) {
        const id = tick(clock, Date.now());
        addMessage(a.doc, { id, author: alice.id, text: `before the move ${i}`, createdAt: i });
        said.push(id);
        await until(() => storedOwn(a), `message ${i} stored`);
      }
      return a;
    };
    (await write(0, 20)).destroy();
    await f.relay.waitForLog((l) => l.msg === 'room compacted' && l.room === room);
    const a = await write(20, 40);
    const b = await joinRoom(f, bob, room);
    expect((await upload(f.http, alice, file, { conv })).ok).toBe(true);
    said.push(await sendFiles(a.doc, clock, alice, [fileRef(file)], b.doc));
    await until(() => storedOwn(a), 'the file message stored');
    // An upload left half-way (its bytes under files/uploads/<id>).
    partialUrl = await partialUpload(f.http, alice, big, conv, 256 * 1024, 128 * 1024);
    convId = conv;
  }, 120_000);
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
    await f?.stop();
    await s3?.destroy();
  });

  let stopped = false;
  const stopSource = async () => {
    if (stopped) return;
    stopped = true;
    for (const c of f.clients) c.destroy();
    for (const m of f.muxes) m.destroy();
    // SIGKILL: everything acknowledged is durable, and the update log keeps its entries (a
    // drain would fold every room's log into its snapshot).
    await f.relay.stop('SIGKILL');
  };

  it('refuses while the relay serves the data directory', async () => {
    const target = await postgres().createDatabase('migrate_running');
    const r = await migrate(['--to', target, '--data', f.dir]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/a relay \(pid \d+\) is serving .*; stop it first/);
    expect(await query(target, 'SELECT 1 FROM pg_tables WHERE tablename = $$users$$')).toEqual([]);
  });

  it('exits 2 on bad usage, naming what is wrong', async () => {
    const none = await migrate(['--data', f.dir]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--to: give the PostgreSQL URL to migrate into/);
    const sqlite = await migrate(['--to', 'sqlite:///tmp/x.db', '--data', f.dir]);
    expect(sqlite.code).toBe(2);
    expect(sqlite.stderr).toMatch(/--to: give a postgres:\/\/… URL/);
  });

  it('refuses a source whose schema is newer than this relay knows', async () => {
    const dir = tempDir();
    const s = new Store(dir);
    s.db.exec("INSERT INTO schema_migrations VALUES (99, 'from the future', 'x')");
    s.close();
    const r = await migrate([
      '--to',
      await postgres().createDatabase('migrate_newer'),
      '--data',
      dir,
    ]);
    removeDir(dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/has schema version 99, newer than this relay knows/);
  });

  it('moves rooms, accounts, audit and files; a node on PostgreSQL serves them', async () => {
    await stopSource();
    const target = await postgres().createDatabase('migrate_full');
    const r = await migrate(['--to', target, '--data', f.dir, ...s3.args('moved')], s3.env());
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      /migrated and verified: \d+ rooms, \d+ updates, 4 users, \d+ sessions, \d+ audit entries \(head [0-9a-f]{64}\), 1 files \(1 copied, 0 already there\)/,
    );
    // Row for row: the tool verified it; the test counts the log itself.
    const n = (await query<{ n: number }>(target, 'SELECT COUNT(*)::int AS n FROM updates'))[0]?.n;
    expect(n).toBeGreaterThan(0);
    expect(n).toBe(sourceCount(f.dir, 'updates'));
    expect(sourceCount(f.dir, 'rooms')).toBeGreaterThan(0);

    const dir = tempDir();
    const node: RelayProcess = await startRelayProcess(
      dir,
      ['--database', target, ...s3.args('moved')],
      { auth: true, env: s3.env() },
    );
    cleanup.push(async () => {
      await node.stop('SIGKILL');
      removeDir(dir);
    });
    // The old password signs in; the old messages and the file are there.
    const a2 = { ...alice, ...(await login(node.http, 'alice', PASSWORD)) };
    const b2 = { ...bob, ...(await login(node.http, 'bob', PASSWORD)) };
    const mux = new MuxConnection(`${node.url}/_mux?token=${a2.accessToken}`, { WebSocket: WS });
    const c = client(mux.url, room, { WebSocketPolyfill: mux.WebSocketPolyfill });
    cleanup.push(() => {
      c.destroy();
      mux.destroy();
    });
    await synced(c);
    await until(() => said.every((id) => getMessage(c.doc, id)), 'every old message');
    expect(getMessage(c.doc, said[0]!)?.text).toBe('before the move 0');
    const got = await get(node.http, b2, fileRef(file).hash);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(file)).toBe(true);
    // A new message is appended after the copied log (the sequence was moved past it).
    const id = tick(clock, Date.now());
    addMessage(c.doc, { id, author: alice.id, text: 'after the move', createdAt: Date.now() });
    await until(() => storedOwn(c), 'the new message stored on PostgreSQL');
    // The upload left half-way was not moved: the app's tus client finds no upload there
    // (404) and sends the file again from byte 0, through the new node.
    expect(r.stdout).toMatch(
      /1 uploads in progress were not moved: the app sends those files again/,
    );
    const again = await upload(node.http, a2, big, {
      conv: convId,
      uploadUrl: node.http + new URL(partialUrl).pathname,
    });
    expect(again.ok, again.body + JSON.stringify(node.logs.filter((l) => l.level >= 40))).toBe(
      true,
    );
    expect((await get(node.http, a2, fileRef(big).hash, { method: 'HEAD' })).status).toBe(200);
    // The disabled user stays disabled.
    await expect(login(node.http, 'carol', PASSWORD)).rejects.toThrow(/login carol: 4\d\d/);
  }, 120_000);

  it('resumes after kill -9 half-way, without duplicating a row', async () => {
    await stopSource();
    const target = await postgres().createDatabase('migrate_killed');
    let killed = false;
    // Files into a directory every node would mount (--blobs /DIR).
    const shared = tempDir();
    cleanup.push(() => removeDir(shared));
    const args = ['--to', target, '--data', f.dir, '--blobs', shared, '--batch-size', '3'];
    const first = migrate(args, {}, (line) => {
      if (!killed && /^audit: \d+ of \d+ rows copied/.test(line)) {
        killed = true;
        first.proc.kill('SIGKILL');
      }
    });
    const r1 = await first;
    expect(r1.signal, r1.stdout + r1.stderr).toBe('SIGKILL');
    const progress = await query<{ tbl: string; copied: number; done: number }>(
      target,
      'SELECT tbl, copied::int, done::int FROM migration_progress',
    );
    const total = sourceCount(f.dir, 'updates');
    // Really half-way: some audit entries copied, the update log not finished.
    expect(progress.find((p) => p.tbl === 'audit')?.copied).toBeGreaterThan(0);
    expect(progress.find((p) => p.tbl === 'updates')?.done ?? 0).toBe(0);

    const r2 = await migrate(args);
    expect(r2.code, r2.stdout + r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/resuming the migration of/);
    expect(r2.stdout).toMatch(/migrated and verified/);
    expect(r2.stdout).toMatch(/1 files \([01] copied, [01] already there\)/);
    expect((await new FsBlobStore(shared).stat(fileRef(file).hash))?.size).toBe(file.length);
    const dup = await query<{ n: number }>(
      target,
      'SELECT COUNT(*)::int AS n FROM (SELECT seq FROM updates GROUP BY seq HAVING COUNT(*) > 1) d',
    );
    expect(dup[0]?.n).toBe(0);
    const n = (await query<{ n: number }>(target, 'SELECT COUNT(*)::int AS n FROM updates'))[0]?.n;
    expect(n).toBe(total);
    // Running it once more changes nothing and verifies again.
    const r3 = await migrate(['--to', target, '--data', f.dir, '--blobs', shared]);
    expect(r3.code, r3.stderr).toBe(0);

    // A target changed behind its back: exit 1 and each difference named.
    await query(target, "UPDATE users SET display_name = 'Mallory' WHERE username = 'bob'");
    await query(target, 'DELETE FROM updates WHERE seq = (SELECT MAX(seq) FROM updates)');
    const r4 = await migrate(['--to', target, '--data', f.dir, '--blobs', shared]);
    expect(r4.code).toBe(1);
    expect(r4.stdout).toMatch(/migrated, but the copy differs/);
    expect(r4.stderr).toMatch(
      /differs: users: the same number of rows \(4\) but different content/,
    );
    expect(r4.stderr).toMatch(/differs: updates: \d+ rows in the source, \d+ in the target/);
    expect(r4.stderr).toMatch(/differs: room \S+: the state vectors differ/);
  }, 120_000);

  it('refuses a target of another install; without --blobs leaves files, with it on a rerun copies them', async () => {
    await stopSource();
    // A relay node started on the database first: it has its own secrets.
    const target = await postgres().createDatabase('migrate_other');
    const dir = tempDir();
    const node = await startRelayProcess(dir, ['--database', target], { auth: true });
    await node.stop('SIGTERM');
    removeDir(dir);
    const r = await migrate(['--to', target, '--data', f.dir]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/already holds data of another install \(.*secrets/);

    // Another data directory into a database this install was migrated to.
    const mine = await postgres().createDatabase('migrate_mine');
    const plain = await migrate(['--to', mine, '--data', f.dir]);
    expect(plain.code, plain.stderr).toBe(0);
    // Without --blobs the files stay in <data>/files, and the upload in progress moves too.
    expect(plain.stdout).toMatch(/files: not copied \(no --blobs\)/);
    const uploads = await query<{ n: number }>(mine, 'SELECT COUNT(*)::int AS n FROM uploads');
    expect(uploads[0]?.n).toBe(1);
    // Run again with --blobs: the files are copied, the upload in progress leaves the target
    // (its bytes are not in the new store), and everything verifies.
    const dirFiles = tempDir();
    const withFiles = await migrate(['--to', mine, '--data', f.dir, '--blobs', dirFiles]);
    removeDir(dirFiles);
    expect(withFiles.code, withFiles.stdout + withFiles.stderr).toBe(0);
    expect(withFiles.stdout).toMatch(/uploads: 1 rows of an earlier run removed/);
    expect(withFiles.stdout).toMatch(
      /migrated and verified: .* 1 files \(1 copied, 0 already there\)/,
    );
    const other = tempDir();
    new Store(other).close();
    const r2 = await migrate(['--to', mine, '--data', other]);
    removeDir(other);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(
      /holds a migration of another install \(from .*\); migrate into an empty/,
    );
  }, 120_000);
});
