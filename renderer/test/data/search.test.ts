// Offline search through the data layer, signed in to a REAL relay with accounts: another
// user's messages arriving while online are found, searching works with the relay stopped and
// after a restart of the app offline, edits and deletions update the results, `from:` and
// `in:` resolve names through the directory, a hit reveals its message, forgetting a
// conversation drops its messages, odd queries answer with notes instead of failing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { encodeHlc, parseHlc } from '../../../core/src/hlc';
import * as page from '../../../core/src/model/page';
import { parseRoom } from '../../../core/src/model/rooms';
import type { SearchResults } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { userDbName } from '../../src/data/accounts';
import { SEARCH_DISK_KEY } from '../../src/data/search-disk';
import { LocalStore } from '../../src/data/store';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

/** Searches again on every change of the conversation list until `pred` holds. */
function searchUntil(
  client: Client,
  query: string,
  pred: (r: SearchResults) => boolean,
  timeoutMs = 15_000,
): Promise<SearchResults> {
  return new Promise((resolve, reject) => {
    let last: SearchResults | null = null;
    let done = false;
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      done = true;
      off();
      const failed = JSON.stringify([...(client.searchFeed?.failed ?? [])]);
      reject(new Error(`search "${query}" never matched; last: ${JSON.stringify(last?.hits.map((h) => h.snippet))}; failed: ${failed}`));
    }, timeoutMs);
    const attempt = async () => {
      if (done) return;
      const r = await client.search(query);
      if (r.cancelled || done) return;
      last = r;
      if (pred(r)) {
        done = true;
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(r);
      }
    };
    // Again whenever the index took in a change.
    const offIndex = client.searchFeed!.onChange(() => void attempt());
    const offList = client.conversations(() => void attempt());
    off = () => {
      offIndex();
      offList();
    };
  });
}

const snippets = (r: SearchResults) => r.hits.map((h) => h.snippet);

