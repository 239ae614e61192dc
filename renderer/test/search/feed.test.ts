// Feeding from real page documents (core's model): tombstones left out, edits followed, and a
// catch-up that reads only the pages whose state vector changed.
import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { IDBFactory } from 'fake-indexeddb';
import { encodeHlc } from '../../../core/src/hlc';
import { addMessage, deleteMessage, editMessage, listMessages } from '../../../core/src/model/page';
import { createSearch } from '../../src/search/index';
import { catchUp, stateMark, toSearchDocs, type PageRef } from '../../src/search/feed';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'BBBBBBBBBBBBBBB0';
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 0, 5, 9);
const names: Record<string, string> = { [ANN]: 'Ann Lee', [BOB]: 'Bob Ito' };
const nameOf = (u: string) => names[u] ?? u;
const id = (wall: number) => encodeHlc({ wall, counter: 0, node: 'DEV1' });

describe('feeding the search from page documents', () => {
  it('maps messages, leaving tombstones out', () => {
    const doc = new Y.Doc();
    addMessage(doc, { id: id(T), author: ANN, text: 'Kept message', createdAt: T });
    addMessage(doc, { id: id(T + 1), author: BOB, text: 'to be deleted', createdAt: T + 1 });
    deleteMessage(doc, id(T + 1), BOB, T + 2);
    const docs = toSearchDocs(CONV, `conv/${CONV}/p1`, listMessages(doc), nameOf);
    expect(docs).toEqual([
      {
        id: id(T),
        convId: CONV,
        author: ANN,
        authorName: 'Ann Lee',
        text: 'Kept message',
        at: T,
        room: `conv/${CONV}/p1`,
      },
    ]);
  });

  it('catch-up reads only changed pages, and follows edits and deletes', async () => {
    const idb = new IDBFactory();
    const pages = new Map<string, Y.Doc>();
    for (let p = 0; p < 4; p++) {
      const doc = new Y.Doc();
      addMessage(doc, {
        id: id(T + p * 1000),
        author: ANN,
        text: `note number ${p}`,
        createdAt: T + p * 1000,
      });
      pages.set(`conv/${CONV}/p${p}`, doc);
    }
    const refs = (): PageRef[] =>
      [...pages].map(([room, doc]) => ({ convId: CONV, room, mark: stateMark(doc) }));
    const loaded: string[] = [];
    const load = async (p: PageRef) => {
      loaded.push(p.room);
      return listMessages(pages.get(p.room) as Y.Doc);
    };

    let s = createSearch({ dbName: 'ferry-search-ann', indexedDB: idb, worker: false });
    await s.ready;
    expect(await catchUp(s, refs(), load, nameOf)).toEqual({ checked: 4, indexed: 4, failed: [] });
    await s.close();

    // Offline, elsewhere: page 1 edited, page 2 loses its message, page 3 untouched.
    const p1 = pages.get(`conv/${CONV}/p1`) as Y.Doc;
    editMessage(p1, id(T + 1000), ANN, 'note number one, edited', T + 5000);
    const p2 = pages.get(`conv/${CONV}/p2`) as Y.Doc;
    deleteMessage(p2, id(T + 2000), ANN, T + 5000);

    loaded.length = 0;
    s = createSearch({ dbName: 'ferry-search-ann', indexedDB: idb, worker: false });
    await s.ready;
    const r = await catchUp(s, refs(), load, nameOf);
    expect(r).toEqual({ checked: 4, indexed: 2, failed: [] });
    expect(loaded.sort()).toEqual([`conv/${CONV}/p1`, `conv/${CONV}/p2`]);
    const hits = async (q: string) => {
      const res = await s.query(q);
      return res.ok ? res.value.hits.map((h) => h.id) : res.error.code;
    };
    expect(await hits('edited')).toEqual([id(T + 1000)]);
    expect(await hits('note')).toHaveLength(3);
    expect(await hits('from:"bob ito"')).toEqual([]);
    await s.close();
  });

  it('a page that fails to load is reported and tried again next time', async () => {
    const s = createSearch({ dbName: null, worker: false });
    await s.ready;
    const refs: PageRef[] = [{ convId: CONV, room: `conv/${CONV}/p9`, mark: 'x' }];
    const r = await catchUp(s, refs, async () => Promise.reject(new Error('page missing')), nameOf);
    expect(r.failed).toEqual([{ room: `conv/${CONV}/p9`, error: 'page missing' }]);
    expect((await s.marks()).ok && (await s.marks())).toMatchObject({ value: {} });
    await s.close();
  });
});
