import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  MAX_LABEL_CHARS,
  ModelError,
  PREVIEW_CHARS,
  BASE_VERSION,
  SCHEMA_VERSION,
  encodeHlc,
  infoOf,
  initConversation,
  addMessage,
  authorCounts,
  deleteMessage,
  editMessage,
  lastMessage,
  listPeriods,
  markRead,
  pagesOf,
  periodOfMessage,
  readBy,
  readInfo,
  readMarker,
  recordMessage,
  unreadCount,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const CAT = 'CATCATCATCATCAT0';
const T = Date.UTC(2026, 10, 27, 9);
const WEEK = 7 * 24 * 3600 * 1000;
const id = (wall: number, node = 'DEV1', counter = 0) => encodeHlc({ wall, counter, node });

function record(doc: Y.Doc, author: string, mid: string, text = 'msg') {
  recordMessage(doc, { period: periodOfMessage(mid), author, id: mid, text, at: T });
}

function merge(...docs: Y.Doc[]) {
  for (const a of docs)
    for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
}

describe('meta: info', () => {
  it('is written once by the creator, with the lowest schema version that fits it (1)', () => {
    const doc = new Y.Doc();
    expect(readInfo(doc)).toBeNull();
    const info = initConversation(doc, { title: 'Deck crew', createdBy: ANN, createdAt: T });
    expect(info).toEqual({
      v: BASE_VERSION,
      title: 'Deck crew',
      createdBy: ANN,
      createdAt: T,
      readOnly: false,
    });
    expect(() => initConversation(doc, { title: 'Again', createdBy: BOB, createdAt: T })).toThrow(
      ModelError,
    );
    expect(readInfo(doc)?.title).toBe('Deck crew');
  });

  it('refuses bad titles, users and times', () => {
    const doc = new Y.Doc();
    const ok = { title: 'T', createdBy: ANN, createdAt: T };
    expect(() => initConversation(doc, { ...ok, title: ' ' })).toThrow(/title is empty/);
    expect(() => initConversation(doc, { ...ok, title: 'a\nb' })).toThrow(/line breaks/);
    expect(() => initConversation(doc, { ...ok, title: 'x'.repeat(MAX_LABEL_CHARS + 1) })).toThrow(
      /limit/,
    );
    expect(() => initConversation(doc, { ...ok, createdBy: 'x' })).toThrow(/createdBy/);
    expect(() => initConversation(doc, { ...ok, createdAt: -1 })).toThrow(/createdAt/);
    expect(readInfo(doc)).toBeNull();
    expect(infoOf(doc).size).toBe(0);
  });

  it('marks info from a newer schema read-only', () => {
    const doc = new Y.Doc();
    initConversation(doc, { title: 'T', createdBy: ANN, createdAt: T });
    infoOf(doc).set('v', SCHEMA_VERSION + 1);
    expect(readInfo(doc)?.readOnly).toBe(true);
  });
});

describe('meta: page index', () => {
  it('indexes pages newest first, one entry per page and device, written once', () => {
    const doc = new Y.Doc();
    record(doc, ANN, id(T));
    record(doc, BOB, id(T + 1, 'B'));
    record(doc, ANN, id(T + 2));
    record(doc, ANN, id(T - 3 * WEEK));
    record(doc, ANN, id(T + WEEK));
    const p = periodOfMessage(id(T));
    expect(listPeriods(doc)).toEqual([p + 1, p, p - 3]);
    expect([...pagesOf(doc).keys()].sort()).toEqual(
      [
        `p${p}|${ANN}|DEV1`,
        `p${p}|${BOB}|B`,
        `p${p - 3}|${ANN}|DEV1`,
        `p${p + 1}|${ANN}|DEV1`,
      ].sort(),
    );
  });

  it('refuses a period that is not the message id’s', () => {
    const doc = new Y.Doc();
    const mid = id(T);
    expect(() =>
      recordMessage(doc, {
        period: periodOfMessage(mid) + 1,
        author: ANN,
        id: mid,
        text: 'x',
        at: T,
      }),
    ).toThrow(/belongs on page/);
    expect(() =>
      recordMessage(doc, { period: 0, author: ANN, id: 'bad', text: 'x', at: T }),
    ).toThrow(/clock id/);
    expect(listPeriods(doc)).toEqual([]);
  });

  it('does not grow with the number of messages (2,000 from one device on one page)', () => {
    const meta = new Y.Doc();
    const page = new Y.Doc();
    initConversation(meta, { title: 'Busy', createdBy: ANN, createdAt: T });
    let after10 = 0;
    for (let i = 0; i < 2000; i++) {
      const mid = id(T + i);
      addMessage(page, { id: mid, author: ANN, text: `message ${i}`, createdAt: T + i });
      record(meta, ANN, mid, `message ${i}`);
      if (i === 9) after10 = Y.encodeStateAsUpdate(meta).length;
    }
    markRead(page, ANN, T + 2000); // the sender's own messages never need a marker
    expect(Y.encodeStateAsUpdate(meta).length).toBe(after10);
    expect(readMarker(page, ANN)).toBeNull();
  });
});

