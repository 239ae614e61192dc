// Awareness of others through the data layer, signed in to a REAL relay with accounts: presence
// on the workspace room (online, offline when a socket goes: client closed, relay stopped for
// real), typing marks on the newest page room (shown, cleared on stop and on send), junk
// awareness states from another client ignored, and "seen by" after the other reads.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Awareness } from 'y-protocols/awareness';
import type { ConversationStore } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay, type TestUser } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

type PresenceMap = Map<string, 'online' | 'away' | 'offline'>;

function presenceWhere(c: Client, pred: (m: PresenceMap) => boolean, timeoutMs = 15_000): Promise<PresenceMap> {
  return new Promise((resolve, reject) => {
    let last: PresenceMap | null = null;
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`presence never matched; last: ${JSON.stringify([...(last ?? [])])}`));
    }, timeoutMs);
    off = c.presence((m) => {
      last = m;
      if (pred(m)) {
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(m);
      }
    });
  });
}

/** The stock provider's awareness of a client's workspace room (what a raw peer would send on). */
function workspaceAwareness(c: Client): Awareness {
  const a = c.host.get('workspace')?.provider?.awareness;
  if (!a) throw new Error('workspace room not connected');
  return a;
}

interface Pair {
  ada: TestUser;
  bo: TestUser;
  a: Client;
  b: Client;
  ca: ConversationStore;
  cb: ConversationStore;
  id: string;
}

async function pair(title: string): Promise<Pair> {
  const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
  const a = await new Device('Ada', relay.url).signIn(ada);
  const b = await new Device('Bo', relay.url).signIn(bo);
  const id = await a.createConversation({ kind: 'channel', title, visibility: 'private', members: [bo.id] });
  const ca = a.open(id);
  await ca.loadRecent();
  const first = await ca.send('hello');
  await listWhere(b, (l) => l.some((x) => x.id === id));
  const cb = b.open(id);
  await cb.loadRecent();
  await viewWhere(cb, (v) => v.messages.some((m) => m.id === first.id));
  return { ada, bo, a, b, ca, cb, id };
}

