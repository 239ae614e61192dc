// Two devices against a real relay process: convergence, delivery state, offline writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationSummary } from '../../src/data/api';
import * as Y from 'yjs';
import { listMessages } from '../../../core/src/model/page';
import { pageRoom, periodOf, periodOfMessage } from '../../../core/src/model/rooms';
import { LocalStore } from '../../src/data/store';
import { Device, removeDir, startRelay, texts, viewWhere, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  // The previous release's mode (no accounts, the workspace catalogue): accounts.test.ts
  // covers the same paths signed in.
  relay = await startRelay({ auth: false });
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

function listWhere(
  client: { conversations: (l: (v: ConversationSummary[]) => void) => () => void },
  pred: (v: ConversationSummary[]) => boolean,
): Promise<ConversationSummary[]> {
  return new Promise((resolve) => {
    let off: () => void = () => {};
    off = client.conversations((v) => {
      if (pred(v)) {
        queueMicrotask(() => off());
        resolve(v);
      }
    });
  });
}

describe('sync through the relay', () => {
  it('two clients converge; a message goes from pending to stored', async () => {
    const a = await new Device('Ada', relay.url).start();
    const b = await new Device('Bo', relay.url).start();
    const id = await a.createConversation('Harbour');
    const ca = a.open(id);
    await ca.loadRecent();
    const sent = await ca.send('hello from Ada');
    // On disk at once; the relay confirms with its state vector after its durable write.
    expect(['pending', 'stored']).toContain(sent.delivery);
    await viewWhere(ca, (v) => v.messages[0]?.delivery === 'stored');

    // B learns of the conversation through the workspace document, then reads it.
    const list = await listWhere(b, (l) => l.some((c) => c.id === id));
    expect(list.find((c) => c.id === id)?.title).toBe('Harbour');
    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => texts(v).includes('hello from Ada'));
    await cb.send('hi Ada, Bo here');
    const va = await viewWhere(ca, (v) => v.messages.length === 2);
    const vb = await viewWhere(cb, (v) => v.messages.length === 2);
    expect(texts(va)).toEqual(texts(vb));
    expect(va.messages.map((m) => m.id)).toEqual(vb.messages.map((m) => m.id));
    expect(va.messages[1]?.authorName).toBe('Bo');
    await a.whenSettled();
    await b.whenSettled();
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });

  it('offline writes (relay stopped for real) merge on reconnect, identical on both', async () => {
    const devA = new Device('Ada', relay.url);
    const devB = new Device('Bo', relay.url);
    const a = await devA.start();
    let b = await devB.start();
    const id = await a.createConversation('Ship');
    const ca = a.open(id);
    await ca.loadRecent();
    const first = await ca.send('before the storm');
    await a.whenSettled();
    await listWhere(b, (l) => l.some((c) => c.id === id));
    let cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.length === 1);

    // The network is up, the relay is not: "unreachable", and it stays so through the
    // reconnect attempts (no flicker back to "connecting") until the relay answers again.
    const seenByA: string[] = [];
    const stopWatching = a.sync((s) => seenByA.push(s.connection));
    await relay.stop();
    await new Promise<void>((r) => a.sync((s) => s.connection === 'unreachable' && r()));
    await new Promise<void>((r) => b.sync((s) => s.connection === 'unreachable' && r()));

    const a1 = await ca.send('A offline 1');
    await ca.send('A offline 2');
    await ca.edit(first.id, 'before the storm (edited offline)');
    await ca.remove(a1.id);
    await cb.send('B offline');
    // B reloads while the relay is down: all its history comes from disk.
    cb.close();
    await b.close();
    b = await devB.start();
    cb = b.open(id);
    await cb.loadRecent();
    expect(texts(await viewWhere(cb, (v) => v.messages.length === 2))).toEqual([
      'before the storm',
      'B offline',
    ]);
    expect(a1.writtenOffline).toBe(true);
    let pendingA = 0;
    a.sync((s) => (pendingA = s.pending))();
    expect(pendingA).toBeGreaterThan(0);

    await relay.restart();
    await a.whenSettled(20_000);
    await b.whenSettled(20_000);
    stopWatching();
    const afterFailure = seenByA.slice(seenByA.indexOf('unreachable'));
    expect(afterFailure.at(-1)).toBe('online');
    expect(afterFailure.slice(0, afterFailure.indexOf('online'))).not.toContain('connecting');
    const want = (v: { messages: unknown[] }) => v.messages.length === 4;
    const va = await viewWhere(ca, (v) => want(v) && v.messages.every((m) => m.delivery === 'stored' || !m.mine));
    const vb = await viewWhere(cb, (v) => want(v) && texts(v).includes('before the storm (edited offline)'));
    expect(texts(va)).toEqual(texts(vb));
    expect(texts(va)).toContain('<deleted>');
    expect(va.messages.map((m) => m.id)).toEqual(vb.messages.map((m) => m.id));
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });
});

