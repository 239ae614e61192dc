// Room names, mux frames and the MuxConnection state machine against a scripted fake socket.
import { decodeUtf8, encodeUtf8 } from 'lib0/string';
import { describe, expect, it, vi } from './harness';
import {
  CloseCode,
  MuxConnection,
  MuxFrameError,
  MuxFrameKind,
  ROOM_NAME_MAX,
  authText,
  decodeFrame,
  encodeAuth,
  encodeClose,
  encodeData,
  encodeOpen,
  isValidRoomName,
  roomFromUrl,
  roomNameError,
  type MuxStatus,
  type WebSocketLike,
} from '../src/protocol';

describe('room names', () => {
  it('accepts the model rooms and the documented charset', () => {
    for (const name of [
      'workspace',
      'conv/0123456789ABCDEF',
      'conv/0123456789ABCDEF/p2920',
      'a.b~c-d_e',
    ]) {
      expect(roomNameError(name)).toBeNull();
    }
    expect(isValidRoomName('x'.repeat(ROOM_NAME_MAX))).toBe(true);
  });

  it('refuses each broken rule with its own reason', () => {
    expect(roomNameError('')).toMatch(/empty/);
    expect(roomNameError('x'.repeat(ROOM_NAME_MAX + 1))).toMatch(/longer/);
    expect(roomNameError('_mux')).toMatch(/reserved/);
    expect(roomNameError('conv//x')).toMatch(/empty segment/);
    expect(roomNameError('conv/')).toMatch(/empty segment/);
    expect(roomNameError('conv/../x')).toMatch(/"\."/);
    expect(roomNameError('conv/a b')).toMatch(/character/);
    expect(roomNameError('conv/é')).toMatch(/character/);
  });
});

describe('mux frames', () => {
  it('round-trips DATA, OPEN and CLOSE', () => {
    const message = new Uint8Array([0, 0, 1, 42]);
    expect(decodeFrame(encodeData('conv/a', message))).toEqual({
      kind: 'data',
      room: 'conv/a',
      message,
    });
    expect(decodeFrame(encodeOpen('conv/a'))).toEqual({ kind: 'open', room: 'conv/a' });
    expect(decodeFrame(encodeClose('conv/a', 4403, 'no'))).toEqual({
      kind: 'close',
      room: 'conv/a',
      code: 4403,
      reason: 'no',
    });
  });

  it('tells an unknown kind from a truncated frame', () => {
    const unknown = encodeOpen('r');
    unknown[0] = 9;
    expect(() => decodeFrame(unknown)).toThrow(MuxFrameError);
    try {
      decodeFrame(unknown);
    } catch (error) {
      expect((error as MuxFrameError).unknown).toBe(true);
    }
    try {
      decodeFrame(new Uint8Array([0, 50, 1]));
      expect.unreachable();
    } catch (error) {
      expect((error as MuxFrameError).unknown).toBe(false);
    }
  });

  it('round-trips AUTH: kind 3, room "", the payload as the rest of the frame', () => {
    expect(MuxFrameKind.auth).toBe(3);
    const frame = encodeAuth('eyJhbGciOi.x.y');
    // varUint 3, varString "" (length 0), then the token's UTF-8 bytes.
    expect([...frame.subarray(0, 3)]).toEqual([3, 0, 'e'.charCodeAt(0)]);
    const decoded = decodeFrame(frame);
    expect(decoded.kind).toBe('auth');
    expect(decoded.room).toBe('');
    if (decoded.kind !== 'auth') throw new Error('not auth');
    expect(authText(decoded)).toBe('eyJhbGciOi.x.y');
    const answer = decodeFrame(encodeAuth(new Uint8Array([123, 125])));
    expect(answer).toEqual({ kind: 'auth', room: '', message: new Uint8Array([123, 125]) });
    expect(decodeFrame(encodeAuth(''))).toEqual({
      kind: 'auth',
      room: '',
      message: new Uint8Array(0),
    });
  });

  it('takes an AUTH frame naming a room as malformed, and kinds above 4 as unknown', () => {
    const withRoom = new Uint8Array([3, 1, 'x'.charCodeAt(0), 1, 2]);
    expect(() => decodeFrame(withRoom)).toThrow(/AUTH frame with a room/);
    try {
      decodeFrame(withRoom);
    } catch (error) {
      expect((error as MuxFrameError).unknown).toBe(false);
    }
    for (const kind of [5, 6, 127]) {
      try {
        decodeFrame(new Uint8Array([kind, 0]));
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(MuxFrameError);
        expect((error as MuxFrameError).unknown).toBe(true);
      }
    }
  });

  it('routes AUTH like a DATA frame for a room that is never open (a relay without AUTH ignores it)', () => {
    // The relay finds a frame's room among its open rooms; "" is not a valid room name, so
    // it can never be open, and a relay that does not handle AUTH drops the frame.
    const f = decodeFrame(encodeAuth('t'));
    expect(isValidRoomName(f.room)).toBe(false);
    expect('message' in f && f.message).toEqual(new Uint8Array([116]));
  });

  it('derives the room from the URL a WebsocketProvider builds', () => {
    const mux = 'wss://relay.example/_mux';
    expect(roomFromUrl(`${mux}/conv/abc/p1`, mux)).toBe('conv/abc/p1');
    expect(roomFromUrl(`${mux}/workspace?token=x`, mux)).toBe('workspace');
    expect(roomFromUrl('ws://other:1/_mux/conv/x', mux)).toBe('conv/x');
  });
});

