import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  MAX_MESSAGE_CHARS,
  SCHEMA,
  SCHEMA_VERSION,
  addMessage,
  checkUpdate,
  messageProblem,
  createUpdateChecker,
  getMessage,
  deleteMessage,
  editMessage,
  encodeHlc,
  initConversation,
  markRead,
  messagesOf,
  periodOfMessage,
  react,
  reactionsOf,
  recordMessage,
  registerConversation,
  rootsOf,
  setProfile,
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
const META: RoomRef = { kind: 'meta', convId: CONV };
const WS: RoomRef = { kind: 'workspace' };

/** The update a replica of `base` sends after `write`. */
function change(base: Y.Doc, write: (doc: Y.Doc) => void): Uint8Array {
  const replica = new Y.Doc();
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
  const updates: Uint8Array[] = [];
  replica.on('update', (u: Uint8Array) => updates.push(u));
  write(replica);
  return Y.mergeUpdates(updates);
}

const rules = (ps: Problem[]) => ps.map((p) => `${p.rule} ${p.path}`).sort();

function page(): Y.Doc {
  const doc = new Y.Doc();
  addMessage(doc, { id: id(T), author: ANN, text: 'hello', createdAt: T });
  react(doc, id(T), '👍', ANN, true, T);
  return doc;
}

describe('schema', () => {
  it('describes every root of every room kind', () => {
    expect(rootsOf('page')).toEqual(['messages', 'reactions', 'reads']);
    expect(rootsOf('meta')).toEqual(['info', 'pages', 'pins', 'events']);
    expect(rootsOf('workspace')).toEqual(['conversations', 'people']);
    expect(SCHEMA.page.messages?.removable).toBe(false);
  });

  it('finds nothing wrong with documents the model wrote', () => {
    const p = page();
    addMessage(p, {
      id: id(T + 1),
      author: BOB,
      text: 'hi',
      createdAt: T,
      parent: id(T),
      offline: true,
    });
    editMessage(p, id(T + 1), BOB, 'hi!', T + 2);
    deleteMessage(p, id(T), ANN, T + 3);
    markRead(p, ANN, T + 4);
    expect(validateDoc(PAGE, p)).toEqual([]);
    const meta = new Y.Doc();
    initConversation(meta, { title: 'Deck', createdBy: ANN, createdAt: T });
    recordMessage(meta, {
      period: PAGE.kind === 'page' ? PAGE.period : 0,
      author: ANN,
      id: id(T),
      text: 'hello',
      at: T,
    });
    expect(validateDoc(META, meta)).toEqual([]);
    const ws = new Y.Doc();
    registerConversation(ws, { id: CONV, title: 'Deck', createdBy: ANN, createdAt: T });
    setProfile(ws, { user: ANN, name: 'Ann', at: T });
    expect(validateDoc(WS, ws)).toEqual([]);
  });

  it('finds unknown roots, bad keys, bad values and wrong pages', () => {
    const p = page();
    p.getMap('secrets').set('x', 1);
    p.getArray('messagesList');
    messagesOf(p).set(
      id(T - 30 * 24 * 3600 * 1000),
      new Y.Map<unknown>([
        ['author', ANN],
        ['text', 'old'],
        ['createdAt', T],
      ]),
    );
    messagesOf(p).set(
      id(T + 2),
      new Y.Map<unknown>([
        ['v', 1],
        ['author', ANN],
        ['text', 'x'.repeat(MAX_MESSAGE_CHARS + 1)],
        ['createdAt', T],
      ]),
    );
    messagesOf(p).set(
      id(T + 3),
      new Y.Map<unknown>([
        ['v', 1],
        ['author', ANN],
        ['text', 'hi'],
        ['createdAt', T],
        ['html', '<b>'],
      ]),
    );
    reactionsOf(p).set(`${id(T)}|👍|nobody`, T);
    const found = rules(validateDoc(PAGE, p));
    expect(found).toEqual(
      [
        `bad-key messages/${id(T - 30 * 24 * 3600 * 1000)}`,
        `bad-value messages/${id(T + 2)}`,
        `bad-value messages/${id(T + 3)}`,
        `bad-key reactions/${id(T)}|👍|nobody`,
        'unknown-root messagesList',
        'unknown-root secrets',
      ].sort(),
    );
  });

  it('keeps messages from a newer schema: only shared fields are judged', () => {
    const p = new Y.Doc();
    messagesOf(p).set(
      id(T),
      new Y.Map<unknown>([
        ['v', SCHEMA_VERSION + 1],
        ['author', ANN],
        ['poll', { a: 1 }],
      ]),
    );
    expect(validateDoc(PAGE, p)).toEqual([]);
  });
});

