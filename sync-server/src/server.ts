// HTTP(S) server: WebSocket upgrades (plain `/<room>` and multiplexed `/_mux`), health,
// readiness, metrics and the static web client. Owns the socket lifecycle and draining.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, MUX_PATH } from '../../core/src/protocol/messages';
import { roomNameError } from '../../core/src/protocol/rooms';
import type { RelayConfig } from './config';
import {
  ANONYMOUS,
  type AuthRefusal,
  type HttpRefusal,
  isAuthRefusal,
  isHttpRefusal,
  type Principal,
  type RelayHooks,
} from './hooks';
import { correlationId, type Logger } from './log';
import { createMetrics, serveMetrics, type Metrics } from './metrics';
import { handleMux, type SocketIO } from './mux';
import { FrameError } from './messages';
import { Relay } from './relay';
import type { RoomConn } from './room';
import { securityHeaders, serveStatic } from './static';
import { PID_FILE, Store, relayRunning } from './store';
import type { Accounts } from './accounts/service';
import type { Audit } from './audit';
import { createAccountsApi, type AccountsApi } from './http/api';
import { API_PREFIX } from './http/router';

/** What `startRelay` builds before the relay, for hooks that need it (accounts, audit). */
export interface RelayServices {
  store: Store;
  metrics: Metrics;
  accounts: Accounts;
  audit: Audit;
  /** The `/api/v1` router and its accounts endpoints; more routes may be added to it. */
  api: AccountsApi;
}

/**
 * How long the relay waits for a client to answer its close before dropping the connection.
 * The socket has left its rooms and ignores frames from the moment the relay closes it.
 */
export const CLOSE_WAIT_MS = 5_000;

/** How long a mux socket outlives its token's `exp` without an AUTH refresh. */
export const AUTH_GRACE_MS = 30_000;
/** TEST ONLY: a shorter grace (FERRY_TEST_AUTH_GRACE_MS), so expiry tests need not wait 30 s. */
const authGraceMs = (): number => {
  const test = Number(process.env.FERRY_TEST_AUTH_GRACE_MS);
  return Number.isFinite(test) && test >= 0 && process.env.FERRY_TEST_AUTH_GRACE_MS
    ? test
    : AUTH_GRACE_MS;
};

export interface RunningRelay {
  url: string;
  port: number;
  relay: Relay;
  metrics: Metrics;
  api: AccountsApi;
  /** Stops accepting, commits, closes sockets with 1001 "going away", closes the database. */
  drain(): Promise<void>;
}

