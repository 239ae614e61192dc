// A stored document in pieces (pieces.ts, issue 16): a snapshot cut into updates that each apply
// completely on their own, in order; written by compaction, read back by a restart, and an old
// uncut snapshot cut at its next load.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import * as page from '../../../core/src/model/page';
import { pageRoom, periodOf } from '../../../core/src/model/rooms';
import { PIECE_STRUCTS, splitUpdate } from '../../src/data/pieces';
import { LocalStore } from '../../src/data/store';
import { Device, viewWhere } from './harness';
import { rng } from '../rng';

const USERS = ['ADA0000000000000', 'BEB0000000000000', 'CY00000000000000'];

/**
 * Three people writing one page concurrently, syncing now and then: messages (some replies),
 * edits, deletions, reactions on and off, a text field beside them. What a busy week looks like.
 */
function busyPage(seed: number, messages: number): Y.Doc {
  const rand = rng(seed);
  const docs = USERS.map((_, i) => {
    const d = new Y.Doc();
    d.clientID = 1000 + i;
    return d;
  });
  const sync = () => {
    for (const a of docs) for (const b of docs) if (a !== b) Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  };
  const t0 = 1_800_000_000_000;
  const ids: Array<{ id: string; author: number }> = [];
  for (let i = 0; i < messages; i++) {
    const who = Math.floor(rand() * 3);
    const d = docs[who] as Y.Doc;
    const id = `${(t0 + i).toString(36).padStart(9, '0')}-0000-${USERS[who]}`;
    const roots = ids.filter((m) => page.getMessage(d, m.id)?.parent === null);
    const parent = rand() < 0.2 && roots.length > 0 ? roots[Math.floor(rand() * roots.length)]?.id : undefined;
    page.addMessage(d, {
      id,
      author: USERS[who] as string,
      text: `message ${i} ${'x'.repeat(Math.floor(rand() * 40))}`,
      createdAt: t0 + i,
      ...(parent !== undefined ? { parent } : {}),
    });
    ids.push({ id, author: who });
    const r = rand();
    const mine = ids.filter((m) => m.author === who && page.getMessage(d, m.id)?.deleted === false);
    const target = mine[Math.floor(rand() * mine.length)];
    if (r < 0.15 && target) page.editMessage(d, target.id, USERS[who] as string, `edited ${i}`, t0 + i);
    else if (r < 0.2 && target) page.deleteMessage(d, target.id, USERS[who] as string, t0 + i);
    else if (r < 0.4) {
      const m = ids[Math.floor(rand() * ids.length)];
      if (m && page.getMessage(d, m.id) && !page.getMessage(d, m.id)?.deleted) {
        page.react(d, m.id, ['👍', '🎉'][Math.floor(rand() * 2)] as string, USERS[who] as string, rand() < 0.8, t0 + i);
      }
    }
    if (rand() < 0.05) d.getText('notes').insert(Math.floor(rand() * (d.getText('notes').length + 1)), `n${i}`);
    if (rand() < 0.15) sync();
  }
  sync();
  return docs[0] as Y.Doc;
}

function same(a: Y.Doc, b: Y.Doc): void {
  expect(page.listMessages(b)).toEqual(page.listMessages(a));
  // (A map's iteration order is the order its entries were integrated: compared by key.)
  const reactions = (d: Y.Doc) => [...page.listAllReactions(d)].sort(([x], [y]) => (x < y ? -1 : 1));
  expect(reactions(b)).toEqual(reactions(a));
  expect(b.getText('notes').toString()).toBe(a.getText('notes').toString());
  expect(Y.encodeStateVector(b)).toEqual(Y.encodeStateVector(a));
  // Deletions included: the rebuilt document encodes to the same snapshot.
  expect(Y.encodeStateAsUpdate(b)).toEqual(Y.encodeStateAsUpdate(a));
}

