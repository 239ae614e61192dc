// Search and files (issue 13): a message is found by its files' names, `has:file`, `has:image`
// and `has:voice` keep only messages with such attachments (alone or with words), and the
// filters still work after a restart restores the index from IndexedDB.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { IDBFactory } from 'fake-indexeddb';
import { encodeHlc } from '../../../core/src/hlc';
import { addMessage, listMessages } from '../../../core/src/model/page';
import type { FileRef } from '../../../core/src/model/files';
import { createSearch, type Result, type Search } from '../../src/search/index';
import { toSearchDocs } from '../../src/search/feed';
import { parseQuery } from '../../src/search/query';

const ANN = 'ANNANNANNANNANN0';
const CONV = '0123456789ABCDEF';
const ROOM = `conv/${CONV}/p1`;
const T = Date.UTC(2026, 0, 5, 9);
const id = (wall: number) => encodeHlc({ wall, counter: 0, node: 'DEV1' });
const file = (name: string, kind: FileRef['kind'], type: string): FileRef => ({
  hash: (name.charCodeAt(0).toString(16) + '0'.repeat(64)).slice(0, 64),
  name,
  size: 10,
  type,
  kind,
});

function ok<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const open = (idb: IDBFactory): Search =>
  createSearch({ dbName: 'ferry-search-files', indexedDB: idb, worker: false, flushDelayMs: 5 });
const ids = async (s: Search, q: string) =>
  ok(await s.query(q))
    .hits.map((h) => h.id)
    .sort();

describe('search: files', () => {
  it('parses has: filters; an unknown one is searched as text', () => {
    const q = parseQuery('report has:image has:IMAGES has:voice has:pdf');
    expect(q.has).toEqual(['image', 'voice']);
    expect(q.words).toEqual(['report', 'has:pdf']);
    expect(q.notes[0]).toMatch(/has:pdf is not known/);
  });

  it('finds messages by file name and filters by what is attached, also after a restart', async () => {
    const doc = new Y.Doc();
    addMessage(doc, { id: id(T), author: ANN, text: 'the quarterly numbers', createdAt: T });
    addMessage(doc, {
      id: id(T + 1),
      author: ANN,
      text: '',
      createdAt: T + 1,
      files: [file('Quarterly report.pdf', 'file', 'application/pdf')],
    });
    addMessage(doc, {
      id: id(T + 2),
      author: ANN,
      text: 'the whiteboard',
      createdAt: T + 2,
      files: [file('board.png', 'image', 'image/png')],
    });
    addMessage(doc, {
      id: id(T + 3),
      author: ANN,
      text: '',
      createdAt: T + 3,
      files: [file('Voice message', 'voice', 'audio/webm')],
    });
    const docs = toSearchDocs(CONV, ROOM, listMessages(doc), () => 'Ann');
    expect(docs.map((d) => d.has ?? '')).toEqual(['', 'f', 'fi', 'fv']);

    const idb = new IDBFactory();
    let s = open(idb);
    ok(await s.ready);
    ok(await s.indexPage({ convId: CONV, room: ROOM, docs, mark: 'm1' }));
    const check = async () => {
      expect(await ids(s, 'quarterly')).toEqual([id(T), id(T + 1)]);
      expect(await ids(s, 'quarterly has:file')).toEqual([id(T + 1)]);
      expect(await ids(s, 'has:file')).toEqual([id(T + 1), id(T + 2), id(T + 3)]);
      expect(await ids(s, 'has:image')).toEqual([id(T + 2)]);
      expect(await ids(s, 'has:voice')).toEqual([id(T + 3)]);
      expect(await ids(s, 'board.png')).toEqual([id(T + 2)]);
    };
    await check();
    ok(await s.close());
    s = open(idb);
    expect(ok(await s.ready)).toMatchObject({ docs: 4, dropped: null });
    await check();
    ok(await s.close());
  });
});
