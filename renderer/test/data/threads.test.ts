// Threads and quotes through the data layer, signed in to a REAL relay with accounts: lookup()
// of any message by id (quotes, pins, notifications), loading its page on demand; replies in
// threads written offline, counted on their root on both devices; threads whose root is on an
// older page; quotes of edited and deleted messages.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConversationStore, ConversationSummary, MessageLookup, ThreadView } from '../../src/data/api';
import { ModelError } from '../../../core/src/model/errors';
import type { Client } from '../../src/data/client';
import { LocalStore } from '../../src/data/store';
import { PAGE_SPAN_MS, pageRoom, periodOfMessage } from '../../../core/src/model/rooms';
import { messagesOf } from '../../../core/src/model/page';
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
  /** Bo's window events: dispatch `offline` / `online` to cut and restore his network. */
  boEvents: EventTarget;
  /** Ada's clock: `ago` ms behind the real one (messages land on older pages). */
  setAgo(ms: number): void;
  /** Ada's device (its IndexedDB): sign in there again to start with nothing open. */
  adaDevice: Device;
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
  const boEvents = new EventTarget();
  const b = await new Device('Bo', r.url).signIn(bo, { events: boEvents });
  const id = await a.createConversation({ kind: 'channel', title, visibility: 'private', members: [bo.id] });
  await listWhere(b, (l) => l.some((x) => x.id === id));
  return { ada, bo, a, b, id, boEvents, setAgo: (ms) => (ago = ms), adaDevice };
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

/** Resolves with the first thread view that satisfies `pred`. */
function threadWhere(
  conv: ConversationStore,
  rootId: string,
  pred: (v: ThreadView) => boolean,
  timeoutMs = 15_000,
): Promise<ThreadView> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => {};
    let last: ThreadView | null = null;
    const timer = setTimeout(() => {
      off();
      reject(new Error(`thread never matched; last: ${JSON.stringify(last)}`));
    }, timeoutMs);
    off = conv.thread(rootId)((v) => {
      last = v;
      if (pred(v)) {
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(v);
      }
    });
  });
}

const replyTexts = (v: ThreadView) => v.replies.map((r) => (r.deleted ? '<deleted>' : r.text));