describe('schema 2: quotes on messages', () => {
  const msg = (v: number, extra: [string, unknown][] = []) => {
    const d = new Y.Doc();
    const m = new Y.Map<unknown>([
      ['v', v],
      ['id', id(T)],
      ['author', ANN],
      ['text', 'hi'],
      ['createdAt', T],
      ...extra,
    ]);
    messagesOf(d).set(id(T), m);
    return m;
  };
  it('refuses a quote on a v: 1 message, accepts it on v: 2, keeps unknown fields of a newer v', () => {
    expect(messageProblem(id(T), msg(1, [['quote', id(T - 1)]]))).toBe(
      'quote needs schema 2 (v: 2)',
    );
    expect(messageProblem(id(T), msg(2, [['quote', id(T - 1)]]))).toBeNull();
    expect(messageProblem(id(T), msg(2, [['quote', 'not-an-id']]))).toBe(
      'quote must be a clock id',
    );
    expect(messageProblem(id(T), msg(2, [['quote', id(T)]]))).toBe('a message cannot quote itself');
    expect(messageProblem(id(T), msg(2, [['parent', id(T)]]))).toBe(
      'a message cannot reply to itself',
    );
    expect(messageProblem(id(T), msg(2, [['poll', 1]]))).toBe('unknown field poll for schema 2');
    expect(
      messageProblem(
        id(T),
        msg(SCHEMA_VERSION + 1, [
          ['poll', { a: 1 }],
          ['quote', 7],
        ]),
      ),
    ).toBeNull();
  });

  it('a quote or parent is written with the message, never added later', () => {
    const base = page();
    messagesOf(base).set(id(T), msg(1).clone());
    const u = change(base, (d) =>
      (messagesOf(d).get(id(T)) as Y.Map<unknown>).set('quote', id(T - 1)),
    );
    expect(rules(checkUpdate(PAGE, base, u, ANN))).toContain(`immutable messages/${id(T)}/quote`);
  });

  it('refuses a reply whose parent is a reply on the same page; a parent elsewhere passes', () => {
    const base = page();
    messagesOf(base).set(id(T), msg(1).clone());
    const reply = msg(1, [['parent', id(T)]]).clone();
    reply.set('id', id(T + 1));
    messagesOf(base).set(id(T + 1), reply);
    expect(validateDoc(PAGE, base)).toEqual([]);
    const nested = change(base, (d) =>
      messagesOf(d).set(
        id(T + 2),
        new Y.Map<unknown>([
          ['v', 1],
          ['id', id(T + 2)],
          ['author', ANN],
          ['text', 'nested'],
          ['createdAt', T],
          ['parent', id(T + 1)],
        ]),
      ),
    );
    const problems = checkUpdate(PAGE, base, nested, ANN);
    expect(rules(problems)).toEqual([`bad-value messages/${id(T + 2)}`]);
    expect(problems[0]?.message).toMatch(/is a reply; reply to its root/);
    // The page does not hold the parent: judged by readers (rootOf), not here.
    const elsewhere = change(base, (d) =>
      messagesOf(d).set(
        id(T + 3),
        new Y.Map<unknown>([
          ['v', 1],
          ['id', id(T + 3)],
          ['author', ANN],
          ['text', 'to an older page'],
          ['createdAt', T],
          ['parent', id(T - 5)],
        ]),
      ),
    );
    expect(checkUpdate(PAGE, base, elsewhere, ANN)).toEqual([]);
  });
});

