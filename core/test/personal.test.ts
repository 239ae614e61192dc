// A person's own document `self/<userId>` (schema 3, docs/messaging.md "Personal state"): the
// writers and readers, merging two devices, and the checker against hostile updates (another
// user writing it, oversized entries, too many entries, times from the future).
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  MAX_PERSONAL_ENTRIES,
  MAX_REMIND_AHEAD_MS,
  ModelError,
  cancelReminder,
  clearUnread,
  createUpdateChecker,
  encodeHlc,
  finishReminder,
  judge,
  listReminders,
  listSaved,
  listUnread,
  markUnread,
  parseRoom,
  saveMessage,
  selfRoom,
  setReminder,
  unsaveMessage,
  validateDoc,
  type Problem,
  type RoomRef,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 10, 27, 9);
const id = (wall: number, node = 'DEV1') => encodeHlc({ wall, counter: 0, node });
const ROOM: RoomRef = { kind: 'self', userId: ANN };
const M1 = id(T);
const M2 = id(T + 1000);

function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

/** The update a replica of `base` sends after `write`. */
function change(base: Y.Doc, write: (doc: Y.Doc) => void): Uint8Array {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
  const updates: Uint8Array[] = [];
  replica.on('update', (u: Uint8Array) => updates.push(u));
  write(replica);
  return Y.mergeUpdates(updates);
}

function check(live: Y.Doc, update: Uint8Array, sender: string, now = T): Problem[] {
  const checker = createUpdateChecker(ROOM, live);
  try {
    const result = checker.inspect(update, sender, { now });
    const v = judge(result, { room: ROOM, sender, convRole: null, kind: null, archived: false });
    expect(v.ok).toBe(result.problems.length === 0);
    return result.problems;
  } finally {
    checker.destroy();
  }
}

const rules = (ps: Problem[]) => [...new Set(ps.map((p) => p.rule))].sort();

describe('self rooms', () => {
  it('names and parses self/<userId>', () => {
    expect(selfRoom(ANN)).toBe(`self/${ANN}`);
    expect(parseRoom(`self/${ANN}`)).toEqual(ROOM);
    expect(parseRoom('self/nobody')).toBeNull();
    expect(() => selfRoom('x')).toThrow(ModelError);
  });
});

describe('personal state: writers and readers', () => {
  it('saves, unsaves, marks unread, and keeps reminders (done, cancelled)', () => {
    const doc = new Y.Doc();
    saveMessage(doc, { convId: CONV, messageId: M1 }, T);
    saveMessage(doc, { convId: CONV, messageId: M2 }, T + 5);
    saveMessage(doc, { convId: CONV, messageId: M1 }, T + 9); // idempotent: keeps the first
    expect(listSaved(doc).map((s) => [s.messageId, s.at])).toEqual([
      [M2, T + 5],
      [M1, T],
    ]);
    expect(unsaveMessage(doc, { convId: CONV, messageId: M2 })).toBe(true);
    expect(listSaved(doc)).toHaveLength(1);

    markUnread(doc, { convId: CONV, from: M1, n: 3, at: T });
    expect(listUnread(doc).get(CONV)).toEqual({ convId: CONV, from: M1, n: 3, at: T });
    expect(clearUnread(doc, CONV)).toBe(true);
    expect(listUnread(doc).size).toBe(0);

    setReminder(doc, { convId: CONV, messageId: M1 }, { at: T, due: T + 60_000 });
    setReminder(doc, { convId: CONV, messageId: M2 }, { at: T, due: T + 30_000 });
    expect(listReminders(doc).map((r) => r.messageId)).toEqual([M2, M1]);
    expect(finishReminder(doc, { convId: CONV, messageId: M2 }, T + 31_000)).toBe(true);
    expect(listReminders(doc).map((r) => [r.messageId, r.done])).toEqual([
      [M1, null],
      [M2, T + 31_000],
    ]);
    expect(cancelReminder(doc, { convId: CONV, messageId: M1 })).toBe(true);
    expect(listReminders(doc)).toHaveLength(1);
    expect(validateDoc(ROOM, doc)).toEqual([]);
  });

  it('refuses a reminder due more than a year ahead, and past the entry limit', () => {
    const doc = new Y.Doc();
    const ref = { convId: CONV, messageId: M1 };
    expect(() => setReminder(doc, ref, { at: T, due: T + MAX_REMIND_AHEAD_MS + 1 })).toThrow(
      ModelError,
    );
    doc.transact(() => {
      for (let i = 0; i < MAX_PERSONAL_ENTRIES.reminders; i++) {
        setReminder(doc, { convId: CONV, messageId: id(T + i) }, { at: T, due: T + 1 });
      }
    });
    expect(() =>
      setReminder(doc, { convId: CONV, messageId: id(T - 1) }, { at: T, due: T + 1 }),
    ).toThrow(/at most 500/);
  });

  it('two devices of one person merge: both saves kept, a cancel and a done both apply', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    setReminder(a, { convId: CONV, messageId: M1 }, { at: T, due: T + 10 });
    sync(a, b);
    saveMessage(a, { convId: CONV, messageId: M1 }, T + 1);
    saveMessage(b, { convId: CONV, messageId: M2 }, T + 2);
    finishReminder(b, { convId: CONV, messageId: M1 }, T + 20);
    markUnread(a, { convId: CONV, from: null, n: 1, at: T + 3 });
    sync(a, b);
    expect(listSaved(a)).toEqual(listSaved(b));
    expect(listSaved(a)).toHaveLength(2);
    expect(listReminders(a)[0]?.done).toBe(T + 20);
    expect(listUnread(b).get(CONV)?.from).toBeNull();
  });
});

