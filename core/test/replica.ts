// The update a write makes on a replica of a document: what a (possibly hostile) client would
// send the relay. Shared by the checker tests.
import * as Y from 'yjs';

/** The update `write` makes on a fresh replica of `base` (optionally with that clientID). */
export function change(base: Y.Doc, write: (doc: Y.Doc) => void, clientID?: number): Uint8Array {
  const replica = new Y.Doc();
  if (clientID !== undefined) replica.clientID = clientID;
  Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
  const updates: Uint8Array[] = [];
  replica.on('update', (u: Uint8Array) => updates.push(u));
  write(replica);
  replica.destroy();
  return Y.mergeUpdates(updates);
}
