import * as Y from 'yjs';
import { describe, it, expect, beforeEach } from './harness';
import {
  MAX_EMOJI_CHARS,
  MAX_MESSAGE_CHARS,
  ModelError,
  SCHEMA_VERSION,
  addMessage,
  deleteMessage,
  editMessage,
  encodeHlc,
  getMessage,
  isStored,
  listMessages,
  listReactions,
  messageItemIds,
  messagesOf,
  react,
  replyContext,
  threadInvolves,
  threadSummaries,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const T = Date.UTC(2026, 10, 27, 9);
const id = (wall: number, counter = 0, node = 'DEV1') => encodeHlc({ wall, counter, node });

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ModelError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('page: messages', () => {
  let doc: Y.Doc;
  beforeEach(() => {
    doc = new Y.Doc();
  });

  it('adds and reads a message with every field', () => {
    const m = addMessage(doc, { id: id(T), author: ANN, text: 'hello', createdAt: T });
    expect(m).toEqual({
      v: 1, // the lowest version that fits: nothing of schema 2
      id: id(T),
      author: ANN,
      text: 'hello',
      createdAt: T,
      parent: null,
      quote: null,
      broadcast: false,
      forward: null,
      files: [],
      offline: false,
      editedAt: null,
      deleted: false,
      deletedAt: null,
      deletedBy: null,
      readOnly: false,
    });
    const reply = addMessage(doc, {
      id: id(T + 5),
      author: BOB,
      text: 'hi',
      createdAt: T + 5,
      parent: id(T),
      offline: true,
    });
    expect(reply.parent).toBe(id(T));
    expect(reply.offline).toBe(true);
    expect(getMessage(doc, id(T + 5))).toEqual(reply);
    expect(getMessage(doc, id(T + 6))).toBeUndefined();
    // the stored map carries the schema version it needs
    expect(messagesOf(doc).get(id(T))?.get('v')).toBe(1);
  });

  it('lists by id, not by insertion or createdAt', () => {
    addMessage(doc, { id: id(T + 2), author: ANN, text: 'c', createdAt: 1 });
    addMessage(doc, { id: id(T, 1), author: BOB, text: 'b', createdAt: 3 });
    addMessage(doc, { id: id(T, 0, 'Z'), author: ANN, text: 'a', createdAt: 2 });
    expect(listMessages(doc).map((m) => m.text)).toEqual(['a', 'b', 'c']);
  });

  it('refuses bad input with a clear error and writes nothing', () => {
    const ok = { id: id(T), author: ANN, text: 'x', createdAt: T };
    const cases: [unknown, RegExp][] = [
      [{ ...ok, id: 'nope' }, /id must be a clock id/],
      [{ ...ok, author: 'ann' }, /author must be a 16-character user id/],
      [{ ...ok, text: '' }, /text is empty/],
      [{ ...ok, text: '   \n' }, /text is empty/],
      [{ ...ok, text: 42 }, /text must be a string/],
      [{ ...ok, text: 'x'.repeat(MAX_MESSAGE_CHARS + 1) }, /limit is 10000/],
      [{ ...ok, text: 'broken \ud800' }, /lone UTF-16 surrogate/],
      [{ ...ok, createdAt: -1 }, /createdAt/],
      [{ ...ok, createdAt: NaN }, /createdAt/],
      [{ ...ok, parent: 'x' }, /parent must be a clock id/],
      [{ ...ok, parent: ok.id }, /reply to itself/],
      [{ ...ok, offline: 'yes' }, /offline must be a boolean/],
      [null, /expected a message/],
    ];
    for (const [input, message] of cases) {
      expect(() => addMessage(doc, input as never)).toThrow(message);
    }
    expect(listMessages(doc)).toEqual([]);
    expect(addMessage(doc, { ...ok, text: 'x'.repeat(MAX_MESSAGE_CHARS) }).text).toHaveLength(
      MAX_MESSAGE_CHARS,
    );
    expect(addMessage(doc, { ...ok, id: id(T + 1), text: 'ship 🚢' }).text).toBe('ship 🚢');
  });

  it('refuses to overwrite an existing id', () => {
    addMessage(doc, { id: id(T), author: ANN, text: 'first', createdAt: T });
    expect(code(() => addMessage(doc, { id: id(T), author: BOB, text: 'x', createdAt: T }))).toBe(
      'exists',
    );
    expect(getMessage(doc, id(T))?.text).toBe('first');
  });

  it('edits and deletes only by the author; a deletion keeps a tombstone', () => {
    addMessage(doc, { id: id(T), author: ANN, text: 'hello', createdAt: T });
    expect(code(() => editMessage(doc, id(T), BOB, 'hacked', T + 1))).toBe('forbidden');
    expect(code(() => deleteMessage(doc, id(T), BOB, T + 1))).toBe('forbidden');
    expect(code(() => editMessage(doc, id(T + 9), ANN, 'x', T + 1))).toBe('not-found');
    expect(code(() => editMessage(doc, id(T), ANN, '', T + 1))).toBe('invalid');
    expect(getMessage(doc, id(T))?.text).toBe('hello');

    const edited = editMessage(doc, id(T), ANN, 'hello, world', T + 1);
    expect(edited).toMatchObject({ text: 'hello, world', editedAt: T + 1, deleted: false });

    const gone = deleteMessage(doc, id(T), ANN, T + 2);
    expect(gone).toMatchObject({ text: '', deleted: true, deletedAt: T + 2, author: ANN });
    expect(listMessages(doc)).toHaveLength(1);
    expect(deleteMessage(doc, id(T), ANN, T + 3).deletedAt).toBe(T + 2); // no-op
    expect(() => editMessage(doc, id(T), ANN, 'back', T + 4)).toThrow(/was deleted/);
  });

  it('an edit merged with a concurrent deletion stays deleted', () => {
    addMessage(doc, { id: id(T), author: ANN, text: 'hello', createdAt: T });
    const other = new Y.Doc();
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    editMessage(doc, id(T), ANN, 'edited on laptop', T + 1);
    deleteMessage(other, id(T), ANN, T + 2);
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
    expect(getMessage(doc, id(T))).toEqual(getMessage(other, id(T)));
    expect(getMessage(doc, id(T))).toMatchObject({ deleted: true, text: '' });
  });

  it('reads older and newer schema versions without dropping them', () => {
    const messages = messagesOf(doc);
    const old = new Y.Map<unknown>([
      ['author', ANN],
      ['text', 'from before versions'],
      ['createdAt', T],
    ]);
    const newer = new Y.Map<unknown>([
      ['v', SCHEMA_VERSION + 1],
      ['author', ANN],
      ['text', 'from the future'],
      ['createdAt', T],
      ['poll', { options: ['a', 'b'] }],
    ]);
    messages.set(id(T), old);
    messages.set(id(T + 1), newer);
    messages.set(id(T + 2), 'not a message' as never);
    const list = listMessages(doc);
    expect(list.map((m) => [m.v, m.text, m.readOnly])).toEqual([
      [1, 'from before versions', false],
      [SCHEMA_VERSION + 1, 'from the future', true],
    ]);
    expect(code(() => editMessage(doc, id(T + 1), ANN, 'x', T))).toBe('read-only');
    expect(code(() => deleteMessage(doc, id(T + 1), ANN, T))).toBe('read-only');
    expect(newer.get('poll')).toEqual({ options: ['a', 'b'] }); // kept as written
  });
});

describe('page: reactions', () => {
  it('adds, groups, orders and removes per-user reactions', () => {
    const doc = new Y.Doc();
    addMessage(doc, { id: id(T), author: ANN, text: 'lunch?', createdAt: T });
    react(doc, id(T), '👍', BOB, true, T + 10);
    react(doc, id(T), '🍕', ANN, true, T + 5);
    react(doc, id(T), '👍', ANN, true, T + 20);
    react(doc, id(T), '👍', BOB, true, T + 99); // again: keeps the first time
    expect(listReactions(doc, id(T))).toEqual([
      { emoji: '🍕', users: [ANN], at: T + 5 },
      { emoji: '👍', users: [BOB, ANN], at: T + 10 },
    ]);
    react(doc, id(T), '👍', BOB, false, T + 30);
    react(doc, id(T), '👍', BOB, false, T + 31); // removing twice is a no-op
    expect(listReactions(doc, id(T))).toEqual([
      { emoji: '🍕', users: [ANN], at: T + 5 },
      { emoji: '👍', users: [ANN], at: T + 20 },
    ]);
    expect(listReactions(doc, id(T + 1))).toEqual([]);
  });

  it('refuses bad reactions', () => {
    const doc = new Y.Doc();
    addMessage(doc, { id: id(T), author: ANN, text: 'x', createdAt: T });
    expect(code(() => react(doc, id(T + 1), '👍', BOB, true, T))).toBe('not-found');
    expect(() => react(doc, id(T), 'a|b', BOB, true, T)).toThrow(/'\|'/);
    expect(() => react(doc, id(T), '', BOB, true, T)).toThrow(/non-empty/);
    expect(() => react(doc, id(T), 'x'.repeat(MAX_EMOJI_CHARS + 1), BOB, true, T)).toThrow(/limit/);
    expect(() => react(doc, id(T), '👍', 'bob', true, T)).toThrow(/user id/);
    expect(() => react(doc, 'x', '👍', BOB, true, T)).toThrow(/clock id/);
    deleteMessage(doc, id(T), ANN, T);
    expect(() => react(doc, id(T), '👍', BOB, true, T)).toThrow(/deleted/);
    expect(listReactions(doc, id(T))).toEqual([]);
  });
});

describe('page: delivery', () => {
  const storedOn = (relay: Y.Doc | Uint8Array | Map<number, number>, doc: Y.Doc, mid: string) => {
    const sv = relay instanceof Y.Doc ? Y.encodeStateVector(relay) : relay;
    return messageItemIds(doc, mid).every((item) => isStored(sv, item));
  };

  it('tells from a state vector whether the relay stored the message', () => {
    const doc = new Y.Doc();
    const relay = new Y.Doc();
    addMessage(doc, { id: id(T), author: ANN, text: 'one', createdAt: T });
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc));
    addMessage(doc, { id: id(T + 1), author: ANN, text: 'two', createdAt: T });
    const sv = Y.encodeStateVector(relay);
    expect(storedOn(sv, doc, id(T))).toBe(true);
    expect(storedOn(Y.decodeStateVector(sv), doc, id(T))).toBe(true);
    expect(storedOn(sv, doc, id(T + 1))).toBe(false);
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc));
    expect(storedOn(relay, doc, id(T + 1))).toBe(true);
    expect(messageItemIds(doc, id(T))[0]?.client).toBe(doc.clientID);
    expect(code(() => messageItemIds(doc, id(T + 2)))).toBe('not-found');
  });

  it('an edit or delete made after the message was stored is pending until the relay has it', () => {
    const doc = new Y.Doc();
    const relay = new Y.Doc();
    addMessage(doc, { id: id(T), author: ANN, text: 'one', createdAt: T });
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc));
    expect(storedOn(relay, doc, id(T))).toBe(true);
    editMessage(doc, id(T), ANN, 'one, edited offline', T + 1);
    expect(storedOn(relay, doc, id(T))).toBe(false);
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc));
    expect(storedOn(relay, doc, id(T))).toBe(true);
    deleteMessage(doc, id(T), ANN, T + 2);
    expect(storedOn(relay, doc, id(T))).toBe(false);
    Y.applyUpdate(relay, Y.encodeStateAsUpdate(doc));
    expect(storedOn(relay, doc, id(T))).toBe(true);
  });
});

