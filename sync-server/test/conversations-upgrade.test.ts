// Upgrading a database of the release without accounts (migration 1 only): the conversations
// its `workspace` document lists become open channels with no owner, once, whichever command
// opens the database first; their rooms keep their content and members can join them.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createClock, tick } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { addMessage, getMessage } from '../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { registerConversation } from '../../core/src/model/workspace';
import { runCli } from './accounts-helpers';
import { Fixture, PASSWORD, newTestId, type TestUser } from './authz-fixture';
import { removeDir, startRelayProcess, synced, tempDir } from './helpers';

process.setMaxListeners(0);

/** Writes a database as the previous release left it: migration 1, one workspace update. */
function previousRelease(
  dir: string,
  convs: Array<{ id: string; title: string }>,
  page?: { room: string; update: Uint8Array },
) {
  const db = new Database(path.join(dir, 'ferry.db'));
  db.exec(`
    CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT;
    INSERT INTO schema_migrations VALUES (1, 'rooms, snapshots and the update log', '2026-01-01T00:00:00Z');
    CREATE TABLE rooms (name TEXT PRIMARY KEY, snapshot BLOB, compacted_at INTEGER) STRICT;
    CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, data BLOB NOT NULL, at INTEGER NOT NULL) STRICT;
    CREATE INDEX updates_by_room ON updates (room, seq);
  `);
  const doc = new Y.Doc();
  const author = newTestId();
  for (const c of convs)
    registerConversation(doc, { ...c, createdBy: author, createdAt: 1_700_000_000_000 });
  const insert = db.prepare('INSERT INTO updates (room, data, at) VALUES (?, ?, ?)');
  insert.run('workspace', Y.encodeStateAsUpdate(doc), Date.now());
  if (page) insert.run(page.room, page.update, Date.now());
  db.close();
  return author;
}

describe('upgrade from the release without accounts', () => {
  let dir: string;
  let f: Fixture;
  let alice: TestUser;
  const old = { id: newTestId(), title: 'Old general' };
  const other = { id: newTestId(), title: 'Old random' };
  let oldMessage: string;
  let legacyAuthor: string;

  beforeAll(async () => {
    dir = tempDir();
    const clock = createClock(newId((n) => crypto.getRandomValues(new Uint8Array(n))));
    oldMessage = tick(clock, Date.now());
    const pageDoc = new Y.Doc();
    addMessage(pageDoc, {
      id: oldMessage,
      author: newTestId(),
      text: 'from before accounts',
      createdAt: Date.now(),
    });
    legacyAuthor = previousRelease(dir, [old, other], {
      room: pageRoom(old.id, periodOfMessage(oldMessage)),
      update: Y.encodeStateAsUpdate(pageDoc),
    });
    // The admin CLI opens the upgraded database first (IT creates the first admin).
    const created = await runCli(
      ['admin', 'users', 'create', 'alice', '--role', 'member', '--password-stdin', '--data', dir],
      {
        stdin: PASSWORD + '\n',
      },
    );
    expect(created.code, created.stderr).toBe(0);
  });
  afterAll(async () => {
    await f?.stop();
    removeDir(dir);
  });

  it('lists the old conversations as open channels with no owner, once', async () => {
    const db = new Database(path.join(dir, 'ferry.db'), { readonly: true });
    const rows = db
      .prepare('SELECT id, kind, visibility, title, created_by FROM conversations ORDER BY title')
      .all();
    const members = db.prepare('SELECT COUNT(*) AS n FROM members').get() as { n: number };
    db.close();
    expect(rows).toEqual([
      {
        id: old.id,
        kind: 'channel',
        visibility: 'open',
        title: 'Old general',
        created_by: legacyAuthor,
      },
      {
        id: other.id,
        kind: 'channel',
        visibility: 'open',
        title: 'Old random',
        created_by: legacyAuthor,
      },
    ]);
    expect(members.n).toBe(0);
  });

  it('lets a member browse, join and read an old conversation; nothing is imported twice', async () => {
    const relay = await startRelayProcess(dir, [], { auth: true });
    // The fixture takes over this relay: sign alice in through it.
    f = Object.assign(Object.create(Fixture.prototype) as Fixture, {
      dir,
      relay,
      clients: [],
      muxes: [],
      users: new Map(),
      auditDb: null,
    });
    const tokens = await (await import('./accounts-helpers')).login(relay.http, 'alice', PASSWORD);
    alice = { ...tokens, id: tokens.user.id, username: 'alice', password: PASSWORD };
    const browse = await f.call<{ conversations: Array<{ id: string; role: string | null }> }>(
      'GET',
      '/conversations?browse=open',
      alice,
    );
    expect(browse.body.conversations.map((c) => c.id).sort()).toEqual([old.id, other.id].sort());
    expect((await f.call('POST', `/conversations/${old.id}/join`, alice)).status).toBe(200);
    const page = f.onMux(f.mux(alice), pageRoom(old.id, periodOfMessage(oldMessage)));
    await synced(page);
    expect(getMessage(page.doc, oldMessage)?.text).toBe('from before accounts');
    expect(f.rows('SELECT id FROM conversations')).toHaveLength(2);
  });
});