describe('bounded connections and catch-up', () => {
  it('30 conversations over one socket; catch-up fetches meta documents and newest pages, not history', async () => {
    const a = await new Device('Ada', relay.url).start();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const id = await a.createConversation(`Room ${i}`);
      const c = a.open(id);
      await c.loadRecent();
      await c.send(`first words in room ${i}`);
      c.close();
      ids.push(id);
    }
    await a.whenSettled(20_000);

    const devB = new Device('Bo', relay.url);
    const b = await devB.start();
    let maxTotal = 0;
    b.sync((s) => (maxTotal = Math.max(maxTotal, s.catchUp?.total ?? 0)));
    const list = await listWhere(
      b,
      (l) => ids.every((id) => l.find((c) => c.id === id)?.lastMessage !== null && l.some((c) => c.id === id)),
    );
    await b.whenSettled(20_000);
    expect(list.find((c) => c.id === ids[7])?.lastMessage?.text).toBe('first words in room 7');
    expect(list.find((c) => c.id === ids[7])?.unread).toBe(1);
    const named = await listWhere(b, (l) => l.find((c) => c.id === ids[7])?.lastMessage?.authorName === 'Ada');
    expect(named.length).toBeGreaterThanOrEqual(30);
    expect(maxTotal).toBeGreaterThanOrEqual(31); // workspace + every meta document
    expect(devB.sockets).toBe(1); // one real socket for all of them
    // Only each conversation's newest page (the preview and unread count are read from it).
    const records = await b.store.docRecords();
    const fetched = [...records.keys()].filter((r) => /\/p\d+$/.test(r)).sort();
    const convOf = (room: string) => room.slice(0, room.lastIndexOf('/'));
    expect(new Set(fetched.map(convOf)).size).toBe(fetched.length); // one page each at most
    await a.close();
    await b.close();
  });

  it('catch-up brings pages this device holds up to date without opening the conversation', async () => {
    const a = await new Device('Ada', relay.url).start();
    const devB = new Device('Bo', relay.url);
    let b = await devB.start();
    const id = await a.createConversation('Deck');
    const ca = a.open(id);
    await ca.loadRecent();
    const first = await ca.send('one');
    await a.whenSettled();
    await listWhere(b, (l) => l.some((c) => c.id === id));
    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.length === 1);
    await b.whenSettled();
    cb.close();
    await b.close(); // B quits; A keeps writing on the page B holds
    await ca.send('two');
    await ca.send('three');
    await a.whenSettled();

    b = await devB.start(); // B starts and catches up; nobody opens the conversation
    await b.whenSettled(20_000);
    await b.close();
    const room = pageRoom(id, periodOf(first.createdAt));
    const store = await LocalStore.open(devB.idb);
    const { rows } = await store.readDoc(room);
    await store.close();
    const doc = new Y.Doc();
    for (const r of rows) Y.applyUpdate(doc, r.data);
    expect(listMessages(doc).map((m) => m.text)).toEqual(['one', 'two', 'three']);
    ca.close();
    await a.close();
  });

  it('restarts while connected (catch-up each time) do not grow the stored updates', async () => {
    const dev = new Device('Ada', relay.url);
    let a = await dev.start();
    const id = await a.createConversation('Quiet');
    const c = a.open(id);
    await c.loadRecent();
    for (let i = 0; i < 10; i++) await c.send(`note ${i}`);
    await a.whenSettled();
    c.close();
    await a.close();
    const bytes = async () => {
      const store = await LocalStore.open(dev.idb);
      const b = await store.storedBytes();
      await store.close();
      return b.updates;
    };
    const sizes: number[] = [];
    for (let r = 0; r < 5; r++) {
      a = await dev.start();
      await a.whenSettled(20_000);
      const conv = a.open(id);
      await conv.loadRecent();
      await viewWhere(conv, (v) => v.messages.length === 10 && v.messages.every((m) => m.delivery === 'stored'));
      conv.close();
      await a.close();
      sizes.push(await bytes());
    }
    // The first start compacts the rows appended while writing; then nothing more is stored.
    expect(new Set(sizes.slice(1)).size).toBe(1);
  });

  it('without the mux (one stock socket per document) two clients still converge', async () => {
    const devA = new Device('Ada', relay.url);
    const devB = new Device('Bo', relay.url);
    const a = await devA.start({ mux: false });
    const b = await devB.start({ mux: false });
    const id = await a.createConversation('Plain sockets');
    const ca = a.open(id);
    await ca.loadRecent();
    await ca.send('over a plain socket');
    await listWhere(b, (l) => l.some((c) => c.id === id));
    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => texts(v).includes('over a plain socket'));
    await viewWhere(ca, (v) => v.messages[0]?.delivery === 'stored');
    expect(devB.sockets).toBeGreaterThan(1); // one per open document
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });

  it("reacts to the window's offline/online events at once", async () => {
    const events = new EventTarget();
    const a = await new Device('Ada', relay.url).start({ events });
    await a.whenSettled();
    const seen: string[] = [];
    const off = a.sync((s) => seen.push(s.connection));
    events.dispatchEvent(new Event('offline'));
    await new Promise<void>((r) => a.sync((s) => s.connection === 'offline' && r()));
    events.dispatchEvent(new Event('online'));
    await a.whenSettled();
    off();
    expect(seen).toContain('offline');
    await a.close();
  });
});

