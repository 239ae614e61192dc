// Encoding of the frames on the multiplexed endpoint (sync-server/PROTOCOL.md).
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import { decodeUtf8, encodeUtf8 } from 'lib0/string';
import { MuxFrameKind } from './messages';

export type MuxFrame =
  | { kind: 'data'; room: string; message: Uint8Array }
  | { kind: 'open'; room: string }
  | { kind: 'close'; room: string; code: number; reason: string }
  /**
   * AUTH: always room `""`. Client → relay: the payload is a new access token (UTF-8) for
   * the socket's session; relay → client: the answer, JSON `{"expiresAt": ms}`. The payload
   * is called `message` as DATA's is (the rest of the frame); a relay that routes frames by
   * room never finds room `""` open, so one that does not know AUTH ignores it.
   */
  | { kind: 'auth'; room: ''; message: Uint8Array }
  /**
   * BATCH: room `""`, then frames of the other kinds, each a `varUint8Array` (not decoded
   * here: the receiver decodes and handles each in order, as if it had come alone). A relay that
   * reads them says so by sending an empty BATCH first; a client never sends one before that.
   */
  | { kind: 'batch'; room: ''; frames: Uint8Array[] };

/** A DATA frame: the room, then one ordinary y-websocket message as the rest of the frame. */
export function encodeData(room: string, message: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MuxFrameKind.data);
  encoding.writeVarString(encoder, room);
  encoding.writeUint8Array(encoder, message);
  return encoding.toUint8Array(encoder);
}

export function encodeOpen(room: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MuxFrameKind.open);
  encoding.writeVarString(encoder, room);
  return encoding.toUint8Array(encoder);
}

export function encodeClose(room: string, code: number, reason: string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MuxFrameKind.close);
  encoding.writeVarString(encoder, room);
  encoding.writeVarUint(encoder, code);
  encoding.writeVarString(encoder, reason);
  return encoding.toUint8Array(encoder);
}

/** An AUTH frame: kind 3, room `""`, then the payload as the rest of the frame. */
export function encodeAuth(payload: Uint8Array | string): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MuxFrameKind.auth);
  encoding.writeVarString(encoder, '');
  encoding.writeUint8Array(encoder, typeof payload === 'string' ? encodeUtf8(payload) : payload);
  return encoding.toUint8Array(encoder);
}

/** A BATCH frame carrying `frames` (encoded frames of the other kinds); empty: the announcement. */
export function encodeBatch(frames: readonly Uint8Array[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MuxFrameKind.batch);
  encoding.writeVarString(encoder, '');
  for (const f of frames) encoding.writeVarUint8Array(encoder, f);
  return encoding.toUint8Array(encoder);
}

/** The payload of an AUTH frame as text (a token, or the relay's JSON answer). */
export function authText(frame: { kind: 'auth'; message: Uint8Array }): string {
  return decodeUtf8(frame.message);
}

/** Thrown for a frame that cannot be decoded; `unknown` tells an unknown kind from garbage. */
export class MuxFrameError extends Error {
  constructor(
    message: string,
    readonly unknown: boolean,
  ) {
    super(message);
  }
}

/** Decodes one frame. DATA's message is a view into `frame` (no copy). */
export function decodeFrame(frame: Uint8Array): MuxFrame {
  const decoder = decoding.createDecoder(frame);
  let kind: number;
  let room: string;
  try {
    kind = decoding.readVarUint(decoder);
    room = decoding.readVarString(decoder);
  } catch {
    throw new MuxFrameError('truncated mux frame header', false);
  }
  switch (kind) {
    case MuxFrameKind.data:
      return { kind: 'data', room, message: decoding.readTailAsUint8Array(decoder) };
    case MuxFrameKind.open:
      return { kind: 'open', room };
    case MuxFrameKind.close:
      try {
        const code = decoding.readVarUint(decoder);
        const reason = decoding.readVarString(decoder);
        return { kind: 'close', room, code, reason };
      } catch {
        throw new MuxFrameError('truncated mux CLOSE frame', false);
      }
    case MuxFrameKind.auth:
      if (room !== '') throw new MuxFrameError('mux AUTH frame with a room name', false);
      return { kind: 'auth', room, message: decoding.readTailAsUint8Array(decoder) };
    case MuxFrameKind.batch: {
      if (room !== '') throw new MuxFrameError('mux BATCH frame with a room name', false);
      const frames: Uint8Array[] = [];
      try {
        while (decoding.hasContent(decoder)) frames.push(decoding.readVarUint8Array(decoder));
      } catch {
        throw new MuxFrameError('truncated mux BATCH frame', false);
      }
      return { kind: 'batch', room, frames };
    }
    default:
      throw new MuxFrameError(`unknown mux frame kind ${kind}`, true);
  }
}