export async function startRelay(
  config: RelayConfig,
  log: Logger,
  hooksOrFactory: RelayHooks | ((services: RelayServices) => RelayHooks) = {},
): Promise<RunningRelay> {
  const other = relayRunning(config.data);
  if (other !== null) {
    // Two relays on one database would each hold their own copy of a room in memory.
    throw new Error(`another relay (pid ${other}) is serving ${config.data}; stop it first`);
  }
  const store = new Store(config.data, { maxPages: config.debugDbMaxPages });
  const metrics = createMetrics();
  const api = createAccountsApi({ config, log, metrics, db: store.db });
  const hooks =
    typeof hooksOrFactory === 'function'
      ? hooksOrFactory({ store, metrics, accounts: api.accounts, audit: api.audit, api })
      : hooksOrFactory;
  const relay = new Relay(config, store, log, metrics, hooks);
  const pidFile = path.join(config.data, PID_FILE);
  writeFileSync(pidFile, String(process.pid));
  let draining = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: false,
  });

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    if (pathname === API_PREFIX || pathname.startsWith(API_PREFIX + '/')) {
      if (draining) json(res, 503, { error: { code: 'unavailable', message: 'draining' } });
      else void api.router.handle(req, res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end('method not allowed\n');
      return;
    }
    if (pathname === '/healthz') {
      json(res, 200, { status: 'ok' });
    } else if (pathname === '/readyz') {
      const reasons: string[] = [];
      if (draining) reasons.push('draining');
      if (!relay.storeHealthy) reasons.push(`database writes failing: ${relay.storeError}`);
      json(res, reasons.length ? 503 : 200, { ready: reasons.length === 0, reasons });
    } else if (pathname === '/metrics') {
      // Loopback, the metrics token, or --metrics-public (metrics.ts says why).
      void serveMetrics(req, res, { metrics, config, accounts: api.accounts, log });
    } else if (config.updates && pathname.startsWith('/updates/')) {
      // The desktop app's update feed (electron-updater verifies each download's sha512
      // from latest*.yml, and the installer's signature where the OS has one).
      serveStatic(config.updates, req, res, { prefix: '/updates/', spaFallback: false });
    } else if (config.web) {
      serveStatic(config.web, req, res);
    } else {
      securityHeaders(res);
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('Ferry relay: no web client here (build it, or pass --web DIR)\n');
    }
  };

  const server = config.tlsCert
    ? https.createServer(
        { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey ?? '') },
        onRequest,
      )
    : http.createServer(onRequest);
  // A client has 10 s to send its headers (slowloris) and 30 s for a whole API request.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  /** Sends with a bounded buffer: a consumer that falls too far behind is dropped. */
  const guard = (ws: WebSocket, log: Logger): SocketIO => ({
    send(data) {
      if (ws.readyState !== ws.OPEN) return false;
      if (ws.bufferedAmount + data.byteLength > config.maxBufferedBytes) {
        metrics.slowConsumers.inc();
        log.warn(
          { buffered: ws.bufferedAmount },
          'slow consumer: send buffer full; dropping socket',
        );
        ws.terminate();
        return false;
      }
      metrics.bytesOut.inc(data.byteLength);
      ws.send(data);
      return true;
    },
  });

  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    if (draining) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    const cid = correlationId('c');
    void (async () => {
      let principal: Principal | AuthRefusal | HttpRefusal | null = ANONYMOUS;
      if (hooks.authenticate) {
        try {
          principal = await hooks.authenticate(req);
        } catch (error) {
          log.error({ cid, err: error }, 'authenticate hook failed');
          principal = null;
        }
      }
      if (!principal) {
        log.warn({ cid, path: pathname }, 'upgrade refused: not authenticated');
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
        return;
      }
      if (isHttpRefusal(principal)) {
        const { status, retryAfterS } = principal;
        log.warn({ cid, path: pathname, status }, 'upgrade refused');
        const retry = retryAfterS ? `Retry-After: ${Math.ceil(retryAfterS)}\r\n` : '';
        const text = http.STATUS_CODES[status] ?? 'Refused';
        socket.end(`HTTP/1.1 ${status} ${text}\r\n${retry}Connection: close\r\n\r\n`);
        return;
      }
      if (isAuthRefusal(principal)) {
        // Browsers see no HTTP status: complete the upgrade, then close with 4401 and why.
        const reason = principal.refused;
        log.warn({ cid, path: pathname, reason }, 'socket not authenticated; closing 4401');
        wss.handleUpgrade(req, socket, head, (ws) => {
          ws.on('error', () => {});
          ws.close(CloseCode.unauthorized, reason);
          // A client that does not answer the close loses the socket after one round trip.
          setTimeout(() => ws.terminate(), 5000).unref();
        });
        return;
      }
      const who = principal;
      if (who.id !== ANONYMOUS.id && (userSockets.get(who.id) ?? 0) >= config.maxSocketsPerUser) {
        log.warn({ cid, path: pathname, user: who.id }, 'upgrade refused: too many sockets');
        relay.refused({
          principal: who,
          what: 'socket',
          rule: 'sockets-per-user',
          reason: `more than ${config.maxSocketsPerUser} sockets open`,
        });
        socket.end('HTTP/1.1 429 Too Many Requests\r\nRetry-After: 5\r\nConnection: close\r\n\r\n');
        return;
      }
      const remote = req.socket.remoteAddress ?? '';
      wss.handleUpgrade(req, socket, head, (ws) => accept(ws, who, cid, pathname, remote));
    })().catch((err: unknown) => {
      log.error({ cid, err }, 'upgrade failed');
      socket.destroy();
    });
  });

  // Keepalive: a socket that has not answered the previous ping (a vanished laptop, a dead NAT
  // entry) is dropped, so its rooms can unload. Browsers answer pings by themselves.
  const alive = new WeakMap<WebSocket, boolean>();
  const pinger =
    config.pingIntervalMs > 0
      ? setInterval(() => {
          for (const ws of wss.clients) {
            if (alive.get(ws) === false) {
              metrics.refusedFrames.inc({ reason: 'no_pong' });
              log.info('socket did not answer the keepalive ping; dropping it');
              ws.terminate();
              continue;
            }
            alive.set(ws, false);
            ws.ping();
          }
        }, config.pingIntervalMs)
      : null;
  pinger?.unref();

  /** Open sockets and their principals, for `closeSockets` (revocation, disabled users). */
  interface SocketEntry {
    principal: Principal;
    expiry: NodeJS.Timeout | null;
    /** Ends the socket: leaves its rooms at once, ignores its frames, closes it. */
    end: (code: number, reason: string) => void;
  }
  const sockets = new Map<WebSocket, SocketEntry>();
  /** Open sockets per user (accounts on), for --max-sockets-per-user. */
  const userSockets = new Map<string, number>();
  const closeSockets = (match: (p: Principal) => boolean, code: number, reason: string) => {
    let n = 0;
    for (const entry of [...sockets.values()]) {
      if (!match(entry.principal)) continue;
      entry.end(code, reason);
      n++;
    }
    return n;
  };

  /** A user over --limit-frames-user: audited, and the socket closes with 1013 (try later). */
  const tooManyFrames = (
    principal: Principal,
    log: Logger,
    end: (code: number, reason: string) => void,
  ) => {
    metrics.rateLimited.inc({ what: 'frames' });
    log.warn({ user: principal.id }, 'too many frames; closing 1013');
    relay.refused({ principal, what: 'frame', rule: 'frames', reason: 'over the frame budget' });
    end(CloseCode.tryAgainLater, 'too many frames; try again later');
  };

  /**
   * The one way the relay closes an accepted socket: whatever the reason (session ended, token
   * expired, a refused frame), the socket leaves every room now, so nothing it sends after this
   * is applied, stored or forwarded, and nothing more is sent to it; a client that never
   * answers the close loses the connection after CLOSE_WAIT_MS.
   */
  const ender = (ws: WebSocket, leaveRooms: () => void) => (code: number, reason: string) => {
    if (ws.readyState !== ws.OPEN) return;
    leaveRooms();
    ws.close(code, reason);
    setTimeout(() => ws.terminate(), CLOSE_WAIT_MS).unref();
  };

  /** Closes the socket with 4401 `token expired` when its credentials end (+ grace on mux). */
  const armExpiry = (ws: WebSocket, graceMs: number) => {
    const entry = sockets.get(ws);
    if (!entry) return;
    if (entry.expiry) clearTimeout(entry.expiry);
    entry.expiry = null;
    const at = entry.principal.expiresAt;
    if (typeof at !== 'number') return;
    // setTimeout overflows past ~24.8 days; such a token is re-armed on its next renewal.
    const wait = Math.min(Math.max(0, at + graceMs - Date.now()), 2 ** 31 - 1);
    entry.expiry = setTimeout(() => {
      log.info({ user: entry.principal.id }, 'token expired; closing socket 4401');
      entry.end(CloseCode.unauthorized, 'token expired');
    }, wait);
    entry.expiry.unref();
  };

  /** A new socket. Kept out of the upgrade handler's scope so no closure retains the request. */
  const accept = (ws: WebSocket, who: Principal, cid: string, pathname: string, remote: string) => {
    const endpoint = pathname === MUX_PATH ? 'mux' : 'plain';
    const clog = log.child({ cid });
    let leaveRooms = () => {};
    const end = ender(ws, () => leaveRooms());
    sockets.set(ws, { principal: who, expiry: null, end });
    if (who.id !== ANONYMOUS.id) userSockets.set(who.id, (userSockets.get(who.id) ?? 0) + 1);
    armExpiry(ws, endpoint === 'mux' ? authGraceMs() : 0);
    metrics.connections.inc({ endpoint });
    clog.info({ endpoint, path: pathname.slice(0, 220), remote, user: who.id }, 'connected');
    ws.on('error', (error: Error & { code?: string }) => {
      const tooLarge = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      metrics.refusedFrames.inc({ reason: tooLarge ? 'too_large' : 'ws_error' });
      clog.warn({ code: error.code, reason: error.message }, 'refused frame; closing');
    });
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    ws.on('close', (code, reason) => {
      const entry = sockets.get(ws);
      if (entry?.expiry) clearTimeout(entry.expiry);
      if (entry && sockets.delete(ws) && who.id !== ANONYMOUS.id) {
        const n = (userSockets.get(who.id) ?? 1) - 1;
        if (n > 0) userSockets.set(who.id, n);
        else userSockets.delete(who.id);
      }
      metrics.connections.dec({ endpoint });
      clog.info({ code, reason: reason.toString() }, 'disconnected');
    });
    const io = guard(ws, clog);
    if (endpoint === 'mux') {
      const reauthenticate = hooks.reauthenticate;
      const renew = reauthenticate
        ? async (token: string) => {
            const next = await reauthenticate(who, token);
            if (isAuthRefusal(next)) return next;
            if (next.id !== who.id) return { refused: 'token belongs to another user' };
            // Rooms hold this principal object: renew it in place.
            Object.assign(who, next);
            armExpiry(ws, authGraceMs());
            return { expiresAt: who.expiresAt ?? null };
          }
        : null;
      const overBudget = () => tooManyFrames(who, clog, end);
      leaveRooms = handleMux(relay, ws, io, who, clog, cid, end, renew, overBudget);
      return;
    }
    let room: string;
    try {
      room = decodeURIComponent(pathname.slice(1));
    } catch {
      room = pathname.slice(1); // not valid percent-encoding: refused as a bad room name below
    }
    void handlePlain(ws, io, who, clog, cid, room, end, (leave) => {
      leaveRooms = leave;
    });
  };

  const handlePlain = async (
    ws: WebSocket,
    io: SocketIO,
    principal: Principal,
    log: Logger,
    cid: string,
    room: string,
    end: (code: number, reason: string) => void,
    onJoined: (leave: () => void) => void,
  ) => {
    const error = roomNameError(room);
    if (error) {
      metrics.refusedFrames.inc({ reason: 'bad_room' });
      log.warn({ room: room.slice(0, 220), reason: error }, 'room refused');
      end(CloseCode.badRoomName, error);
      return;
    }
    // Frames that arrive while the authorize hook runs are kept, in order.
    const early: Buffer[] = [];
    const hold = (data: Buffer) => {
      if (ws.readyState === ws.OPEN) early.push(data);
    };
    ws.on('message', hold);
    let allowed: boolean | string;
    try {
      allowed = hooks.authorizeRoom ? await hooks.authorizeRoom(principal, room) : true;
    } catch (err) {
      log.error({ err, room }, 'authorizeRoom hook failed; closing');
      end(CloseCode.internalError, 'authorization failed');
      return;
    }
    if (allowed !== true) {
      const reason = allowed === false ? 'not allowed' : allowed;
      log.warn({ room, reason }, 'room forbidden');
      relay.refused({ principal, what: 'room', rule: 'forbidden', room, reason });
      end(CloseCode.forbidden, reason);
      return;
    }
    ws.off('message', hold);
    if (ws.readyState !== ws.OPEN) return;
    if (!relay.mayJoin(principal)) {
      const reason = 'too many rooms open for this user';
      log.warn({ room }, 'room refused: too many rooms for this user');
      relay.refused({ principal, what: 'room', rule: 'rooms-per-user', room, reason });
      end(CloseCode.roomTooLarge, reason);
      return;
    }
    const conn: RoomConn = {
      cid,
      principal,
      log,
      send: (message) => void io.send(message),
      close: (code, reason) => end(code, reason),
    };
    let ignored = false;
    const onMessage = (data: Buffer, isBinary: boolean) => {
      // Closing: the socket left its room; what it still sends is not taken.
      if (ws.readyState !== ws.OPEN) {
        if (!ignored) log.debug({ room }, 'frame ignored: the socket is closing');
        ignored = true;
        return;
      }
      if (!relay.takeFrame(principal)) {
        tooManyFrames(principal, log, end);
        return;
      }
      if (!isBinary) {
        relay.refuse(
          conn,
          new FrameError(CloseCode.unsupportedData, 'text frames are not supported', 'text'),
        );
        return;
      }
      try {
        relay.receive(conn, room, data);
      } catch (err) {
        if (err instanceof FrameError) relay.refuse(conn, err);
        else {
          log.error({ err }, 'message handler failed; closing socket');
          end(CloseCode.internalError, 'internal error');
        }
      }
    };
    ws.on('message', onMessage);
    ws.on('close', () => relay.leave(conn, room));
    onJoined(() => relay.leave(conn, room));
    relay.join(conn, room);
    for (const data of early.splice(0)) onMessage(data, true);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${config.tlsCert ? 'wss' : 'ws'}://${host}:${address.port}`;
  const listening = { address: address.address, port: address.port, url, data: config.data };
  hooks.attach?.({ relay, closeSockets });
  log.info({ ...listening, web: config.web }, 'listening');
  // Tests, benchmarks and scripts read this line: print it even when info is filtered out.
  if (!log.isLevelEnabled('info')) console.log(JSON.stringify({ msg: 'listening', ...listening }));

  let drained: Promise<void> | null = null;
  const drain = () => {
    drained ??= (async () => {
      draining = true;
      if (pinger) clearInterval(pinger);
      log.info({ sockets: wss.clients.size }, 'draining: refusing new connections');
      server.close();
      relay.flush();
      const closed = [...wss.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === ws.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.close(CloseCode.goingAway, 'going away');
          }),
      );
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(closed),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, config.drainTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      for (const ws of wss.clients) ws.terminate();
      for (const entry of sockets.values()) if (entry.expiry) clearTimeout(entry.expiry);
      relay.close();
      hooks.close?.();
      api.close();
      store.close();
      server.closeAllConnections();
      if (existsSync(pidFile)) rmSync(pidFile, { force: true });
      log.info('drained: every update committed, database closed');
    })();
    return drained;
  };

  return { url, port: address.port, relay, metrics, api, drain };
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body) + '\n');
}
