// The storage suite (issue 14): one set of tests, run against both engines behind SqlDb —
// SQLite in a data directory and a real PostgreSQL started for this file. "Two nodes" are two
// Stores on one database (two connections; on SQLite that is the relay and the admin CLI).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { Accounts } from '../src/accounts/service';
import { Audit, verifyChain } from '../src/audit';
import { MembershipDb } from '../src/conversations/db';
import { SCHEMA_VERSION, Store } from '../src/store';
import { usePostgres } from './engines/postgres';
import { removeDir, tempDir } from './helpers';

const here = path.dirname(fileURLToPath(import.meta.url));
const cheap = { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } };
const PASSWORD = 'a long enough password';
const postgres = usePostgres();

interface Engine {
  name: 'sqlite' | 'postgres';
  /** A fresh, empty database; returns how to open a Store (a node) on it. */
  fresh(): Promise<{ dir: string; database?: string }>;
}

let dbCount = 0;
const engines: Engine[] = [
  { name: 'sqlite', fresh: async () => ({ dir: tempDir('ferry-suite-') }) },
  {
    name: 'postgres',
    fresh: async () => ({
      dir: tempDir('ferry-suite-'),
      database: await postgres().createDatabase(`suite_${process.pid}_${++dbCount}`),
    }),
  },
];

const opened: Store[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

function updateOf(fn: (doc: Y.Doc) => void, clientID: number): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = clientID;
  let out: Uint8Array | null = null;
  doc.on('update', (u: Uint8Array) => (out = out ? Y.mergeUpdates([out, u]) : u));
  fn(doc);
  return out!;
}

function stateOf(store: Store, room: string): Y.Doc {
  const doc = new Y.Doc();
  for (const u of store.load(room).updates) Y.applyUpdate(doc, u);
  return doc;
}