/** A scripted WebSocket: the test opens, closes and feeds it. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  binaryType = 'blob';
  readyState = 0;
  sent: Uint8Array[] = [];
  onopen: ((e: unknown) => void) | null = null;
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onclose: ((e: { code: number; reason: string }) => void) | null = null;
  onerror: ((e: unknown) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
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
  drop(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  receive(frame: Uint8Array) {
    this.onmessage?.({ data: frame.slice().buffer });
  }
}

// core has no timer types; the test runner's host has setTimeout.
const host = globalThis as unknown as { setTimeout(fn: () => void, ms: number): unknown };
const wait = (ms: number) => new Promise<void>((r) => host.setTimeout(r, ms));
const tick = () => wait(0);

describe('MuxConnection', () => {
  it('opens virtual sockets over one socket, routes frames and relays CLOSE', async () => {
    FakeSocket.all = [];
    const mux = new MuxConnection('ws://r/_mux?token=t', {
      WebSocket: FakeSocket,
      random: () => 0,
    });
    const statuses: MuxStatus[] = [];
    mux.onStatus((s) => statuses.push(s));
    const V = mux.WebSocketPolyfill;
    const a = new V(`${mux.url}/conv/a`);
    const b = new V(`${mux.url}/conv/b`);
    const got: unknown[] = [];
    a.onmessage = (e) => got.push(new Uint8Array(e.data as ArrayBuffer));
    const closes: number[] = [];
    b.onclose = (e) => closes.push(e.code);
    await tick();
    expect(FakeSocket.all).toHaveLength(1);
    const socket = FakeSocket.all[0]!;
    expect(socket.url).toBe('ws://r/_mux?token=t');
    expect(a.readyState).toBe(0);
    socket.open();
    expect(statuses).toEqual(['connecting', 'connected']);
    expect(a.readyState).toBe(1);
    expect(socket.sent.map(decodeFrame)).toEqual([
      { kind: 'open', room: 'conv/a' },
      { kind: 'open', room: 'conv/b' },
    ]);
    a.send(new Uint8Array([1, 2]));
    expect(decodeFrame(socket.sent[2]!)).toEqual({
      kind: 'data',
      room: 'conv/a',
      message: new Uint8Array([1, 2]),
    });
    socket.receive(encodeData('conv/a', new Uint8Array([7])));
    expect(got).toEqual([new Uint8Array([7])]);
    socket.receive(encodeClose('conv/b', CloseCode.forbidden, 'no'));
    expect(closes).toEqual([4403]);
    mux.destroy();
  });

  it('closes open rooms when the socket drops, reconnects with back-off, and obeys offline', async () => {
    FakeSocket.all = [];
    const mux = new MuxConnection('ws://r/_mux', {
      WebSocket: FakeSocket,
      random: () => 0,
      minBackoffMs: 1,
    });
    const V = mux.WebSocketPolyfill;
    const a = new V(`${mux.url}/conv/a`);
    const codes: number[] = [];
    a.onclose = (e) => codes.push(e.code);
    await tick();
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.drop();
    expect(codes).toEqual([1006]);
    expect(mux.status).toBe('disconnected');
    const waiting = new V(`${mux.url}/conv/w`);
    await wait(5);
    expect(FakeSocket.all).toHaveLength(2);
    FakeSocket.all[1]!.open();
    await tick();
    expect(waiting.readyState).toBe(1);
    mux.goOffline();
    expect(mux.status).toBe('offline');
    await wait(5);
    expect(FakeSocket.all).toHaveLength(2);
    mux.goOnline();
    expect(FakeSocket.all).toHaveLength(3);
    mux.destroy();
  });

  it("sends AUTH on the open socket, hands the relay's AUTH to listeners, and reports closes", async () => {
    FakeSocket.all = [];
    const mux = new MuxConnection('ws://r/_mux?token=old', {
      WebSocket: FakeSocket,
      random: () => 0,
      minBackoffMs: 1,
    });
    const answers: string[] = [];
    const closes: Array<[number, string]> = [];
    mux.onAuth((p) => answers.push(decodeUtf8(p)));
    mux.onClose((e) => closes.push([e.code, e.reason]));
    expect(mux.sendAuth('new')).toBe(false); // not open yet: nothing sent
    await tick();
    const socket = FakeSocket.all[0]!;
    socket.open();
    expect(mux.sendAuth('new')).toBe(true);
    expect(socket.sent.map(decodeFrame)).toEqual([
      { kind: 'auth', room: '', message: encodeUtf8('new') },
    ]);
    socket.receive(encodeAuth('{"expiresAt":123}'));
    expect(answers).toEqual(['{"expiresAt":123}']);
    // A fresh token for the next connection; the base URL must stay the same.
    expect(() => mux.setUrl('ws://other/_mux?token=x')).toThrow(/not this connection/);
    mux.setUrl('ws://r/_mux?token=fresh');
    socket.readyState = 3;
    socket.onclose?.({ code: 4401, reason: 'token expired' });
    expect(closes).toEqual([[4401, 'token expired']]);
    await wait(5);
    expect(FakeSocket.all[1]!.url).toBe('ws://r/_mux?token=fresh');
    mux.destroy();
  });

  it('refuses a bad room name locally with 4400 and replaces a duplicate room with 4409', async () => {
    const mux = new MuxConnection('ws://r/_mux', { WebSocket: FakeSocket, connect: false });
    const V = mux.WebSocketPolyfill;
    const bad = new V(`${mux.url}/_secret`);
    const first = new V(`${mux.url}/conv/x`);
    const codes: Array<[string, number]> = [];
    bad.onclose = (e) => codes.push(['bad', e.code]);
    first.onclose = (e) => codes.push(['first', e.code]);
    new V(`${mux.url}/conv/x`);
    await tick();
    expect(codes).toEqual([
      ['first', 4409],
      ['bad', 4400],
    ]);
    mux.destroy();
  });

  it('probes a silent socket with query-awareness, then reconnects when the relay stays silent', async () => {
    // Fake timers (and Date): the keepalive is about elapsed time, so the test owns the clock
    // instead of racing real timers on a busy machine.
    vi.useFakeTimers();
    try {
      FakeSocket.all = [];
      const mux = new MuxConnection('ws://r/_mux', {
        WebSocket: FakeSocket,
        random: () => 0,
        minBackoffMs: 1,
        keepaliveMs: 20,
      });
      const V = mux.WebSocketPolyfill;
      const a = new V(`${mux.url}/conv/a`);
      const codes: number[] = [];
      a.onclose = (e) => codes.push(e.code);
      await vi.advanceTimersByTimeAsync(0);
      const first = FakeSocket.all[0]!;
      first.open();
      // Silent for one keepalive period: one query-awareness probe, the socket kept.
      await vi.advanceTimersByTimeAsync(20);
      expect(first.sent.map(decodeFrame)).toContainEqual({
        kind: 'data',
        room: 'conv/a',
        message: new Uint8Array([3]),
      });
      expect(codes).toEqual([]);
      expect(FakeSocket.all).toHaveLength(1);
      // Silent for two periods: declared dead, its rooms closed as lost, a new socket dialled.
      await vi.advanceTimersByTimeAsync(20);
      expect(codes).toEqual([1006]);
      await vi.advanceTimersByTimeAsync(5);
      expect(FakeSocket.all.length).toBeGreaterThan(1);
      mux.destroy();
    } finally {
      vi.useRealTimers();
    }
  });
});
