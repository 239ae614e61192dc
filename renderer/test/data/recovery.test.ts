// Recovering from a refused update (README, "Recovering from a refused update"; issue 10 item 1),
// against a REAL relay: a member squats Ada's page clientID with raw Yjs before Ada's first write
// there; Ada's write is refused; her app rebuilds the page on a new clientID, re-sends, tells her,
// and keeps syncing (also after a restart). A record a previous release stored with `denied`
// recovers on open; re-sent entries refused again are held (no loop), not delivered, exportable;
// and no clientID announced in a room's awareness is ever a clientID of that room's document.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { pageRoom, periodOf } from '../../../core/src/model/rooms';
import { readsOf } from '../../../core/src/model/meta';
import type { ConversationStore, ConversationView } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import type { ConversationViewExt } from '../../src/data/conversation';
import type { OpenDoc } from '../../src/data/docs';
import { userDbName } from '../../src/data/accounts';
import { LocalStore } from '../../src/data/store';
import { Device, removeDir, startRelay, texts, viewWhere, type Relay, type TestUser } from './harness';

let relay: Relay;
const raws: WebsocketProvider[] = [];
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  for (const p of raws) p.destroy();
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

const errorOf = (v: ConversationView): string => (v as ConversationViewExt).error ?? '';

/** Resolves once `pred` holds for the document (checked at each update; no sleeps). */
function docWhere(doc: Y.Doc, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pred()) return;
      clearTimeout(timer);
      doc.off('update', check);
      resolve();
    };
    const timer = setTimeout(() => {
      doc.off('update', check);
      reject(new Error('document never matched'));
    }, timeoutMs);
    doc.on('update', check);
    check();
  });
}

/** Resolves once `pred` holds for the open document's state (checked at each state change). */
function stateWhere(od: OpenDoc, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error('state never matched'));
    }, timeoutMs);
    const check = () => {
      if (!pred()) return;
      clearTimeout(timer);
      off();
      resolve();
    };
    off = od.onState(check);
    check();
  });
}

/**
 * A member with raw Yjs writes an entry of their own (an accepted write) in `room` using
 * `clientID`: the relay binds that clientID to them. Resolves once `witness` (another client's
 * copy of the room) has the entry, i.e. the relay accepted and forwarded it.
 */
async function squat(user: TestUser, room: string, clientID: number, witness: Y.Doc): Promise<void> {
  const login = await relay.api('POST', '/auth/login', { username: user.username, password: user.password }, '');
  const token = (login.body as { accessToken: string }).accessToken;
  const doc = new Y.Doc();
  doc.clientID = clientID;
  const raw = new WebsocketProvider(relay.url.replace(/^http/, 'ws'), room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token },
    disableBc: true,
  });
  raws.push(raw);
  await new Promise<void>((resolve) => raw.once('sync', () => resolve()));
  readsOf(doc).set(user.id, { id: null, at: 4242, counts: {} });
  await docWhere(witness, () => readsOf(witness).get(user.id)?.at === 4242);
}

interface Setup {
  ada: TestUser;
  bo: TestUser;
  devA: Device;
  a: Client;
  b: Client;
  ca: ConversationStore;
  cb: ConversationStore;
  id: string;
  room: string;
  /** Ada's page document before her first write there. */
  adaPage: OpenDoc;
}

