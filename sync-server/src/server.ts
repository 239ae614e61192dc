// HTTP(S) server: WebSocket upgrades (plain `/<room>` and multiplexed `/_mux`) and draining.
// Plain HTTP requests are http-routes.ts's; the accepted sockets' lifecycle is sockets.ts's.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Duplex } from 'node:stream';
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
import { requestHandler } from './http-routes';
import { correlationId, type Logger } from './log';
import { createMetrics, type Metrics } from './metrics';
import { handleMux, type SocketIO } from './mux';
import { FrameError } from './messages';
import { isDatabaseUnavailable } from './db/sql';
import { Relay } from './relay';
import { startClusterNode } from './cluster/node';
import { localLimiters, type LimiterFactory } from './limits';
import type { RoomConn } from './room';
import { Sockets, authGraceMs, type EndSocket } from './sockets';
import { PID_FILE, Store, relayRunning } from './store';
import type { Accounts } from './accounts/service';
import type { Audit } from './audit';
import { createAccountsApi, type AccountsApi } from './http/api';
import { Files } from './files/service';

/** What `startRelay` builds before the relay, for hooks that need it (accounts, audit). */
export interface RelayServices {
  store: Store;
  metrics: Metrics;
  accounts: Accounts;
  audit: Audit;
  /** The `/api/v1` router and its accounts endpoints; more routes may be added to it. */
  api: AccountsApi;
  /** Files: uploads, downloads and the reference index the hooks feed (docs/attachments.md). */
  files: Files;
  /** Where async rate limits live: this process, or Redis with `--redis` (shared by nodes). */
  limiters: LimiterFactory;
}

export interface RunningRelay {
  url: string;
  port: number;
  relay: Relay;
  metrics: Metrics;
  api: AccountsApi;
  files: Files;
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
  const store = new Store(config.data, {
    maxPages: config.debugDbMaxPages,
    database: config.database ?? undefined,
    durability: config.durability,
    syncInline: config.walSyncInline,
  });
  const metrics = createMetrics();
  // With several nodes, the limits an outsider could multiply by spreading requests over them
  // (addresses, users, usernames, upgrades) are kept in Redis; without, nothing changes.
  // Loaded only then: a single node never imports the Redis client (issue 16, start cost).
  const shared = config.redis
    ? new (await import('./cluster/shared-buckets')).SharedLimits({
        url: config.redis,
        log,
        onFallback: (name) => metrics.rateLimitFallbacks.inc({ name }),
      })
    : null;
  const limiters: LimiterFactory = shared
    ? (name, spec) => shared.buckets(name, spec)
    : localLimiters;
  const api = createAccountsApi({ config, log, metrics, db: store.db, limiters });
  const files = new Files({ config, log, metrics, store, accounts: api.accounts });
  await files.start();
  const hooks =
    typeof hooksOrFactory === 'function'
      ? hooksOrFactory({
          store,
          metrics,
          accounts: api.accounts,
          audit: api.audit,
          api,
          files,
          limiters,
        })
      : hooksOrFactory;
  const relay = new Relay(config, store, log, metrics, hooks);
  const node = await startClusterNode({ config, log, metrics, store, relay, api });
  const pidFile = path.join(config.data, PID_FILE);
  writeFileSync(pidFile, String(process.pid));
  let draining = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: config.maxFrameBytes,
    perMessageDeflate: false,
  });

  const sockets = new Sockets(config, log, metrics, relay, wss);
  const onRequest = requestHandler({
    config,
    log,
    metrics,
    api,
    relay,
    files,
    draining: () => draining,
    notReady: () => node.notReady(),
  });

  const server = config.tlsCert
    ? https.createServer(
        { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey ?? '') },
        onRequest,
      )
    : http.createServer(onRequest);
  // A client has 10 s to send its headers (slowloris) and 30 s for a whole API request
  // (http-routes.ts: a file upload may take longer, and is cut only when idle).
  server.headersTimeout = 10_000;
  server.requestTimeout = 0;

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
    // Not a closure: one here would keep this scope (the request, its headers) for the
    // socket's whole life (issue 16, memory per idle connection).
    socket.on('error', destroyOnError);
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
      if (sockets.atLimit(who)) {
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

  /** A new socket. Kept out of the upgrade handler's scope so no closure retains the request. */
  const accept = (ws: WebSocket, who: Principal, cid: string, pathname: string, remote: string) => {
    const endpoint = pathname === MUX_PATH ? 'mux' : 'plain';
    const clog = log.child({ cid });
    let leaveRooms = () => {};
    const end = sockets.ender(ws, () => leaveRooms());
    sockets.add(ws, who, end, endpoint === 'mux' ? authGraceMs() : 0);
    metrics.connections.inc({ endpoint });
    clog.info({ endpoint, path: pathname.slice(0, 220), remote, user: who.id }, 'connected');
    ws.on('error', (error: Error & { code?: string }) => {
      const tooLarge = error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH';
      metrics.refusedFrames.inc({ reason: tooLarge ? 'too_large' : 'ws_error' });
      clog.warn({ code: error.code, reason: error.message }, 'refused frame; closing');
    });
    sockets.keepAlive(ws);
    ws.on('close', (code, reason) => {
      sockets.remove(ws, who);
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
            sockets.armExpiry(ws, authGraceMs());
            return { expiresAt: who.expiresAt ?? null };
          }
        : null;
      const overBudget = () => sockets.tooManyFrames(who, clog, end);
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
    end: EndSocket,
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
        sockets.tooManyFrames(principal, log, end);
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
        else if (isDatabaseUnavailable(err)) {
          log.error({ err }, 'database unavailable; closing socket, the client retries');
          end(CloseCode.storageFailed, 'relay storage unavailable');
        } else {
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
  hooks.attach?.({
    relay,
    closeSockets: (match, code, reason) => sockets.closeSockets(match, code, reason),
  });
  log.info({ ...listening, web: config.web }, 'listening');
  // Tests, benchmarks and scripts read this line: print it even when info is filtered out.
  if (!log.isLevelEnabled('info')) console.log(JSON.stringify({ msg: 'listening', ...listening }));

  let drained: Promise<void> | null = null;
  const drain = () => {
    drained ??= (async () => {
      draining = true;
      sockets.stopKeepalive();
      log.info({ sockets: wss.clients.size }, 'draining: refusing new connections');
      server.close();
      relay.commitNow();
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
      sockets.clearExpiries();
      relay.close();
      await node.close();
      await shared?.close();
      hooks.close?.();
      files.close();
      api.close();
      store.close();
      server.closeAllConnections();
      if (existsSync(pidFile)) rmSync(pidFile, { force: true });
      log.info('drained: every update committed, database closed');
    })();
    return drained;
  };

  return { url, port: address.port, relay, metrics, api, files, drain };
}

/** A socket's 'error' listener during and after the upgrade (`this` is the socket). */
function destroyOnError(this: Duplex): void {
  this.destroy();
}