describe('summary from a page: last message, unread', () => {
  /** Writes a message on its page and records it in the meta document, as a sender does. */
  function send(meta: Y.Doc, page: Y.Doc, author: string, mid: string, text = 'msg') {
    addMessage(page, { id: mid, author, text, createdAt: T });
    record(meta, author, mid, text);
  }

  it('gives the newest message with a preview that follows edits and deletion', () => {
    const meta = new Y.Doc();
    const page = new Y.Doc();
    expect(lastMessage(page)).toBeNull();
    send(meta, page, ANN, id(T), 'first');
    send(meta, page, BOB, id(T + 5, 'B'), 'x'.repeat(PREVIEW_CHARS + 50));
    const last = lastMessage(page);
    expect(last).toMatchObject({ id: id(T + 5, 'B'), author: BOB, deleted: false });
    expect(last?.text).toHaveLength(PREVIEW_CHARS);
    expect(unreadCount(page, ANN)).toBe(1);
    editMessage(page, id(T + 5, 'B'), BOB, 'fixed typo', T + 6);
    expect(lastMessage(page)?.text).toBe('fixed typo');
    deleteMessage(page, id(T + 5, 'B'), BOB, T + 7);
    expect(lastMessage(page)).toMatchObject({ text: '', deleted: true });
    editMessage(page, id(T), ANN, 'not the newest', T + 8);
    expect(lastMessage(page)?.author).toBe(BOB);
  });

  it('counts unread messages by others since the reader’s marker', () => {
    const meta = new Y.Doc();
    const page = new Y.Doc();
    send(meta, page, ANN, id(T));
    send(meta, page, BOB, id(T + 1, 'B'));
    send(meta, page, BOB, id(T + 2, 'B'));
    expect(unreadCount(page, ANN)).toBe(2);
    expect(unreadCount(page, BOB)).toBe(1);
    expect(unreadCount(page, CAT)).toBe(3);
    expect(authorCounts(page)).toEqual({ [ANN]: 1, [BOB]: 2 });
    markRead(page, ANN, T + 3);
    expect(unreadCount(page, ANN)).toBe(0);
    expect(readBy(page, id(T + 2, 'B'))).toEqual([ANN]);
    send(meta, page, CAT, id(T + 4, 'C'));
    send(meta, page, ANN, id(T + 5));
    expect(unreadCount(page, ANN)).toBe(1);
    expect(readBy(page, id(T + 4, 'C'))).toEqual([]);
    expect(() => markRead(page, 'me', T)).toThrow(/user id/);
  });

  it('one author writing offline on two devices loses no count', () => {
    const laptop = new Y.Doc();
    const phone = new Y.Doc();
    const meta = new Y.Doc();
    send(meta, laptop, ANN, id(T, 'DESK'));
    merge(laptop, phone);
    markRead(phone, BOB, T);
    send(meta, laptop, ANN, id(T + 1, 'DESK'));
    send(meta, phone, ANN, id(T + 2, 'PH0NE'));
    merge(laptop, phone);
    expect(unreadCount(laptop, BOB)).toBe(2);
    expect(unreadCount(phone, BOB)).toBe(2);
    expect(lastMessage(laptop)?.id).toBe(id(T + 2, 'PH0NE'));
  });

  it('a read marker never moves back when two devices of the reader merge', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    const meta = new Y.Doc();
    send(meta, a, ANN, id(T));
    send(meta, a, ANN, id(T + 1));
    merge(a, b);
    markRead(a, BOB, T + 2);
    merge(a, b);
    send(meta, b, ANN, id(T + 3));
    merge(a, b);
    markRead(b, BOB, T + 4);
    expect(unreadCount(b, BOB)).toBe(0);
    merge(a, b);
    expect(unreadCount(a, BOB)).toBe(0);
    expect(markRead(a, BOB, T + 9)?.at).toBe(T + 4); // nothing new: marker unchanged
  });
});