describe('threads', () => {
  it('replies written offline reach the other device: counts, repliers, unread, the thread in order', async () => {
    const p = await pair(relay, 'Threads');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    const root = await ca.send('Which sensor should we replace first?');
    const cb = p.b.open(p.id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.some((m) => m.id === root.id));

    p.boEvents.dispatchEvent(new Event('offline'));
    await new Promise<void>((r) => p.b.sync((s) => s.connection === 'offline' && r()));
    const r1 = await cb.send('Sensor 4, it drifts', { parent: root.id });
    // A reply to a reply goes to the root's thread.
    const r2 = await cb.send('and then 2', { parent: r1.id });
    expect([r1.parentId, r2.parentId]).toEqual([root.id, root.id]);
    expect(r1.writtenOffline).toBe(true);
    // Bo sees his own thread at once; replies stay out of the timeline.
    const vb = await viewWhere(cb, (v) => v.messages.find((m) => m.id === root.id)?.thread?.count === 2);
    expect(vb.messages.map((m) => m.text)).toEqual(['Which sensor should we replace first?']);
    expect(vb.messages[0]?.thread).toMatchObject({ count: 2, unread: 0, repliers: [{ name: 'Bo' }] });
    // Meanwhile Ada replies online.
    const r3 = await ca.send('I can bring a spare', { parent: root.id });

    p.boEvents.dispatchEvent(new Event('online'));
    const va = await viewWhere(ca, (v) => v.messages.find((m) => m.id === root.id)?.thread?.count === 3);
    const t = va.messages.find((m) => m.id === root.id)?.thread;
    // Most recent first: Ada wrote hers after Bo's offline replies (ids are clock order).
    expect(t?.repliers.map((x) => x.name)).toEqual(['Ada', 'Bo']);
    expect(t?.unread).toBe(2);
    expect(t?.lastReplyAt).toBe(r3.createdAt);
    expect(va.messages.map((m) => m.text)).toEqual(['Which sensor should we replace first?']);
    await viewWhere(cb, (v) => v.messages.find((m) => m.id === root.id)?.thread?.count === 3);

    // Ada's list: the newest message is a reply in her thread (it notifies her).
    const list = await listWhere(p.a, (l) => l.find((c) => c.id === p.id)?.lastMessage?.id === r3.id);
    expect(list.find((c) => c.id === p.id)?.lastMessage).toMatchObject({ threadRootId: root.id });
    expect(list.find((c) => c.id === p.id)?.lastMessage?.threadWithMe).toBeUndefined(); // her own
    const boList = await listWhere(p.b, (l) => l.find((c) => c.id === p.id)?.lastMessage?.id === r3.id);
    expect(boList.find((c) => c.id === p.id)?.lastMessage).toMatchObject({
      threadRootId: root.id,
      threadWithMe: true, // Bo replied before Ada's reply
    });

    // Both threads: the same replies, in id order.
    const want = ['Sensor 4, it drifts', 'and then 2', 'I can bring a spare'];
    const ta = await threadWhere(ca, root.id, (v) => v.state === 'ready' && v.replies.length === 3);
    const tb = await threadWhere(cb, root.id, (v) => v.state === 'ready' && v.replies.length === 3);
    expect(replyTexts(ta)).toEqual(want);
    expect(ta.replies.map((r) => r.id)).toEqual(tb.replies.map((r) => r.id));
    expect(ta.replies.map((r) => r.id)).toEqual([...ta.replies.map((r) => r.id)].sort());
    expect(ta.root?.text).toBe('Which sensor should we replace first?');

    // Reading clears the unread replies.
    ca.markRead();
    await viewWhere(ca, (v) => v.messages.find((m) => m.id === root.id)?.thread?.unread === 0);

    // A deleted reply drops out of the count; a deleted root keeps its thread.
    await cb.remove(r2.id);
    await ca.remove(root.id);
    const after = await viewWhere(
      cb,
      (v) => v.messages.find((m) => m.id === root.id)?.deleted === true && v.messages[0]?.thread?.count === 2,
    );
    expect(after.messages[0]?.thread?.count).toBe(2);
    const tDeleted = await threadWhere(cb, root.id, (v) => v.state === 'ready' && v.root?.deleted === true);
    expect(replyTexts(tDeleted).filter((x) => x !== '<deleted>').length).toBe(2);
    ca.close();
    cb.close();
    await p.a.close();
    await p.b.close();
  });

  it('a thread whose root is on an older page: thread() loads the pages from its period on', async () => {
    const p = await pair(relay, 'Old thread');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    p.setAgo(2 * PAGE_SPAN_MS);
    const root = await ca.send('Old question');
    p.setAgo(0);
    await ca.send('new top-level', {});
    await viewWhere(ca, (v) => v.messages.every((m) => m.delivery === 'stored') && v.messages.length === 2);

    const cb = p.b.open(p.id);
    const t0 = await threadWhere(cb, root.id, (v) => v.state === 'ready');
    expect(t0.root?.text).toBe('Old question');
    expect(t0.replies).toEqual([]);
    const reply = await cb.send('Late answer', { parent: root.id });
    expect(reply.parentId).toBe(root.id);
    const t1 = await threadWhere(cb, root.id, (v) => v.replies.length === 1);
    expect(replyTexts(t1)).toEqual(['Late answer']);
    const va = await viewWhere(ca, (v) => v.messages.find((m) => m.id === root.id)?.thread?.count === 1);
    expect(va.messages.map((m) => m.text)).toEqual(['Old question', 'new top-level']);

    // Bad targets are refused before anything is written.
    const before = (await viewWhere(cb, () => true)).messages.length;
    await expect(cb.send('x', { parent: 'nope' })).rejects.toBeInstanceOf(ModelError);
    const unknownId = reply.id.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    await expect(cb.send('x', { parent: unknownId })).rejects.toThrow('not on this device');
    expect((await viewWhere(cb, () => true)).messages.length).toBe(before);
    // An id nobody wrote: the thread is missing once its page is synced.
    expect((await threadWhere(cb, unknownId, (v) => v.state !== 'loading')).state).toBe('missing');
    ca.close();
    cb.close();
    await p.a.close();
    await p.b.close();
  });
});

