// The virtual WebSocket a stock WebsocketProvider uses on a MuxConnection (mux-client.ts): one
// per room, all over the mux's one real socket. Imports nothing of the mux itself.
import { CloseCode } from './messages';

/** The part of the WebSocket interface (browser or `ws`) the mux and its virtual sockets use. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export const later = (fn: () => void) => void Promise.resolve().then(fn);

export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

export type CloseInit = { code: number; reason: string };

/** What the mux needs from a virtual socket. */
export interface Virtual {
  readonly room: string;
  readyState: number;
  fireOpen(): void;
  fireMessage(message: Uint8Array): void;
  fireClose(event: CloseInit): void;
}

/** The virtual WebSocket class's constructor, as the provider's WebSocketPolyfill. */
export type VirtualWebSocketClass = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** What a virtual socket needs from its mux (MuxConnection). */
export interface VirtualHost {
  readonly url: string;
  attach(v: Virtual): void;
  detach(v: Virtual, sendClose: boolean): void;
  sendData(v: Virtual, message: Uint8Array): void;
}

/** The room a provider means by `url`: `<mux url>/<room>[?params]`. */
export function roomFromUrl(url: string, muxUrl: string): string {
  const path = url.split('?')[0] ?? url;
  let room: string;
  if (path.startsWith(muxUrl + '/')) room = path.slice(muxUrl.length + 1);
  else {
    const match = /^[a-z][a-z0-9+.-]*:\/\/[^/]*\/(.*)$/i.exec(path);
    room = (match ? match[1] : path) ?? '';
    if (room.startsWith('_mux/')) room = room.slice('_mux/'.length);
  }
  try {
    return decodeURIComponent(room);
  } catch {
    return room;
  }
}

export function makeVirtualClass(mux: VirtualHost): VirtualWebSocketClass {
  return class VirtualWebSocket implements WebSocketLike, Virtual {
    static readonly CONNECTING = CONNECTING;
    static readonly OPEN = OPEN;
    static readonly CLOSING = CLOSING;
    static readonly CLOSED = CLOSED;
    readonly CONNECTING = CONNECTING;
    readonly OPEN = OPEN;
    readonly CLOSING = CLOSING;
    readonly CLOSED = CLOSED;
    readonly url: string;
    readonly room: string;
    readonly protocol = '';
    binaryType = 'arraybuffer';
    readyState: number = CONNECTING;
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;

    constructor(url: string, _protocols?: string | string[]) {
      this.url = url;
      this.room = roomFromUrl(url, mux.url);
      mux.attach(this);
    }

    get bufferedAmount(): number {
      return 0;
    }

    send(data: Uint8Array | ArrayBuffer): void {
      if (this.readyState !== OPEN) return;
      mux.sendData(this, data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    }

    close(code: number = CloseCode.normal, reason = ''): void {
      if (this.readyState === CLOSED || this.readyState === CLOSING) return;
      mux.detach(this, true);
      later(() => this.fireClose({ code, reason }));
      this.readyState = CLOSING;
    }

    fireOpen(): void {
      this.readyState = OPEN;
      this.onopen?.({ type: 'open', target: this });
    }

    fireMessage(message: Uint8Array): void {
      // A fresh ArrayBuffer, as a browser WebSocket with binaryType 'arraybuffer' gives.
      const data = message.slice().buffer;
      this.onmessage?.({ data, type: 'message', target: this } as { data: unknown });
    }

    fireClose(event: CloseInit): void {
      if (this.readyState === CLOSED) return;
      this.readyState = CLOSED;
      this.onclose?.({ ...event, wasClean: true, type: 'close', target: this } as CloseInit);
    }
  };
}
