// The directory document (inbox/<userId>): the relay's writers and the client's readers.
import * as Y from 'yjs';
import { describe, it, expect, fc } from './harness';
import {
  ModelError,
  encodeHlc,
  inboxRoom,
  parseRoom,
  readDirectory,
  removeDirectoryEntry,
  removePerson,
  validateDoc,
  writeActivity,
  writeDirectoryEntry,
  writeMe,
  writeMembers,
  writePerson,
  type DirectoryConversation,
  type RoomRef,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const CAT = 'CATCATCATCATCAT0';
const CONV = '0123456789ABCDEF';
const DM = 'DMDMDMDMDMDMDMD0';
const T = Date.UTC(2026, 10, 27, 9);
const MSG = encodeHlc({ wall: T, counter: 0, node: 'DEV1' });
const INBOX = parseRoom(inboxRoom(ANN)) as RoomRef;

const ENTRY: Omit<DirectoryConversation, 'v'> = {
  kind: 'channel',
  visibility: 'open',
  title: 'Deck',
  archived: false,
  role: 'owner',
  createdBy: ANN,
  createdAt: T,
};

function full(): Y.Doc {
  const doc = new Y.Doc();
  writeMe(doc, { id: ANN, username: 'ann', displayName: 'Ann Lee', role: 'admin' });
  writeDirectoryEntry(doc, CONV, ENTRY);
  writeDirectoryEntry(doc, DM, {
    ...ENTRY,
    kind: 'dm',
    visibility: 'private',
    title: null,
    role: 'member',
  });
  writeMembers(doc, CONV, [
    { id: BOB, role: 'member' },
    { id: ANN, role: 'owner' },
  ]);
  writeActivity(doc, CONV, {
    at: T,
    preview: { id: MSG, author: BOB, text: 'hi' },
    versions: { meta: 3, p2969: 7 },
  });
  writePerson(doc, BOB, { username: 'bob', displayName: 'Bob' });
  return doc;
}

/** How many updates `write` makes on `doc`. */
function updatesDuring(doc: Y.Doc, write: () => void): number {
  let n = 0;
  const on = () => n++;
  doc.on('update', on);
  write();
  doc.off('update', on);
  return n;
}

describe('directory writers', () => {
  it('write the contract’s shapes, which the client reads back typed', () => {
    const doc = full();
    const dir = readDirectory(doc);
    expect(dir.me).toEqual({ id: ANN, username: 'ann', displayName: 'Ann Lee', role: 'admin' });
    expect(dir.conversations.get(CONV)).toEqual({ v: 1, ...ENTRY });
    expect(dir.conversations.get(DM)).toMatchObject({ kind: 'dm', title: null });
    // Stored sorted by id, whatever order the relay passed.
    expect(dir.members.get(CONV)).toEqual([
      { id: ANN, role: 'owner' },
      { id: BOB, role: 'member' },
    ]);
    expect(doc.getMap('members').get(CONV)).toEqual([
      { id: ANN, role: 'owner' },
      { id: BOB, role: 'member' },
    ]);
    expect(dir.activity.get(CONV)).toEqual({
      at: T,
      preview: { id: MSG, author: BOB, text: 'hi' },
      versions: { meta: 3, p2969: 7 },
    });
    expect(dir.people.get(BOB)).toEqual({ username: 'bob', displayName: 'Bob' });
    expect(validateDoc(INBOX, doc)).toEqual([]);
  });

  it('write only when the value changed (same JSON, whatever the input’s key order)', () => {
    const doc = full();
    const n = updatesDuring(doc, () => {
      expect(writeDirectoryEntry(doc, CONV, { ...ENTRY })).toBe(false);
      const reordered = {
        createdAt: T,
        createdBy: ANN,
        role: 'owner',
        archived: false,
        title: 'Deck',
        visibility: 'open',
        kind: 'channel',
      } as const;
      expect(writeDirectoryEntry(doc, CONV, reordered)).toBe(false);
      expect(
        writeMembers(doc, CONV, [
          { id: ANN, role: 'owner' },
          { id: BOB, role: 'member' },
        ]),
      ).toBe(false);
      expect(writePerson(doc, BOB, { username: 'bob', displayName: 'Bob' })).toBe(false);
      expect(
        writeMe(doc, { id: ANN, username: 'ann', displayName: 'Ann Lee', role: 'admin' }),
      ).toBe(false);
      expect(
        writeActivity(doc, CONV, {
          at: T,
          preview: { id: MSG, author: BOB, text: 'hi' },
          versions: { meta: 3, p2969: 7 },
        }),
      ).toBe(false);
    });
    expect(n).toBe(0);
    expect(
      updatesDuring(doc, () => writeDirectoryEntry(doc, CONV, { ...ENTRY, archived: true })),
    ).toBe(1);
    expect(readDirectory(doc).conversations.get(CONV)?.archived).toBe(true);
  });

  it('keep the document small when an entry is rewritten many times', () => {
    const doc = full();
    const before = Y.encodeStateAsUpdate(doc).length;
    for (let i = 1; i <= 2000; i++) {
      writeActivity(doc, CONV, { at: T + i, preview: null, versions: { meta: 3, p2969: 7 + i } });
    }
    const after = Y.encodeStateAsUpdate(doc).length;
    // Overwritten values are garbage-collected into ranges: bytes, not kilobytes, per rewrite.
    expect(after - before).toBeLessThan(200);
  });

  it('refuse bad input with ModelError and write nothing', () => {
    const doc = full();
    const bad: Array<() => unknown> = [
      () => writeDirectoryEntry(doc, 'nope', ENTRY),
      () => writeDirectoryEntry(doc, CONV, { ...ENTRY, kind: 'group' as 'dm' }),
      () => writeDirectoryEntry(doc, CONV, { ...ENTRY, title: 'two\nlines' }),
      () => writeDirectoryEntry(doc, CONV, { ...ENTRY, role: 'admin' as 'owner' }),
      () =>
        writeMembers(doc, CONV, [
          { id: BOB, role: 'member' },
          { id: BOB, role: 'owner' },
        ]),
      () => writeMembers(doc, CONV, [{ id: 'x', role: 'member' }]),
      () => writeMembers(doc, CONV, null as unknown as []),
      () => writeActivity(doc, CONV, { at: -1, preview: null, versions: {} }),
      () => writeActivity(doc, CONV, { at: T, preview: null, versions: { p07: 1 } }),
      () =>
        writeActivity(doc, CONV, {
          at: T,
          preview: { id: 'not-a-clock', author: BOB, text: '' },
          versions: {},
        }),
      () => writePerson(doc, BOB, { username: 'Bob', displayName: 'Bob' }),
      () => writePerson(doc, BOB, { username: 'bob', displayName: ' ' }),
      () => writePerson(doc, BOB, { username: 'bob', displayName: 'x'.repeat(65) }),
      () =>
        writeMe(doc, { id: ANN, username: 'ann', displayName: 'Ann', role: 'owner' as 'admin' }),
    ];
    const state = Y.encodeStateAsUpdate(doc);
    for (const write of bad) {
      expect(write).toThrow(ModelError);
      try {
        write();
      } catch (e) {
        expect((e as ModelError).code).toBe('invalid');
      }
    }
    expect(Y.encodeStateAsUpdate(doc)).toEqual(state);
  });

  it('remove a conversation’s keys when the user leaves, and people no longer shared', () => {
    const doc = full();
    expect(removeDirectoryEntry(doc, CONV)).toBe(true);
    const dir = readDirectory(doc);
    expect(dir.conversations.has(CONV)).toBe(false);
    expect(dir.members.has(CONV)).toBe(false);
    expect(dir.activity.has(CONV)).toBe(false);
    expect(dir.conversations.has(DM)).toBe(true);
    expect(removeDirectoryEntry(doc, CONV)).toBe(false);
    expect(removePerson(doc, BOB)).toBe(true);
    expect(removePerson(doc, BOB)).toBe(false);
    expect(readDirectory(doc).people.size).toBe(0);
  });
});

describe('readDirectory', () => {
  it('reads an empty or missing directory as empty', () => {
    const dir = readDirectory(new Y.Doc());
    expect(dir.me).toBeNull();
    expect(dir.conversations.size + dir.members.size + dir.activity.size + dir.people.size).toBe(0);
  });

  it('skips malformed entries from a peer and keeps the rest', () => {
    const doc = full();
    doc.getMap('conversations').set(CAT, { v: 1, kind: 'channel' });
    doc.getMap('conversations').set('not-an-id', { ...ENTRY, v: 1 });
    doc.getMap('members').set(CAT, [
      { id: CAT, role: 'owner' },
      { id: ANN, role: 'member' },
    ]);
    doc.getMap('activity').set(CAT, new Y.Map());
    doc.getMap('people').set(CAT, 'Cat');
    doc.getMap('me').set('profile', { id: ANN });
    const dir = readDirectory(doc);
    expect([...dir.conversations.keys()].sort()).toEqual([CONV, DM].sort());
    expect([...dir.members.keys()]).toEqual([CONV]);
    expect([...dir.activity.keys()]).toEqual([CONV]);
    expect([...dir.people.keys()]).toEqual([BOB]);
    expect(dir.me).toBeNull();
    expect(
      validateDoc(INBOX, doc)
        .map((p) => `${p.rule} ${p.path}`)
        .sort(),
    ).toEqual(
      [
        `bad-key conversations/not-an-id`,
        `bad-value activity/${CAT}`,
        `bad-value conversations/${CAT}`,
        `bad-value me/profile`,
        `bad-value members/${CAT}`,
        `bad-value people/${CAT}`,
      ].sort(),
    );
  });

  it('reads entries from a newer directory version by the fields it knows', () => {
    const doc = new Y.Doc();
    doc.getMap('conversations').set(CONV, { ...ENTRY, v: 2, purpose: 'later' });
    expect(readDirectory(doc).conversations.get(CONV)).toEqual({ ...ENTRY, v: 2 });
  });

  it('never throws on whatever a peer put there, including roots of another type', () => {
    const other = new Y.Doc();
    other.getArray('people').push([1, 2]);
    other.getText('members').insert(0, 'junk');
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    expect(() => readDirectory(doc)).not.toThrow();
    fc.assert(
      fc.property(
        fc.constantFrom('me', 'conversations', 'members', 'activity', 'people'),
        fc.oneof(fc.constant('profile'), fc.constant(CONV), fc.string()),
        fc.jsonValue(),
        (root, key, value) => {
          const d = full();
          d.getMap(root).set(key, value);
          const dir = readDirectory(d);
          // Whatever was written, what comes back is well-formed.
          expect(validateDoc(INBOX, rebuilt(dir))).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A document written by the writers from what a reader returned. */
function rebuilt(dir: ReturnType<typeof readDirectory>): Y.Doc {
  const doc = new Y.Doc();
  if (dir.me) writeMe(doc, dir.me);
  for (const [id, c] of dir.conversations) writeDirectoryEntry(doc, id, c);
  for (const [id, m] of dir.members) writeMembers(doc, id, m);
  for (const [id, a] of dir.activity) writeActivity(doc, id, a);
  for (const [id, p] of dir.people) writePerson(doc, id, p);
  return doc;
}
