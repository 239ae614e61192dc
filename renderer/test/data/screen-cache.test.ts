// The screen cache (issue 16, screen-cache.ts): the newest messages shown before the pages load,
// and only while the pages' stored rows are those it was taken from. No relay.
import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import type { ConversationView } from '../../src/data/api';
import { LocalStore } from '../../src/data/store';
import { applyStored } from '../../src/data/doc-host';
import { SCREEN_CACHE_VERSION, parseScreen } from '../../src/data/screen-cache';
import { afterPaint, yieldToMain } from '../../src/data/yield';
import { Device, texts, viewWhere } from './harness';
import * as page from '../../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../../core/src/model/rooms';
import { encodeHlc, wallOf } from '../../../core/src/hlc';

const NOWHERE = 'http://127.0.0.1:9';

/** The stored record of a conversation's screen cache, once written. */
async function storedScreen(dev: Device, convId: string, pred: (v: unknown) => boolean = () => true): Promise<unknown> {
  const store = await LocalStore.open(dev.idb);
  try {
    for (;;) {
      const v = await store.getMeta(`screen:${convId}`);
      if (v !== undefined && pred(v)) return v;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await store.close();
  }
}

async function putScreen(dev: Device, convId: string, value: unknown): Promise<void> {
  const store = await LocalStore.open(dev.idb);
  await store.putMeta(`screen:${convId}`, value);
  await store.close();
}

/** Every view the conversation emits from opening until its pages are loaded, and the last. */
async function openAndRecord(dev: Device, convId: string): Promise<{ views: ConversationView[]; close: () => Promise<void> }> {
  const client = await dev.start({ relay: false });
  const conv = client.open(convId);
  const views: ConversationView[] = [];
  // Rows from the documents offer actions (a deleted one does not); cached rows none.
  let done = () => {};
  const fromDocuments = new Promise<void>((resolve) => (done = resolve));
  const off = conv.observe((v) => {
    views.push(v);
    if (v.messages.some((m) => m.canDelete)) done();
  });
  await conv.loadRecent();
  await fromDocuments;
  off();
  return { views, close: () => client.close() };
}

async function seeded(dev: Device, words: string[]): Promise<string> {
  const client = await dev.start({ relay: false });
  const id = await client.createConversation('Notes');
  const conv = client.open(id);
  await conv.loadRecent();
  for (const w of words) await conv.send(w);
  await viewWhere(conv, (v) => v.messages.length === words.length);
  await storedScreen(dev, id, (v) => parseScreen(v)?.messages.length === words.length);
  await client.close();
  return id;
}

describe('screen cache', () => {
  it('shows the newest messages from the cache before the pages load, then the documents’ rows', async () => {
    const dev = new Device('Ada', NOWHERE);
    const id = await seeded(dev, ['one', 'two', 'three']);
    const { views, close } = await openAndRecord(dev, id);
    const first = views.find((v) => v.messages.length > 0) as ConversationView;
    expect(texts(first)).toEqual(['one', 'two', 'three']);
    // Cached rows offer no actions until the documents are there; then they are the documents'.
    expect(first.messages.every((m) => !m.canDelete && !m.canEdit && m.mine)).toBe(true);
    expect(texts(views.at(-1) as ConversationView)).toEqual(['one', 'two', 'three']);
    expect((views.at(-1) as ConversationView).messages.every((m) => m.canDelete)).toBe(true);
    await close();
  });

  it('an edit and a deletion stored since the cache was written are never shown from it', async () => {
    const dev = new Device('Ada', NOWHERE);
    const id = await seeded(dev, ['one', 'two', 'three']);
    const before = await storedScreen(dev, id);
    // Another window edits and deletes; its own cache write is lost (as in a crash): the old
    // record is put back. The pages' rows changed, so the old record is stale.
    const other = await dev.start({ relay: false });
    const conv = other.open(id);
    await conv.loadRecent();
    const v = await viewWhere(conv, (x) => x.messages.length === 3 && x.messages.every((m) => m.canEdit));
    await conv.edit((v.messages[0] as { id: string }).id, 'one, edited');
    await conv.remove((v.messages[1] as { id: string }).id);
    await viewWhere(conv, (x) => texts(x).join() === 'one, edited,<deleted>,three');
    await other.close();
    await putScreen(dev, id, before);
    const { views, close } = await openAndRecord(dev, id);
    for (const view of views) {
      const t = texts(view);
      expect(t).not.toContain('one');
      expect(t).not.toContain('two');
    }
    expect(texts(views.at(-1) as ConversationView)).toEqual(['one, edited', '<deleted>', 'three']);
    await close();
    // The documents' view wrote the cache again: the next open shows the edit at once.
    await storedScreen(dev, id, (x) => parseScreen(x)?.messages[0]?.text === 'one, edited');
    const again = await openAndRecord(dev, id);
    expect(texts(again.views.find((x) => x.messages.length > 0) as ConversationView)).toEqual([
      'one, edited',
      '<deleted>',
      'three',
    ]);
    await again.close();
  });

  it('a corrupt record or one of another version is ignored: the documents are shown', async () => {
    const dev = new Device('Ada', NOWHERE);
    const id = await seeded(dev, ['one', 'two']);
    const good = (await storedScreen(dev, id)) as { v: number; messages: Array<Record<string, unknown>> };
    const bad: unknown[] = [
      'not a record',
      { ...good, v: SCREEN_CACHE_VERSION + 1 },
      { ...good, messages: [{ ...good.messages[0], text: 42 }, good.messages[1]] },
      { ...good, rooms: [{ room: 7, keys: [] }] },
      { ...good, messages: [] },
    ];
    for (const value of bad) {
      expect(parseScreen(value)).toBeNull();
      await putScreen(dev, id, value);
      const { views, close } = await openAndRecord(dev, id);
      // No view offers a row without actions (a cached row): the first rows are the documents'.
      const first = views.find((v) => v.messages.length > 0) as ConversationView;
      expect(first.messages.every((m) => m.canDelete)).toBe(true);
      expect(texts(first)).toEqual(['one', 'two']);
      await close();
    }
  });
});

describe('the top of the list, read at start', () => {
  it('opens from the read made at start; rows written since by this window are never shown from it', async () => {
    const dev = new Device('Ada', NOWHERE);
    const id = await seeded(dev, ['one', 'two', 'three']);

    // Opened after the start settled: no IndexedDB read of the record at open.
    const client = await dev.start({ relay: false });
    await new Promise((r) => setTimeout(r, 50));
    const gets = vi.spyOn(IDBObjectStore.prototype, 'get');
    const conv = client.open(id);
    const cachedFirst = await viewWhere(conv, (v) => v.messages.length > 0);
    expect(texts(cachedFirst)).toEqual(['one', 'two', 'three']);
    expect(cachedFirst.messages.every((m) => !m.canDelete)).toBe(true); // from the cache
    expect(gets.mock.calls.filter(([k]) => k === `screen:${id}`)).toHaveLength(0);
    gets.mockRestore();
    conv.close();
    await client.close();

    // This window changes the page right after start, before opening: the read made at start is
    // stale, so the record is read again (and found stale too): the documents are shown.
    const again = await dev.start({ relay: false });
    const room = pageRoom(id, periodOfMessage((cachedFirst.messages[0] as { id: string }).id));
    const doc = new Y.Doc();
    for (const row of (await again.store.readDoc(room)).rows) Y.applyUpdate(doc, row.data);
    const sv = Y.encodeStateVector(doc);
    page.editMessage(doc, (cachedFirst.messages[0] as { id: string }).id, again.me, 'one, changed', Date.now());
    await again.store.append(room, Y.encodeStateAsUpdate(doc, sv));
    const views: ConversationView[] = [];
    const c2 = again.open(id);
    const off = c2.observe((v) => views.push(v));
    await c2.loadRecent();
    await viewWhere(c2, (v) => texts(v)[0] === 'one, changed' && v.messages.every((m) => m.canDelete));
    off();
    for (const v of views) expect(texts(v)).not.toContain('one');
    c2.close();
    await again.close();
  });
});

describe('a big page', () => {
  it('its views are built in slices; an edit arriving meanwhile is shown, nothing is lost', async () => {
    const dev = new Device('Ada', NOWHERE);
    const client = await dev.start({ relay: false });
    const id = await client.createConversation('Big');
    const conv = client.open(id);
    await conv.loadRecent();
    const first = await conv.send('first');
    await client.close();
    // 3,000 more messages on the same page, stored as one row (as after a sync).
    const room = pageRoom(id, periodOfMessage(first.id));
    const extra = new Y.Doc();
    const before = wallOf(first.id) - 3001;
    for (let i = 0; i < 3000; i++) {
      page.addMessage(extra, {
        id: encodeHlc({ wall: before + i, counter: 0, node: 'B9GPAGE1' }),
        author: dev.userId,
        text: `m${i}`,
        createdAt: before + i,
      });
    }
    const store = await LocalStore.open(dev.idb);
    await store.readDoc(room);
    await store.append(room, Y.encodeStateAsUpdate(extra));
    await store.close();
    const again = await dev.start({ relay: false });
    const c = again.open(id);
    const loaded = c.loadRecent();
    await loaded;
    await c.edit(first.id, 'first, edited');
    const v = await viewWhere(c, (x) => x.messages.length === 3001 && x.messages.at(-1)?.text === 'first, edited');
    expect(v.messages[0]?.text).toBe('m0');
    expect(v.messages.every((m, i) => i === 0 || (v.messages[i - 1] as { id: string }).id < m.id)).toBe(true);
    await again.close();
  });
});

describe('loading a stored document', () => {
  it('applies the rows without encoding them again; update listeners are told once', () => {
    const src = new Y.Doc();
    src.getMap('m').set('a', 'x'.repeat(1000));
    const doc = new Y.Doc();
    const seen: Uint8Array[] = [];
    doc.on('update', (u: Uint8Array) => seen.push(u));
    const refused: Array<{ seq: number; reason: string }> = [];
    applyStored(doc, [{ doc: 'd', seq: 1, data: Y.encodeStateAsUpdate(src) }, { doc: 'd', seq: 2, data: new Uint8Array([9]) }], refused);
    expect(doc.getMap('m').get('a')).toHaveLength(1000);
    expect(seen).toHaveLength(1);
    expect(Array.from(seen[0] as Uint8Array)).toEqual([0, 0]); // an empty update, not the state
    expect(refused.map((r) => r.seq)).toEqual([2]);
    // Listeners work as before afterwards.
    doc.getMap('m').set('b', 1);
    expect(seen).toHaveLength(2);
  });

  it('yields to a later task (after pending microtasks), and after a paint where there is none', async () => {
    const order: string[] = [];
    const y = yieldToMain().then(() => order.push('yield'));
    queueMicrotask(() => order.push('microtask'));
    await y;
    expect(order).toEqual(['microtask', 'yield']);
    await afterPaint(); // no requestAnimationFrame under Node: a later task
  });
});