describe('thread notifications with the root on an older page', () => {
  /**
   * Ada starts a thread two pages back and writes on the newest page, then restarts the app on
   * the same device: the older page is on her disk only.
   */
  async function oldThread(title: string, rootText: string, recentText: string) {
    const p = await pair(relay, title);
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    p.setAgo(2 * PAGE_SPAN_MS);
    const root = await ca.send(rootText);
    p.setAgo(0);
    const recent = await ca.send(recentText);
    await viewWhere(ca, (v) => v.messages.every((m) => m.delivery === 'stored') && v.messages.length === 2);
    ca.close();
    await p.a.close();
    const a = await p.adaDevice.signIn(p.ada);
    await listWhere(a, (l) => l.some((c) => c.id === p.id));
    expect(periodOfMessage(root.id)).toBeLessThan(periodOfMessage(recent.id));
    return { p, a, root, recent };
  }

  it('a reply in my thread is mine when its root is on an older page this device has; never fetched', async () => {
    const { p, a, root } = await oldThread('Old thread notify', 'Who checks the old pump?', 'A new week');

    // Bo replies in her old thread: on the newest page, the root two pages back.
    const cb = p.b.open(p.id);
    await threadWhere(cb, root.id, (v) => v.state === 'ready');
    const reply = await cb.send('I will, on Monday', { parent: root.id });
    // The first summary holding the reply (the one whose unread count raises a notification)
    // already says it is in her thread.
    const list = await listWhere(a, (l) => (l.find((c) => c.id === p.id)?.unread ?? 0) > 0);
    const mine = list.find((c) => c.id === p.id);
    expect(mine?.lastMessage).toMatchObject({ id: reply.id, threadRootId: root.id, threadWithMe: true });
    expect(mine?.unread).toBe(1);
    // (Read from her disk, not opened: the catch-up after sign-in may sync the old page as it
    // does every page on disk, so the next test shows a device without it never fetches it.)

    // Bo's own view of it: his reply, not a thread of his before it.
    const boList = await listWhere(p.b, (l) => l.find((c) => c.id === p.id)?.lastMessage?.id === reply.id);
    expect(boList.find((c) => c.id === p.id)?.lastMessage?.threadWithMe).toBeUndefined();
    cb.close();
    await a.close();
    await p.b.close();
  });

  it('the reply is counted unread even when the newest page is released while its root is read from disk', async () => {
    // The race a catch-up makes (issue 16): it syncs the newest page, lets the list read it and
    // releases it; judging the reply waits for the root's page to be read from this device's
    // disk. That read is held here until the sync that opened the newest page has released it.
    const { p, a, root, recent } = await oldThread('Old thread released', 'Who has the spare key?', 'Another week');
    // The catch-up after sign-in is over (it opens the old page too, with a read of its own).
    await new Promise<void>((resolve) => {
      const off = a.sync((s) => {
        if (s.lastSyncedAt === null || s.catchUp !== null) return;
        queueMicrotask(() => off());
        resolve();
      });
    });
    await a.idle();
    const newestRoom = pageRoom(p.id, periodOfMessage(recent.id));
    expect(a.host.isOpen(newestRoom)).toBe(false);
    const oldRoom = pageRoom(p.id, periodOfMessage(root.id));
    // Bo has the thread open before the hold (his device reads the old page too).
    const cb = p.b.open(p.id);
    await threadWhere(cb, root.id, (v) => v.state === 'ready');
    const readDoc = LocalStore.prototype.readDoc;
    let answered: () => void = () => {};
    const judged = new Promise<void>((resolve) => (answered = resolve));
    const spy = vi.spyOn(LocalStore.prototype, 'readDoc').mockImplementation(async function (this: LocalStore, room: string) {
      const result = await readDoc.call(this, room);
      if (room !== oldRoom) return result;
      // Until the sync that brought the reply is over and has released what it opened.
      await a.idle();
      // After the reader's own continuations (the summary judged with the answer) have run.
      setTimeout(answered, 0);
      return result;
    });
    try {
      const reply = await cb.send('In the top drawer', { parent: root.id });
      await judged;
      // The list as it is the moment the reply was judged, not whenever a later sync opens the
      // page again: the reply, in my thread, counted.
      let now: ConversationSummary[] = [];
      a.conversations((v) => (now = v))();
      const mine = now.find((c) => c.id === p.id);
      expect(mine?.lastMessage).toMatchObject({ id: reply.id, threadRootId: root.id, threadWithMe: true });
      expect(mine?.unread).toBe(1);
    } finally {
      spy.mockRestore();
      cb.close();
    }
    await a.close();
    await p.b.close();
  });

  it('a device without the root’s page does not fetch it: the reply is not judged mine', async () => {
    // Its catch-up syncs only the pages it has and the newest one, so the old page stays closed.
    const p = await pair(relay, 'Old thread elsewhere');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    p.setAgo(2 * PAGE_SPAN_MS);
    const root = await ca.send('Old question from Ada');
    p.setAgo(0);
    await ca.send('This week');
    await viewWhere(ca, (v) => v.messages.every((m) => m.delivery === 'stored') && v.messages.length === 2);
    // Bo replies on a thread; then Ada's second device, fresh, never opened the old page.
    const cb = p.b.open(p.id);
    await threadWhere(cb, root.id, (v) => v.state === 'ready');
    const other = await new Device('Ada 2', relay.url).signIn(p.ada);
    await listWhere(other, (l) => l.some((c) => c.id === p.id));
    const reply = await cb.send('Answer to the old question', { parent: root.id });
    const list = await listWhere(other, (l) => l.find((c) => c.id === p.id)?.lastMessage?.id === reply.id);
    expect(list.find((c) => c.id === p.id)?.lastMessage?.threadWithMe).toBeUndefined();
    expect(other.host.isOpen(pageRoom(p.id, periodOfMessage(root.id)))).toBe(false);
    ca.close();
    cb.close();
    await other.close();
    await p.a.close();
    await p.b.close();
  });
});

