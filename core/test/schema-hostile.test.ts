// Hostile updates around the authorship check (issue 10, items 5, 6, 7 and 10a): undoing a
// deletion, field transitions no honest writer makes, someone else's `info`, times from the
// future, and entries shaped to break the checker itself.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import { change } from './replica';
import {
  MAX_DRIFT_MS,
  MAX_ENTRY_DEPTH,
  PAGE_SPAN_MS,
  addMessage,
  createUpdateChecker,
  deleteMessage,
  editMessage,
  encodeHlc,
  getMessage,
  initConversation,
  judge,
  markRead,
  messagesOf,
  periodOf,
  periodOfMessage,
  pin,
  react,
  recordMessage,
  registerConversation,
  setProfile,
  validateDoc,
  type CheckContext,
  type ConversationRole,
  type Problem,
  type RoomRef,
  type Verdict,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0'; // author
const MOD = 'M0DM0DM0DM0DM0D0'; // moderator
const BOB = 'B0BB0BB0BB0BB0B0'; // member
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 10, 27, 9);
const NOW = T + 60_000;
const id = (wall: number, node = 'DEV1') => encodeHlc({ wall, counter: 0, node });
const PAGE: RoomRef = { kind: 'page', convId: CONV, period: periodOfMessage(id(T)) };
const META: RoomRef = { kind: 'meta', convId: CONV };
const WS: RoomRef = { kind: 'workspace' };
const MSG = `messages/${id(T)}`;

function problems(
  room: RoomRef,
  live: Y.Doc,
  update: Uint8Array,
  sender: string,
  context: CheckContext = { now: NOW },
): Problem[] {
  const checker = createUpdateChecker(room, live);
  try {
    return checker.inspect(update, sender, context).problems;
  } finally {
    checker.destroy();
  }
}

const rules = (ps: Problem[]) => [...new Set(ps.map((p) => p.rule))].sort();

function verdict(
  room: RoomRef,
  live: Y.Doc,
  update: Uint8Array,
  sender: string,
  opts: { role?: ConversationRole; creator?: string | null; now?: number } = {},
): Verdict {
  const checker = createUpdateChecker(room, live);
  try {
    return judge(checker.inspect(update, sender, { now: opts.now ?? NOW }), {
      room,
      sender,
      convRole: opts.role ?? 'member',
      kind: 'channel',
      archived: false,
      creator: opts.creator ?? null,
    });
  } finally {
    checker.destroy();
  }
}
const refusedBy = (v: Verdict) => (v.ok ? 'accepted' : `${v.rule} ${v.path}`);

function page(): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 100;
  addMessage(doc, { id: id(T), author: ANN, text: 'hello', createdAt: T });
  return doc;
}

/** Ann's message, deleted by the moderator (applied to the live document). */
function moderated(): Y.Doc {
  const live = page();
  Y.applyUpdate(
    live,
    change(live, (d) => deleteMessage(d, id(T), MOD, T + 10, { moderator: true }), 7),
  );
  expect(getMessage(live, id(T))).toMatchObject({ deleted: true, deletedBy: MOD });
  return live;
}

const msgIn = (d: Y.Doc) => messagesOf(d).get(id(T)) as Y.Map<unknown>;

