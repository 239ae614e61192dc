// The relay's accepted sockets (server.ts accepts them, mux.ts and the plain endpoint speak on
// them): who each belongs to, how many each user holds (--max-sockets-per-user), the one way
// an accepted socket is ended, the expiry of its credentials, and the keepalive that drops
// sockets that vanished without a close.
import type { WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../../core/src/protocol/messages';
import type { RelayConfig } from './config';
import { ANONYMOUS, type Principal } from './hooks';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import type { Relay } from './relay';

/**
 * How long the relay waits for a client to answer its close before dropping the connection.
 * The socket has left its rooms and ignores frames from the moment the relay closes it.
 */
export const CLOSE_WAIT_MS = 5_000;

/** How long a mux socket outlives its token's `exp` without an AUTH refresh. */
export const AUTH_GRACE_MS = 30_000;
/** TEST ONLY: a shorter grace (FERRY_TEST_AUTH_GRACE_MS), so expiry tests need not wait 30 s. */
export const authGraceMs = (): number => {
  const test = Number(process.env.FERRY_TEST_AUTH_GRACE_MS);
  return Number.isFinite(test) && test >= 0 && process.env.FERRY_TEST_AUTH_GRACE_MS
    ? test
    : AUTH_GRACE_MS;
};

/** Ends a socket: leaves its rooms at once, ignores its frames, closes it. */
export type EndSocket = (code: number, reason: string) => void;

/** Open sockets and their principals, for `closeSockets` (revocation, disabled users). */
interface SocketEntry {
  principal: Principal;
  expiry: NodeJS.Timeout | null;
  end: EndSocket;
}

export class Sockets {
  private readonly sockets = new Map<WebSocket, SocketEntry>();
  /** Open sockets per user (accounts on), for --max-sockets-per-user. */
  private readonly userSockets = new Map<string, number>();
  private readonly alive = new WeakMap<WebSocket, boolean>();
  private readonly pinger: NodeJS.Timeout | null;
  /** One pong listener for every socket (`this` is the socket), not a closure each (issue 16). */
  private readonly onPong: (this: WebSocket) => void;

  constructor(
    private readonly config: RelayConfig,
    private readonly log: Logger,
    private readonly metrics: Metrics,
    private readonly relay: Relay,
    wss: WebSocketServer,
  ) {
    const alive = this.alive;
    this.onPong = function (this: WebSocket) {
      alive.set(this, true);
    };
    // Keepalive: a socket that has not answered the previous ping (a vanished laptop, a dead
    // NAT entry) is dropped, so its rooms can unload. Browsers answer pings by themselves.
    this.pinger =
      config.pingIntervalMs > 0
        ? setInterval(() => {
            for (const ws of wss.clients) {
              if (this.alive.get(ws) === false) {
                metrics.refusedFrames.inc({ reason: 'no_pong' });
                log.info('socket did not answer the keepalive ping; dropping it');
                ws.terminate();
                continue;
              }
              this.alive.set(ws, false);
              ws.ping();
            }
          }, config.pingIntervalMs)
        : null;
    this.pinger?.unref();
  }

  /** Whether `who` already holds --max-sockets-per-user open sockets. */
  atLimit(who: Principal): boolean {
    return (
      who.id !== ANONYMOUS.id &&
      (this.userSockets.get(who.id) ?? 0) >= this.config.maxSocketsPerUser
    );
  }

  /** Closes every socket whose principal matches; returns how many (`RelayControl`). */
  closeSockets(match: (p: Principal) => boolean, code: number, reason: string): number {
    let n = 0;
    for (const entry of [...this.sockets.values()]) {
      if (!match(entry.principal)) continue;
      entry.end(code, reason);
      n++;
    }
    return n;
  }

  /** A user over --limit-frames-user: audited, and the socket closes with 1013 (try later). */
  tooManyFrames(principal: Principal, log: Logger, end: EndSocket): void {
    this.metrics.rateLimited.inc({ what: 'frames' });
    log.warn({ user: principal.id }, 'too many frames; closing 1013');
    this.relay.refused({
      principal,
      what: 'frame',
      rule: 'frames',
      reason: 'over the frame budget',
    });
    end(CloseCode.tryAgainLater, 'too many frames; try again later');
  }

  /**
   * The one way the relay closes an accepted socket: whatever the reason (session ended, token
   * expired, a refused frame), the socket leaves every room now, so nothing it sends after this
   * is applied, stored or forwarded, and nothing more is sent to it; a client that never
   * answers the close loses the connection after CLOSE_WAIT_MS.
   */
  ender(ws: WebSocket, leaveRooms: () => void): EndSocket {
    return (code: number, reason: string) => {
      if (ws.readyState !== ws.OPEN) return;
      leaveRooms();
      ws.close(code, reason);
      setTimeout(() => ws.terminate(), CLOSE_WAIT_MS).unref();
    };
  }

  /** Registers an accepted socket: counted for its user, its expiry armed (+ `graceMs`). */
  add(ws: WebSocket, who: Principal, end: EndSocket, graceMs: number): void {
    this.sockets.set(ws, { principal: who, expiry: null, end });
    if (who.id !== ANONYMOUS.id)
      this.userSockets.set(who.id, (this.userSockets.get(who.id) ?? 0) + 1);
    this.armExpiry(ws, graceMs);
  }

  /** The socket answers keepalive pings from now on (its pongs keep it). */
  keepAlive(ws: WebSocket): void {
    this.alive.set(ws, true);
    ws.on('pong', this.onPong);
  }

  /** Forgets a closed socket: its expiry timer and its place in its user's count. */
  remove(ws: WebSocket, who: Principal): void {
    const entry = this.sockets.get(ws);
    if (entry?.expiry) clearTimeout(entry.expiry);
    if (entry && this.sockets.delete(ws) && who.id !== ANONYMOUS.id) {
      const n = (this.userSockets.get(who.id) ?? 1) - 1;
      if (n > 0) this.userSockets.set(who.id, n);
      else this.userSockets.delete(who.id);
    }
  }

  /** Closes the socket with 4401 `token expired` when its credentials end (+ grace on mux). */
  armExpiry(ws: WebSocket, graceMs: number): void {
    const entry = this.sockets.get(ws);
    if (!entry) return;
    if (entry.expiry) clearTimeout(entry.expiry);
    entry.expiry = null;
    const at = entry.principal.expiresAt;
    if (typeof at !== 'number') return;
    // setTimeout overflows past ~24.8 days; such a token is re-armed on its next renewal.
    const wait = Math.min(Math.max(0, at + graceMs - Date.now()), 2 ** 31 - 1);
    entry.expiry = setTimeout(() => {
      this.log.info({ user: entry.principal.id }, 'token expired; closing socket 4401');
      entry.end(CloseCode.unauthorized, 'token expired');
    }, wait);
    entry.expiry.unref();
  }

  /** Drain, first: no more pings. */
  stopKeepalive(): void {
    if (this.pinger) clearInterval(this.pinger);
  }

  /** Drain, last: no expiry timer outlives the relay. */
  clearExpiries(): void {
    for (const entry of this.sockets.values()) if (entry.expiry) clearTimeout(entry.expiry);
  }
}
