// The y-websocket messages the relay sends, and `FrameError` for the frames it refuses. Shared
// by the relay, both transports (server.ts, mux.ts) and the hooks' implementation (authz.ts),
// so none of them needs relay.ts for these.
import * as encoding from 'lib0/encoding';
import * as awarenessProtocol from 'y-protocols/awareness';
import * as authProtocol from 'y-protocols/auth';
import * as Y from 'yjs';
import { MessageType, SyncMessageType } from '../../core/src/protocol/messages';

/** A frame that breaks the protocol: the transport closes the connection with `code`. */
export class FrameError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    readonly metric: string,
  ) {
    super(reason);
  }
}

export function syncStep1(doc: Y.Doc): Uint8Array {
  return syncStep1Sv(Y.encodeStateVector(doc));
}

/** A sync step 1 carrying an encoded state vector. */
export function syncStep1Sv(stateVector: Uint8Array): Uint8Array {
  return syncMessage(SyncMessageType.step1, stateVector);
}

export function syncMessage(kind: number, update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.sync);
  encoding.writeVarUint(e, kind);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

export function awarenessMessage(
  awareness: awarenessProtocol.Awareness,
  clients: number[],
): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.awareness);
  encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, clients));
  return encoding.toUint8Array(e);
}

/** An awareness message with no state in it (a query's answer in a room holding none). */
export const NO_AWARENESS_MESSAGE: Uint8Array = (() => {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.awareness);
  encoding.writeVarUint8Array(e, Uint8Array.of(0)); // an awareness update of zero entries
  return encoding.toUint8Array(e);
})();

export function permissionDenied(reason: string): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, MessageType.auth);
  authProtocol.writePermissionDenied(e, reason);
  return encoding.toUint8Array(e);
}