/** Ada and Bo in a channel (created by `owner`), both with this week's page open; Ada has not written on it. */
async function setup(title: string, owner: 'ada' | 'bo' = 'ada'): Promise<Setup> {
  const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
  const devA = new Device('Ada', relay.url);
  const a = await devA.signIn(ada);
  const b = await new Device('Bo', relay.url).signIn(bo);
  const creator = owner === 'ada' ? a : b;
  const id = await creator.createConversation({
    kind: 'channel',
    title,
    visibility: 'private',
    members: [owner === 'ada' ? bo.id : ada.id],
  });
  await creator.whenSettled(20_000);
  const other = owner === 'ada' ? b : a;
  await new Promise<void>((resolve) => {
    const off = other.conversations((l) => {
      if (!l.some((c) => c.id === id)) return;
      queueMicrotask(() => off());
      resolve();
    });
  });
  const ca = a.open(id);
  const cb = b.open(id);
  await Promise.all([ca.loadRecent(), cb.loadRecent()]);
  const room = pageRoom(id, periodOf(Date.now()));
  const adaPage = a.host.get(room) as OpenDoc;
  const boPage = b.host.get(room) as OpenDoc;
  await Promise.all([adaPage.whenSynced(), boPage.whenSynced()]);
  expect(Y.getState(adaPage.doc.store, adaPage.doc.clientID)).toBe(0); // no write of Ada's there yet
  return { ada, bo, devA, a, b, ca, cb, id, room, adaPage };
}