describe('a conversation named while catching up (workspace mode)', () => {
  it('is followed as soon as catch-up ends, not at the next reconnect', async () => {
    const a = await new Device('Ada', relay.url).start();
    const old = await a.createConversation('Quay');
    const ca = a.open(old);
    await ca.loadRecent();
    const before = await ca.send('from before');
    await viewWhere(ca, (v) => v.messages[0]?.delivery === 'stored');

    // Bo's first start: the old conversation's newest page is slow to come.
    const boDevice = new Device('Bo', relay.url);
    const slow = boDevice.hold((room) => room === pageRoom(old, periodOfMessage(before.id)));
    const b = await boDevice.start();
    await slow.held;

    // Meanwhile Ada starts another conversation and writes in it: Bo's list names it at once...
    const fresh = await a.createConversation('Jetty');
    const cf = a.open(fresh);
    await cf.loadRecent();
    await cf.send('hello while you sync');
    await listWhere(b, (l) => l.some((c) => c.id === fresh));

    // ...and once catch-up ends, its preview and unread count come without Bo opening it.
    slow.release();
    const list = await listWhere(b, (l) =>
      l.some((c) => c.id === fresh && c.lastMessage?.text === 'hello while you sync' && c.unread === 1),
    );
    expect(list.find((c) => c.id === old)?.lastMessage?.text).toBe('from before');
    ca.close();
    cf.close();
    await a.close();
    await b.close();
  });
});