describe('quotes', () => {
  it('a quote shows the quoted message as it is now: edited, then deleted; a deleted one cannot be quoted', async () => {
    const p = await pair(relay, 'Quotes');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    const original = await ca.send('Launch on Tuesday');
    const cb = p.b.open(p.id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.some((m) => m.id === original.id));
    const quoting = await cb.send('Are we sure?', { quote: original.id });
    expect(quoting.quoteId).toBe(original.id);
    // Written with the lowest version that fits: v 2 for the quote, v 1 for the plain message.
    const stored = p.b.host.get(pageRoom(p.id, periodOfMessage(quoting.id)));
    expect(stored && messagesOf(stored.doc).get(quoting.id)?.get('v')).toBe(2);
    expect(stored && messagesOf(stored.doc).get(original.id)?.get('v')).toBe(1);
    const va = await viewWhere(ca, (v) => v.messages.some((m) => m.id === quoting.id && m.delivery === 'stored'));
    expect(va.messages.find((m) => m.id === quoting.id)?.quoteId).toBe(original.id);

    await ca.edit(original.id, 'Launch on Wednesday');
    const edited = await lookupWhere(cb, original.id, (x) => x.state === 'found' && x.message.editedAt !== null);
    expect(edited.state === 'found' && edited.message.text).toBe('Launch on Wednesday');
    await ca.remove(original.id);
    const deleted = await lookupWhere(cb, original.id, (x) => x.state === 'found' && x.message.deleted);
    expect(deleted.state === 'found' && deleted.message.text).toBe('');
    // The quoting message itself is unchanged (no text was copied into it).
    const vb = await viewWhere(cb, () => true);
    expect(vb.messages.find((m) => m.id === quoting.id)?.text).toBe('Are we sure?');

    await viewWhere(cb, (v) => v.messages.find((m) => m.id === original.id)?.deleted === true);
    await expect(cb.send('again', { quote: original.id })).rejects.toThrow('deleted message cannot be quoted');
    ca.close();
    cb.close();
    await p.a.close();
    await p.b.close();
  });
});
