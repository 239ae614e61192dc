// Catch-up after time away, signed in to a REAL relay (issue 16): the rooms are synced DMs first,
// then conversations that mention me, then the most recently active; every conversation ends
// with its exact unread count and every room's version recorded (nothing lost), with many rooms
// in flight at once and the list following in batches.
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/data/client';
import { parseRoom } from '../../../core/src/model/rooms';
import { decodeFrame } from '../../../core/src/protocol/mux-frames';
import { Device, listWhere, useRelay } from './harness';

const relayOf = useRelay();

async function write(c: Client, id: string, texts: string[]): Promise<void> {
  const conv = c.open(id);
  await conv.loadRecent();
  for (const t of texts) await conv.send(t);
  conv.close();
}

describe('catch-up', () => {
  it('syncs DMs, then mentions, then the most recent; every unread count right', async () => {
    const relay = relayOf();
    const [ada, bo, cy] = await Promise.all([
      relay.createUser('Ada'),
      relay.createUser('Bo'),
      relay.createUser('Cy'),
    ]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const c = await new Device('Cy', relay.url).signIn(cy);
    const devB = new Device('Bo', relay.url);
    let b = await devB.signIn(bo);
    const channels: string[] = [];
    for (let i = 0; i < 6; i++) {
      channels.push(
        await a.createConversation({ kind: 'channel', title: `Room ${i}`, visibility: 'private', members: [bo.id] }),
      );
    }
    const dm = await c.openDm(bo.id);
    await listWhere(b, (l) => l.length >= 7);
    await b.whenSettled(30_000);
    await b.idle();
    await b.close();

    // Away: Ada writes in every channel (Room 5 last, so it is the most recent; Room 1 mentions
    // Bo), then Cy writes in the DM.
    const expected = new Map<string, number>();
    for (const [i, id] of channels.entries()) {
      const texts = Array.from({ length: 2 + i }, (_, k) => `room ${i} message ${k}`);
      if (i === 1) texts.push(`@${bo.username} have a look`);
      await write(a, id, texts);
      // Committed before the next room is written: the mux sends what one task queued as one
      // BATCH, and rooms committed together share their activity time (a tie, not an order).
      await a.whenSettled(30_000);
      expected.set(id, texts.length);
    }
    await write(c, dm, ['hello', 'are you back?']);
    expected.set(dm, 2);
    await Promise.all([a.whenSettled(30_000), c.whenSettled(30_000)]);
    // The directory's activity is coalesced (at most once a second): wait until Bo's shows it.
    await new Promise((r) => setTimeout(r, 1500));

    b = await devB.signIn(bo);
    await b.whenSettled(30_000);
    await b.idle();
    const order: string[] = [];
    for (const room of b.lastCatchUp) {
      const ref = parseRoom(room);
      const conv = ref && 'convId' in ref ? ref.convId : null;
      if (conv && !order.includes(conv)) order.push(conv);
    }
    // DM first, the mention next, then by recency (Room 5 .. Room 0, without Room 1).
    expect(order).toEqual([dm, channels[1], channels[5], channels[4], channels[3], channels[2], channels[0]]);
    const list = await listWhere(b, (l) => [...expected].every(([id, n]) => l.find((x) => x.id === id)?.unread === n));
    expect(list.find((x) => x.id === channels[1])?.mentions).toBe(1);
    await Promise.all([a.close(), b.close(), c.close()]);

    // Nothing left to fetch: the versions synced were recorded (one transaction per batch).
    b = await devB.signIn(bo);
    await b.whenSettled(30_000);
    await b.idle();
    expect(b.lastCatchUp).toEqual([]);
    await b.close();
  });
});

describe('what closing a room costs', () => {
  it('a room closed without my presence in it sends its CLOSE and nothing else', async () => {
    // Each frame counts against the relay's per-user budget; a catch-up opens and closes every
    // changed room, so a frame per room more (an awareness removal of a state never published)
    // took a catch-up of 1,000 conversations past the default burst.
    const relay = relayOf();
    const ada = await relay.createUser('Ada');
    const a = await new Device('Ada', relay.url).signIn(ada);
    const id = await a.createConversation({ kind: 'channel', title: 'Quiet', visibility: 'private', members: [] });
    await a.whenSettled(30_000);
    await a.idle();
    const mux = a.socket?.mux as unknown as { write(frame: Uint8Array): void };
    const sent: Array<{ kind: string; room: string; type?: number }> = [];
    const write = mux.write.bind(mux);
    mux.write = (frame: Uint8Array) => {
      const f = decodeFrame(frame);
      if (f.kind === 'batch') for (const x of f.frames.map(decodeFrame)) sent.push(describe(x));
      else sent.push(describe(f));
      write(frame);
    };
    function describe(f: ReturnType<typeof decodeFrame>) {
      return { kind: f.kind, room: f.room, ...(f.kind === 'data' ? { type: f.message[0] } : {}) };
    }
    const conv = a.open(id);
    await conv.loadRecent();
    await a.whenSettled(30_000);
    const rooms = new Set(sent.filter((f) => f.kind === 'open').map((f) => f.room));
    expect(rooms.size).toBeGreaterThan(0);
    sent.length = 0;
    conv.close();
    await a.close();
    // Per room: its CLOSE, no awareness message (type 1).
    const ofRooms = sent.filter((f) => rooms.has(f.room));
    expect(ofRooms.filter((f) => f.kind === 'data' && f.type === 1)).toEqual([]);
    expect(ofRooms.filter((f) => f.kind === 'close').length).toBeGreaterThan(0);
  });
});
