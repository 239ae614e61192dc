// Client side of the multiplexed endpoint (sync-server/PROTOCOL.md): one real WebSocket carries
// many rooms. `MuxConnection.WebSocketPolyfill` is a virtual WebSocket class to hand to the stock
// y-websocket `WebsocketProvider`, so hundreds of providers share one socket:
//
//   const mux = new MuxConnection('wss://relay.example/_mux', { WebSocket });
//   new WebsocketProvider(mux.url, 'conv/<id>', doc, { WebSocketPolyfill: mux.WebSocketPolyfill });
//
// core has no DOM: the real WebSocket constructor is injected (the browser's, or `ws` in Node).
import { CloseCode, MessageType } from './messages';
import {
  decodeFrame,
  encodeAuth,
  encodeBatch,
  encodeClose,
  encodeData,
  encodeOpen,
  type MuxFrame,
} from './mux-frames';
import { roomNameError } from './rooms';
import {
  CONNECTING,
  OPEN,
  later,
  makeVirtualClass,
  type CloseInit,
  type Virtual,
  type VirtualWebSocketClass,
  type WebSocketLike,
} from './mux-virtual';

export { roomFromUrl, type VirtualWebSocketClass, type WebSocketLike } from './mux-virtual';

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** connecting: trying to (re)connect; connected; disconnected: lost, retrying; offline: told to. */
export type MuxStatus = 'connecting' | 'connected' | 'disconnected' | 'offline';

export interface MuxOptions {
  WebSocket: WebSocketConstructor;
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. Default 250. */
  minBackoffMs?: number;
  /** Default 10000. */
  maxBackoffMs?: number;
  /** For tests; default Math.random. */
  random?: () => number;
  /** Start connecting at once (default true); else call goOnline(). */
  connect?: boolean;
  /**
   * After this long without a frame the mux asks the relay for a room's awareness (an ordinary
   * query-awareness message); after twice as long it declares the socket dead and reconnects.
   * Catches half-open sockets (sleep, NAT loss) that providers' own watchdogs cannot, since
   * they only see virtual sockets. Default 15000; 0 turns it off.
   */
  keepaliveMs?: number;
}

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}
// ES2022 has no timer types and core sees no DOM or Node lib; every host has these two.
const timers = globalThis as unknown as Timers;

/** A batch is sent at the end of the task that queued it, or sooner past this many bytes. */
const BATCH_BYTES = 256 * 1024;

/**
 * The stock provider's answer to the relay's state vector when it has nothing the relay lacks:
 * sync (0), step 2 (1), an update of 2 bytes: no structs, no deletions. Applying it changes
 * nothing, so it is not sent (one frame less per room synced and per write acknowledged).
 */
function isEmptyStep2(m: Uint8Array): boolean {
  return m.length === 5 && m[0] === 0 && m[1] === 1 && m[2] === 2 && m[3] === 0 && m[4] === 0;
}

export class MuxConnection {
  /** The mux URL without query; give it to WebsocketProvider as its serverUrl. */
  readonly url: string;
  /** Pass as `WebSocketPolyfill` to the stock WebsocketProvider. */
  readonly WebSocketPolyfill: VirtualWebSocketClass;
  private fullUrl: string;
  private authListeners = new Set<(payload: Uint8Array) => void>();
  private closeListeners = new Set<(event: { code: number; reason: string }) => void>();
  private readonly options: Required<Omit<MuxOptions, 'connect'>>;
  private socket: WebSocketLike | null = null;
  private readonly rooms = new Map<string, Virtual>();
  private listeners = new Set<(status: MuxStatus) => void>();
  private attempts = 0;
  private timer: unknown = null;
  private offline = false;
  private destroyed = false;
  private _status: MuxStatus = 'disconnected';
  private lastFrameAt = 0;
  private keepaliveTimer: unknown = null;
  private batches = false;
  private outbox: Uint8Array[] = [];
  private outboxBytes = 0;
  /** Frames sent on the real socket, and the WebSocket messages that carried them (tests). */
  readonly sent = { frames: 0, messages: 0 };

  constructor(url: string, options: MuxOptions) {
    this.fullUrl = url;
    this.url = url.split('?')[0] ?? url;
    this.options = {
      WebSocket: options.WebSocket,
      minBackoffMs: options.minBackoffMs ?? 250,
      maxBackoffMs: options.maxBackoffMs ?? 10_000,
      random: options.random ?? Math.random,
      keepaliveMs: options.keepaliveMs ?? 15_000,
    };
    this.WebSocketPolyfill = makeVirtualClass(this);
    if (options.connect === false) {
      this.offline = true;
      this.setStatus('offline');
    } else this.connect();
  }

  get status(): MuxStatus {
    return this._status;
  }

  /** The relay on the current socket reads BATCH frames (it sent an empty one first). */
  get batching(): boolean {
    return this.batches;
  }

