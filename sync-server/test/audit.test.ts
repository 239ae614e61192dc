// The audit hash chain: appends chain onto the head, `ferry-relay audit verify` finds edited,
// removed and reordered entries (raw SQL on copies of a real database), and entries cut from
// the end are caught by comparing with an earlier head (`--head`).
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Audit, GENESIS, verifyChain } from '../src/audit';
import { DB_FILE, Store } from '../src/store';
import { runCli } from './accounts-helpers';
import { removeDir, tempDir } from './helpers';

describe('audit chain', () => {
  let dir: string;
  let head: string;

  beforeAll(() => {
    dir = tempDir();
    const store = new Store(path.join(dir, 'original'));
    const audit = new Audit(store.db);
    for (let i = 1; i <= 6; i++) {
      audit.append({
        actor: `user${i}`,
        action: i % 2 ? 'auth.login' : 'user.updated',
        target: `t${i}`,
        ip: '10.0.0.' + i,
        detail: { n: i, nested: { b: 2, a: [1, 'x'] } },
      });
    }
    head = audit.head()?.hash ?? '';
    store.close();
  });
  afterAll(() => removeDir(dir));

  /** A copy of the original database, changed by `sql`. */
  function tampered(name: string, sql: string): string {
    const data = path.join(dir, name);
    new Store(data).close();
    copyFileSync(path.join(dir, 'original', DB_FILE), path.join(data, DB_FILE));
    const db = new Database(path.join(data, DB_FILE));
    db.exec(sql);
    db.close();
    return data;
  }

  it('chains each entry onto the previous one from 64 zeros', () => {
    const store = new Store(path.join(dir, 'original'));
    const entries = [...new Audit(store.db).entries()];
    store.close();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(entries[0]?.prev).toBe(GENESIS);
    for (let i = 1; i < entries.length; i++) expect(entries[i]?.prev).toBe(entries[i - 1]?.hash);
    expect(entries[0]?.detail).toEqual({ n: 1, nested: { a: [1, 'x'], b: 2 } });
    expect(verifyChain(entries)).toEqual({ ok: true, entries: 6, head });
  });

  it('verify exits 0 on an intact log, and with its own head', async () => {
    const r = await runCli([
      'audit',
      'verify',
      '--data',
      path.join(dir, 'original'),
      '--head',
      head,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`audit log ok: 6 entries, head ${head}`);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['edited', "UPDATE audit SET actor = 'mallory' WHERE seq = 3", /entry 3 .*edited/],
    ['edited-detail', `UPDATE audit SET detail = '{"n":99}' WHERE seq = 5`, /entry 5 .*edited/],
    [
      'removed',
      'DELETE FROM audit WHERE seq = 3',
      /entry 4 .*removed: 1 entry before it is missing/,
    ],
    [
      'reordered',
      'UPDATE audit SET seq = 100 WHERE seq = 2; UPDATE audit SET seq = 2 WHERE seq = 4; UPDATE audit SET seq = 4 WHERE seq = 100;',
      /entry 2 .*reordered: this entry was written as entry 4/,
    ],
  ];
  for (const [name, sql, message] of cases) {
    it(`verify exits 1 naming the first bad entry: ${name}`, async () => {
      const data = tampered(name, sql);
      const r = await runCli(['audit', 'verify', '--data', data]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^AUDIT LOG BROKEN: /);
      expect(r.stdout).toMatch(message);
    });
  }

  it('entries cut from the end keep a valid chain; --head with an earlier head catches it', async () => {
    const data = tampered('truncated', 'DELETE FROM audit WHERE seq >= 5');
    const plain = await runCli(['audit', 'verify', '--data', data]);
    expect(plain.code).toBe(0);
    const r = await runCli(['audit', 'verify', '--data', data, '--head', head]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /truncated: head [0-9a-f]{64} is not in the chain: entries after entry 4 were removed/,
    );
  });

  it('exports JSON lines whose last hash is the head', async () => {
    const out = path.join(dir, 'export.jsonl');
    const r = await runCli(['audit', 'export', '--out', out, '--data', path.join(dir, 'original')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`exported 6 audit entries to ${out}; head ${head}`);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(6);
    const last = JSON.parse(lines[5] as string) as { hash: string; seq: number };
    expect(last).toMatchObject({ seq: 6, hash: head });
    // An export never overwrites a file.
    const again = await runCli([
      'audit',
      'export',
      '--out',
      out,
      '--data',
      path.join(dir, 'original'),
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--out .*EEXIST/);
  });
});