describe('checkUpdate: honest updates pass', () => {
  it('page: send, edit, delete, react, unreact', () => {
    const base = page();
    expect(
      checkUpdate(
        PAGE,
        base,
        change(base, (d) =>
          addMessage(d, { id: id(T + 1), author: BOB, text: 'yo', createdAt: T }),
        ),
        BOB,
      ),
    ).toEqual([]);
    expect(
      checkUpdate(
        PAGE,
        base,
        change(base, (d) => editMessage(d, id(T), ANN, 'hello!', T)),
        ANN,
      ),
    ).toEqual([]);
    expect(
      checkUpdate(
        PAGE,
        base,
        change(base, (d) => deleteMessage(d, id(T), ANN, T)),
        ANN,
      ),
    ).toEqual([]);
    expect(
      checkUpdate(
        PAGE,
        base,
        change(base, (d) => react(d, id(T), '🎉', BOB, true, T)),
        BOB,
      ),
    ).toEqual([]);
    expect(
      checkUpdate(
        PAGE,
        base,
        change(base, (d) => react(d, id(T), '👍', ANN, false, T)),
        ANN,
      ),
    ).toEqual([]);
  });

  it('meta and workspace writes', () => {
    const meta = new Y.Doc();
    expect(
      checkUpdate(
        META,
        meta,
        change(meta, (d) => initConversation(d, { title: 'Deck', createdBy: ANN, createdAt: T })),
        ANN,
      ),
    ).toEqual([]);
    expect(
      checkUpdate(
        META,
        meta,
        change(meta, (d) =>
          recordMessage(d, {
            period: periodOfMessage(id(T)),
            author: BOB,
            id: id(T),
            text: 'x',
            at: T,
          }),
        ),
        BOB,
      ),
    ).toEqual([]);
    const p = page();
    expect(
      checkUpdate(
        PAGE,
        p,
        change(p, (d) => markRead(d, BOB, T)),
        BOB,
      ),
    ).toEqual([]);
    const ws = new Y.Doc();
    expect(
      checkUpdate(
        WS,
        ws,
        change(ws, (d) =>
          registerConversation(d, { id: CONV, title: 'Deck', createdBy: ANN, createdAt: T }),
        ),
        ANN,
      ),
    ).toEqual([]);
    expect(
      checkUpdate(
        WS,
        ws,
        change(ws, (d) => setProfile(d, { user: BOB, name: 'Bob', at: T })),
        BOB,
      ),
    ).toEqual([]);
  });
});

