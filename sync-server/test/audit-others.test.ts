// Audit.readOthers: a relay learns what another process (the admin CLI) appended to the same
// database, each entry once and in order, never its own entries, however the two interleave.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Audit, type AuditAction, type AuditEntry } from '../src/audit';
import { Store } from '../src/store';
import { removeDir, tempDir } from './helpers';

describe('audit: entries appended by another process', () => {
  let dir: string;
  let relayStore: Store;
  let cliStore: Store;

  beforeEach(() => {
    dir = tempDir();
    relayStore = new Store(path.join(dir, 'data'));
    cliStore = new Store(path.join(dir, 'data'));
  });
  afterEach(() => {
    relayStore.close();
    cliStore.close();
    removeDir(dir);
  });

  const entry = (action: AuditAction, target: string) => ({ actor: 'admin', action, target });

  it('reports the other connection’s entries once, in order, and skips its own', () => {
    const relay = new Audit(relayStore.db);
    const cli = new Audit(cliStore.db);
    const seenByRelay: AuditEntry[] = [];
    const seenByCli: AuditEntry[] = [];
    relay.onOtherAppend((e) => seenByRelay.push(e));
    cli.onOtherAppend((e) => seenByCli.push(e));

    relay.append(entry('user.updated', 'r1'));
    cli.append(entry('user.updated', 'c1'));
    relay.append(entry('user.updated', 'r2')); // above a gap: the CLI wrote in between
    cli.append(entry('user.disabled', 'c2'));
    expect(relay.readOthers()).toBe(2);
    expect(seenByRelay.map((e) => [e.seq, e.target])).toEqual([
      [2, 'c1'],
      [4, 'c2'],
    ]);
    expect(cli.readOthers()).toBe(2);
    expect(seenByCli.map((e) => [e.seq, e.target])).toEqual([
      [1, 'r1'],
      [3, 'r2'],
    ]);
    // Nothing new: nothing reported again.
    expect(relay.readOthers()).toBe(0);
    expect(seenByRelay).toHaveLength(2);
  });

  it('starts from the head: what was in the log before the relay opened is not news', () => {
    new Audit(cliStore.db).append(entry('user.created', 'old'));
    const relay = new Audit(relayStore.db);
    const seen: AuditEntry[] = [];
    relay.onOtherAppend((e) => seen.push(e));
    expect(relay.readOthers()).toBe(0);
    new Audit(cliStore.db).append(entry('user.updated', 'new'));
    expect(relay.readOthers()).toBe(1);
    expect(seen[0]?.target).toBe('new');
  });

  it('a listener that throws stops neither the others nor later entries', () => {
    const relay = new Audit(relayStore.db);
    const cli = new Audit(cliStore.db);
    const seen: string[] = [];
    relay.onOtherAppend(() => {
      throw new Error('listener broke');
    });
    relay.onOtherAppend((e) => seen.push(e.target ?? ''));
    cli.append(entry('user.updated', 'a'));
    cli.append(entry('user.updated', 'b'));
    expect(relay.readOthers()).toBe(2);
    expect(seen).toEqual(['a', 'b']);
  });
});