describe('a deleted message is final (item 5)', () => {
  it('refuses the author undoing a moderator’s deletion, in every form', () => {
    const live = moderated();
    const undo = change(live, (d) => {
      const m = msgIn(d);
      d.transact(() => {
        m.delete('deleted');
        m.delete('deletedAt');
        m.delete('deletedBy');
        m.set('text', 'I am back');
        m.set('editedAt', T + 20);
      });
    });
    expect(refusedBy(verdict(PAGE, live, undo, ANN))).toMatch(/^(removal|final) /);
    expect(rules(problems(PAGE, live, undo, ANN))).toEqual(['final', 'removal']);
    // An edit with the ordinary API after seeing the deletion.
    const edit = change(live, (d) => {
      const m = msgIn(d);
      m.set('text', 'I am back');
      m.set('editedAt', T + 20);
    });
    expect(refusedBy(verdict(PAGE, live, edit, ANN))).toBe(`final ${MSG}`);
    // Re-signing the deletion as her own, or re-dating it.
    const resign = change(live, (d) => msgIn(d).set('deletedBy', ANN));
    expect(refusedBy(verdict(PAGE, live, resign, ANN))).toBe(`final ${MSG}`);
    const redate = change(live, (d) => msgIn(d).set('deletedAt', T + 30));
    expect(refusedBy(verdict(PAGE, live, redate, ANN))).toBe(`final ${MSG}`);
    // Not even a moderator writes into a deleted message afterwards.
    const again = change(live, (d) => {
      const m = msgIn(d);
      d.transact(() => {
        m.set('deleted', true);
        m.set('deletedAt', T + 30);
        m.set('text', '');
        m.set('deletedBy', MOD);
      });
    });
    expect(refusedBy(verdict(PAGE, live, again, MOD, { role: 'moderator' }))).toBe(`final ${MSG}`);
    expect(getMessage(live, id(T))).toMatchObject({ deleted: true, deletedBy: MOD, text: '' });
  });

  it('refuses undoing the author’s own deletion too', () => {
    const live = page();
    Y.applyUpdate(
      live,
      change(live, (d) => deleteMessage(d, id(T), ANN, T + 10)),
    );
    const undo = change(live, (d) => {
      const m = msgIn(d);
      d.transact(() => {
        m.delete('deleted');
        m.set('text', 'back');
        m.set('editedAt', T + 20);
      });
    });
    expect(verdict(PAGE, live, undo, ANN).ok).toBe(false);
  });

  it('takes what was written concurrently with the deletion (offline), which stays hidden', () => {
    // Ann edits offline while the moderator deletes; her edit arrives second.
    const live = page();
    const edit = change(live, (d) => editMessage(d, id(T), ANN, 'hello!', T + 1), 1);
    const own = change(live, (d) => deleteMessage(d, id(T), ANN, T + 2), 2);
    const both = change(
      live,
      (d) => {
        editMessage(d, id(T), ANN, 'hello?', T + 1);
        deleteMessage(d, id(T), ANN, T + 2);
      },
      3,
    );
    const del = change(live, (d) => deleteMessage(d, id(T), MOD, T + 10, { moderator: true }), 7);
    Y.applyUpdate(live, del);
    for (const late of [edit, own, both]) {
      expect(verdict(PAGE, live, late, ANN)).toEqual({ ok: true, moderated: [] });
    }
    Y.applyUpdate(live, edit);
    Y.applyUpdate(live, own);
    expect(getMessage(live, id(T))).toMatchObject({ deleted: true, text: '', deletedBy: MOD });
    expect(validateDoc(PAGE, live)).toEqual([]);
  });
});

describe('message field transitions (item 5)', () => {
  it('refuses deletedBy naming anyone but the sender', () => {
    const live = page();
    const framed = change(live, (d) => {
      deleteMessage(d, id(T), ANN, T + 1);
      msgIn(d).set('deletedBy', MOD);
    });
    expect(refusedBy(verdict(PAGE, live, framed, ANN))).toBe(`transition ${MSG}`);
    // Signing her own deletion is allowed; so is not signing it.
    const signed = change(live, (d) => {
      deleteMessage(d, id(T), ANN, T + 1);
      msgIn(d).set('deletedBy', ANN);
    });
    expect(verdict(PAGE, live, signed, ANN).ok).toBe(true);
    expect(
      verdict(
        PAGE,
        live,
        change(live, (d) => deleteMessage(d, id(T), ANN, T + 1)),
        ANN,
      ).ok,
    ).toBe(true);
    // A message written already deleted "by the moderator".
    const born = change(live, (d) =>
      messagesOf(d).set(
        id(T + 1),
        new Y.Map<unknown>([
          ['v', 1],
          ['id', id(T + 1)],
          ['author', ANN],
          ['text', ''],
          ['createdAt', T],
          ['deleted', true],
          ['deletedAt', T],
          ['deletedBy', MOD],
        ]),
      ),
    );
    expect(refusedBy(verdict(PAGE, live, born, ANN))).toBe(`transition messages/${id(T + 1)}`);
  });

  it('refuses an edit without editedAt, editedAt without an edit, and removing editedAt', () => {
    const live = page();
    const quiet = change(live, (d) => msgIn(d).set('text', 'changed quietly'));
    expect(refusedBy(verdict(PAGE, live, quiet, ANN))).toBe(`transition ${MSG}`);
    const mark = change(live, (d) => msgIn(d).set('editedAt', T + 1));
    expect(refusedBy(verdict(PAGE, live, mark, ANN))).toBe(`transition ${MSG}`);
    Y.applyUpdate(
      live,
      change(live, (d) => editMessage(d, id(T), ANN, 'hello!', T + 1)),
    );
    const unmark = change(live, (d) => msgIn(d).delete('editedAt'));
    expect(refusedBy(verdict(PAGE, live, unmark, ANN))).toBe(`removal ${MSG}`);
    // A deletion that keeps the text or has no time.
    const keep = change(live, (d) => {
      msgIn(d).set('deleted', true);
      msgIn(d).set('deletedAt', T + 2);
    });
    expect(refusedBy(verdict(PAGE, live, keep, ANN))).toBe(`transition ${MSG}`);
    const honest = change(live, (d) => editMessage(d, id(T), ANN, 'hello!!', T + 2));
    expect(verdict(PAGE, live, honest, ANN)).toEqual({ ok: true, moderated: [] });
  });

  it('refuses changing v or offline after the message was written', () => {
    const live = page();
    const newer = change(live, (d) => msgIn(d).set('v', 99));
    expect(refusedBy(verdict(PAGE, live, newer, ANN))).toBe(`immutable ${MSG}/v`);
    const offline = change(live, (d) => msgIn(d).set('offline', true));
    expect(refusedBy(verdict(PAGE, live, offline, ANN))).toBe(`immutable ${MSG}/offline`);
  });
});