describe('checkUpdate: forged updates are refused, and the document is untouched', () => {
  it('rewriting, deleting or impersonating another author', () => {
    const base = page();
    const before = Y.encodeStateAsUpdate(base);
    const rewrite = change(base, (d) => {
      const m = messagesOf(d).get(id(T));
      m?.set('text', 'Ann says I am right');
      m?.set('editedAt', T + 1);
    });
    expect(rules(checkUpdate(PAGE, base, rewrite, BOB))).toEqual([`owner messages/${id(T)}`]);
    const remove = change(base, (d) => messagesOf(d).delete(id(T)));
    expect(rules(checkUpdate(PAGE, base, remove, BOB))).toEqual([
      `owner messages/${id(T)}`,
      `removal messages/${id(T)}`,
    ]);
    // even the author tombstones rather than removes; a moderator may override 'removal'
    expect(rules(checkUpdate(PAGE, base, remove, ANN))).toEqual([`removal messages/${id(T)}`]);
    const impersonate = change(base, (d) =>
      addMessage(d, { id: id(T + 1), author: ANN, text: 'I quit', createdAt: T }),
    );
    expect(rules(checkUpdate(PAGE, base, impersonate, BOB))).toEqual([
      `owner messages/${id(T + 1)}`,
    ]);
    const unreact = change(base, (d) => reactionsOf(d).delete(`${id(T)}|👍|${ANN}`));
    expect(rules(checkUpdate(PAGE, base, unreact, BOB))).toEqual([
      `owner reactions/${id(T)}|👍|${ANN}`,
    ]);
    const steal = change(base, (d) => messagesOf(d).get(id(T))?.set('author', BOB));
    expect(rules(checkUpdate(PAGE, base, steal, ANN))).toEqual([
      `immutable messages/${id(T)}/author`,
    ]);
    expect(Y.encodeStateAsUpdate(base)).toEqual(before);
  });

  it('bad shapes, unknown roots, wrong page, missing dependencies', () => {
    const base = page();
    const big = change(base, (d) =>
      addMessage(d, { id: id(T + 1), author: BOB, text: 'x', createdAt: T }),
    );
    expect(checkUpdate(PAGE, base, big, BOB)).toEqual([]);
    const tooLong = change(base, (d) =>
      messagesOf(d).set(
        id(T + 2),
        new Y.Map<unknown>([
          ['v', 1],
          ['author', BOB],
          ['text', 'x'.repeat(MAX_MESSAGE_CHARS + 1)],
          ['createdAt', T],
        ]),
      ),
    );
    expect(rules(checkUpdate(PAGE, base, tooLong, BOB))).toEqual([
      `bad-value messages/${id(T + 2)}`,
    ]);
    const otherPage = change(base, (d) =>
      addMessage(d, { id: id(T + 30 * 24 * 3600 * 1000), author: BOB, text: 'x', createdAt: T }),
    );
    expect(checkUpdate(PAGE, base, otherPage, BOB).map((p) => p.rule)).toEqual(['bad-key']);
    const unknown = change(base, (d) => d.getMap('admin').set('role', 'owner'));
    expect(rules(checkUpdate(PAGE, base, unknown, BOB))).toEqual(['unknown-root admin']);
    const list = change(base, (d) => d.getArray('messages').insert(0, ['x']));
    expect(checkUpdate(PAGE, base, list, BOB).map((p) => p.rule)).toContain('not-a-map');
    // an update that builds on a change the relay never saw
    const a = change(base, (d) =>
      addMessage(d, { id: id(T + 3), author: BOB, text: 'a', createdAt: T }),
    );
    const withA = new Y.Doc();
    Y.applyUpdate(withA, Y.encodeStateAsUpdate(base));
    Y.applyUpdate(withA, a);
    const b = change(withA, (d) => editMessage(d, id(T + 3), BOB, 'b', T));
    expect(checkUpdate(PAGE, base, b, BOB).map((p) => p.rule)).toEqual(['pending']);
    expect(checkUpdate(PAGE, base, new Uint8Array([1, 2, 3]), BOB).map((p) => p.rule)).toEqual([
      'bad-value',
    ]);
  });

  it('meta and workspace: others’ markers, counts, info and catalogue entries', () => {
    const meta = new Y.Doc();
    initConversation(meta, { title: 'Deck', createdBy: ANN, createdAt: T });
    const retitle = change(meta, (d) => d.getMap('info').set('title', 'Mine now'));
    expect(rules(checkUpdate(META, meta, retitle, BOB))).toEqual([
      'immutable info/title',
      'owner info/title',
    ]);
    const p = new Y.Doc();
    addMessage(p, { id: id(T, 'B'), author: BOB, text: 'hi', createdAt: T });
    const readForAnn = change(p, (d) => markRead(d, ANN, T));
    expect(rules(checkUpdate(PAGE, p, readForAnn, BOB))).toEqual([`owner reads/${ANN}`]);
    const countForAnn = change(meta, (d) =>
      recordMessage(d, {
        period: periodOfMessage(id(T)),
        author: ANN,
        id: id(T),
        text: 'x',
        at: T,
      }),
    );
    expect(rules(checkUpdate(META, meta, countForAnn, BOB))).toEqual([
      `owner pages/p${periodOfMessage(id(T))}|${ANN}|DEV1`,
    ]);
    // An index entry is written once: rewriting it (a count per message) is refused.
    Y.applyUpdate(meta, countForAnn);
    const rewrite = change(meta, (d) =>
      d.getMap('pages').set(`p${periodOfMessage(id(T))}|${ANN}|DEV1`, 2),
    );
    expect(rules(checkUpdate(META, meta, rewrite, ANN))).toEqual([
      `immutable pages/p${periodOfMessage(id(T))}|${ANN}|DEV1`,
    ]);
    const ws = new Y.Doc();
    registerConversation(ws, { id: CONV, title: 'Deck', createdBy: ANN, createdAt: T });
    const hijack = change(ws, (d) =>
      d.getMap('conversations').set(CONV, { v: 1, title: 'Deck', createdBy: BOB, createdAt: T }),
    );
    expect(rules(checkUpdate(WS, ws, hijack, BOB))).toEqual([
      `immutable conversations/${CONV}`,
      `owner conversations/${CONV}`,
    ]);
    const rename = change(ws, (d) => setProfile(d, { user: ANN, name: 'Fake Ann', at: T }));
    expect(rules(checkUpdate(WS, ws, rename, BOB))).toEqual([`owner people/${ANN}`]);
  });
});

