// Unread counts in the conversation list after catch-up, signed in to a REAL relay (issue 16):
// - a week away: messages unread on the page I last read and on the newer page both count;
// - a new week's page synced before the meta document that names it still gives the list its
//   unread count (the preview alone came from the directory).
import { describe, expect, it } from 'vitest';
import type { ConversationSummary, SyncStatus } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { metaRoom, PAGE_SPAN_MS } from '../../../core/src/model/rooms';
import { readPageCounts, sumCounts } from '../../src/data/unread';
import { Device, listWhere, useRelay, viewWhere } from './harness';

const relayOf = useRelay();

interface Pair {
  a: Client;
  b: Client;
  bDevice: Device;
  id: string;
  /** Ada's clock: `ago` ms behind the real one (her messages land on older pages). */
  setAgo(ms: number): void;
}

async function pair(title: string): Promise<Pair> {
  const [ada, bo] = await Promise.all([relayOf().createUser('Ada'), relayOf().createUser('Bo')]);
  let ago = 0;
  const res = await new Device('Ada', relayOf().url)
    .backend({ now: () => Date.now() - ago })
    .signIn({ serverUrl: relayOf().url, username: ada.username, password: ada.password });
  if (!res.ok) throw new Error(res.message);
  const a = res.client as Client;
  const bDevice = new Device('Bo', relayOf().url);
  const b = await bDevice.signIn(bo);
  const id = await a.createConversation({ kind: 'channel', title, visibility: 'private', members: [bo.id] });
  await listWhere(b, (l) => l.some((x) => x.id === id));
  return { a, b, bDevice, id, setAgo: (ms) => (ago = ms) };
}

function statusWhere(c: Client, pred: (s: SyncStatus) => boolean): Promise<SyncStatus> {
  return new Promise((resolve) => {
    let off: (() => void) | null = null;
    let done = false;
    off = c.sync((s) => {
      if (done || !pred(s)) return;
      done = true;
      resolve(s);
      off?.();
    });
    if (done) off();
  });
}

function entry(list: ConversationSummary[], id: string): ConversationSummary | undefined {
  return list.find((x) => x.id === id);
}

/** Bo reads the conversation (its pages loaded), then closes it. */
async function readAll(b: Client, id: string, count: number): Promise<void> {
  const cb = b.open(id);
  await cb.loadRecent();
  await viewWhere(cb, (v) => v.messages.length === count);
  cb.markRead();
  await listWhere(b, (l) => entry(l, id)?.unread === 0);
  await b.whenSettled();
  cb.close();
}

async function goOffline(c: Client): Promise<void> {
  c.setOnline(false);
  await statusWhere(c, (s) => s.connection === 'offline');
}

describe('unread counts after catch-up', () => {
  it('a week away: the unread message on the earlier week’s page counts with the newer page’s', async () => {
    const p = await pair('Week away');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    p.setAgo(PAGE_SPAN_MS);
    await ca.send('last week, read');
    await listWhere(p.b, (l) => entry(l, p.id)?.unread === 1);
    await readAll(p.b, p.id, 1);

    await goOffline(p.b);
    await ca.send('last week, after Bo left'); // on the page Bo last read
    p.setAgo(0);
    for (let i = 1; i <= 3; i++) await ca.send(`this week ${i}`); // a newer page
    await p.a.whenSettled();

    p.b.setOnline(true);
    await listWhere(p.b, (l) => entry(l, p.id)?.lastMessage?.text === 'this week 3');
    await p.b.idle();
    await p.b.whenSettled();
    expect(entry(await listWhere(p.b, () => true), p.id)?.unread).toBe(4);

    // Reading the newest page clears the count, the older page's message with it.
    await readAll(p.b, p.id, 5);
    expect(entry(await listWhere(p.b, () => true), p.id)?.unread).toBe(0);
    ca.close();
    await p.a.close();
    await p.b.close();
  });

  it('a new week’s page synced before its meta document: the preview comes with its unread count', async () => {
    const p = await pair('Page first');
    const ca = p.a.open(p.id);
    await ca.loadRecent();
    p.setAgo(PAGE_SPAN_MS);
    await ca.send('last week');
    await listWhere(p.b, (l) => entry(l, p.id)?.unread === 1);
    await readAll(p.b, p.id, 1);

    await goOffline(p.b);
    p.setAgo(0);
    await ca.send('this week'); // a new page: the meta document's index gains it
    await p.a.whenSettled();

    // Bo's catch-up: the meta document's frames wait until the new page synced and was released.
    const hold = p.bDevice.hold((room) => room === metaRoom(p.id));
    p.b.setOnline(true);
    await hold.held;
    await statusWhere(p.b, (s) => s.catchUp !== null && s.catchUp.total > 1 && s.catchUp.done === s.catchUp.total - 1);
    hold.release();
    await p.b.idle();
    await p.b.whenSettled();
    const row = entry(await listWhere(p.b, () => true), p.id);
    expect(row?.lastMessage?.text).toBe('this week');
    expect(row?.unread).toBe(1);
    ca.close();
    await p.a.close();
    await p.b.close();
  });
});

describe('sumCounts (unread.ts)', () => {
  const c = (unread: number, marked: boolean, mentions = 0) => ({ unread, mentions, marked });

  it('sums from the newest page back to the newest one with my marker', () => {
    expect(sumCounts({ 10: c(1, true, 1), 11: c(50, false, 2) }, 11)).toEqual({
      unread: 51,
      mentions: 3,
      kept: { 10: c(1, true, 1), 11: c(50, false, 2) },
    });
    // An older page behind a marked one no longer counts, nor is it kept.
    expect(sumCounts({ 9: c(7, true), 10: c(1, true), 12: c(2, false) }, 12)).toEqual({
      unread: 3,
      mentions: 0,
      kept: { 10: c(1, true), 12: c(2, false) },
    });
    // No marker on any known page: the newest page alone.
    expect(sumCounts({ 10: c(4, false), 11: c(2, false) }, 11).unread).toBe(2);
    // Read on the newest page: the older pages stop counting.
    expect(sumCounts({ 10: c(4, true), 11: c(0, true) }, 11)).toEqual({ unread: 0, mentions: 0, kept: { 11: c(0, true) } });
  });

  it('reads stored counts defensively', () => {
    expect(readPageCounts(null)).toEqual({});
    expect(readPageCounts({ 3: { unread: 2, mentions: -1, marked: 'yes' }, x: { unread: 1 }, 4: 5 })).toEqual({
      3: { unread: 2, mentions: 0, marked: false },
    });
  });
});