describe('page: threads and quotes (schema 2)', () => {
  let doc: Y.Doc;
  beforeEach(() => {
    doc = new Y.Doc();
  });

  it('a quoting message is written with v: 2; a plain reply keeps v: 1', () => {
    addMessage(doc, { id: id(T), author: ANN, text: 'root', createdAt: T });
    const reply = addMessage(doc, {
      id: id(T + 1),
      author: BOB,
      text: 'r',
      createdAt: T + 1,
      parent: id(T),
    });
    const quoting = addMessage(doc, {
      id: id(T + 2),
      author: BOB,
      text: 'q',
      createdAt: T + 2,
      quote: id(T),
    });
    expect([reply.v, reply.quote]).toEqual([1, null]);
    expect([quoting.v, quoting.quote, quoting.readOnly]).toEqual([2, id(T), false]);
    expect(
      messagesOf(doc)
        .get(id(T + 2))
        ?.get('quote'),
    ).toBe(id(T));
  });

  it('refuses a reply to a reply on the same page, a self quote and a bad quote; writes nothing', () => {
    addMessage(doc, { id: id(T), author: ANN, text: 'root', createdAt: T });
    addMessage(doc, { id: id(T + 1), author: BOB, text: 'r', createdAt: T + 1, parent: id(T) });
    const before = messagesOf(doc).size;
    expect(
      code(() =>
        addMessage(doc, {
          id: id(T + 2),
          author: ANN,
          text: 'x',
          createdAt: T + 2,
          parent: id(T + 1),
        }),
      ),
    ).toBe('invalid');
    expect(
      code(() =>
        addMessage(doc, {
          id: id(T + 3),
          author: ANN,
          text: 'x',
          createdAt: T + 3,
          quote: id(T + 3),
        }),
      ),
    ).toBe('invalid');
    expect(
      code(() =>
        addMessage(doc, { id: id(T + 4), author: ANN, text: 'x', createdAt: T + 4, quote: 'nope' }),
      ),
    ).toBe('invalid');
    expect(messagesOf(doc).size).toBe(before);
    // A parent not on this page (an older page) is allowed: the relay cannot see across pages.
    const far = addMessage(doc, {
      id: id(T + 5),
      author: ANN,
      text: 'x',
      createdAt: T + 5,
      parent: id(T - 1e9),
    });
    expect(far.parent).toBe(id(T - 1e9));
  });

  it('a v: 1 entry that carries a quote is read without it (a Ferry 1 shape never quotes)', () => {
    messagesOf(doc).set(
      id(T),
      new Y.Map<unknown>([
        ['v', 1],
        ['id', id(T)],
        ['author', ANN],
        ['text', 't'],
        ['createdAt', T],
        ['quote', id(T - 5)],
      ]),
    );
    expect(getMessage(doc, id(T))?.quote).toBeNull();
  });

  it('threadSummaries: counts live replies per root, newest repliers first (at most 3), across pages', () => {
    const older = new Y.Doc();
    addMessage(older, { id: id(T), author: ANN, text: 'root', createdAt: T });
    addMessage(doc, { id: id(T + 10), author: BOB, text: 'a', createdAt: T + 10, parent: id(T) });
    addMessage(doc, {
      id: id(T + 11),
      author: 'CCCCCCCCCCCCCCC0',
      text: 'b',
      createdAt: T + 11,
      parent: id(T),
    });
    addMessage(doc, {
      id: id(T + 12),
      author: 'DDDDDDDDDDDDDDD0',
      text: 'c',
      createdAt: T + 12,
      parent: id(T),
    });
    addMessage(doc, { id: id(T + 13), author: BOB, text: 'd', createdAt: T + 13, parent: id(T) });
    addMessage(doc, { id: id(T + 14), author: ANN, text: 'e', createdAt: T + 14, parent: id(T) });
    deleteMessage(doc, id(T + 14), ANN, T + 20);
    // A reply to a reply written on another page counts for the root.
    const third = new Y.Doc();
    addMessage(third, {
      id: id(T + 15),
      author: ANN,
      text: 'f',
      createdAt: T + 15,
      parent: id(T + 10),
    });
    const s = threadSummaries([older, doc, third]);
    expect(s.get(id(T))).toEqual({
      count: 5,
      lastAt: T + 15,
      repliers: [ANN, BOB, 'DDDDDDDDDDDDDDD0'],
    });
    expect(s.has(id(T + 10))).toBe(false);
    // From messages already read: the same.
    const msgs = [older, doc, third].flatMap((d) => listMessages(d));
    expect(threadSummaries(msgs)).toEqual(s);
    expect(threadSummaries([]).size).toBe(0);
  });

  it('replyContext: a reply involves the root author and earlier repliers, not its author', () => {
    const CAT = 'CCCCCCCCCCCCCCC0';
    addMessage(doc, { id: id(T), author: ANN, text: 'root', createdAt: T });
    addMessage(doc, { id: id(T + 1), author: BOB, text: 'a', createdAt: T + 1, parent: id(T) });
    addMessage(doc, { id: id(T + 2), author: CAT, text: 'b', createdAt: T + 2, parent: id(T) });
    expect(replyContext(doc, id(T + 2), ANN)).toEqual({ root: id(T), involves: true });
    expect(replyContext(doc, id(T + 2), BOB)).toEqual({ root: id(T), involves: true });
    expect(replyContext(doc, id(T + 2), CAT)).toEqual({ root: id(T), involves: false });
    expect(replyContext(doc, id(T + 1), CAT)).toEqual({ root: id(T), involves: false });
    expect(replyContext(doc, id(T), BOB)).toBeNull();
    expect(replyContext(doc, id(T + 9), BOB)).toBeNull();
  });

  it('threadInvolves: the root author and live repliers of that thread, on this page', () => {
    const CAT = 'CCCCCCCCCCCCCCC0';
    addMessage(doc, { id: id(T), author: ANN, text: 'root', createdAt: T });
    addMessage(doc, { id: id(T + 1), author: BOB, text: 'a', createdAt: T + 1, parent: id(T) });
    addMessage(doc, { id: id(T + 2), author: CAT, text: 'b', createdAt: T + 2, parent: id(T) });
    addMessage(doc, { id: id(T + 3), author: CAT, text: 'other root', createdAt: T + 3 });
    deleteMessage(doc, id(T + 2), CAT, T + 4);
    expect(threadInvolves(doc, id(T), ANN)).toBe(true);
    expect(threadInvolves(doc, id(T), BOB)).toBe(true);
    expect(threadInvolves(doc, id(T), CAT)).toBe(false); // her reply is deleted
    expect(threadInvolves(doc, id(T + 3), ANN)).toBe(false);
    expect(threadInvolves(doc, id(T + 9), ANN)).toBe(false); // not on this page
  });
});
