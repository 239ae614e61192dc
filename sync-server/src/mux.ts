// The multiplexed endpoint (/_mux): many rooms over one WebSocket. See PROTOCOL.md.
import { isDatabaseUnavailable } from './db/sql';
import type { WebSocket } from 'ws';
import { roomNameError } from '../../core/src/protocol/rooms';
import { CloseCode } from '../../core/src/protocol/messages';
import {
  MuxFrameError,
  type MuxFrame,
  authText,
  decodeFrame,
  encodeAuth,
  encodeBatch,
  encodeClose,
  encodeData,
} from '../../core/src/protocol/mux-frames';
import { isAuthRefusal, type AuthRefusal, type Principal } from './hooks';
import type { Logger } from './log';
import { FrameError } from './messages';
import type { Relay } from './relay';
import type { RoomConn } from './room';

export interface SocketIO {
  /** Sends with the slow-consumer guard; false if the socket is gone. */
  send(data: Uint8Array): boolean;
}

/** Renews the socket's credentials from an AUTH frame's token (null: AUTH is not served). */
export type Renew = (token: string) => Promise<{ expiresAt: number | null } | AuthRefusal>;

/**
 * Serves one mux socket. `end` is the server's way to close it (leave every room now, ignore
 * what follows, close). Returns what leaves every room, for `end` to call.
 */