describe('search', () => {
  it('finds messages from another user while online, with the relay stopped, and after an offline restart', async () => {
    const own = await startRelay();
    try {
      const [ada, bo] = await Promise.all([own.createUser('Ada'), own.createUser('Bo')]);
      const a = await new Device('Ada', own.url).signIn(ada);
      const bDevice = new Device('Bo', own.url);
      const b = await bDevice.signIn(bo);
      const id = await a.createConversation({ kind: 'channel', title: 'Launch plan', visibility: 'private', members: [bo.id] });
      const ca = a.open(id);
      await ca.loadRecent();
      const msg = await ca.send('The déploy window opens on Friday at noon');
      await ca.send('Unrelated chatter about lunch');

      // Bo never opens the conversation: the synced page is indexed on arrival.
      const online = await searchUntil(b, 'deploy', (r) => r.hits.length === 1);
      const hit = online.hits[0]!;
      expect(hit).toMatchObject({
        conversationId: id,
        conversationTitle: 'Launch plan',
        messageId: msg.id,
        authorId: ada.id,
        authorName: 'Ada',
      });
      // Diacritics folded; the range covers the word as written.
      const [s, e] = hit.ranges[0]!;
      expect(hit.snippet.slice(s, e)).toBe('déploy');

      // The relay stops for real: searching needs nothing from it.
      await own.stop();
      await new Promise<void>((r) => b.sync((st) => st.connection === 'unreachable' && r()));
      expect(snippets(await b.search('window friday'))).toEqual(['The déploy window opens on Friday at noon']);
      expect((await b.search('lunch')).hits).toHaveLength(1);

      // Bo restarts the app offline: the index comes back from IndexedDB.
      await b.close();
      const b2 = (await bDevice.restore({ online: false })) as Client;
      await b2.searchFeed!.caughtUp;
      const again = await b2.search('deploy');
      expect(again.hits.map((h) => h.messageId)).toEqual([msg.id]);
      expect(again.indexing).toBe(false);

      // A hit opens in context: reveal loads its page and says the message is there.
      const cb = b2.open(id);
      expect(await cb.reveal(msg.id)).toBe(true);
      const v = await viewWhere(cb, (x) => x.messages.some((m) => m.id === msg.id));
      expect(v.messages.map((m) => m.text)).toContain('The déploy window opens on Friday at noon');
      cb.close();
      ca.close();
      await a.close();
      await b2.close();
    } finally {
      await own.stop();
      removeDir(own.dataDir);
    }
  });

  it('edits and deletions (mine and others) update the results; odd queries answer with notes', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Edits', visibility: 'private', members: [bo.id] });
    const ca = a.open(id);
    await ca.loadRecent();
    const m1 = await ca.send('Budget draft for the offsite');
    const m2 = await ca.send('Offsite venue is booked');
    await searchUntil(b, 'offsite', (r) => r.hits.length === 2);

    await ca.edit(m1.id, 'Budget final for the retreat');
    await searchUntil(b, 'offsite', (r) => r.hits.length === 1 && r.hits[0]!.messageId === m2.id);
    expect((await b.search('retreat')).hits.map((h) => h.messageId)).toEqual([m1.id]);
    await ca.remove(m2.id);
    await searchUntil(b, 'offsite', (r) => r.hits.length === 0);

    // My own edit, on my own device, is found at once (no relay round trip).
    const cb = b.open(id);
    await cb.loadRecent();
    const mine = await cb.send('Bring the projector');
    expect((await b.search('projector')).hits.map((h) => h.messageId)).toEqual([mine.id]);
    await cb.edit(mine.id, 'Bring the speakers');
    expect((await b.search('projector')).hits).toEqual([]);
    expect((await b.search('speakers')).hits).toHaveLength(1);

    // Odd input: answers with notes, never throws.
    const odd = await b.search('"unclosed quote');
    expect(odd.notes.join(' ')).toMatch(/quote/);
    const bad = await b.search('budget before:2026-13-45');
    expect(bad.notes.join(' ')).toMatch(/not a date/);
    expect(await cb.reveal('not-a-message-id')).toBe(false);

    cb.close();
    ca.close();
    await a.close();
    await b.close();
  });

  it('from: and in: resolve through the directory (usernames, display names, titles)', async () => {
    const [ada, bo, cy] = await Promise.all([relay.createUser('Ada Lovelace'), relay.createUser('Bo'), relay.createUser('Cy')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const c = await new Device('Cy', relay.url).signIn(cy);
    const ops = await a.createConversation({ kind: 'channel', title: 'Ops', visibility: 'private', members: [bo.id, cy.id] });
    const design = await c.createConversation({ kind: 'channel', title: 'Design review', visibility: 'private', members: [bo.id] });
    const co = a.open(ops);
    await co.loadRecent();
    await co.send('deploy tonight');
    await listWhere(c, (l) => l.some((x) => x.id === ops));
    const cOps = c.open(ops);
    await cOps.loadRecent();
    await cOps.send('deploy tomorrow instead');
    const cd = c.open(design);
    await cd.loadRecent();
    await cd.send('deploy the new palette');
    await searchUntil(b, 'deploy', (r) => r.hits.length === 3);

    const titles = (r: SearchResults) => r.hits.map((h) => `${h.conversationTitle}: ${h.snippet}`).sort();
    expect(titles(await b.search('deploy from:ada'))).toEqual(['Ops: deploy tonight']);
    expect(titles(await b.search('deploy from:"Ada Lovelace"'))).toEqual(['Ops: deploy tonight']);
    expect(titles(await b.search(`deploy from:${cy.username}`))).toEqual([
      'Design review: deploy the new palette',
      'Ops: deploy tomorrow instead',
    ]);
    expect(titles(await b.search('deploy in:ops'))).toEqual(['Ops: deploy tomorrow instead', 'Ops: deploy tonight']);
    expect(titles(await b.search('deploy in:"design review" from:cy'))).toEqual(['Design review: deploy the new palette']);
    expect(titles(await b.search('in:design'))).toEqual(['Design review: deploy the new palette']);
    const nobody = await b.search('deploy from:nobody');
    expect(nobody.hits).toEqual([]);
    expect(nobody.notes).toContain('No one called nobody.');
    const noroom = await b.search('deploy in:nowhere');
    expect(noroom.hits).toEqual([]);
    expect(noroom.notes).toContain('No conversation called nowhere.');

    for (const s of [co, cOps, cd]) s.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('a forgotten conversation leaves the index', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Secret', visibility: 'private', members: [bo.id] });
    const ca = a.open(id);
    await ca.loadRecent();
    await ca.send('the password rotation plan');
    await searchUntil(b, 'rotation', (r) => r.hits.length === 1);
    await a.removeMember(id, bo.id);
    await listWhere(b, (l) => l.some((x) => x.id === id && x.removed));
    // Removed but not forgotten: the local copy is still searchable.
    expect((await b.search('rotation')).hits).toHaveLength(1);
    await b.forget(id);
    expect((await b.search('rotation')).hits).toEqual([]);
    ca.close();
    await a.close();
    await b.close();
  });

  it('a start with nothing new decodes no page; a page changed on disk meanwhile is read and found', async () => {
    const [ada] = await Promise.all([relay.createUser('Ada')]);
    const device = new Device('Ada', relay.url);
    const a = await device.signIn(ada);
    const id = await a.createConversation({ kind: 'channel', title: 'Harbour', visibility: 'private', members: [] });
    const ca = a.open(id);
    await ca.loadRecent();
    const first = await ca.send('The ferry leaves at dawn');
    await searchUntil(a, 'dawn', (r) => r.hits.length === 1);
    ca.close();
    await a.close();

    // Page documents the start-up pass reads from disk (nothing else opens a page here).
    const reads = vi.spyOn(LocalStore.prototype, 'readDoc');
    const pageReads = () => reads.mock.calls.filter(([room]) => parseRoom(room)?.kind === 'page').length;
    const restart = async (): Promise<{ client: Client; pages: number }> => {
      reads.mockClear();
      const client = (await device.restore({ online: false })) as Client;
      await client.searchFeed!.caughtUp;
      return { client, pages: pageReads() };
    };
    try {
      // The first start after the page was written reads it once and notes its rows and mark.
      let r = await restart();
      expect(r.pages).toBe(1);
      await r.client.close();
      // Nothing new: no page is read, and the index still answers.
      r = await restart();
      expect(r.pages).toBe(0);
      expect((await r.client.search('dawn')).hits.map((h) => h.messageId)).toEqual([first.id]);
      await r.client.close();

      // A row lands on the page while the app is closed (as another window of this profile
      // would write it): its keys differ, so the next start reads the page and indexes it.
      const store = await LocalStore.open(device.idb, userDbName(ada.id));
      const room = [...(await store.rowKeysWithPrefix(`conv/${id}/`)).keys()].find((x) => parseRoom(x)?.kind === 'page')!;
      const doc = new Y.Doc();
      for (const row of (await store.readDoc(room)).rows) Y.applyUpdate(doc, row.data);
      const hlc = parseHlc(first.id);
      const later = encodeHlc({ ...hlc, counter: hlc.counter + 1 });
      const sv = Y.encodeStateVector(doc);
      page.addMessage(doc, { id: later, author: ada.id, text: 'Tickets at the kiosk', createdAt: first.createdAt });
      await store.append(room, Y.encodeStateAsUpdate(doc, sv));
      await store.close();
      r = await restart();
      expect(r.pages).toBe(1);
      expect((await r.client.search('kiosk')).hits.map((h) => h.messageId)).toEqual([later]);
      await r.client.close();

      // The record is this device's own and read defensively: garbage means reading pages again.
      const raw = await LocalStore.open(device.idb, userDbName(ada.id));
      await raw.putMeta(SEARCH_DISK_KEY, { v: 1, rooms: { [room]: { rows: 7, mark: null } } });
      await raw.close();
      r = await restart();
      expect(r.pages).toBe(1);
      expect((await r.client.search('dawn')).hits).toHaveLength(1);
      await r.client.close();
    } finally {
      reads.mockRestore();
    }
  });
});
