// The workspace's offline limit (offline-grace.ts, issue 15): the clock logic on its own, then
// through a real client of a real relay: past the limit while offline every conversation turns
// read-only and says why; writing is refused with those words and nothing is written.
import { describe, expect, it } from 'vitest';
import { Auth } from '../../src/data/auth';
import { createFerryClient, type Client } from '../../src/data/client';
import type { ConversationView } from '../../src/data/api';
import { DAY_MS, EMPTY_GRACE, OfflineGrace, asGraceRecord, graceMessage, graceState, type GraceRecord } from '../../src/data/offline-grace';
import { userDbName } from '../../src/data/accounts';
import WebSocket from 'ws';
import { Device, texts, useRelay, viewWhere } from './harness';

const T0 = Date.UTC(2026, 0, 1);
const rec = (r: Partial<GraceRecord>): GraceRecord => ({ ...EMPTY_GRACE, ...r });

describe('graceState (the clock logic)', () => {
  it('locks only offline, with a policy and a recorded acceptance, strictly past the limit', () => {
    const r = rec({ lastAcceptedAt: T0, graceDays: 14 });
    expect(graceState(r, T0 + 14 * DAY_MS, false)).toEqual({ locked: false }); // exactly at the limit
    expect(graceState(r, T0 + 14 * DAY_MS + 1, false)).toEqual({ locked: true, days: 14, message: graceMessage(14) });
    expect(graceState(r, T0 + 15 * DAY_MS, false)).toMatchObject({ locked: true, days: 15 });
    expect(graceState(r, T0 + 40 * DAY_MS, true)).toEqual({ locked: false }); // online: the relay decides
    expect(graceState(rec({ lastAcceptedAt: T0, graceDays: null }), T0 + 400 * DAY_MS, false)).toEqual({ locked: false });
    expect(graceState(rec({ graceDays: 14 }), T0 + 400 * DAY_MS, false)).toEqual({ locked: false }); // never accepted here
    expect(graceState(rec({ lastAcceptedAt: T0, graceDays: 0 }), T0 + 1, false)).toMatchObject({ locked: true, days: 0 });
  });

  it('a clock set back does not shorten the time offline (the newest time seen counts)', () => {
    const r = rec({ lastAcceptedAt: T0, graceDays: 14, maxSeenAt: T0 + 20 * DAY_MS });
    expect(graceState(r, T0 + DAY_MS, false)).toMatchObject({ locked: true, days: 20 });
  });

  it('says it in words, one day or many', () => {
    expect(graceMessage(1)).toBe('You have been offline for 1 day; connect to the company network to keep writing.');
    expect(graceMessage(15)).toBe('You have been offline for 15 days; connect to the company network to keep writing.');
    expect(graceMessage(0)).toMatch(/for 1 day;/);
  });

  it('reads a damaged stored record as "nothing known"', () => {
    expect(asGraceRecord('x')).toEqual(EMPTY_GRACE);
    expect(asGraceRecord({ lastAcceptedAt: -1, graceDays: 'NaN', maxSeenAt: Infinity })).toEqual(EMPTY_GRACE);
    expect(asGraceRecord({ lastAcceptedAt: T0, graceDays: 7, maxSeenAt: T0 })).toEqual({ lastAcceptedAt: T0, graceDays: 7, maxSeenAt: T0 });
  });
});

class MemoryMeta {
  readonly data = new Map<string, unknown>();
  async getMeta(key: string) {
    return this.data.get(key);
  }
  async putMeta(key: string, value: unknown) {
    this.data.set(key, structuredClone(value));
  }
}

