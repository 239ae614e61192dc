// Forwarded messages (schema 3, docs/messaging.md "Forwarded messages"): the model writes and
// reads them; the checker refuses forged, oversized and malformed forwards and any later change
// of one but its deletion, whoever sends it.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import { change } from './replica';
import {
  MAX_MESSAGE_CHARS,
  SCHEMA_VERSION,
  addMessage,
  createUpdateChecker,
  deleteMessage,
  editMessage,
  encodeHlc,
  getMessage,
  judge,
  messagesOf,
  periodOfMessage,
  validateDoc,
  type ForwardRef,
  type RoomRef,
  type Verdict,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0'; // forwarder
const BOB = 'B0BB0BB0BB0BB0B0'; // wrote the origin
const MOD = 'M0DM0DM0DM0DM0D0';
const CONV = '0123456789ABCDEF';
const ORIGIN_CONV = 'FEDCBA9876543210';
const T = Date.UTC(2026, 10, 27, 9);
const NOW = T + 60_000;
const id = (wall: number, node = 'DEV1') => encodeHlc({ wall, counter: 0, node });
const PAGE: RoomRef = { kind: 'page', convId: CONV, period: periodOfMessage(id(T)) };

const origin = (over: Partial<ForwardRef> = {}): ForwardRef => ({
  conv: ORIGIN_CONV,
  msg: id(T - 5000, 'DEV9'),
  author: BOB,
  authorName: 'Bob Builder',
  title: 'general',
  text: 'The **release** is on Friday',
  at: T - 5000,
  ...over,
});

function verdict(live: Y.Doc, update: Uint8Array, sender: string, role = 'member'): Verdict {
  const checker = createUpdateChecker(PAGE, live);
  try {
    return judge(checker.inspect(update, sender, { now: NOW }), {
      room: PAGE,
      sender,
      convRole: role as 'member' | 'moderator',
      kind: 'channel',
      archived: false,
      creator: null,
    });
  } finally {
    checker.destroy();
  }
}
const refusedBy = (v: Verdict) => (v.ok ? 'accepted' : `${v.rule}: ${v.message ?? ''}`);

/** A raw message map written by hand (as a hostile client would). */
function raw(fields: Record<string, unknown>): (d: Y.Doc) => void {
  return (d) => {
    messagesOf(d).set(
      id(T),
      new Y.Map<unknown>(
        Object.entries({ v: 3, id: id(T), author: ANN, text: '', createdAt: T, ...fields }),
      ),
    );
  };
}

function forwarded(comment = ''): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 100;
  addMessage(doc, { id: id(T), author: ANN, text: comment, createdAt: T, forward: origin() });
  return doc;
}

describe('forwarded messages: the model', () => {
  it('writes schema 3 with the forwarder as author and the origin quoted', () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(3);
    const doc = forwarded('FYI');
    const m = getMessage(doc, id(T));
    expect(m).toMatchObject({ v: 3, author: ANN, text: 'FYI', forward: origin() });
    expect(validateDoc(PAGE, doc)).toEqual([]);
  });

  it('allows an empty comment but not an empty forward, and counts both toward the limit', () => {
    expect(getMessage(forwarded(''), id(T))?.text).toBe('');
    const doc = new Y.Doc();
    const add = (text: string, f: Partial<ForwardRef>) =>
      addMessage(doc, { id: id(T), author: ANN, text, createdAt: T, forward: origin(f) });
    expect(() => add('', { text: '  ' })).toThrow(/forward.text/);
    expect(() => add('x'.repeat(10), { text: 'y'.repeat(MAX_MESSAGE_CHARS - 5) })).toThrow(
      /longer than 10000 together/,
    );
    expect(() => add('', { authorName: 'two\nlines' })).toThrow(/authorName/);
    expect(() => add('', { conv: 'nope' })).toThrow(/forward.conv/);
    expect(messagesOf(doc).size).toBe(0);
  });

  it('refuses an edit that makes comment and forwarded text too long together', () => {
    const doc = forwarded('FYI');
    expect(() => editMessage(doc, id(T), ANN, 'z'.repeat(MAX_MESSAGE_CHARS - 10), T + 1)).toThrow(
      /together/,
    );
    editMessage(doc, id(T), ANN, 'For you', T + 1);
    expect(getMessage(doc, id(T))?.forward?.text).toBe(origin().text);
  });

  it('deletion clears the copied text, by the author and by a moderator', () => {
    for (const [by, moderator] of [
      [ANN, false],
      [MOD, true],
    ] as const) {
      const live = forwarded('FYI');
      const del = change(live, (d) => deleteMessage(d, id(T), by, T + 10, { moderator }), 7);
      expect(refusedBy(verdict(live, del, by, moderator ? 'moderator' : 'member'))).toBe(
        'accepted',
      );
      Y.applyUpdate(live, del);
      const m = getMessage(live, id(T));
      expect(m).toMatchObject({ deleted: true, text: '', forward: null });
      expect((messagesOf(live).get(id(T)) as Y.Map<unknown>).get('forward')).toBeNull();
    }
  });
});