describe('info belongs to the conversation’s creator (item 6)', () => {
  it('refuses info claimed by a member who syncs first; takes the creator’s', () => {
    const live = new Y.Doc();
    const squat = change(live, (d) =>
      initConversation(d, { title: 'Mine', createdBy: BOB, createdAt: T }),
    );
    expect(refusedBy(verdict(META, live, squat, BOB, { creator: ANN }))).toBe('creator info/v');
    const own = change(live, (d) =>
      initConversation(d, { title: 'Deck', createdBy: ANN, createdAt: T }),
    );
    expect(verdict(META, live, own, ANN, { creator: ANN }).ok).toBe(true);
    // Without a known creator (imported conversations): the first writer, as before.
    expect(verdict(META, live, squat, BOB, { creator: null }).ok).toBe(true);
    Y.applyUpdate(live, own);
    // Written once: not even the creator rewrites it.
    const retitle = change(live, (d) => d.getMap('info').set('createdBy', BOB));
    expect(refusedBy(verdict(META, live, retitle, ANN, { creator: ANN }))).toMatch(/^immutable /);
    // The workspace catalogue is written once too: its creator cannot hand it to someone.
    const ws = new Y.Doc();
    registerConversation(ws, { id: CONV, title: 'Deck', createdBy: ANN, createdAt: T });
    const handOver = change(ws, (d) =>
      d.getMap('conversations').set(CONV, { v: 1, title: 'Deck', createdBy: BOB, createdAt: T }),
    );
    expect(refusedBy(verdict(WS, ws, handOver, ANN))).toBe(`immutable conversations/${CONV}`);
    // Page-index entries and pins are everyone's own, as before.
    const mine = change(live, (d) => {
      recordMessage(d, { period: PAGE.period, author: BOB, id: id(T, 'B'), text: 'x', at: T });
      pin(d, { message: id(T), user: BOB, at: T });
    });
    expect(verdict(META, live, mine, BOB, { creator: ANN }).ok).toBe(true);
  });
});

