// The inbox (directory) document is written by the relay only: every change from anyone
// else is refused as `relay-only`, while updates that change nothing pass.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  RELAY_USER,
  checkUpdate,
  createUpdateChecker,
  inboxRoom,
  parseRoom,
  rootsOf,
  validateDoc,
  writeDirectoryEntry,
  writeMembers,
  writePerson,
  type Problem,
  type RoomRef,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const CONV = '0123456789ABCDEF';
const INBOX = parseRoom(inboxRoom(ANN)) as RoomRef;

function change(base: Y.Doc, write: (doc: Y.Doc) => void): Uint8Array {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
  const updates: Uint8Array[] = [];
  replica.on('update', (u: Uint8Array) => updates.push(u));
  write(replica);
  return Y.mergeUpdates(updates);
}

const rules = (ps: Problem[]) => ps.map((p) => `${p.rule} ${p.path}`).sort();

const ENTRY = {
  kind: 'channel',
  visibility: 'open',
  title: 'Deck',
  archived: false,
  role: 'owner',
  createdBy: ANN,
  createdAt: 1,
} as const;

function directory(): Y.Doc {
  const doc = new Y.Doc();
  writeDirectoryEntry(doc, CONV, ENTRY);
  writeMembers(doc, CONV, [{ id: ANN, role: 'owner' }]);
  return doc;
}

describe('inbox documents', () => {
  it('have the directory roots', () => {
    expect(INBOX).toEqual({ kind: 'inbox', userId: ANN });
    expect(rootsOf('inbox')).toEqual(['me', 'conversations', 'members', 'activity', 'people']);
  });

  it('accept the relay’s writes and removals', () => {
    const base = directory();
    const write = change(base, (d) => {
      writePerson(d, ANN, { username: 'ann', displayName: 'Ann' });
      writeDirectoryEntry(d, CONV, { ...ENTRY, title: 'Deck 2' });
    });
    expect(checkUpdate(INBOX, base, write, RELAY_USER)).toEqual([]);
    const remove = change(base, (d) => d.getMap('members').delete(CONV));
    expect(checkUpdate(INBOX, base, remove, RELAY_USER)).toEqual([]);
  });

  it('refuse every change from a client, even the inbox’s own user, as relay-only', () => {
    const base = directory();
    const own = change(base, (d) => writeDirectoryEntry(d, CONV, { ...ENTRY, title: 'mine now' }));
    const problems = checkUpdate(INBOX, base, own, ANN);
    expect(rules(problems)).toEqual([`relay-only conversations/${CONV}`]);
    expect(problems[0]?.owner).toBe(RELAY_USER);
    const remove = change(base, (d) => d.getMap('members').delete(CONV));
    expect(rules(checkUpdate(INBOX, base, remove, ANN))).toEqual([`relay-only members/${CONV}`]);
    const junk = change(base, (d) => d.getArray('notes').push(['x']));
    expect(rules(checkUpdate(INBOX, base, junk, ANN))).toEqual(['relay-only notes']);
    const added = change(base, (d) => d.getMap('people').set('X', 1));
    expect(rules(checkUpdate(INBOX, base, added, ANN))).toEqual(['relay-only people/X']);
  });

  it('let updates through that change nothing (a stock client’s sync step 2, a resend)', () => {
    const base = directory();
    const checker = createUpdateChecker(INBOX, base);
    expect(checker.check(Y.encodeStateAsUpdate(new Y.Doc()), ANN)).toEqual([]);
    expect(checker.check(Y.encodeStateAsUpdate(base), ANN)).toEqual([]);
    checker.destroy();
  });

  it('refuse a client update that builds on changes the document lacks', () => {
    const base = directory();
    const ahead = new Y.Doc();
    Y.applyUpdate(ahead, Y.encodeStateAsUpdate(base));
    ahead.getMap('people').set(ANN, { username: 'ann' });
    const later = change(ahead, (d) => d.getMap('people').set(ANN, { username: 'x' }));
    expect(rules(checkUpdate(INBOX, base, later, ANN))).toEqual(['relay-only ']);
  });

  it('are validated as a whole by shape only: who wrote them is the relay’s binding', () => {
    const doc = directory();
    expect(validateDoc(INBOX, doc)).toEqual([]);
    doc.getMap('people').set(ANN, new Y.Map());
    doc.getMap('secrets');
    expect(rules(validateDoc(INBOX, doc))).toEqual([
      `bad-value people/${ANN}`,
      'unknown-root secrets',
    ]);
  });

  it('refuse a relay write of the wrong shape, too', () => {
    const base = directory();
    const bad = change(base, (d) =>
      d.getMap('conversations').set(CONV, { v: 1, kind: 'channel', title: 'Deck' }),
    );
    const problems = checkUpdate(INBOX, base, bad, RELAY_USER);
    expect(rules(problems)).toEqual([`bad-value conversations/${CONV}`]);
    expect(problems[0]?.message).toBe('visibility must be open or private');
  });
});