describe('splitUpdate', () => {
  it('cuts a busy page into pieces that apply in order, none waiting for a later one', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const source = busyPage(seed, 300);
      const snapshot = Y.encodeStateAsUpdate(source);
      const pieces = splitUpdate(snapshot, 200);
      expect(pieces.length).toBeGreaterThan(3);
      const rebuilt = new Y.Doc();
      for (const piece of pieces) {
        Y.applyUpdate(rebuilt, piece);
        // Everything a piece refers to came with it or before it.
        expect(rebuilt.store.pendingStructs).toBeNull();
      }
      same(source, rebuilt);
    }
  });

  it('pieces applied out of order still make the same document (they are plain updates)', () => {
    const source = busyPage(7, 200);
    const pieces = splitUpdate(Y.encodeStateAsUpdate(source), 150);
    const rebuilt = new Y.Doc();
    for (const piece of [...pieces].reverse()) Y.applyUpdate(rebuilt, piece);
    same(source, rebuilt);
  });

  it('leaves a small snapshot whole; cuts an update that continues a document it does not hold', () => {
    const source = busyPage(8, 20);
    const snapshot = Y.encodeStateAsUpdate(source);
    expect(splitUpdate(snapshot, PIECE_STRUCTS)).toEqual([snapshot]);
    // What the pieces refer to outside the update is taken as already there.
    const d = new Y.Doc();
    d.getMap('m').set('a', 1);
    const base = Y.encodeStateAsUpdate(d);
    const sv = Y.encodeStateVector(d);
    for (let i = 0; i < 50; i++) d.getMap('m').set(i % 2 === 0 ? 'a' : `k${i}`, i);
    const pieces = splitUpdate(Y.encodeStateAsUpdate(d, sv), 10);
    expect(pieces.length).toBeGreaterThan(1);
    const rebuilt = new Y.Doc();
    Y.applyUpdate(rebuilt, base);
    for (const p of pieces) {
      Y.applyUpdate(rebuilt, p);
      expect(rebuilt.store.pendingStructs).toBeNull();
    }
    expect(rebuilt.getMap('m').toJSON()).toEqual(d.getMap('m').toJSON());
  });
});

