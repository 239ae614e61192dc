// Pins through the data layer, signed in to a REAL relay with accounts (docs/messaging.md,
// "Pins"): pins written offline merge with the other device's, a moderator's unpin removes
// everyone's pin, bad input is refused before anything is written, and a relay that does not
// say schema 2 in GET /server gets no pins (with the reason), kept across an offline restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { ConversationStore, ConversationView, PinView } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { metaRoom } from '../../../core/src/model/rooms';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay, type TestUser } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

/** The pinned list as text: `<message text> by <names>` per pin, newest first. */
function pinned(v: ConversationView): string[] {
  const text = (p: PinView) => v.messages.find((m) => m.id === p.messageId)?.text ?? p.messageId;
  return v.pins.map((p) => `${text(p)} by ${p.by.map((u) => u.name).join(', ')}`);
}

interface Pair {
  ada: TestUser;
  bo: TestUser;
  a: Client;
  b: Client;
  ca: ConversationStore;
  cb: ConversationStore;
  id: string;
  bo1: Device;
}

/** Ada (owner) and Bo (member) in a private channel with two messages, both able to pin. */
async function pair(title: string): Promise<Pair & { first: string; second: string }> {
  const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
  const a = await new Device('Ada', relay.url).signIn(ada);
  const bo1 = new Device('Bo', relay.url);
  const b = await bo1.signIn(bo);
  const id = await a.createConversation({ kind: 'channel', title, visibility: 'private', members: [bo.id] });
  const ca = a.open(id);
  await ca.loadRecent();
  const first = (await ca.send('Agenda for Monday')).id;
  const second = (await ca.send('Release checklist')).id;
  await listWhere(b, (l) => l.some((x) => x.id === id));
  const cb = b.open(id);
  await cb.loadRecent();
  await viewWhere(cb, (v) => v.messages.length === 2 && v.canPin);
  await viewWhere(ca, (v) => v.canPin);
  return { ada, bo, a, b, ca, cb, id, bo1, first, second };
}

async function closeAll(p: Pair): Promise<void> {
  p.ca.close();
  p.cb.close();
  await p.a.close();
  await p.b.close();
}

