// Seams for accounts and authorization (issue 4). The relay calls these; it does not implement
// accounts itself. Defaults allow everything, which is what the no-accounts relay does today.
// `src/authz.ts` implements them for `ferry-relay serve` with accounts on.
import type { IncomingMessage } from 'node:http';
import type * as Y from 'yjs';

/** Who is on the other end of a socket, as decided by `authenticate`. Opaque to the relay. */
export interface Principal {
  id: string;
  /**
   * When the credentials end (ms since the epoch). A plain socket is closed then with 4401
   * `token expired`; a mux socket 30 s later unless an AUTH frame renewed them.
   */
  expiresAt?: number;
  [key: string]: unknown;
}

/** An upgrade that is accepted and then closed at once with 4401 and this reason. */
export interface AuthRefusal {
  refused: string;
}

export type UpdateVerdict =
  | {
      ok: true;
      /**
       * Called once the update has been applied to the room's document (not when applying it
       * throws): what is bound to the sender (its Yjs clientIDs) follows from an accepted,
       * applied write only.
       */
      applied?: () => void;
    }
  | {
      ok: false;
      reason: string;
      /** Which rule refused it (metric label `ferry_updates_refused_total{rule}`). */
      rule?: string;
      /**
       * The update builds on changes the relay lacks: it is dropped without an answer and the
       * sender gets the relay's state vector, so it re-sends everything missing in one piece.
       */
      resync?: boolean;
    };

/**
 * What the hooks may ask of the relay's rooms. `Relay` (relay.ts) implements it; declaring it
 * here keeps the hooks a contract below the relay (this file imports nothing of the relay).
 */
export interface RelayRooms {
  /**
   * Writes into a room as the relay itself (e.g. a directory document): `fn` runs in one
   * transaction on the room's document once it is loaded, and the change is stored and
   * forwarded like any client's update.
   */
  applyAsRelay(name: string, fn: (doc: Y.Doc) => void): void;
  /** Called after each commit with the rooms it stored and their new versions. */
  onStored(listener: (stored: Map<string, number>) => void): () => void;
  /**
   * Closes the subscriptions of the principal `user` in every loaded room `match` accepts
   * (mux: a CLOSE frame for the room; plain: the socket). Returns how many were closed.
   */
  closeRooms(user: string, match: (room: string) => boolean, code: number, reason: string): number;
  /** The document of a room that is loaded now, else undefined (never loads one). */
  loadedDoc(name: string): Y.Doc | undefined;
}

/** What the hooks may do to the running relay (given once, by `attach`). */
export interface RelayControl {
  relay: RelayRooms;
  /** Closes every socket whose principal matches, with `code` and `reason`; returns how many. */
  closeSockets(match: (principal: Principal) => boolean, code: number, reason: string): number;
}

export interface RelayHooks {
  /**
   * Authenticates a WebSocket upgrade (plain or mux), e.g. from a token in the query string.
   * Return null to refuse it with HTTP 401 before the upgrade, or `{ refused }` to complete
   * the upgrade and close the socket at once with 4401 and that reason (browsers see no HTTP
   * status, but they see a close code). `{ status, retryAfterS }` refuses it with that HTTP
   * status (429 for rate limits).
   */
  authenticate?(
    request: IncomingMessage,
  ):
    | Promise<Principal | AuthRefusal | HttpRefusal | null>
    | Principal
    | AuthRefusal
    | HttpRefusal
    | null;
  /**
   * Renews a mux socket's credentials from an AUTH frame's token. The result must be the same
   * user (the relay checks `id`); a refusal closes the socket with 4401 and its reason.
   */
  reauthenticate?(
    principal: Principal,
    token: string,
  ): Promise<Principal | AuthRefusal> | Principal | AuthRefusal;
  /**
   * May this principal open this room? false closes the room with 4403 `not allowed`, a
   * string closes it with 4403 and that reason.
   */
  authorizeRoom?(principal: Principal, room: string): Promise<boolean | string> | boolean | string;
  /**
   * Checks one incoming update before it is applied. A refusal is not applied, stored or
   * forwarded; the sender gets the y-websocket permission-denied message with the reason.
   * Must be synchronous: updates of one room are applied in arrival order.
   */
  checkUpdate?(input: {
    principal: Principal;
    room: string;
    update: Uint8Array;
    doc: Y.Doc;
  }): UpdateVerdict;
  /**
   * A refusal made by the relay itself (an awareness state, a frame, a room or socket over a
   * limit): the hooks audit it. Called synchronously; must not throw.
   */
  refused?(input: RelayRefusal): void;
  /** Called once when the relay is listening, with what the hooks may act on. */
  attach?(control: RelayControl): void;
  /** Called at shutdown, after the last update was committed and before the database closes. */
  close?(): void;
}

/** What the relay refused and why (`RelayHooks.refused`). */
export interface RelayRefusal {
  principal: Principal;
  /** `awareness`, `frame`, `room`, `socket`. */
  what: 'awareness' | 'frame' | 'room' | 'socket';
  /** A short, stable name of the rule (`awareness-per-connection`, `malformed`…). */
  rule: string;
  room?: string;
  reason: string;
}

/** An upgrade refused with an HTTP status before it completes. */
export interface HttpRefusal {
  status: number;
  retryAfterS?: number;
}

export const ANONYMOUS: Principal = { id: 'anonymous' };

/** True for `authenticate`'s "accept, then close 4401" answer. */
export function isAuthRefusal(x: object): x is AuthRefusal {
  return typeof (x as { refused?: unknown }).refused === 'string' && !('id' in x);
}

/** True for `authenticate`'s "answer with an HTTP status" answer. */
export function isHttpRefusal(x: object): x is HttpRefusal {
  return typeof (x as { status?: unknown }).status === 'number' && !('id' in x);
}