describe('a refused update (clientID squatted before the first write)', () => {
  it('is recovered: rebuilt on a new clientID, re-sent, told, and the room keeps syncing after a restart', async () => {
    const { bo, devA, a, b, ca, cb, id, room, adaPage } = await setup('Squatted');
    const squatted = adaPage.doc.clientID;
    // Ada is offline; Bo, with raw Yjs, writes his own read marker with Ada's clientID.
    a.setOnline(false);
    await squat(bo, room, squatted, (b.host.get(room) as OpenDoc).doc);
    const sent = await ca.send('hello from Ada');
    expect(sent.delivery).toBe('pending');
    a.setOnline(true);

    // The relay refuses Ada's update ("belongs to another user"); her app rebuilds and re-sends.
    await viewWhere(cb, (v) => texts(v).includes('hello from Ada'));
    const told = await viewWhere(ca, (v) => /re-sent your unsent message/.test(errorOf(v)));
    expect(errorOf(told)).toMatch(/The server refused a change from this device \(.*another user.*\)/);
    expect(a.host.get(room)?.doc.clientID).not.toBe(squatted);
    await viewWhere(ca, (v) => v.messages.some((m) => m.text === 'hello from Ada' && m.delivery === 'stored'));
    await cb.send('reply from Bo');
    await viewWhere(ca, (v) => texts(v).includes('reply from Bo'));
    await a.whenSettled(20_000);

    // A restart comes back on the rebuilt state and syncs both ways.
    ca.close();
    await a.close();
    const a2 = (await devA.restore()) as Client;
    const ca2 = a2.open(id);
    await ca2.loadRecent();
    const page2 = a2.host.get(room) as OpenDoc;
    expect(page2.record.denied).toBeUndefined();
    expect(texts(await viewWhere(ca2, (v) => v.messages.length === 2))).toEqual(['hello from Ada', 'reply from Bo']);
    await cb.send('after the restart');
    await viewWhere(ca2, (v) => texts(v).includes('after the restart'));
    await ca2.send('Ada again');
    await viewWhere(cb, (v) => texts(v).includes('Ada again'));
    ca2.close();
    cb.close();
    await a2.close();
    await b.close();
  });

  it('a device record stored with `denied` by the previous release recovers on open', async () => {
    const { ada, bo, devA, a, b, cb, ca, id, room, adaPage } = await setup('Stuck before');
    const squatted = adaPage.doc.clientID;
    a.setOnline(false);
    await squat(bo, room, squatted, (b.host.get(room) as OpenDoc).doc);
    await ca.send('written before the upgrade');
    ca.close();
    await a.close();
    // What the previous release stored after the refusal: the room was never synced again.
    const store = await LocalStore.open(devA.idb, userDbName(ada.id));
    const rec = (await store.docRecords()).get(room);
    expect(rec?.pending.length).toBeGreaterThan(0);
    await store.putDocRecord(room, { ...rec!, denied: `clientID ${squatted} belongs to another user` });
    await store.close();

    const a2 = (await devA.restore()) as Client;
    const ca2 = a2.open(id);
    await ca2.loadRecent();
    await viewWhere(cb, (v) => texts(v).includes('written before the upgrade'));
    await viewWhere(ca2, (v) => /re-sent your unsent message/.test(errorOf(v)));
    await cb.send('welcome back');
    await viewWhere(ca2, (v) => texts(v).includes('welcome back'));
    expect(a2.host.get(room)?.doc.clientID).not.toBe(squatted);
    ca2.close();
    cb.close();
    await a2.close();
    await b.close();
  });

  it('re-sent entries refused again (archived meanwhile) are held: no loop, not delivered, exportable; the room still receives', async () => {
    const { bo, a, b, ca, cb, id, room, adaPage } = await setup('Archived meanwhile', 'bo');
    const squatted = adaPage.doc.clientID;
    let recovered = 0;
    const policy = a.host.policy!;
    const onRecovered = policy.onRecovered!;
    policy.onRecovered = (...args) => {
      if (args[0] === room) recovered++;
      onRecovered(...args);
    };
    let denials = 0;
    const onDenied = policy.onDenied!;
    policy.onDenied = (...args) => {
      if (args[0] === room) denials++;
      onDenied(...args);
    };
    a.setOnline(false);
    await squat(bo, room, squatted, (b.host.get(room) as OpenDoc).doc);
    await b.setArchived(id, true);
    await ca.send('sent into the archive');
    a.setOnline(true);

    // Both the page (squatted, then archived) and the meta document (archived) end held.
    const held = await viewWhere(ca, (v) => /refused your changes here again/.test(errorOf(v)));
    expect(errorOf(held)).toMatch(/archived/i);
    const od = a.host.get(room) as OpenDoc;
    await stateWhere(od, () => od.record.held !== undefined);
    expect(od.record.held).toMatch(/archived/i);
    expect(od.record.rebuilds).toBe(1);
    expect(recovered).toBe(1);
    expect(denials).toBe(2); // the squatted write, then the re-sent one: then no more

    // The room keeps receiving: Bo reopens the conversation and writes.
    await b.setArchived(id, false);
    await viewWhere(cb, (v) => !v.archived);
    await cb.send('reopened');
    await viewWhere(ca, (v) => texts(v).includes('reopened'));
    expect(recovered).toBe(1);
    expect(denials).toBe(2);
    const mine = (await viewWhere(ca, (v) => v.messages.length === 2)).messages.find((m) => m.mine);
    expect(mine?.delivery).toBe('pending');
    expect(b.host.get(room)?.doc.getMap('messages').has(mine?.id ?? '')).toBe(false);
    const exported = await a.exportConversation(id);
    expect(exported.text).toContain('sent into the archive  [NOT DELIVERED]');
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });
});

describe('awareness never names a document clientID', () => {
  it('presence and typing ride their own clientIDs, never one of the room document', async () => {
    const { a, b, ca, cb, ada, room } = await setup('Who is typing');
    await ca.send('first');
    await cb.send('second');
    ca.setTyping(true);
    cb.setTyping(true);
    await viewWhere(cb, (v) => v.typing.length > 0);
    await viewWhere(ca, (v) => v.typing.length > 0);
    await new Promise<void>((resolve) => {
      const off = b.presence((m) => {
        if (m.get(ada.id) !== 'online') return;
        queueMicrotask(() => off());
        resolve();
      });
    });
    for (const name of [room, 'workspace']) {
      const docIds = new Set<number>();
      const seen = new Set<number>();
      for (const c of [a, b]) {
        const od = c.host.get(name) as OpenDoc;
        docIds.add(od.doc.clientID);
        for (const client of Y.decodeStateVector(Y.encodeStateVector(od.doc)).keys()) docIds.add(client);
        for (const client of od.awareness.getStates().keys()) seen.add(client);
      }
      expect(seen.size).toBeGreaterThanOrEqual(2); // both devices' states arrived
      for (const client of seen) expect(docIds.has(client)).toBe(false);
    }
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });
});