describe('pieces on disk', () => {
  const NOWHERE = 'http://127.0.0.1:9';

  it('a busy page is compacted in pieces, read back whole, and not compacted again at the next start', async () => {
    const dev = new Device('Ada', NOWHERE);
    const t0 = 2_000 * 7 * 24 * 3600 * 1000 + 60_000;
    let t = t0;
    const client = await dev.start({ relay: false, now: () => t });
    const id = await client.createConversation('Busy');
    const conv = client.open(id);
    await conv.loadRecent();
    const n = 400;
    for (let i = 0; i < n; i++) {
      t += 1000;
      await conv.send(`line ${i} of a busy week`);
    }
    conv.close();
    await client.close();
    const room = pageRoom(id, periodOf(t0));
    const rowsOnDisk = async () => {
      const st = await LocalStore.open(dev.idb);
      try {
        return (await st.readDoc(room)).rows;
      } finally {
        await st.close();
      }
    };
    // Compacted every 64 rows while writing; the start below compacts the rows after the last.
    const again = await dev.start({ relay: false, now: () => t });
    const c2 = again.open(id);
    await c2.loadRecent();
    await viewWhere(c2, (v) => v.messages.length >= 1);
    c2.close();
    await again.close();
    const cut = await rowsOnDisk();
    expect(cut.length).toBeGreaterThan(1);
    expect(cut.every((r) => r.p === 1)).toBe(true);
    // Each piece applies whole, in order, with nothing pending.
    const doc = new Y.Doc();
    for (const r of cut) {
      Y.applyUpdate(doc, r.data);
      expect(doc.store.pendingStructs).toBeNull();
    }
    expect(page.listMessages(doc)).toHaveLength(n);
    // A start that finds only pieces writes nothing.
    const third = await dev.start({ relay: false, now: () => t });
    const c3 = third.open(id);
    await c3.loadRecent();
    const v = await viewWhere(c3, (x) => x.messages.some((m) => m.text === `line ${n - 1} of a busy week`));
    expect(v.messages.at(-1)?.text).toBe(`line ${n - 1} of a busy week`);
    c3.close();
    await third.close();
    expect((await rowsOnDisk()).map((r) => r.seq)).toEqual(cut.map((r) => r.seq));
  });

  /**
   * A conversation whose week is one uncut snapshot, as a Ferry before pieces stored it: `texts`
   * messages written straight into the page and compacted without a cut.
   */
  async function uncutPage(texts: string[]): Promise<{ dev: Device; id: string; room: string; doc: Y.Doc; now: () => number }> {
    const dev = new Device('Ada', NOWHERE);
    const t0 = 2_000 * 7 * 24 * 3600 * 1000 + 60_000;
    let t = t0;
    const now = () => t;
    const client = await dev.start({ relay: false, now });
    const id = await client.createConversation('Old');
    const conv = client.open(id);
    await conv.loadRecent();
    await conv.send('hello');
    conv.close();
    await client.close();
    const room = pageRoom(id, periodOf(t0));
    const st = await LocalStore.open(dev.idb);
    const doc = new Y.Doc();
    for (const r of (await st.readDoc(room)).rows) Y.applyUpdate(doc, r.data);
    const me = page.listMessages(doc)[0]?.author as string;
    for (const text of texts) {
      t += 1000;
      page.addMessage(doc, { id: `${t.toString(36).padStart(9, '0')}-0000-${me}`, author: me, text, createdAt: t });
    }
    await st.compact(room, Y.encodeStateAsUpdate(doc));
    const rows = (await st.readDoc(room)).rows;
    await st.close();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.p).toBeUndefined();
    return { dev, id, room, doc, now };
  }

  /** Starts the app, opens the conversation until `shown`, closes; the page's rows on disk then. */
  async function rowsAfterStart(
    o: { dev: Device; id: string; room: string; now: () => number },
    shown: (v: { messages: Array<{ text: string }> }) => boolean,
  ) {
    const c = await o.dev.start({ relay: false, now: o.now });
    const cv = c.open(o.id);
    await cv.loadRecent();
    await viewWhere(cv, shown);
    cv.close();
    await c.close();
    const st = await LocalStore.open(o.dev.idb);
    try {
      return (await st.readDoc(o.room)).rows;
    } finally {
      await st.close();
    }
  }

  it('a large snapshot of few structs is marked once cut, even as one piece, and not rewritten at every start', async () => {
    // 30 messages of 3,500 characters: over 48 KB stored, far below a piece's structs.
    const old = await uncutPage(Array.from({ length: 30 }, (_, i) => `${i} ${'long words '.repeat(318)}`.slice(0, 3500)));
    expect(Y.encodeStateAsUpdate(old.doc).byteLength).toBeGreaterThan(48 * 1024);
    const first = await rowsAfterStart(old, (v) => v.messages.length === 31);
    expect(first).toHaveLength(1);
    expect(first[0]?.p).toBe(1);
    const second = await rowsAfterStart(old, (v) => v.messages.length === 31);
    expect(second.map((r) => r.seq)).toEqual(first.map((r) => r.seq));
  });

  it('a large snapshot written before pieces is cut at its next load; nothing in it is lost', async () => {
    const old = await uncutPage(Array.from({ length: 600 }, (_, i) => `old ${i}`));
    const after = await rowsAfterStart(old, (v) => v.messages.some((m) => m.text === 'old 599'));
    expect(after.length).toBeGreaterThan(1);
    expect(after.every((r) => r.p === 1)).toBe(true);
    const rebuilt = new Y.Doc();
    for (const r of after) Y.applyUpdate(rebuilt, r.data);
    expect(page.listMessages(rebuilt)).toEqual(page.listMessages(old.doc));
  });
});
