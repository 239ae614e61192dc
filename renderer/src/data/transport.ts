// How the client reaches the relay: the socket URL from the server URL, and one multiplexed
// connection that carries every document (core/src/protocol/mux-client.ts).
import { MuxConnection, type WebSocketConstructor } from '../../../core/src/protocol/mux-client';
import type { Connection } from './api';
import type { Transport } from './docs';

/** ws(s):// URL of the relay from its http(s):// URL (path kept, no trailing slash). */
export function relaySocketUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new Error(`The server URL must start with http(s)://, got ${serverUrl}`);
  }
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

/** One MuxConnection to the relay: every document's provider gets a virtual socket on it. */
export function muxTransport(url: string, WebSocket: WebSocketConstructor, online: boolean): Transport {
  const mux = new MuxConnection(url, { WebSocket, connect: online });
  // After a failed attempt the mux alternates 'disconnected' (back-off) and 'connecting'
  // (retry): both read as unreachable until a socket opens or the device goes offline, so the
  // status does not flicker at every retry.
  let failed = false;
  const toConnection = (s: string): Connection => {
    if (s === 'connected' || s === 'offline') {
      failed = false;
      return s === 'connected' ? 'online' : 'offline';
    }
    if (s === 'disconnected') failed = true;
    return failed ? 'unreachable' : 'connecting';
  };
  return {
    url: mux.url,
    WebSocket: mux.WebSocketPolyfill,
    shared: true,
    status: (listener) => mux.onStatus((s) => listener(toConnection(s))),
    goOffline: () => mux.goOffline(),
    goOnline: () => mux.goOnline(),
    close: () => mux.destroy(),
  };
}
