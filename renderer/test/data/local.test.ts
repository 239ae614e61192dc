// The data layer on one device with no relay: durability, restarts, paging, drafts, bad records.
import { describe, expect, it } from 'vitest';
import { PAGE_SPAN_MS, pageRoom, periodOf } from '../../../core/src/model/rooms';
import { loadSession, saveSession } from '../../src/data/client';
import type { ConversationViewExt } from '../../src/data/conversation';
import { LocalStore } from '../../src/data/store';
import { parseHlc } from '../../../core/src/hlc';
import { Device, MemoryLocks, texts, viewWhere } from './harness';

const NOWHERE = 'http://127.0.0.1:9';

describe('local store', () => {
  it('writes with the same clock node after a restart; two windows at once never share one', async () => {
    // Per-device keys of meta documents are keyed by node: a node per start would grow them.
    const dev = new Device('Ada', NOWHERE);
    const locks = new MemoryLocks();
    const nodeOf = (id: string) => parseHlc(id).node;
    const a = await dev.start({ relay: false, locks });
    const id = await a.createConversation('Notes');
    const ca = a.open(id);
    await ca.loadRecent();
    const first = await ca.send('first window');
    const b = await dev.start({ relay: false, locks });
    const cb = b.open(id);
    await cb.loadRecent();
    const second = await cb.send('second window, same time');
    expect(nodeOf(second.id)).not.toBe(nodeOf(first.id));
    await b.close();
    await a.close();
    const again = await dev.start({ relay: false, locks });
    const c = again.open(id);
    await c.loadRecent();
    const third = await c.send('after a restart');
    expect(nodeOf(third.id)).toBe(nodeOf(first.id));
    expect(texts(await viewWhere(c, (v) => v.messages.length === 3))).toEqual([
      'first window',
      'second window, same time',
      'after a restart',
    ]);
    await again.close();
  });

  it('send resolves once the message is on disk; a crash right after loses nothing', async () => {
    const dev = new Device('Ada', NOWHERE);
    const a = await dev.start({ relay: false });
    const id = await a.createConversation('Notes');
    const c = a.open(id);
    await c.loadRecent();
    // Shown only once on disk: no view emitted before send() resolved has the message.
    let resolved = false;
    const early: number[] = [];
    const off = c.observe((v) => {
      if (!resolved) early.push(v.messages.length);
    });
    const sent = await c.send('written just before the window closed');
    resolved = true;
    off();
    // The last early view is the one sent when the transactions completed (just before send()'s
    // own continuation runs); every view before it leaves the message out.
    expect(early.slice(0, -1).every((n) => n === 0)).toBe(true);
    expect(early.at(-1)).toBe(1);
    expect(sent.delivery).toBe('pending');
    // Bad input: a clear error, nothing written, nothing shown.
    await expect(c.send('   ')).rejects.toThrow(/text is empty/);
    expect((await viewWhere(c, () => true)).messages.length).toBe(1);
    // A second connection (another reader of the same database) already sees the row...
    const raw = await LocalStore.open(dev.idb);
    const rows = await raw.readDoc(pageRoom(id, periodOf(sent.createdAt)));
    expect(rows.rows.length).toBeGreaterThan(0);
    await raw.close();
    // A late fire-and-forget write after close (a relay answer arriving as the window closes)
    // is a rejection its caller can catch, never a throw that escapes as unhandled.
    const late = raw.putMeta('late', 1);
    await expect(late).rejects.toThrow();
    await expect(raw.putSummaries([])).rejects.toThrow();
    // ...and a new client started without closing the old one (the window was killed) shows it.
    const again = await dev.start({ relay: false });
    const c2 = again.open(id);
    await c2.loadRecent();
    const v = await viewWhere(c2, (x) => x.messages.length === 1);
    expect(texts(v)).toEqual(['written just before the window closed']);
    expect(v.messages[0]?.delivery).toBe('pending');
    let pending = 0;
    again.sync((s) => (pending = s.pending))();
    expect(pending).toBeGreaterThan(0); // the unconfirmed changes survive the restart too
  });

  it('reload with no relay shows all history; stored size is unchanged across 20 restarts', async () => {
    const dev = new Device('Ada', NOWHERE);
    let client = await dev.start({ relay: false });
    const id = await client.createConversation('Log');
    const c = client.open(id);
    await c.loadRecent();
    for (let i = 0; i < 30; i++) await c.send(`line ${i}`);
    c.close();
    await client.close();
    const sizes: number[] = [];
    for (let r = 0; r < 21; r++) {
      client = await dev.start({ relay: false });
      const list = await new Promise<string[]>((res) => client.conversations((l) => res(l.map((s) => s.title)))());
      expect(list).toEqual(['Log']); // from the summaries store, no document opened
      const conv = client.open(id);
      await conv.loadRecent();
      const v = await viewWhere(conv, (x) => x.messages.length === 30);
      expect(texts(v)[29]).toBe('line 29');
      // The search's start-up pass notes the page's rows once (search-disk.ts): let it finish,
      // as an app left open for a moment does, so that note is the first start's write.
      await client.searchFeed?.caughtUp;
      conv.close();
      await client.close();
      const s = await LocalStore.open(dev.idb).then(async (st) => {
        const b = await st.storedBytes();
        await st.close();
        return b.updates + b.other;
      });
      sizes.push(s);
    }
    // The first start compacts the 30 appended rows; after that nothing is written at start.
    expect(new Set(sizes.slice(1)).size).toBe(1);
    expect(sizes[1]).toBeLessThanOrEqual(sizes[0] as number);
  });

  it('pages: loadRecent opens the newest pages up to a screenful, loadBefore the older ones', async () => {
    const dev = new Device('Ada', NOWHERE);
    const base = 2_000 * PAGE_SPAN_MS;
    let t = base;
    const client = await dev.start({ relay: false, now: () => t });
    const id = await client.createConversation('Long');
    const c = client.open(id);
    await c.loadRecent();
    for (let week = 0; week < 4; week++) {
      t = base + week * PAGE_SPAN_MS + 1000;
      for (let i = 0; i < 30; i++) {
        t += 1000;
        await c.send(`w${week} m${i}`);
      }
    }
    c.close();
    const fresh = client.open(id);
    await fresh.loadRecent();
    let v = await viewWhere(fresh, (x) => x.messages.length > 0);
    expect(v.messages.length).toBe(60); // two newest pages: 30 < 50 ≤ 60
    expect(v.messages[0]?.text).toBe('w2 m0');
    expect(v.hasOlder).toBe(true);
    expect(await fresh.loadBefore()).toBe(true);
    expect(await fresh.loadBefore()).toBe(true);
    v = await viewWhere(fresh, (x) => x.messages.length === 120);
    expect(v.hasOlder).toBe(false);
    expect(v.messages.map((m) => m.id)).toEqual([...v.messages.map((m) => m.id)].sort());
    expect(await fresh.loadBefore()).toBe(false);
    fresh.close();
    await client.close();
  });

  it('two windows writing the same conversation at once lose nothing, compactions included', async () => {
    const dev = new Device('Ada', NOWHERE);
    const first = await dev.start({ relay: false });
    const id = await first.createConversation('Shared');
    const second = await dev.start({ relay: false }); // a second window on the same database
    const c1 = first.open(id);
    const c2 = second.open(id);
    await Promise.all([c1.loadRecent(), c2.loadRecent()]);
    // More than COMPACT_ROWS writes each, interleaved: both windows compact while the other writes.
    for (let i = 0; i < 80; i++) {
      await c1.send(`one ${i}`);
      await c2.send(`two ${i}`);
    }
    c1.close();
    c2.close();
    await first.close();
    await second.close();
    const again = await dev.start({ relay: false });
    const c = again.open(id);
    await c.loadRecent();
    while (await c.loadBefore());
    const v = await viewWhere(c, (x) => x.messages.length >= 160);
    expect(v.messages.length).toBe(160);
    expect(texts(v).filter((t) => t.startsWith('two')).length).toBe(80);
    await again.close();
  });

  it('drafts survive a restart; an empty draft is removed', async () => {
    const dev = new Device('Ada', NOWHERE);
    let client = await dev.start({ relay: false });
    await client.setDraft('C1', 'half a thought');
    await client.setDraft('C2', 'other');
    await client.setDraft('C2', '');
    await client.close();
    client = await dev.start({ relay: false });
    expect(await client.getDraft('C1')).toBe('half a thought');
    expect(await client.getDraft('C2')).toBe('');
    await client.close();
  });

  it('an unreadable record is reported for its document only, kept, and nothing else is lost', async () => {
    const dev = new Device('Ada', NOWHERE);
    let client = await dev.start({ relay: false });
    const bad = await client.createConversation('Damaged');
    const good = await client.createConversation('Fine');
    const cb = client.open(bad);
    await cb.loadRecent();
    const m = await cb.send('still readable');
    const cg = client.open(good);
    await cg.loadRecent();
    await cg.send('untouched');
    await client.close();
    // Damage the page: a record that is not an update, bytes Yjs cannot decode, a bad snapshot.
    const room = pageRoom(bad, periodOf(m.createdAt));
    const raw = await LocalStore.open(dev.idb);
    const tx = raw.db.transaction(['updates'], 'readwrite');
    tx.objectStore('updates').put({ doc: room, seq: 1e6, data: 'not bytes' });
    tx.objectStore('updates').put({ doc: room, seq: 1e6 + 1, data: new Uint8Array([9, 9, 9, 9, 9]) });
    tx.objectStore('updates').put({ doc: room, seq: 1e6 + 2, data: new Uint8Array([255, 1, 2]), z: 1 });
    await new Promise((r) => (tx.oncomplete = r));
    await raw.close();

    client = await dev.start({ relay: false });
    const c1 = client.open(bad);
    await c1.loadRecent();
    const v: ConversationViewExt = await viewWhere(c1, (x) => x.messages.length === 1);
    expect(texts(v)).toEqual(['still readable']);
    // Plain words on screen (issue 12); the detail stays with the client's errors and the log.
    expect(v.error).toMatch(/^Part of this conversation could not be read on this device;/);
    expect(v.error).not.toMatch(/conv\/|record|decompress/);
    expect(client.errors.get(room)?.name).toBe('CorruptRecordError');
    expect(client.errors.get(room)?.message).toMatch(/unreadable record/);
    // Writing still works, and the damaged rows are kept (never compacted away).
    await c1.send('after the damage');
    const c2 = client.open(good);
    await c2.loadRecent();
    const v2 = (await viewWhere(c2, (x) => x.messages.length === 1)) as { error?: string };
    expect(v2.error).toBeUndefined();
    await client.close();
    const check = await LocalStore.open(dev.idb);
    const rows = await check.readDoc(room);
    expect(rows.bad.map((b) => b.seq)).toEqual([1e6, 1e6 + 2]); // not bytes; not deflate
    expect(rows.rows.some((r) => r.seq === 1e6 + 1)).toBe(true);
    await check.close();
  });

  it('a local store written by a newer Ferry is refused with a clear error and left untouched', async () => {
    const dev = new Device('Ada', NOWHERE);
    const client = await dev.start({ relay: false });
    await client.setDraft('C1', 'keep me');
    await client.close();
    const raw = await LocalStore.open(dev.idb);
    await raw.putMeta('schema', { version: 99 });
    await raw.close();
    await expect(LocalStore.open(dev.idb)).rejects.toThrow(/schema 99.*update Ferry/);
    // A newer IndexedDB version (a newer Ferry upgraded the stores) is refused too.
    const other = new Device('Bo', NOWHERE);
    await new Promise<void>((resolve, reject) => {
      const r = other.idb.open('ferry', 50);
      r.onsuccess = () => {
        r.result.close();
        resolve();
      };
      r.onerror = () => reject(r.error);
    });
    await expect(LocalStore.open(other.idb)).rejects.toThrow(/newer Ferry/);
    // Nothing was rewritten: the draft is still in the first store.
    const check = await new Promise<IDBDatabase>((resolve) => {
      const r = dev.idb.open('ferry');
      r.onsuccess = () => resolve(r.result);
    });
    const draft = await new Promise<unknown>((resolve) => {
      const g = check.transaction(['drafts']).objectStore('drafts').get('C1');
      g.onsuccess = () => resolve(g.result);
    });
    check.close();
    expect(draft).toMatchObject({ text: 'keep me' });
  });

  it('legacy (no accounts) session: first run has none; saving mints a user id once; a bad URL is refused', async () => {
    const dev = new Device('Ada', NOWHERE);
    expect(await loadSession(dev.idb)).toBeNull();
    await expect(saveSession(dev.idb, { serverUrl: 'ftp://x', displayName: 'Ada' })).rejects.toThrow(
      /http/,
    );
    await expect(saveSession(dev.idb, { serverUrl: 'not a url', displayName: 'Ada' })).rejects.toThrow();
    expect(await loadSession(dev.idb)).toBeNull(); // nothing half-saved
    const s1 = await saveSession(dev.idb, { serverUrl: 'https://relay.example/', displayName: ' Ada ' });
    const s2 = await saveSession(dev.idb, { serverUrl: 'https://relay.example', displayName: 'Ada L.' });
    expect(s2.userId).toBe(s1.userId);
    expect(await loadSession(dev.idb)).toEqual({
      userId: s1.userId,
      username: s1.userId.toLowerCase(),
      role: 'member',
      serverUrl: 'https://relay.example',
      displayName: 'Ada L.',
    });
  });
});
