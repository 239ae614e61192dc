// What a raw Yjs update claims about its writers: the relay binds every Yjs clientID to the
// user who first sent it (docs/accounts.md, "Enforced authorship", step 1).
import * as Y from 'yjs';
import { ModelError } from './errors';

/** An update that cannot be decoded as a Yjs (v1) update. Nothing of it may be applied. */
export class MalformedUpdateError extends ModelError {
  constructor(message: string) {
    super('invalid', message);
    this.name = 'MalformedUpdateError';
  }
}

export interface UpdateClientIds {
  /** Every clientID that creates structs in the update, ascending, each once. */
  structs: number[];
  /** Every clientID whose items the update deletes (its delete set), ascending, each once. */
  deletes: number[];
}

/**
 * The clientIDs an update writes with: those of its structs (items, garbage-collected
 * ranges and skips alike: a merged update's skip stands in a range of that client) and
 * those in its delete set. Throws `MalformedUpdateError` for bytes that are not a v1
 * update; an empty update (`[0, 0]`) has none.
 */
export function updateClientIds(update: Uint8Array): UpdateClientIds {
  if (!(update instanceof Uint8Array)) {
    throw new MalformedUpdateError('updateClientIds: the update must be a Uint8Array');
  }
  let decoded: {
    structs: Array<{ id: { client: number } }>;
    ds: { clients: Map<number, unknown[]> };
  };
  try {
    decoded = Y.decodeUpdate(update);
  } catch (e) {
    throw new MalformedUpdateError(
      `malformed Yjs update (${update.length} bytes): ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const structs = new Set<number>();
  for (const s of decoded.structs) structs.add(s.id.client);
  const deletes = new Set<number>();
  for (const [client, ranges] of decoded.ds.clients) if (ranges.length > 0) deletes.add(client);
  const asc = (a: number, b: number) => a - b;
  return { structs: [...structs].sort(asc), deletes: [...deletes].sort(asc) };
}