describe.each(engines)('storage on $name', (engine) => {
  async function twoNodes() {
    const where = await engine.fresh();
    dirs.push(where.dir);
    const open = () => {
      const s = new Store(where.dir, { database: where.database });
      opened.push(s);
      return s;
    };
    return { a: open(), b: open(), where, open };
  }

  it('migrates once however many nodes start, and refuses a database from a newer relay', async () => {
    const { a, b, open } = await twoNodes();
    expect(a.schemaVersion()).toBe(SCHEMA_VERSION);
    expect(b.schemaVersion()).toBe(SCHEMA_VERSION);
    const rows = a.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM schema_migrations');
    expect(rows.get()?.n).toBe(SCHEMA_VERSION);
    a.db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(99, 'future', 'later');
    expect(() => open()).toThrow(/schema version 99, newer than this relay knows/);
  });

  it('keeps a version per room per commit, and re-reads exactly the commits a node missed', async () => {
    const { a, b } = await twoNodes();
    const u1 = updateOf((d) => d.getMap('m').set('x', 1), 1);
    const u2 = updateOf((d) => d.getMap('m').set('y', 2), 2);
    const u3 = updateOf((d) => d.getMap('m').set('z', 3), 3);
    expect([...a.append([{ room: 'r', update: u1 }]).entries()]).toEqual([['r', 1]]);
    expect([
      ...b
        .append([
          { room: 'r', update: u2 },
          { room: 's', update: u3 },
          { room: 'r', update: u3 },
        ])
        .entries(),
    ]).toEqual([
      ['r', 2],
      ['s', 1],
    ]);
    expect(a.roomVersion('r')).toBe(2);
    // Node a holds version 1 of r: it reads commit 2 (two updates), nothing else.
    const gap = a.readSince('r', 1);
    expect(gap?.version).toBe(2);
    expect(gap?.updates.map((u) => Buffer.from(u).toString('hex'))).toEqual(
      [u2, u3].map((u) => Buffer.from(u).toString('hex')),
    );
    expect(a.readSince('r', 2)).toEqual({ updates: [], version: 2 });
    const loaded = b.load('r');
    expect(loaded.version).toBe(2);
    expect(loaded.logCount).toBe(3);
    expect(stateOf(a, 'r').getMap('m').toJSON()).toEqual({ x: 1, y: 2, z: 3 });
    // Once compacted the log no longer holds commit 2 alone: the node must reload the room.
    a.compact('r');
    expect(a.readSince('r', 1)).toBeNull();
  });

  it('compacts to the same state, and an update stored meanwhile by another node survives', async () => {
    const { a, b } = await twoNodes();
    for (let i = 0; i < 20; i++) {
      (i % 2 ? a : b).append([
        { room: 'r', update: updateOf((d) => d.getArray('a').insert(0, [i]), 100 + i) },
      ]);
    }
    const before = Y.encodeStateVector(stateOf(a, 'r'));
    const result = b.compact('r');
    expect(result.entries).toBe(20);
    expect(Y.encodeStateVector(stateOf(a, 'r'))).toEqual(before);
    expect(a.load('r').logCount).toBe(0);
    a.append([{ room: 'r', update: updateOf((d) => d.getArray('a').insert(0, ['late']), 999) }]);
    expect(stateOf(b, 'r').getArray('a').length).toBe(21);
  });

  it('chains audit entries of several nodes into one verifiable chain', async () => {
    const { a, b } = await twoNodes();
    const auditA = new Audit(a.db);
    const auditB = new Audit(b.db);
    for (let i = 0; i < 10; i++) {
      (i % 3 ? auditA : auditB).append({ actor: 'admin', action: 'user.updated', target: `u${i}` });
    }
    const all = [...auditA.entries()];
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(verifyChain(all).ok).toBe(true);
    // Each node learns the other's entries (how revocations and membership changes travel).
    const seen: string[] = [];
    auditA.onOtherAppend((e) => seen.push(e.target ?? ''));
    expect(auditA.readOthers()).toBe(4);
    expect(seen).toEqual(['u0', 'u3', 'u6', 'u9']);
  });

  it('keeps one chain when three processes append at the same time', async () => {
    const { a, where } = await twoNodes();
    const script = path.join(here, 'fixtures', 'audit-appender.ts');
    const runs = [0, 1, 2].map(
      (n) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            ['--import', 'tsx', script, where.dir, where.database ?? '', `p${n}`, '40'],
            { stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let err = '';
          child.stderr.on('data', (d: Buffer) => (err += d.toString()));
          child.on('exit', (code) =>
            code === 0 ? resolve() : reject(new Error(`appender ${n} exited ${code}: ${err}`)),
          );
        }),
    );
    await Promise.all(runs);
    const entries = [...new Audit(a.db).entries()];
    expect(entries).toHaveLength(120);
    expect(verifyChain(entries)).toMatchObject({ ok: true, entries: 120 });
  }, 60_000);

  it('shares accounts and sessions: a revocation on one node is seen by the other', async () => {
    const { a, b } = await twoNodes();
    const accA = new Accounts(a.db, new Audit(a.db), cheap);
    const accB = new Accounts(b.db, new Audit(b.db), cheap);
    try {
      const u = await accA.createUser(
        { username: 'ann', role: 'member', password: PASSWORD },
        { actor: 'cli' },
      );
      const t = await accB.login({ username: 'ann', password: PASSWORD }, '127.0.0.1');
      const access = await accA.verifyAccess(t.accessToken);
      if (typeof access === 'string') throw new Error(access);
      const ended: string[] = [];
      accB.onSessionEnded((e) => ended.push(`${e.sessionId}:${e.reason}`));
      await accB.verifyAccess(t.accessToken); // node b watches the session it served
      const counter = b.db.changeCounter();
      accA.revokeSession(access.sessionId, 'revoked', { actor: u.id });
      expect(b.db.changeCounter()).not.toBe(counter);
      accB.recheck();
      expect(ended).toEqual([`${access.sessionId}:revoked`]);
      await expect(accB.refresh(t.refreshToken, null)).rejects.toMatchObject({
        code: 'session-ended',
      });
    } finally {
      accA.close();
      accB.close();
    }
  });

  it('shares memberships and finds users by name whatever their case', async () => {
    const { a, b } = await twoNodes();
    const acc = new Accounts(a.db, new Audit(a.db), cheap);
    try {
      const ann = await acc.createUser(
        { username: 'ann', displayName: 'Ann Lee', role: 'member', password: PASSWORD },
        { actor: 'cli' },
      );
      expect(acc.searchUsers('LEE').map((u) => u.username)).toEqual(['ann']);
      const ma = new MembershipDb(a.db);
      const mb = new MembershipDb(b.db);
      ma.transaction(() => {
        ma.insertConversation({
          id: 'c1',
          kind: 'channel',
          visibility: 'open',
          title: 'general',
          createdBy: ann.id,
          createdAt: 1,
          archivedAt: null,
        });
        ma.addMember('c1', ann.id, 'owner', 1);
      });
      expect(mb.roleOf('c1', ann.id)).toBe('owner');
      expect(mb.removeMember('c1', ann.id)).toBe(true);
      expect(ma.roleOf('c1', ann.id)).toBeNull();
    } finally {
      acc.close();
    }
  });
});

describe('storage on postgres only', () => {
  it('keeps an update another node commits after a compaction read the log, and honours the lease', async () => {
    const url = await postgres().createDatabase(`suite_${process.pid}_race`);
    const dir = tempDir('ferry-suite-');
    dirs.push(dir);
    const store = new Store(dir, { database: url });
    opened.push(store);
    store.append([{ room: 'r', update: updateOf((d) => d.getMap('m').set('a', 1), 1) }]);
    // Another node's append: its seq is taken now, its commit comes after the compaction.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('BEGIN');
      const late = updateOf((d) => d.getMap('m').set('b', 2), 2);
      await other.query('INSERT INTO updates (room, data, at, version) VALUES ($1, $2, $3, 2)', [
        'r',
        Buffer.from(late),
        Date.now(),
      ]);
      store.append([{ room: 'r', update: updateOf((d) => d.getMap('m').set('c', 3), 3) }]);
      expect(store.compact('r').entries).toBe(2);
      await other.query('COMMIT');
      expect(stateOf(store, 'r').getMap('m').toJSON()).toEqual({ a: 1, b: 2, c: 3 });
      // The compaction lease: while another node holds it, this one does nothing.
      await other.query("SELECT pg_advisory_lock(hashtext('ferry-compact:' || 'r'))");
      expect(store.compact('r')).toMatchObject({ busy: true, entries: 0 });
      await other.query("SELECT pg_advisory_unlock(hashtext('ferry-compact:' || 'r'))");
      expect(store.compact('r').entries).toBe(1);
    } finally {
      await other.end();
    }
  });
});