export function handleMux(
  relay: Relay,
  ws: WebSocket,
  io: SocketIO,
  principal: Principal,
  log: Logger,
  cid: string,
  end: (code: number, reason: string) => void,
  renew: Renew | null = null,
  overBudget: () => void = () => end(CloseCode.tryAgainLater, 'too many frames; try again later'),
): () => void {
  const open = new Map<string, RoomConn>();
  /** Rooms whose CLOSE was let through without costing a frame (`free`); at most `open`'s. */
  const freed = new Set<string>();
  const leaveAll = () => {
    for (const room of [...open.keys()]) leave(room);
  };

  const leave = (room: string) => {
    const conn = open.get(room);
    if (!conn) return;
    open.delete(room);
    freed.delete(room);
    relay.leave(conn, room);
  };

  const openRoom = async (room: string) => {
    const error = roomNameError(room);
    if (error) {
      relay.metrics.refusedFrames.inc({ reason: 'bad_room' });
      log.warn({ room: room.slice(0, 220), reason: error }, 'mux OPEN refused');
      relay.refused({ principal, what: 'room', rule: 'bad-room', reason: error });
      io.send(encodeClose(room, CloseCode.badRoomName, error));
      return;
    }
    leave(room);
    const tooMany =
      open.size >= relay.config.maxRoomsPerSocket
        ? 'too many rooms on this socket'
        : relay.mayJoin(principal)
          ? null
          : 'too many rooms open for this user';
    if (tooMany) {
      relay.metrics.refusedFrames.inc({ reason: 'too_many_rooms' });
      log.warn({ room, open: open.size }, `mux OPEN refused: ${tooMany}`);
      relay.refused({ principal, what: 'room', rule: 'too-many-rooms', room, reason: tooMany });
      io.send(encodeClose(room, CloseCode.roomTooLarge, tooMany));
      return;
    }
    const authorize = relay.hooks.authorizeRoom;
    const allowed = authorize ? await authorize(principal, room) : true;
    if (allowed !== true) {
      const reason = allowed === false ? 'not allowed' : allowed;
      log.warn({ room, reason }, 'mux OPEN forbidden');
      relay.refused({ principal, what: 'room', rule: 'forbidden', room, reason });
      io.send(encodeClose(room, CloseCode.forbidden, reason));
      return;
    }
    // The socket may have been closed (or the room re-opened) while the hook ran.
    if (ws.readyState !== ws.OPEN || open.has(room)) return;
    const conn: RoomConn = {
      cid,
      principal,
      log,
      send: (message) => void io.send(encodeData(room, message)),
      close: (code, reason) => {
        if (code >= 1002 && code < 4000) {
          // A protocol violation inside a room's message breaks the whole socket.
          end(code, reason);
          return;
        }
        if (open.get(room) === conn) {
          open.delete(room);
          relay.leave(conn, room);
        }
        io.send(encodeClose(room, code, reason));
      },
    };
    open.set(room, conn);
    relay.join(conn, room);
  };

  /** AUTH: a fresh access token for this socket; answered with {expiresAt} or closed 4401. */
  const authenticate = async (token: string) => {
    if (!renew) return; // no accounts: nothing to renew
    const result = await renew(token);
    if (isAuthRefusal(result)) {
      log.warn({ reason: result.refused }, 'mux AUTH refused; closing socket');
      relay.refused({ principal, what: 'socket', rule: 'auth', reason: result.refused });
      end(CloseCode.unauthorized, result.refused);
      return;
    }
    log.debug({ expiresAt: result.expiresAt }, 'mux AUTH renewed');
    io.send(encodeAuth(JSON.stringify({ expiresAt: result.expiresAt })));
  };

  // OPENs wait on an async hook; keep frames of one socket in order by chaining them.
  let chain: Promise<void> = Promise.resolve();
  const fail = (error: FrameError) => {
    relay.metrics.refusedFrames.inc({ reason: error.metric });
    log.warn({ code: error.code, reason: error.reason }, 'refused mux frame; closing socket');
    relay.refused({ principal, what: 'frame', rule: error.metric, reason: error.reason });
    end(error.code, error.reason);
  };

  const decode = (bytes: Uint8Array): MuxFrame | null => {
    try {
      return decodeFrame(bytes);
    } catch (error) {
      const unknown = error instanceof MuxFrameError && error.unknown;
      fail(
        new FrameError(
          unknown ? CloseCode.unsupportedData : CloseCode.protocolError,
          (error as Error).message,
          unknown ? 'unknown' : 'malformed',
        ),
      );
      return null;
    }
  };

  const take = (frame: Exclude<MuxFrame, { kind: 'batch' }>) => {
    const handle = () => {
      if (ws.readyState !== ws.OPEN) return;
      if (frame.kind === 'auth') return authenticate(authText(frame));
      if (frame.kind === 'open') return openRoom(frame.room);
      if (frame.kind === 'close') return leave(frame.room);
      const conn = open.get(frame.room);
      if (!conn) return; // the room was just closed; a late frame is not an error
      try {
        relay.receive(conn, frame.room, frame.message);
      } catch (error) {
        if (error instanceof FrameError) fail(error);
        else throw error;
      }
    };
    chain = chain.then(handle).catch((error: unknown) => {
      if (isDatabaseUnavailable(error)) {
        log.error({ err: error }, 'database unavailable; closing socket, the client retries');
        end(CloseCode.storageFailed, 'relay storage unavailable');
        return;
      }
      log.error({ err: error }, 'mux frame handler failed; closing socket');
      end(CloseCode.internalError, 'internal error');
    });
  };

  /**
   * A CLOSE of a room open on this socket costs no frame of the budget: it only releases what a
   * counted OPEN took, so free frames never outnumber counted ones. Without this a catch-up of
   * 1,000 conversations (2,000 rooms, each opened, synced and closed) ran past the default
   * budget's burst of 5,000 and was cut off 1013 over and over. Any other CLOSE is counted.
   */
  const free = (frame: Exclude<MuxFrame, { kind: 'batch' }>): boolean => {
    if (frame.kind !== 'close' || !open.has(frame.room) || freed.has(frame.room)) return false;
    freed.add(frame.room); // one free CLOSE per open room: it is handled later, in order
    return true;
  };

  let ignored = false;
  ws.on('message', (data, isBinary) => {
    // Closing: the socket left its rooms; what it still sends is not taken.
    if (ws.readyState !== ws.OPEN) {
      if (!ignored) log.debug('frame ignored: the socket is closing');
      ignored = true;
      return;
    }
    if (!isBinary) {
      if (!relay.takeFrame(principal)) overBudget();
      else fail(new FrameError(CloseCode.unsupportedData, 'text frames are not supported', 'text'));
      return;
    }
    const frame = decode(data as Buffer);
    if (!frame) return;
    if (frame.kind !== 'batch') {
      if (!free(frame) && !relay.takeFrame(principal)) {
        overBudget();
        return;
      }
      take(frame);
      return;
    }
    // A BATCH: each frame in it is handled, and counted against the frame budget, as if it had
    // come alone (the BATCH itself counts as its first frame); a batch in a batch is malformed.
    if (!relay.takeFrame(principal)) {
      overBudget();
      return;
    }
    for (const [i, bytes] of frame.frames.entries()) {
      const inner = decode(bytes);
      if (!inner) return;
      if (inner.kind === 'batch') {
        fail(
          new FrameError(CloseCode.protocolError, 'mux BATCH frame inside a BATCH', 'malformed'),
        );
        return;
      }
      if (i > 0 && !free(inner) && !relay.takeFrame(principal)) {
        overBudget();
        return;
      }
      take(inner);
    }
  });

  // This relay reads BATCH frames: an empty one says so (a client that does not know the kind
  // ignores it, and keeps sending one frame per message).
  io.send(encodeBatch([]));

  ws.on('close', leaveAll);
  return leaveAll;
}