  /** Rooms currently attached (open or waiting for the socket). */
  get roomCount(): number {
    return this.rooms.size;
  }

  /** Calls listener with the current status now and on every change; returns an unsubscribe. */
  onStatus(listener: (status: MuxStatus) => void): () => void {
    this.listeners.add(listener);
    listener(this._status);
    return () => this.listeners.delete(listener);
  }

  /**
   * Replaces the URL (e.g. with a fresh `?token=`) for the next connection; the open socket,
   * if any, is kept. The part before `?` must stay the same: providers are bound to it.
   */
  setUrl(url: string): void {
    const base = url.split('?')[0] ?? url;
    if (base !== this.url) {
      throw new Error(`MuxConnection.setUrl: ${base} is not this connection's URL ${this.url}`);
    }
    this.fullUrl = url;
  }

  /**
   * Sends an AUTH frame with a new access token on the open socket (sync-server/PROTOCOL.md);
   * false if the socket is not open (then put the token in the URL with setUrl instead).
   */
  sendAuth(token: string): boolean {
    if (this.socket?.readyState !== OPEN) return false;
    this.write(encodeAuth(token));
    return true;
  }

  /** Calls listener with the payload of each AUTH frame from the relay; returns an unsubscribe. */
  onAuth(listener: (payload: Uint8Array) => void): () => void {
    this.authListeners.add(listener);
    return () => this.authListeners.delete(listener);
  }

