// Threads and quotes through the data layer, signed in to a REAL relay with accounts: lookup()
// of any message by id (quotes, pins, notifications), loading its page on demand.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConversationStore, MessageLookup } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { PAGE_SPAN_MS } from '../../../core/src/model/rooms';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay, type TestUser } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

/** Resolves with the first lookup state that satisfies `pred` (events, no sleeps). */
export function lookupWhere(
  conv: ConversationStore,
  id: string,
  pred: (v: MessageLookup) => boolean,
  timeoutMs = 15_000,
): Promise<MessageLookup> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => {};
    let last: MessageLookup | null = null;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`lookup never matched; last: ${JSON.stringify(last)}`));
    }, timeoutMs);
    off = conv.lookup(id)((v) => {
      last = v;
      if (pred(v)) {
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(v);
      }
    });
  });
}

interface Pair {
  ada: TestUser;
  bo: TestUser;
  a: Client;
  b: Client;
  id: string;
  /** Ada's clock: `ago` ms behind the real one (messages land on older pages). */
  setAgo(ms: number): void;
}

/** Ada (whose clock the test moves) and Bo in a private channel. */
async function pair(r: Relay, title: string): Promise<Pair> {
  const [ada, bo] = await Promise.all([r.createUser('Ada'), r.createUser('Bo')]);
  let ago = 0;
  const adaDevice = new Device('Ada', r.url);
  const res = await adaDevice
    .backend({ now: () => Date.now() - ago })
    .signIn({ serverUrl: r.url, username: ada.username, password: ada.password });
  if (!res.ok) throw new Error(res.message);
  const a = res.client as Client;
  const b = await new Device('Bo', r.url).signIn(bo);
  const id = await a.createConversation({ kind: 'channel', title, visibility: 'private', members: [bo.id] });
  await listWhere(b, (l) => l.some((x) => x.id === id));
  return { ada, bo, a, b, id, setAgo: (ms) => (ago = ms) };
}

describe('lookup', () => {
  it('finds a message on an old page without loading it into the view; follows edit and delete', async () => {
    const p = await pair(relay, 'Lookup');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    p.setAgo(3 * PAGE_SPAN_MS);
    const old = await ca.send('from three weeks ago');
    p.setAgo(0);
    const recent = await ca.send('this week');
    await viewWhere(ca, (v) => v.messages.every((m) => m.delivery === 'stored') && v.messages.length === 2);

    // Bo has not opened the conversation: the lookup loads the old page on its own.
    const cb = p.b.open(p.id);
    const found = await lookupWhere(cb, old.id, (v) => v.state === 'found');
    expect(found.state === 'found' && found.message.text).toBe('from three weeks ago');
    expect(found.state === 'found' && found.message.authorName).toBe('Ada');
    // Not in the view: the view never asked for that page.
    const v = await viewWhere(cb, () => true);
    expect(v.messages.map((m) => m.id)).not.toContain(old.id);

    // An edit and a deletion show through a lookup that stays open.
    const seen: MessageLookup[] = [];
    const off = cb.lookup(old.id)((x) => seen.push(x));
    await ca.edit(old.id, 'edited later');
    await lookupWhere(cb, old.id, (x) => x.state === 'found' && x.message.text === 'edited later');
    await ca.remove(old.id);
    const gone = await lookupWhere(cb, old.id, (x) => x.state === 'found' && x.message.deleted);
    expect(gone.state === 'found' && gone.message.text).toBe('');
    off();
    expect(seen.some((x) => x.state === 'found' && x.message.text === 'edited later')).toBe(true);

    // Not a message id, or an id of this week nobody wrote: missing (after the page synced).
    expect(await lookupWhere(cb, 'nonsense', () => true)).toEqual({ state: 'missing' });
    const unknown = recent.id.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect((await lookupWhere(cb, unknown, (x) => x.state !== 'loading')).state).toBe('missing');
    cb.close();
    ca.close();
    await p.a.close();
    await p.b.close();
  });

  it('offline, a page this device never had is missing; it is found once back online', async () => {
    const own = relay;
    const p = await pair(own, 'Offline lookup');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    p.setAgo(2 * PAGE_SPAN_MS);
    const old = await ca.send('only on the relay');
    p.setAgo(0);
    await viewWhere(ca, (v) => v.messages.length === 1 && v.messages[0]?.delivery === 'stored');

    const events = new EventTarget();
    const boDevice = new Device('Bo2', own.url);
    const b = await boDevice.signIn(p.bo, { events });
    events.dispatchEvent(new Event('offline'));
    await new Promise<void>((r) => b.sync((s) => s.connection === 'offline' && r()));
    const cb = b.open(p.id);
    expect((await lookupWhere(cb, old.id, (x) => x.state !== 'loading')).state).toBe('missing');
    events.dispatchEvent(new Event('online'));
    const found = await lookupWhere(cb, old.id, (x) => x.state === 'found');
    expect(found.state === 'found' && found.message.text).toBe('only on the relay');
    cb.close();
    ca.close();
    await b.close();
    await p.a.close();
    await p.b.close();
  });
});