describe('OfflineGrace (kept, followed, told)', () => {
  it('locks past the limit offline, unlocks online or when the policy is raised, and keeps its record', async () => {
    const meta = new MemoryMeta();
    let now = T0;
    let online = true;
    const flips: boolean[] = [];
    const g = new OfflineGrace(meta, () => now, () => online, (s) => flips.push(s.locked));
    await g.loaded;
    g.policy(14);
    g.accepted();
    online = false;
    now = T0 + 10 * DAY_MS;
    g.check();
    expect(g.state.locked).toBe(false);
    now = T0 + 16 * DAY_MS;
    g.check();
    expect(g.state).toMatchObject({ locked: true, days: 16 });
    g.policy(30); // the workspace allows longer now
    expect(g.state.locked).toBe(false);
    g.policy(14);
    expect(g.state.locked).toBe(true);
    online = true;
    g.check();
    expect(g.state.locked).toBe(false);
    expect(flips).toEqual([true, false, true, false]);
    g.close();
    // Another start of the app, offline, reads what was kept.
    online = false;
    const again = new OfflineGrace(meta, () => now, () => online);
    await again.loaded;
    expect(again.record).toMatchObject({ lastAcceptedAt: T0, graceDays: 14 });
    expect(again.state).toMatchObject({ locked: true, days: 16 });
    again.close();
  });
});

const relayOf = useRelay();

describe('a client offline past the limit (real relay)', () => {
  it('stays readable, refuses to post, react, edit or create with the banner words, writes nothing; online again it writes', async () => {
    const ada = await relayOf().createUser('Ada');
    const laptop = new Device('Laptop', relayOf().url);
    let now = Date.now();
    // Signed in and connected: the relay accepted the session (recorded with this clock).
    const first = (await laptop.backend({ now: () => now }).signIn({ serverUrl: relayOf().url, username: ada.username, password: ada.password })) as {
      ok: true;
      client: Client;
    };
    expect(first.ok).toBe(true);
    const a = first.client;
    const convId = await a.createConversation('grace');
    const conv = a.open(convId);
    await conv.loadRecent();
    const hello = await conv.send('hello');
    await a.whenSettled();
    conv.close();
    const session = a.session;
    await a.close();

    // The app starts again, offline, 16 days later, under a 14-day policy.
    now += 16 * DAY_MS;
    const auth = new Auth(session, { fetch: (i, init) => fetch(i, init) }, laptop.secrets, () => now);
    const b = (await createFerryClient({
      session,
      auth,
      indexedDB: laptop.idb,
      dbName: userDbName(session.userId),
      online: false,
      WebSocket,
      now: () => now,
      offlineGraceDays: 14,
      search: false,
    })) as Client;
    try {
      let limit: unknown = null;
      b.offlineLimit((s) => (limit = s))();
      await new Promise<void>((resolve) => {
        const off = b.offlineLimit((s) => {
          limit = s;
          if (s.locked) {
            queueMicrotask(() => off());
            resolve();
          }
        });
      });
      expect(limit).toEqual({ locked: true, days: 16, message: graceMessage(16) });
      const store = b.open(convId);
      await store.loadRecent();
      const view: ConversationView = await viewWhere(store, (v) => texts(v).includes('hello')); // readable
      expect(view.canPost).toBe(false);
      expect(view.canReact).toBe(false);
      expect(view.readOnly).toBe(graceMessage(16));
      await expect(store.send('written too late')).rejects.toThrow(graceMessage(16));
      await expect(store.react(hello.id, '👍', true)).rejects.toThrow(graceMessage(16));
      await expect(store.edit(hello.id, 'changed')).rejects.toThrow(graceMessage(16));
      await expect(b.createConversation('another')).rejects.toThrow(graceMessage(16));
      const after = await viewWhere(store, () => true);
      expect(texts(after)).toEqual(['hello']);
      // Online again: the relay accepts the session, writing is back (the relay decides).
      b.setOnline(true);
      await viewWhere(store, (v) => v.canPost && !v.readOnly);
      await store.send('back online');
      await b.whenSettled();
      expect(texts(await viewWhere(store, (v) => texts(v).length === 2))).toEqual(['hello', 'back online']);
      let unlocked: unknown = null;
      b.offlineLimit((s) => (unlocked = s))();
      expect(unlocked).toEqual({ locked: false });
      store.close();
    } finally {
      await b.close();
    }
  });
});