describe('forwarded messages: hostile writes the relay refuses', () => {
  const empty = () => {
    const d = new Y.Doc();
    d.clientID = 100;
    return d;
  };

  it('accepts an honest forward from its author only', () => {
    const live = empty();
    const honest = change(live, (d) =>
      addMessage(d, { id: id(T), author: ANN, text: '', createdAt: T, forward: origin() }),
    );
    expect(refusedBy(verdict(live, honest, ANN))).toBe('accepted');
    // Bob's client cannot write a message that claims Ann forwarded it.
    expect(refusedBy(verdict(live, honest, BOB))).toMatch(/^owner/);
  });

  it('refuses forged, oversized and malformed forwards', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['schema 2 with a forward', { v: 2, forward: origin() }, /needs schema 3/],
      ['extra key', { forward: { ...origin(), html: '<img>' } }, /unknown key/],
      ['missing key', { forward: { ...origin(), at: undefined } }, /forward/],
      ['author not a user id', { forward: origin({ author: 'root' }) }, /forward.author/],
      ['oversized text', { forward: origin({ text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }) }, /./],
      [
        'comment plus text over the limit',
        { text: 'c'.repeat(6000), forward: origin({ text: 'x'.repeat(6000) }) },
        /together/,
      ],
      ['a string instead of an object', { forward: 'Bob said so' }, /plain object/],
      ['an array', { forward: [origin()] }, /plain object/],
      ['empty comment, no forward', {}, /text is empty/],
      ['cleared but not deleted', { text: 'hi', forward: null }, /cleared only by a deletion/],
      ['huge title', { forward: origin({ title: 't'.repeat(201) }) }, /forward.title/],
    ];
    for (const [what, fields, expected] of cases) {
      const live = empty();
      const v = verdict(live, change(live, raw(fields)), ANN);
      expect(v.ok, what).toBe(false);
      expect(refusedBy(v), what).toMatch(expected);
    }
  });

  it('refuses changing a forward later, and adding one to an existing message', () => {
    const live = forwarded('FYI');
    const rewrite = change(live, (d) =>
      (messagesOf(d).get(id(T)) as Y.Map<unknown>).set('forward', origin({ text: 'I quit' })),
    );
    expect(refusedBy(verdict(live, rewrite, ANN))).toMatch(/transition/);
    const clearOnly = change(live, (d) =>
      (messagesOf(d).get(id(T)) as Y.Map<unknown>).set('forward', null),
    );
    expect(verdict(live, clearOnly, ANN).ok).toBe(false);
    const remove = change(live, (d) =>
      (messagesOf(d).get(id(T)) as Y.Map<unknown>).delete('forward'),
    );
    expect(verdict(live, remove, ANN).ok).toBe(false);

    const plain = new Y.Doc();
    plain.clientID = 100;
    addMessage(plain, { id: id(T), author: ANN, text: 'hi', createdAt: T });
    const graft = change(plain, (d) =>
      (messagesOf(d).get(id(T)) as Y.Map<unknown>).set('forward', origin()),
    );
    expect(verdict(plain, graft, ANN).ok).toBe(false);
  });

  it('refuses a moderator writing anything but the tombstone into a forward', () => {
    const live = forwarded('FYI');
    const forge = change(
      live,
      (d) => {
        const m = messagesOf(d).get(id(T)) as Y.Map<unknown>;
        d.transact(() => {
          m.set('deleted', true);
          m.set('deletedAt', T + 10);
          m.set('text', '');
          m.set('deletedBy', MOD);
          m.set('forward', origin({ text: 'rewritten' }));
        });
      },
      7,
    );
    expect(verdict(live, forge, MOD, 'moderator').ok).toBe(false);
  });
});