describe('personal state: the checker (hostile writers)', () => {
  it('accepts its owner’s honest writes', () => {
    const live = new Y.Doc();
    const u = change(live, (d) => {
      saveMessage(d, { convId: CONV, messageId: M1 }, T);
      markUnread(d, { convId: CONV, from: M1, n: 2, at: T });
      setReminder(d, { convId: CONV, messageId: M1 }, { at: T, due: T + 3_600_000 });
    });
    expect(check(live, u, ANN)).toEqual([]);
  });

  it('refuses another user writing into someone’s self document', () => {
    const live = new Y.Doc();
    const u = change(live, (d) => saveMessage(d, { convId: CONV, messageId: M1 }, T));
    expect(rules(check(live, u, BOB))).toEqual(['owner']);
    // … and removing the owner's entries
    Y.applyUpdate(live, u);
    const del = change(live, (d) => unsaveMessage(d, { convId: CONV, messageId: M1 }));
    expect(rules(check(live, del, BOB))).toEqual(['owner']);
    expect(check(live, del, ANN)).toEqual([]);
  });

  it('refuses oversized, malformed and unknown entries and roots', () => {
    const live = new Y.Doc();
    const big = change(live, (d) =>
      d.getMap('saved').set(`${CONV}|${M1}`, { v: 3, at: T, pad: 'x'.repeat(10_000) }),
    );
    expect(rules(check(live, big, ANN))).toEqual(['bad-value']);
    const badKey = change(live, (d) => d.getMap('saved').set(`${CONV}|nope`, { v: 3, at: T }));
    expect(rules(check(live, badKey, ANN))).toEqual(['bad-key']);
    const longKey = change(live, (d) => d.getMap('unread').set('x'.repeat(100_000), { v: 3 }));
    expect(rules(check(live, longKey, ANN))).toEqual(['bad-key']);
    const extra = change(live, (d) =>
      d.getMap('unread').set(CONV, { v: 3, at: T, from: null, n: 1, html: '<b>' }),
    );
    expect(rules(check(live, extra, ANN))).toEqual(['bad-value']);
    const oldV = change(live, (d) => d.getMap('saved').set(`${CONV}|${M1}`, { v: 2, at: T }));
    expect(rules(check(live, oldV, ANN))).toEqual(['bad-value']);
    const count = change(live, (d) =>
      d.getMap('unread').set(CONV, { v: 3, at: T, from: null, n: 1e9 }),
    );
    expect(rules(check(live, count, ANN))).toEqual(['bad-value']);
    const root = change(live, (d) => d.getMap('drafts').set('x', 'y'));
    expect(rules(check(live, root, ANN))).toEqual(['unknown-root']);
    const nested = change(live, (d) => {
      const m = new Y.Map<unknown>();
      d.getMap('saved').set(`${CONV}|${M1}`, m);
    });
    expect(rules(check(live, nested, ANN))).toEqual(['bad-value']);
  });

  it('refuses more entries than a root may hold', () => {
    const live = new Y.Doc();
    const max = MAX_PERSONAL_ENTRIES.reminders;
    const full = change(live, (d) => {
      const map = d.getMap('reminders');
      for (let i = 0; i <= max; i++) map.set(`${CONV}|${id(T + i)}`, { v: 3, at: T, due: T + 1 });
    });
    const ps = check(live, full, ANN);
    expect(rules(ps)).toEqual(['bad-value']);
    expect(ps[0]?.message).toMatch(/at most 500/);
  });

  it('refuses times ahead of the clock, and reminders due more than a year ahead', () => {
    const live = new Y.Doc();
    const hour = 3_600_000;
    const ahead = change(live, (d) =>
      d.getMap('saved').set(`${CONV}|${M1}`, { v: 3, at: T + hour }),
    );
    expect(rules(check(live, ahead, ANN))).toEqual(['future']);
    const doneAhead = change(live, (d) =>
      d.getMap('reminders').set(`${CONV}|${M1}`, { v: 3, at: T, due: T, done: T + hour }),
    );
    expect(rules(check(live, doneAhead, ANN))).toEqual(['future']);
    const farDue = change(live, (d) =>
      d.getMap('reminders').set(`${CONV}|${M1}`, {
        v: 3,
        at: T,
        due: T + MAX_REMIND_AHEAD_MS + hour,
      }),
    );
    expect(rules(check(live, farDue, ANN))).toEqual(['future']);
    const dueTomorrow = change(live, (d) =>
      setReminder(d, { convId: CONV, messageId: M1 }, { at: T, due: T + 24 * hour }),
    );
    expect(check(live, dueTomorrow, ANN)).toEqual([]);
  });

  it('keeps an entry a newer Ferry wrote (v > 3) when it is small', () => {
    const live = new Y.Doc();
    const newer = change(live, (d) =>
      d.getMap('saved').set(`${CONV}|${M1}`, { v: 4, at: T, folder: 'later' }),
    );
    expect(check(live, newer, ANN)).toEqual([]);
  });
});
