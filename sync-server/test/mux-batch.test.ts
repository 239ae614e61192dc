// BATCH frames on the mux against a REAL relay (issue 16): the relay announces them with an
// empty BATCH, handles each frame inside in order as if it had come alone, and counts each
// against the user's frame budget (a batch buys no frames) but a CLOSE of a room open on the
// socket; a batch inside a batch is malformed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as encoding from 'lib0/encoding';
import { metaRoom, pageRoom } from '../../core/src/model/rooms';
import {
  decodeFrame,
  encodeBatch,
  encodeClose,
  encodeData,
  encodeOpen,
} from '../../core/src/protocol/mux-frames';
import { Fixture, newTestId, type TestUser } from './authz-fixture';
import { synced, until } from './helpers';

/** A raw socket on /_mux keeping every frame it receives, decoded, batches unpacked. */
async function raw(f: Fixture, as: TestUser) {
  const ws = new WebSocket(`${f.relay.url}/_mux?token=${as.accessToken}`);
  const frames: Array<ReturnType<typeof decodeFrame>> = [];
  const messages: Array<ReturnType<typeof decodeFrame>> = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  ws.on('message', (data: Buffer) => {
    const f0 = decodeFrame(new Uint8Array(data));
    messages.push(f0);
    if (f0.kind === 'batch') for (const x of f0.frames) frames.push(decodeFrame(x));
    else frames.push(f0);
  });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  return { ws, frames, messages, closed };
}

/** A y-websocket sync step 1 with an empty state vector. */
function step1(): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint8Array(e, new Uint8Array([0]));
  return encoding.toUint8Array(e);
}

describe('mux BATCH frames on a real relay', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let conv: string;

  beforeAll(async () => {
    f = await Fixture.start(['--limit-frames-user', '60/1/s']);
    alice = await f.user('alice');
    bob = await f.user('bob');
    conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Batch', members: [bob.id] });
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('announces batches first, then answers every room opened in one batch', async () => {
    const s = await raw(f, bob);
    await until(() => s.messages.length > 0, 'the announcement');
    expect(s.messages[0]).toEqual({ kind: 'batch', room: '', frames: [] });
    const rooms = [metaRoom(conv), ...Array.from({ length: 9 }, (_, i) => pageRoom(conv, 100 + i))];
    s.ws.send(encodeBatch(rooms.flatMap((r) => [encodeOpen(r), encodeData(r, step1())])));
    // Each room: the relay's sync step 1 and its step 2 answering ours.
    const answered = (r: string) =>
      s.frames.some(
        (x) => x.kind === 'data' && x.room === r && x.message[0] === 0 && x.message[1] === 1,
      );
    await until(() => rooms.every(answered), 'a sync step 2 for every room');
    s.ws.close();
  });

  it('counts every frame in a batch against the frame budget', async () => {
    const carol = await f.user('carol');
    const s = await raw(f, carol);
    const room = pageRoom(conv, 1);
    // 61 frames (the budget is 60) in one WebSocket message: closed 1013, as 61 messages would be.
    s.ws.send(encodeBatch(Array.from({ length: 61 }, () => encodeData(room, step1()))));
    expect(await s.closed).toBe(1013);
  });

  it('closing a room it opened costs no frame: 20 rooms opened, synced and closed fit a budget of 60', async () => {
    // What a catch-up does for every room (issue 16): 1,000 conversations are 2,000 rooms, whose
    // OPEN, sync step 1 and CLOSE ran past the default burst of 5,000 frames when all counted.
    const erin = await f.user('erin');
    const own = newTestId();
    await f.conversation(erin, { id: own, kind: 'channel', title: 'Closing' });
    const s = await raw(f, erin);
    await until(() => s.messages.length > 0, 'the announcement');
    const rooms = Array.from({ length: 20 }, (_, i) => pageRoom(own, 300 + i));
    const answered = (r: string) =>
      s.frames.some(
        (x) => x.kind === 'data' && x.room === r && x.message[0] === 0 && x.message[1] === 1,
      );
    s.ws.send(encodeBatch(rooms.flatMap((r) => [encodeOpen(r), encodeData(r, step1())]))); // 40
    await until(() => rooms.every(answered), 'every room answered');
    s.ws.send(encodeBatch(rooms.map((r) => encodeClose(r, 1000, '')))); // free: each closes an open room
    s.ws.send(
      encodeBatch(Array.from({ length: 10 }, () => encodeData(rooms[0] as string, step1()))),
    ); // 50
    // Still served: a room opened now is answered (with CLOSE counted this would be 70 > 60).
    const last = pageRoom(own, 399);
    s.ws.send(encodeBatch([encodeOpen(last), encodeData(last, step1())]));
    await until(() => answered(last), 'the room opened after the closes');
    expect(s.ws.readyState).toBe(WebSocket.OPEN);
    s.ws.close();
  });

  it('a CLOSE of a room not open, or a second CLOSE of the same room, costs a frame', async () => {
    const fay = await f.user('fay');
    const own = newTestId();
    await f.conversation(fay, { id: own, kind: 'channel', title: 'Closing twice' });
    const s = await raw(f, fay);
    const room = pageRoom(own, 400);
    s.ws.send(encodeBatch([encodeOpen(room), encodeData(room, step1())]));
    // One of these is free (the room is open), the other 69 are counted: 71 frames, closed 1013.
    s.ws.send(encodeBatch(Array.from({ length: 70 }, () => encodeClose(room, 1000, ''))));
    expect(await s.closed).toBe(1013);
  });

  it('closes the socket 1002 for a batch inside a batch', async () => {
    const dan = await f.user('dan');
    const s = await raw(f, dan);
    s.ws.send(encodeBatch([encodeBatch([encodeOpen(metaRoom(conv))])]));
    expect(await s.closed).toBe(1002);
  });

  it('carries stock providers over a MuxConnection in fewer messages than frames', async () => {
    const m = f.mux(bob);
    // The announcement: rooms opened from now on go in batches.
    await until(() => m.batching, 'the relay to announce batches');
    const rooms = Array.from({ length: 12 }, (_, i) => pageRoom(conv, 200 + i));
    const clients = rooms.map((r) => f.onMux(m, r));
    await Promise.all(clients.map(synced));
    // 12 × (OPEN, sync step 1, the stock provider's awareness) in one message; the empty step 2
    // answers to the relay's step 1 are not sent.
    expect(m.sent).toEqual({ frames: 36, messages: 1 });
  });
});