describe('presence and typing (awareness)', () => {
  it('Bo sees Ada online, then offline when her socket goes (app closed; relay stopped for real)', async () => {
    const p = await pair('presence');
    await presenceWhere(p.b, (m) => m.get(p.ada.id) === 'online');
    await presenceWhere(p.a, (m) => m.get(p.bo.id) === 'online' && m.get(p.ada.id) === 'online');

    // The relay goes away for real: each side sees the other offline (and itself offline).
    await relay.stop();
    await presenceWhere(p.b, (m) => m.get(p.ada.id) === 'offline' && m.get(p.bo.id) === 'offline');
    await relay.restart();
    // Both reconnect with back-off and jitter: allow for a loaded machine.
    await presenceWhere(p.b, (m) => m.get(p.ada.id) === 'online' && m.get(p.bo.id) === 'online', 40_000);

    // Ada closes the app: her socket goes, Bo sees her offline.
    p.ca.close();
    await p.a.close();
    await presenceWhere(p.b, (m) => m.get(p.ada.id) === 'offline');
    p.cb.close();
    await p.b.close();
  }, 90_000);

  it('typing appears on the other side, and clears on stop and on send', async () => {
    const p = await pair('typing');
    const typers = (v: { typing: string[] }) => v.typing.join(',');
    p.ca.setTyping(true);
    await step(1, viewWhere(p.cb, (v) => typers(v) === 'Ada'));
    // Never my own: Ada does not see herself typing.
    await step(2, viewWhere(p.ca, (v) => v.typing.length === 0));
    p.ca.setTyping(false);
    await step(3, viewWhere(p.cb, (v) => v.typing.length === 0));

    p.ca.setTyping(true);
    await step(4, viewWhere(p.cb, (v) => typers(v) === 'Ada'));
    await p.ca.send('done typing');
    const after = await step(5, viewWhere(p.cb, (v) => v.typing.length === 0 && v.messages.some((m) => m.text === 'done typing')));
    expect(after.typing).toEqual([]);

    // Throttled: calls within 2 s send one update (the mark's timestamp does not move).
    const room = p.a.host.get([...roomsOf(p.a)].find((r) => r.startsWith(`conv/${p.id}/`)) ?? '');
    const aw = room?.provider?.awareness;
    expect(aw).toBeTruthy();
    p.ca.setTyping(true);
    const t1 = (aw?.getLocalState() as { t: number }).t;
    p.ca.setTyping(true);
    p.ca.setTyping(true);
    expect((aw?.getLocalState() as { t: number }).t).toBe(t1);
    p.ca.setTyping(false);
    expect(aw?.getLocalState()).toBeNull();

    p.ca.close();
    p.cb.close();
    await p.a.close();
    await p.b.close();
  }, 60_000);

  it('junk awareness states from another client are ignored (shape and size checked)', async () => {
    const p = await pair('junk');
    const cy = await relay.createUser('Cy');
    const c = await new Device('Cy', relay.url).signIn(cy);
    await presenceWhere(p.b, (m) => m.get(cy.id) === 'online');
    const raw = workspaceAwareness(c);
    // States that name another user (or exceed 4 KiB) are refused by the relay itself
    // (sync-server/test/forged.test.ts); these pass it and must be ignored by the client.
    const junk: unknown[] = [
      [1, 2, 3],
      { p: 'online' },
      { u: cy.id, p: 'busy' },
      { u: cy.id, p: 'online', pad: 'y'.repeat(2_000) },
      { u: cy.id, t: 'soon' },
    ];
    for (const j of junk) {
      raw.setLocalState(j as Record<string, unknown>);
      // Wait until Bo's side holds exactly this state, then check his presence map.
      await new Promise<void>((resolve) => {
        const bAw = workspaceAwareness(p.b);
        const check = () => {
          if (JSON.stringify(bAw.getStates().get(raw.clientID)) === JSON.stringify(j)) {
            bAw.off('change', check);
            resolve();
          }
        };
        bAw.on('change', check);
        check();
      });
      const m = await presenceWhere(p.b, () => true);
      expect([...m.keys()].every((k) => /^[A-Za-z0-9_-]{1,64}$/.test(k))).toBe(true);
      expect(m.get(cy.id) ?? 'offline').toBe('offline'); // Cy's only state is junk now
      expect(m.get(p.ada.id)).toBe('online');
    }
    await c.close();
    p.ca.close();
    p.cb.close();
    await p.a.close();
    await p.b.close();
  }, 60_000);

  it('"seen by": on my newest message each reader has read; moves when they read a newer one', async () => {
    const p = await pair('seen');
    const m1 = await p.ca.send('first');
    await viewWhere(p.cb, (v) => v.messages.some((m) => m.id === m1.id));
    p.cb.markRead();
    let v = await viewWhere(p.ca, (x) => (x.messages.find((m) => m.id === m1.id)?.seenBy.length ?? 0) > 0);
    expect(v.messages.find((m) => m.id === m1.id)?.seenBy).toEqual([{ id: p.bo.id, name: 'Bo' }]);
    // Only the newest read message of mine carries Bo; Bo never sees himself listed on his side.
    expect(v.messages.filter((m) => m.seenBy.length > 0).map((m) => m.id)).toEqual([m1.id]);

    const m2 = await p.ca.send('second');
    v = await viewWhere(p.ca, (x) => x.messages.some((m) => m.id === m2.id));
    expect(v.messages.find((m) => m.id === m2.id)?.seenBy).toEqual([]);
    await viewWhere(p.cb, (x) => x.messages.some((m) => m.id === m2.id));
    p.cb.markRead();
    v = await viewWhere(p.ca, (x) => (x.messages.find((m) => m.id === m2.id)?.seenBy.length ?? 0) > 0);
    expect(v.messages.filter((m) => m.seenBy.length > 0).map((m) => m.id)).toEqual([m2.id]);
    const vb = await viewWhere(p.cb, () => true);
    expect(vb.messages.every((m) => m.seenBy.length === 0)).toBe(true);
    p.ca.close();
    p.cb.close();
    await p.a.close();
    await p.b.close();
  }, 60_000);
});

async function step<T>(n: number, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw new Error(`step ${n}: ${String(e)}`, { cause: e });
  }
}

function roomsOf(c: Client): string[] {
  const out: string[] = [];
  for (const room of (c.host as unknown as { open: Map<string, unknown> }).open.keys()) out.push(room);
  return out;
}