  /**
   * Calls listener with the code and reason each time the real socket closes or is lost
   * (e.g. 4401 `token expired`), before it reconnects; returns an unsubscribe.
   */
  onClose(listener: (event: { code: number; reason: string }) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Closes the socket now and stays offline until goOnline() (e.g. the browser's `offline`). */
  goOffline(): void {
    if (this.destroyed) return;
    this.offline = true;
    this.cancelTimer();
    const socket = this.socket;
    this.setStatus('offline');
    if (socket) this.lose(socket, { code: CloseCode.normal, reason: 'offline' });
  }

  /** Connects now, skipping any back-off wait (e.g. the browser's `online`). */
  goOnline(): void {
    if (this.destroyed) return;
    this.offline = false;
    this.attempts = 0;
    this.cancelTimer();
    if (!this.socket) this.connect();
  }

  /** Closes the socket and every virtual socket for good. */
  destroy(): void {
    this.goOffline();
    this.destroyed = true;
    for (const v of [...this.rooms.values()]) {
      this.rooms.delete(v.room);
      v.fireClose({ code: CloseCode.goingAway, reason: 'mux connection destroyed' });
    }
    this.listeners.clear();
    this.authListeners.clear();
    this.closeListeners.clear();
  }

  // --- used by virtual sockets ---

  /** @internal */
  attach(v: Virtual): void {
    const error = roomNameError(v.room);
    if (error || this.destroyed) {
      later(() =>
        v.fireClose(
          error
            ? { code: CloseCode.badRoomName, reason: error }
            : { code: CloseCode.goingAway, reason: 'mux connection destroyed' },
        ),
      );
      return;
    }
    const previous = this.rooms.get(v.room);
    if (previous) {
      // One subscription per room per socket: the newer one wins, the older one stops for good.
      this.detach(previous, true);
      previous.fireClose({ code: CloseCode.replaced, reason: 'replaced by a newer socket' });
    }
    this.rooms.set(v.room, v);
    // Open after the caller (the provider) has attached its handlers.
    later(() => {
      if (
        this.rooms.get(v.room) === v &&
        this.socket?.readyState === OPEN &&
        v.readyState === CONNECTING
      ) {
        this.openRoom(v);
      }
    });
  }

  /** @internal */
  detach(v: Virtual, sendClose: boolean): void {
    if (this.rooms.get(v.room) !== v) return;
    this.rooms.delete(v.room);
    if (sendClose && v.readyState === OPEN && this.socket?.readyState === OPEN) {
      this.write(encodeClose(v.room, CloseCode.normal, ''));
    }
  }

  /** @internal */
  sendData(v: Virtual, message: Uint8Array): void {
    if (this.rooms.get(v.room) !== v || this.socket?.readyState !== OPEN) return;
    if (isEmptyStep2(message)) return;
    this.write(encodeData(v.room, message));
  }

  // --- the real socket ---

  /**
   * Sends one frame. Once the relay has said it reads BATCH frames, the frames of one task
   * (e.g. the OPEN and sync step 1 of every room a catch-up starts at once) go as one WebSocket
   * message at the end of it; else at once, as before.
   */
  private write(frame: Uint8Array): void {
    const socket = this.socket;
    if (socket?.readyState !== OPEN) return;
    this.sent.frames++;
    if (!this.batches) {
      this.sent.messages++;
      socket.send(frame);
      return;
    }
    this.outbox.push(frame);
    this.outboxBytes += frame.length;
    if (this.outboxBytes >= BATCH_BYTES) this.flush(socket);
    else if (this.outbox.length === 1) later(() => this.flush(socket));
  }

  private flush(socket: WebSocketLike): void {
    // The socket was replaced meanwhile: connect() emptied the outbox; the rooms that were open
    // on the lost one closed, and their providers sync again on the new one.
    if (this.socket !== socket) return;
    const frames = this.outbox;
    if (frames.length === 0) return;
    this.outbox = [];
    this.outboxBytes = 0;
    if (socket.readyState !== OPEN) return;
    this.sent.messages++;
    socket.send(frames.length === 1 ? (frames[0] as Uint8Array) : encodeBatch(frames));
  }

  private openRoom(v: Virtual): void {
    this.write(encodeOpen(v.room));
    v.fireOpen();
  }

  private connect(): void {
    if (this.destroyed || this.offline || this.socket) return;
    this.timer = null;
    this.setStatus('connecting');
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.fullUrl);
    } catch {
      this.scheduleReconnect();
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    this.batches = false;
    this.outbox = [];
    this.outboxBytes = 0;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.lastFrameAt = Date.now();
      this.scheduleKeepalive(socket);
      this.setStatus('connected');
      for (const v of this.rooms.values()) if (v.readyState === CONNECTING) this.openRoom(v);
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.attempts = 0;
      this.lastFrameAt = Date.now();
      this.onFrame(event.data);
    };
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.socket === socket) this.lose(socket, event);
    };
  }

  private onFrame(data: unknown): void {
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data))
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else return; // the relay sends no text frames
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch {
      return; // a newer relay's frame kind: ignore rather than break every room
    }
    if (frame.kind === 'batch') {
      // The relay reads batches (its first, empty one says so) and may send them.
      this.batches = true;
      for (const inner of frame.frames) {
        try {
          const f = decodeFrame(inner);
          if (f.kind !== 'batch') this.onDecoded(f);
        } catch {
          // as above: an unknown kind is ignored
        }
      }
      return;
    }
    this.onDecoded(frame);
  }

  private onDecoded(frame: Exclude<MuxFrame, { kind: 'batch' }>): void {
    if (frame.kind === 'auth') {
      for (const l of [...this.authListeners]) l(frame.message);
      return;
    }
    const v = this.rooms.get(frame.room);
    if (!v || v.readyState !== OPEN) return;
    if (frame.kind === 'data') v.fireMessage(frame.message);
    else if (frame.kind === 'close') {
      this.rooms.delete(frame.room);
      v.fireClose({ code: frame.code, reason: frame.reason });
    }
  }

  /** The real socket is gone: open rooms close (their providers retry), waiting ones keep waiting. */
  private lose(socket: WebSocketLike, event: CloseInit): void {
    this.socket = null;
    if (this.keepaliveTimer !== null) timers.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = null;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {};
    if (socket.readyState === CONNECTING || socket.readyState === OPEN) socket.close();
    const code = event.code >= 4400 && event.code < 4500 ? event.code : 1006;
    for (const l of [...this.closeListeners]) l({ code: event.code, reason: event.reason });
    for (const v of [...this.rooms.values()]) {
      if (v.readyState !== OPEN) continue;
      this.rooms.delete(v.room);
      v.fireClose({ code, reason: event.reason || 'connection lost' });
    }
    if (this.offline || this.destroyed) this.setStatus('offline');
    else this.scheduleReconnect();
  }

  private scheduleKeepalive(socket: WebSocketLike): void {
    const period = this.options.keepaliveMs;
    if (period <= 0) return;
    this.keepaliveTimer = timers.setTimeout(() => {
      this.keepaliveTimer = null;
      if (this.socket !== socket) return;
      const silent = Date.now() - this.lastFrameAt;
      const probe = [...this.rooms.values()].find((v) => v.readyState === OPEN);
      if (probe && silent >= 2 * period) {
        this.lose(socket, { code: 1006, reason: 'relay silent; reconnecting' });
        return;
      }
      if (probe && silent >= period) {
        this.write(encodeData(probe.room, new Uint8Array([MessageType.queryAwareness])));
      }
      this.scheduleKeepalive(socket);
    }, period / 2);
  }

  private scheduleReconnect(): void {
    this.setStatus('disconnected');
    const { minBackoffMs, maxBackoffMs, random } = this.options;
    const cap = Math.min(maxBackoffMs, minBackoffMs * 2 ** this.attempts);
    this.attempts++;
    // "Equal jitter": half fixed, half random, so a relay restart does not get a thundering herd.
    const delay = cap / 2 + random() * (cap / 2);
    this.timer = timers.setTimeout(() => this.connect(), delay);
  }

  private cancelTimer(): void {
    if (this.timer !== null) timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private setStatus(status: MuxStatus): void {
    if (this._status === status) return;
    this._status = status;
    for (const l of this.listeners) l(status);
  }
}
