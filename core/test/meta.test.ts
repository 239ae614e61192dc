import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  MAX_LABEL_CHARS,
  ModelError,
  PREVIEW_CHARS,
  SCHEMA_VERSION,
  encodeHlc,
  infoOf,
  initConversation,
  lastMessage,
  listPeriods,
  markRead,
  pageCount,
  periodOfMessage,
  readBy,
  readInfo,
  recordMessage,
  unreadCount,
  updatePreview,
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
  it('is written once by the creator, with the schema version', () => {
    const doc = new Y.Doc();
    expect(readInfo(doc)).toBeNull();
    const info = initConversation(doc, { title: 'Deck crew', createdBy: ANN, createdAt: T });
    expect(info).toEqual({
      v: SCHEMA_VERSION,
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

describe('meta: pages, last message, unread', () => {
  it('indexes pages newest first and counts messages per page', () => {
    const doc = new Y.Doc();
    record(doc, ANN, id(T));
    record(doc, BOB, id(T + 1, 'B'));
    record(doc, ANN, id(T - 3 * WEEK));
    record(doc, ANN, id(T + WEEK));
    const p = periodOfMessage(id(T));
    expect(listPeriods(doc)).toEqual([p + 1, p, p - 3]);
    expect(pageCount(doc, p)).toBe(2);
    expect(pageCount(doc, p - 1)).toBe(0);
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

  it('keeps the newest message with a preview, and recording twice is a no-op', () => {
    const doc = new Y.Doc();
    expect(lastMessage(doc)).toBeNull();
    record(doc, ANN, id(T), 'first');
    record(doc, BOB, id(T + 5, 'B'), 'x'.repeat(PREVIEW_CHARS + 50));
    record(doc, BOB, id(T + 5, 'B'), 'again');
    const last = lastMessage(doc);
    expect(last).toMatchObject({ id: id(T + 5, 'B'), author: BOB, deleted: false });
    expect(last?.text).toHaveLength(PREVIEW_CHARS);
    expect(unreadCount(doc, ANN)).toBe(1);
    updatePreview(doc, { author: BOB, id: id(T + 5, 'B'), text: 'fixed typo' });
    expect(lastMessage(doc)?.text).toBe('fixed typo');
    updatePreview(doc, { author: BOB, id: id(T + 5, 'B'), text: '', deleted: true });
    expect(lastMessage(doc)).toMatchObject({ text: '', deleted: true });
    updatePreview(doc, { author: ANN, id: id(T - 1), text: 'not the newest: ignored' });
    expect(lastMessage(doc)?.author).toBe(BOB);
  });

  it('counts unread messages by others since the reader’s marker', () => {
    const doc = new Y.Doc();
    record(doc, ANN, id(T));
    record(doc, BOB, id(T + 1, 'B'));
    record(doc, BOB, id(T + 2, 'B'));
    expect(unreadCount(doc, ANN)).toBe(2);
    expect(unreadCount(doc, BOB)).toBe(1);
    expect(unreadCount(doc, CAT)).toBe(3);
    markRead(doc, ANN, T + 3);
    expect(unreadCount(doc, ANN)).toBe(0);
    expect(readBy(doc, id(T + 2, 'B'))).toEqual([ANN]);
    record(doc, CAT, id(T + 4, 'C'));
    record(doc, ANN, id(T + 5));
    expect(unreadCount(doc, ANN)).toBe(1);
    expect(readBy(doc, id(T + 4, 'C'))).toEqual([]);
    expect(() => markRead(doc, 'me', T)).toThrow(/user id/);
  });

  it('one author writing offline on two devices loses no count', () => {
    const laptop = new Y.Doc();
    const phone = new Y.Doc();
    record(laptop, ANN, id(T, 'DESK'));
    merge(laptop, phone);
    record(laptop, ANN, id(T + 1, 'DESK'));
    record(phone, ANN, id(T + 2, 'PH0NE'));
    merge(laptop, phone);
    expect(unreadCount(laptop, BOB)).toBe(3);
    expect(unreadCount(phone, BOB)).toBe(3);
    expect(lastMessage(laptop)?.id).toBe(id(T + 2, 'PH0NE'));
  });

  it('a read marker never moves back when two devices of the reader merge', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    record(a, ANN, id(T));
    record(a, ANN, id(T + 1));
    merge(a, b);
    markRead(a, BOB, T + 2);
    merge(a, b);
    record(b, ANN, id(T + 3));
    merge(a, b);
    markRead(b, BOB, T + 4);
    expect(unreadCount(b, BOB)).toBe(0);
    merge(a, b);
    expect(unreadCount(a, BOB)).toBe(0);
    expect(markRead(a, BOB, T + 9).at).toBe(T + 4); // nothing new: marker unchanged
  });
});
