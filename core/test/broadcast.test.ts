// Schema 3: a thread reply "also sent to the channel" (docs/messaging.md, "Also send to
// channel"). The field is written with the reply and never changes; hostile writes are refused.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  addMessage,
  checkUpdate,
  encodeHlc,
  getMessage,
  messageProblem,
  messagesOf,
  periodOfMessage,
  validateDoc,
  type Problem,
  type RoomRef,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 10, 27, 9);
const id = (wall: number, node = 'DEV1') => encodeHlc({ wall, counter: 0, node });
const PAGE: RoomRef = { kind: 'page', convId: CONV, period: periodOfMessage(id(T)) };

function change(base: Y.Doc, write: (doc: Y.Doc) => void): Uint8Array {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
  const updates: Uint8Array[] = [];
  replica.on('update', (u: Uint8Array) => updates.push(u));
  write(replica);
  return Y.mergeUpdates(updates);
}
const rules = (ps: Problem[]) => ps.map((p) => `${p.rule} ${p.path}`).sort();

/** A page with Ann's root, Bob's plain reply and Bob's reply also sent to the channel. */
function thread(): Y.Doc {
  const doc = new Y.Doc();
  addMessage(doc, { id: id(T), author: ANN, text: 'root', createdAt: T });
  addMessage(doc, { id: id(T + 1), author: BOB, text: 'plain', createdAt: T, parent: id(T) });
  addMessage(doc, {
    id: id(T + 2),
    author: BOB,
    text: 'to all',
    createdAt: T,
    parent: id(T),
    broadcast: true,
  });
  return doc;
}

function raw(v: number, extra: [string, unknown][]): Y.Map<unknown> {
  const d = new Y.Doc();
  const m = new Y.Map<unknown>([
    ['v', v],
    ['id', id(T + 5)],
    ['author', BOB],
    ['text', 'x'],
    ['createdAt', T],
    ...extra,
  ]);
  messagesOf(d).set(id(T + 5), m);
  return m;
}

describe('schema 3: also send to channel', () => {
  it('writes v: 3 only for a reply sent to the channel; reads it back', () => {
    const doc = thread();
    expect(getMessage(doc, id(T + 2))).toMatchObject({ v: 3, broadcast: true, parent: id(T) });
    expect(getMessage(doc, id(T + 1))).toMatchObject({ v: 1, broadcast: false });
    expect(getMessage(doc, id(T))?.broadcast).toBe(false);
    expect(validateDoc(PAGE, doc)).toEqual([]);
  });

  it('refuses it on a message that is not a reply, before writing anything', () => {
    const doc = new Y.Doc();
    expect(() =>
      addMessage(doc, { id: id(T), author: ANN, text: 'x', createdAt: T, broadcast: true }),
    ).toThrow(/only a thread reply/);
    expect(messagesOf(doc).size).toBe(0);
  });

  it('the checker refuses a malformed field: on a non-reply, below v: 3, not true', () => {
    expect(messageProblem(id(T + 5), raw(3, [['broadcast', true]]))).toBe(
      'broadcast is only on a thread reply',
    );
    expect(
      messageProblem(
        id(T + 5),
        raw(2, [
          ['parent', id(T)],
          ['broadcast', true],
        ]),
      ),
    ).toBe('broadcast needs schema 3 (v: 3)');
    expect(
      messageProblem(
        id(T + 5),
        raw(3, [
          ['parent', id(T)],
          ['broadcast', 'yes'],
        ]),
      ),
    ).toBe('broadcast must be true when present');
    expect(
      messageProblem(
        id(T + 5),
        raw(3, [
          ['parent', id(T)],
          ['broadcast', true],
        ]),
      ),
    ).toBeNull();
  });

  it('the relay refuses a hostile new top-level message carrying it', () => {
    const base = thread();
    const u = change(base, (d) =>
      messagesOf(d).set(
        id(T + 9),
        new Y.Map<unknown>([
          ['v', 3],
          ['id', id(T + 9)],
          ['author', BOB],
          ['text', 'shout'],
          ['createdAt', T],
          ['broadcast', true],
        ]),
      ),
    );
    expect(rules(checkUpdate(PAGE, base, u, BOB))).toEqual([`bad-value messages/${id(T + 9)}`]);
  });

  it('the author cannot add it later, nor take it back', () => {
    const base = thread();
    const add = change(base, (d) => {
      const m = messagesOf(d).get(id(T + 1)) as Y.Map<unknown>;
      m.set('v', 3);
      m.set('broadcast', true);
    });
    expect(rules(checkUpdate(PAGE, base, add, BOB))).toEqual(
      expect.arrayContaining([`immutable messages/${id(T + 1)}/broadcast`]),
    );
    const remove = change(base, (d) =>
      (messagesOf(d).get(id(T + 2)) as Y.Map<unknown>).delete('broadcast'),
    );
    expect(rules(checkUpdate(PAGE, base, remove, BOB))).toContain(
      `immutable messages/${id(T + 2)}/broadcast`,
    );
  });

  it('someone else cannot set it on another author’s reply', () => {
    const base = thread();
    const u = change(base, (d) =>
      (messagesOf(d).get(id(T + 1)) as Y.Map<unknown>).set('broadcast', true),
    );
    const found = rules(checkUpdate(PAGE, base, u, ANN));
    expect(found).toContain(`immutable messages/${id(T + 1)}/broadcast`);
    expect(found.some((r) => r.startsWith('owner '))).toBe(true);
  });
});