describe('times from the future (item 7)', () => {
  const far = NOW + 400 * 24 * 60 * 60_000;
  const near = NOW + MAX_DRIFT_MS;

  it('refuses a message id, its page entry and its times beyond now + MAX_DRIFT_MS', () => {
    const farRoom: RoomRef = { kind: 'page', convId: CONV, period: periodOf(far) };
    const live = new Y.Doc();
    const ahead = change(live, (d) =>
      addMessage(d, { id: id(far), author: ANN, text: 'from 2027', createdAt: T }),
    );
    const p = problems(farRoom, live, ahead, ANN);
    expect(rules(p)).toEqual(['future']);
    expect(p[0]?.message).toMatch(/min ahead of the server's clock \(at most 5 min\)/);
    const dated = change(live, (d) =>
      addMessage(d, { id: id(T + 1), author: ANN, text: 'x', createdAt: far }),
    );
    expect(rules(problems(PAGE, live, dated, ANN))).toEqual(['future']);
    const meta = new Y.Doc();
    const index = change(meta, (d) =>
      recordMessage(d, { period: periodOf(far), author: ANN, id: id(far), text: 'x', at: T }),
    );
    expect(rules(problems(META, meta, index, ANN))).toEqual(['future']);
    // Up to the drift is fine; without a clock nothing is bounded (documents from disk).
    const edge = change(live, (d) =>
      addMessage(d, { id: id(near), author: ANN, text: 'x', createdAt: near }),
    );
    const edgeRoom: RoomRef = { kind: 'page', convId: CONV, period: periodOf(near) };
    expect(problems(edgeRoom, live, edge, ANN)).toEqual([]);
    expect(problems(farRoom, live, ahead, ANN, {})).toEqual([]);
  });

  it('refuses future edits, deletions, reactions, read markers, pins, info and profiles', () => {
    const live = page();
    const cases: Array<[RoomRef, Y.Doc, (d: Y.Doc) => void]> = [
      [PAGE, live, (d) => editMessage(d, id(T), ANN, 'x', far)],
      [PAGE, live, (d) => deleteMessage(d, id(T), ANN, far)],
      [PAGE, live, (d) => react(d, id(T), '👍', ANN, true, far)],
      [PAGE, live, (d) => d.getMap('reads').set(ANN, { id: id(far), at: T, counts: {} })],
      [PAGE, live, (d) => d.getMap('reads').set(ANN, { id: null, at: far, counts: {} })],
      [META, new Y.Doc(), (d) => pin(d, { message: id(T), user: ANN, at: far })],
      [
        META,
        new Y.Doc(),
        (d) => initConversation(d, { title: 'x', createdBy: ANN, createdAt: far }),
      ],
      [WS, new Y.Doc(), (d) => setProfile(d, { user: ANN, name: 'Ann', at: far })],
      [
        WS,
        new Y.Doc(),
        (d) => registerConversation(d, { id: CONV, title: 'x', createdBy: ANN, createdAt: far }),
      ],
    ];
    for (const [room, base, write] of cases) {
      expect(rules(problems(room, base, change(base, write), ANN))).toEqual(['future']);
      // The same write now is fine.
      expect(problems(room, base, change(base, write), ANN, { now: far })).toEqual([]);
    }
  });

  it('takes a read marker naming a message already on the page, however dated', () => {
    // A message from the future stored before the relay bounded times: readers mark it read.
    const live = new Y.Doc();
    const farRoom: RoomRef = { kind: 'page', convId: CONV, period: periodOf(far) };
    addMessage(live, { id: id(far), author: BOB, text: 'old bug', createdAt: far });
    const read = change(live, (d) => markRead(d, ANN, NOW));
    expect(problems(farRoom, live, read, ANN)).toEqual([]);
    // A page period counts from its first ms.
    expect(periodOf(NOW + MAX_DRIFT_MS) * PAGE_SPAN_MS).toBeLessThanOrEqual(NOW + MAX_DRIFT_MS);
  });
});

describe('entries shaped to break the checker (item 10a)', () => {
  /** A newer Ferry's message (v 99: its fields are not judged) holding `extra`. */
  function newer(extra: (m: Y.Map<unknown>) => void): Uint8Array {
    return change(new Y.Doc(), (d) => {
      d.transact(() => {
        const m = new Y.Map<unknown>();
        messagesOf(d).set(id(T), m);
        m.set('v', 99);
        m.set('author', ANN);
        m.set('text', 'x');
        m.set('createdAt', T);
        extra(m);
      });
    });
  }

  it('refuses a Y.Map nested 5,000 deep as too-deep, without throwing', () => {
    for (const depth of [MAX_ENTRY_DEPTH + 1, 5_000, 50_000]) {
      const deep = newer((m) => {
        let cur = m;
        for (let i = 0; i < depth; i++) {
          const next = new Y.Map<unknown>();
          cur.set('x', next);
          cur = next;
        }
      });
      expect(rules(problems(PAGE, new Y.Doc(), deep, ANN))).toEqual(['too-deep']);
    }
    // As deep as allowed: kept, as a newer version's message always was.
    const ok = newer((m) => {
      let cur = m;
      for (let i = 0; i < MAX_ENTRY_DEPTH - 2; i++) {
        const next = new Y.Map<unknown>();
        cur.set('x', next);
        cur = next;
      }
    });
    expect(problems(PAGE, new Y.Doc(), ok, ANN)).toEqual([]);
  });

  it('refuses deep arrays, texts, XML, embeds and formats, binary and subdocuments', () => {
    const deepJson = (n: number): unknown => {
      let x: unknown = 1;
      for (let i = 0; i < n; i++) x = [x];
      return x;
    };
    const cases: Array<[string, (m: Y.Map<unknown>) => void]> = [
      ['too-deep', (m) => m.set('x', deepJson(1_000))],
      [
        'too-deep',
        (m) => {
          let cur: Y.Array<unknown> = new Y.Array<unknown>();
          m.set('x', cur);
          for (let i = 0; i < 2_000; i++) {
            const next = new Y.Array<unknown>();
            cur.insert(0, [next]);
            cur = next;
          }
        },
      ],
      [
        'too-deep',
        (m) => {
          const t = new Y.Text();
          m.set('x', t);
          t.insertEmbed(0, { deep: deepJson(1_000) });
        },
      ],
      [
        'too-deep',
        (m) => {
          const t = new Y.Text();
          m.set('x', t);
          t.insert(0, 'bold', { b: deepJson(1_000) });
        },
      ],
      [
        'too-deep',
        (m) => {
          let cur: Y.XmlFragment = new Y.XmlFragment();
          m.set('x', cur);
          for (let i = 0; i < 2_000; i++) {
            const next = new Y.XmlElement('p');
            cur.insert(0, [next]);
            cur = next;
          }
        },
      ],
      ['bad-value', (m) => m.set('x', new Uint8Array(10))],
      ['bad-value', (m) => m.set('x', new Y.Doc())],
      ['bad-value', (m) => m.set('x', 'y'.repeat(100_000))],
      [
        'bad-value',
        (m) => {
          const t = new Y.Text();
          m.set('x', t);
          for (let i = 0; i < 2_000; i++) t.insert(0, 'y'.repeat(50), { k: i });
        },
      ],
    ];
    for (const [rule, write] of cases) {
      const p = problems(PAGE, new Y.Doc(), newer(write), ANN);
      expect(rules(p)).toEqual([rule]);
    }
  });

  it('refuses other types in place of a message or a plain entry', () => {
    const live = new Y.Doc();
    const asDoc = change(live, (d) => messagesOf(d).set(id(T), new Y.Doc() as never));
    expect(rules(problems(PAGE, live, asDoc, ANN))).toEqual(['bad-value', 'owner']);
    const asXml = change(live, (d) => messagesOf(d).set(id(T), new Y.XmlFragment() as never));
    expect(rules(problems(PAGE, live, asXml, ANN))).toEqual(['bad-value', 'owner']);
    const bytes = change(live, (d) =>
      d.getMap('reactions').set(`${id(T)}|👍|${ANN}`, new Uint8Array(3)),
    );
    expect(rules(problems(PAGE, live, bytes, ANN))).toEqual(['bad-value']);
    const deepMarker = change(live, (d) => {
      let x: unknown = 1;
      for (let i = 0; i < 3_000; i++) x = { x };
      d.getMap('reads').set(ANN, { id: null, at: T, counts: {}, x });
    });
    expect(rules(problems(PAGE, live, deepMarker, ANN))).toEqual(['too-deep']);
  });

  it('quotes at most a little of a huge key, and survives many roots', () => {
    const live = new Y.Doc();
    const key = `${'k'.repeat(1024 * 1024)}`;
    const p = problems(
      PAGE,
      live,
      change(live, (d) => d.getMap('reactions').set(key, T)),
      ANN,
    );
    expect(rules(p)).toEqual(['bad-key', 'owner']);
    for (const x of p) {
      expect(x.path.length).toBeLessThan(300);
      expect(x.message.length).toBeLessThan(600);
    }
    const roots = change(live, (d) => {
      for (let i = 0; i < 2_000; i++) d.getMap(`r${i}`).set('k', i);
    });
    const many = problems(PAGE, live, roots, ANN);
    expect(rules(many)).toEqual(['unknown-root']);
    const named = change(live, (d) => d.getMap(key).set('k', 1));
    const root = problems(PAGE, live, named, ANN);
    expect(rules(root)).toEqual(['unknown-root']);
    expect(root.every((x) => x.path.length < 300 && x.message.length < 600)).toBe(true);
  });

  it('validateDoc refuses a deep entry without throwing', () => {
    const doc = new Y.Doc();
    Y.applyUpdate(
      doc,
      newer((m) => {
        let cur = m;
        for (let i = 0; i < 5_000; i++) {
          const next = new Y.Map<unknown>();
          cur.set('x', next);
          cur = next;
        }
      }),
    );
    expect(validateDoc(PAGE, doc).map((x) => x.rule)).toEqual(['too-deep']);
  });
});