describe('pins', () => {
  it('offline pins merge with the other device’s; a moderator’s unpin removes every pin of it', async () => {
    const p = await pair('Pins');
    const { a, b, ca, cb, first, second } = p;
    // Bo is offline: his pins are on his disk at once, marked on the message too.
    b.setOnline(false);
    await cb.pin(first, true);
    await cb.pin(second, true);
    const off = await viewWhere(cb, (v) => v.pins.length === 2);
    expect(off.pins.map((x) => [x.messageId, x.mine, x.canUnpin])).toEqual([
      [second, true, true],
      [first, true, true],
    ]);
    expect(off.messages.find((m) => m.id === first)?.pinnedBy.map((u) => u.name)).toEqual(['Bo']);
    let pending = 0;
    b.sync((s) => (pending = s.pending))();
    expect(pending).toBeGreaterThan(0);
    // Meanwhile Ada pins the first message too, and sees only her own pin.
    await ca.pin(first, true);
    expect(pinned(await viewWhere(ca, (v) => v.pins.length === 1))).toEqual(['Agenda for Monday by Ada']);

    b.setOnline(true);
    await b.whenSettled(20_000);
    await a.whenSettled(20_000);
    const want = (v: ConversationView) => v.pins.length === 2 && v.pins.some((x) => x.by.length === 2);
    const va = await viewWhere(ca, want);
    const vb = await viewWhere(cb, want);
    expect(va.pins.map((x) => x.messageId)).toEqual(vb.pins.map((x) => x.messageId));
    expect(va.pins.find((x) => x.messageId === first)?.by.map((u) => u.id).sort()).toEqual([p.ada.id, p.bo.id].sort());
    expect(vb.pins.find((x) => x.messageId === first)?.by).toEqual(va.pins.find((x) => x.messageId === first)?.by);
    // Ada owns the channel: she may unpin Bo's pin; Bo may unpin only his own.
    expect(va.pins.every((x) => x.canUnpin)).toBe(true);
    expect(vb.pins.find((x) => x.messageId === first)?.canUnpin).toBe(true);

    // Bo's unpin removes his pin only: the message stays pinned by Ada.
    await cb.pin(first, false);
    const afterBo = await viewWhere(ca, (v) => v.pins.find((x) => x.messageId === first)?.by.length === 1);
    // Ada pinned the first message after Bo's pins: it stays the most recently pinned.
    expect(pinned(afterBo)).toEqual(['Agenda for Monday by Ada', 'Release checklist by Bo']);
    // Ada's (the owner's) unpin of the second message removes Bo's pin: accepted by the relay.
    await ca.pin(second, false);
    const vbAfter = await viewWhere(cb, (v) => v.pins.length === 1);
    expect(pinned(vbAfter)).toEqual(['Agenda for Monday by Ada']);
    expect(vbAfter.messages.find((m) => m.id === second)?.pinnedBy).toEqual([]);
    await a.whenSettled(20_000);
    // Nothing was refused on the way (the view would name a denied change).
    expect((await viewWhere(ca, () => true)) as ConversationView & { error?: string }).not.toHaveProperty('error');
    await closeAll(p);
  });

  it('refuses bad input before writing anything', async () => {
    const p = await pair('Strict pins');
    const { a, ca, first } = p;
    await a.whenSettled(20_000);
    const metaDoc = (): Y.Doc => a.host.get(metaRoom(p.id))?.doc as Y.Doc;
    const before = Y.encodeStateVector(metaDoc());
    await expect(ca.pin('not-a-message', true)).rejects.toMatchObject({ code: 'invalid' });
    const ghost = `${first.slice(0, -1)}${first.endsWith('0') ? '1' : '0'}`;
    await expect(ca.pin(ghost, true)).rejects.toMatchObject({ code: 'not-found' });
    const gone = await ca.send('to be deleted');
    await ca.remove(gone.id);
    await expect(ca.pin(gone.id, true)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/deleted/) });
    expect(Y.encodeStateVector(metaDoc())).toEqual(before);
    // Unpinning what is not pinned is harmless and writes nothing either.
    await ca.pin(first, false);
    expect(Y.encodeStateVector(metaDoc())).toEqual(before);
    await closeAll(p);
  });

  it('a relay that does not say schema 2 gets no pins, with the reason, kept for an offline restart; once upgraded, pins work', async () => {
    const real = globalThis.fetch;
    // The relay answers GET /server as a version-1 relay does: no `schema`.
    globalThis.fetch = async (input, init) => {
      const res = await real(input, init);
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.endsWith('/api/v1/server')) return res;
      const body = (await res.json()) as Record<string, unknown>;
      delete body.schema;
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    try {
      const ada = await relay.createUser('Ada');
      const device = new Device('Ada', relay.url);
      const a = await device.signIn(ada);
      const id = await a.createConversation({ kind: 'channel', title: 'Old relay', visibility: 'private', members: [] });
      const ca = a.open(id);
      await ca.loadRecent();
      const msg = await ca.send('Pin me');
      const v = await viewWhere(ca, (x) => x.pinsUnavailable?.includes('newer server') ?? false);
      expect(v.canPin).toBe(false);
      await expect(ca.pin(msg.id, true)).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/newer server/) });
      expect(v.pins).toEqual([]);
      await a.whenSettled(20_000);
      ca.close();
      await a.close();
      // Restarted offline, the device still knows the relay's schema.
      const again = await device.restore({ online: false });
      if (!again) throw new Error('no kept session');
      const c2 = again.open(id);
      await c2.loadRecent();
      await viewWhere(c2, (x) => x.pinsUnavailable?.includes('newer server') ?? false);
      // The relay is upgraded (it says schema 2 again): the next connect asks and pins work.
      globalThis.fetch = real;
      again.setOnline(true);
      await viewWhere(c2, (x) => x.canPin && x.pinsUnavailable === null);
      await c2.pin(msg.id, true);
      await viewWhere(c2, (x) => x.pins.length === 1);
      await again.whenSettled(20_000);
      c2.close();
      await again.close();
    } finally {
      globalThis.fetch = real;
    }
  });
});