describe('createUpdateChecker: a kept checker for a live document', () => {
  it('accepts honest updates, refuses forged ones, and follows the live document', () => {
    const live = page();
    const checker = createUpdateChecker(PAGE, live);
    const honest = change(live, (d) =>
      addMessage(d, { id: id(T + 1), author: BOB, text: 'one', createdAt: T }),
    );
    expect(checker.check(honest, BOB)).toEqual([]);
    Y.applyUpdate(live, honest);
    // refused: the live document stays as it was and the next check starts from it
    const forged = change(live, (d) => {
      const m = messagesOf(d).get(id(T + 1));
      m?.set('text', 'forged');
      m?.set('editedAt', T);
    });
    expect(checker.check(forged, ANN).map((p) => p.rule)).toEqual(['owner']);
    expect(getMessage(live, id(T + 1))?.text).toBe('one');
    const edit = change(live, (d) => editMessage(d, id(T + 1), BOB, 'one!', T));
    expect(checker.check(edit, BOB)).toEqual([]);
    Y.applyUpdate(live, edit);
    // a change made to the live document by other means (e.g. loaded from disk) is seen
    const other = change(live, (d) =>
      addMessage(d, { id: id(T + 2), author: ANN, text: 'two', createdAt: T }),
    );
    Y.applyUpdate(live, other);
    const ownEdit = change(live, (d) => editMessage(d, id(T + 2), ANN, 'two!', T));
    expect(checker.check(ownEdit, ANN)).toEqual([]);
    expect(checker.check(ownEdit, BOB).map((p) => p.rule)).toEqual(['owner']);
    checker.destroy();
  });

  it('sees a change to the live document that only deletes (the state vector stays)', () => {
    const live = page();
    const checker = createUpdateChecker(PAGE, live);
    const honest = change(live, (d) =>
      addMessage(d, { id: id(T + 1), author: BOB, text: 'one', createdAt: T }),
    );
    expect(checker.check(honest, BOB)).toEqual([]);
    Y.applyUpdate(live, honest);
    const before = Y.encodeStateVector(live);
    react(live, id(T), '👍', ANN, false, T);
    expect(Y.encodeStateVector(live)).toEqual(before);
    const again = change(live, (d) => react(d, id(T), '👍', ANN, true, T));
    const result = checker.inspect(again, ANN);
    expect(result.problems).toEqual([]);
    expect(result.changes.map((c) => `${c.action} ${c.root}`)).toEqual(['add reactions']);
    checker.destroy();
  });
});

describe('size bounds hold for every schema version', () => {
  it('refuses an oversized entry even when it claims a newer schema', () => {
    const base = page();
    const huge = change(base, (d) =>
      messagesOf(d).set(
        id(T + 1),
        new Y.Map<unknown>([
          ['v', SCHEMA_VERSION + 1],
          ['author', BOB],
          ['blob', 'x'.repeat(70_000)],
        ]),
      ),
    );
    expect(checkUpdate(PAGE, base, huge, BOB).map((p) => p.message)).toEqual([
      'larger than 65536 characters of JSON',
    ]);
    const worst = change(base, (d) =>
      addMessage(d, {
        id: id(T + 2),
        author: BOB,
        text: '\u0001'.repeat(MAX_MESSAGE_CHARS),
        createdAt: T,
      }),
    );
    expect(checkUpdate(PAGE, base, worst, BOB)).toEqual([]);
  });
});
