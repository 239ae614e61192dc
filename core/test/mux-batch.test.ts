// BATCH frames (issue 16): a relay that reads them announces it with an empty one; only then does
// MuxConnection send the frames of one task as one WebSocket message. Against a scripted socket.
import { describe, expect, it } from './harness';
import {
  MuxConnection,
  MuxFrameError,
  decodeFrame,
  encodeBatch,
  encodeData,
  encodeOpen,
  type WebSocketLike,
} from '../src/protocol';

class Socket implements WebSocketLike {
  static all: Socket[] = [];
  binaryType = 'blob';
  readyState = 0;
  sent: Uint8Array[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    Socket.all.push(this);
  }
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  close() {
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: Uint8Array) {
    this.onmessage?.({ data: frame.slice().buffer });
  }
}

const host = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown };
const tick = () => new Promise<void>((r) => host.setTimeout(r, 0));
const EMPTY_STEP2 = new Uint8Array([0, 1, 2, 0, 0]);

/** Every frame the socket carried, BATCH frames unpacked. */
const frames = (s: Socket) =>
  s.sent.flatMap((m) => {
    const f = decodeFrame(m);
    return f.kind === 'batch' ? f.frames.map((x) => decodeFrame(x)) : [f];
  });

describe('mux BATCH frames', () => {
  it('round-trip; an empty one is the announcement; a truncated one is malformed', () => {
    const inner = [encodeOpen('conv/a'), encodeData('conv/a', new Uint8Array([0, 0, 1, 0]))];
    const f = decodeFrame(encodeBatch(inner));
    expect(f).toEqual({ kind: 'batch', room: '', frames: inner });
    expect(decodeFrame(encodeBatch([]))).toEqual({ kind: 'batch', room: '', frames: [] });
    const cut = encodeBatch(inner).slice(0, -1);
    expect(() => decodeFrame(cut)).toThrow(MuxFrameError);
    expect(() => decodeFrame(new Uint8Array([4, 1, 120]))).toThrow(/room name/);
  });

  it('sends one frame per message until the relay announces batches, then one message per task', async () => {
    Socket.all = [];
    const mux = new MuxConnection('ws://r/_mux', { WebSocket: Socket, random: () => 0 });
    const V = mux.WebSocketPolyfill;
    const a = new V(`${mux.url}/conv/a`);
    await tick();
    const socket = Socket.all[0]!;
    socket.open();
    a.send(new Uint8Array([0, 0, 1, 0]));
    // An older relay never announces: one frame per WebSocket message, as before.
    expect(socket.sent).toHaveLength(2);
    socket.receive(encodeBatch([]));
    const rooms = ['conv/b', 'conv/c', 'conv/d'].map((r) => new V(`${mux.url}/${r}`));
    for (const v of rooms) v.onopen = () => v.send(new Uint8Array([0, 0, 1, 0]));
    await tick();
    // The three OPENs and their sync step 1 went as one message.
    expect(socket.sent).toHaveLength(3);
    expect(decodeFrame(socket.sent[2]!).kind).toBe('batch');
    expect(frames(socket).map((f) => `${f.kind} ${f.room}`)).toEqual([
      'open conv/a',
      'data conv/a',
      'open conv/b',
      'data conv/b',
      'open conv/c',
      'data conv/c',
      'open conv/d',
      'data conv/d',
    ]);
    expect(mux.sent).toEqual({ frames: 8, messages: 3 });
    // Frames inside a relay's batch reach their rooms in order.
    const got: number[] = [];
    a.onmessage = (e) => got.push(new Uint8Array(e.data as ArrayBuffer)[0]!);
    socket.receive(
      encodeBatch([
        encodeData('conv/a', new Uint8Array([7])),
        encodeData('conv/a', new Uint8Array([8])),
      ]),
    );
    expect(got).toEqual([7, 8]);
    mux.destroy();
  });

  it('does not send the empty sync step 2 (it changes nothing on the relay), any other is sent', async () => {
    Socket.all = [];
    const mux = new MuxConnection('ws://r/_mux', { WebSocket: Socket });
    const a = new mux.WebSocketPolyfill(`${mux.url}/conv/a`);
    await tick();
    const socket = Socket.all[0]!;
    socket.open();
    a.send(EMPTY_STEP2);
    a.send(new Uint8Array([0, 1, 3, 1, 0, 0]));
    expect(frames(socket).map((f) => f.kind)).toEqual(['open', 'data']);
    mux.destroy();
  });

  it('drops what was queued for a lost socket and starts the next one unbatched', async () => {
    Socket.all = [];
    const mux = new MuxConnection('ws://r/_mux', {
      WebSocket: Socket,
      random: () => 0,
      minBackoffMs: 1,
    });
    const a = new mux.WebSocketPolyfill(`${mux.url}/conv/a`);
    await tick();
    const first = Socket.all[0]!;
    first.open();
    first.receive(encodeBatch([]));
    a.send(new Uint8Array([0, 0, 1, 0]));
    first.readyState = 3;
    first.onclose?.({ code: 1006, reason: '' });
    await tick();
    expect(first.sent).toHaveLength(1); // the OPEN, sent before the announcement
    while (Socket.all.length < 2) await tick();
    const second = Socket.all[1]!;
    second.open();
    expect(second.sent).toHaveLength(0);
    const b = new mux.WebSocketPolyfill(`${mux.url}/conv/b`);
    await tick();
    expect(b.readyState).toBe(1);
    expect(second.sent.map((m) => decodeFrame(m).kind)).toEqual(['open']);
    mux.destroy();
  });
});
