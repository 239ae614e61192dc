// A directory `people` entry with a status and picture (a guest's directory: docs/accounts.md,
// "Guests and the workspace"): written only when valid; a reader never loses a name to a bad status or picture.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import { readDirectory, writePerson } from '../src/index';
import { parsePerson } from '../src/model/directory';

const BOB = 'B0BB0BB0BB0BB0B0';
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('directory people with status and avatar', () => {
  it('writes and reads them back; without them the entry is as before', () => {
    const doc = new Y.Doc();
    expect(
      writePerson(doc, BOB, { username: 'bob', displayName: 'Bob', status: 'Out', avatar: PNG }),
    ).toBe(true);
    expect(readDirectory(doc).people.get(BOB)).toEqual({
      username: 'bob',
      displayName: 'Bob',
      status: 'Out',
      avatar: PNG,
    });
    expect(writePerson(doc, BOB, { username: 'bob', displayName: 'Bob' })).toBe(true);
    expect(doc.getMap('people').get(BOB)).toEqual({ username: 'bob', displayName: 'Bob' });
  });

  it('refuses to write a bad status or a remote picture', () => {
    const doc = new Y.Doc();
    expect(() =>
      writePerson(doc, BOB, { username: 'bob', displayName: 'Bob', status: 'a\nb' }),
    ).toThrow(/one line/);
    expect(() =>
      writePerson(doc, BOB, {
        username: 'bob',
        displayName: 'Bob',
        avatar: 'https://x.example/p.png',
      }),
    ).toThrow(/data:image/);
    expect(doc.getMap('people').size).toBe(0);
  });

  it('a reader keeps the name when only the status or picture is malformed', () => {
    const doc = new Y.Doc();
    doc.getMap('people').set(BOB, {
      username: 'bob',
      displayName: 'Bob',
      status: 'ok',
      avatar: 'javascript:alert(1)',
    });
    expect(parsePerson(doc.getMap('people').get(BOB)).ok).toBe(false);
    expect(readDirectory(doc).people.get(BOB)).toEqual({
      username: 'bob',
      displayName: 'Bob',
      status: 'ok',
    });
  });
});
