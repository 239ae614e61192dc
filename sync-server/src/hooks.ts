// Seams for accounts and authorization (issue 4). The relay calls these; it does not implement
// accounts itself. Defaults allow everything, which is what the no-accounts relay does today.
import type { IncomingMessage } from 'node:http';
import type * as Y from 'yjs';

/** Who is on the other end of a socket, as decided by `authenticate`. Opaque to the relay. */
export interface Principal {
  id: string;
  [key: string]: unknown;
}

export type UpdateVerdict = { ok: true } | { ok: false; reason: string };

export interface RelayHooks {
  /**
   * Authenticates a WebSocket upgrade (plain or mux), e.g. from a token in the query string.
   * Return null to refuse it with HTTP 401 before the upgrade.
   */
  authenticate?(request: IncomingMessage): Promise<Principal | null> | Principal | null;
  /** May this principal open this room? false closes the room with 4403. */
  authorizeRoom?(principal: Principal, room: string): Promise<boolean> | boolean;
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
}

export const ANONYMOUS: Principal = { id: 'anonymous' };
