// Where a message is on its way (README.md, Conversations; DESIGN.md "Delivery state"): pending
// until the relay's state vector covers this device's writes of it, then stored; "seen by" from
// the readers' page read markers.
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import type { Delivery, MessageView } from './api';
import type { OpenDoc } from './docs';

/** Pending or stored: whether the relay has this message as it is now. */
export function deliveryOf(p: OpenDoc, msg: page.Message, me: string): Delivery {
  let stored: boolean;
  // Stored as it is now: an edit or delete made offline is pending until the relay has it.
  // Only this device's unconfirmed writes can be pending: an item of a writer with no
  // unconfirmed update here (someone else's, e.g. a moderator's deletion) came from the relay.
  const mineUnconfirmed = new Set(p.record.pending.map(([client]) => client));
  const sv = p.relaySV;
  try {
    stored = page
      .messageItemIds(p.doc, msg.id)
      .every((item) => !mineUnconfirmed.has(item.client) || (sv !== null && page.isStored(sv, item)));
    if (!sv && mineUnconfirmed.size === 0 && msg.author === me) stored = false; // never synced
  } catch {
    stored = false;
  }
  return stored ? 'stored' : 'pending';
}

/**
 * seenBy: each reader (not me) on the newest of my messages their page read marker reached.
 * Message views are cached: the ones with readers are copied.
 */
export function withSeenBy(
  messages: MessageView[],
  docOf: Map<string, OpenDoc>,
  me: string,
  nameOf: (id: string) => string,
): MessageView[] {
  const assigned = new Set<string>([me]);
  const out = messages.slice();
  for (let i = out.length - 1; i >= 0; i--) {
    const v = out[i] as MessageView;
    const p = docOf.get(v.id);
    if (!v.mine || v.deleted || !p) continue;
    const readers = meta.readBy(p.doc, v.id).filter((u) => !assigned.has(u));
    if (readers.length === 0) continue;
    for (const u of readers) assigned.add(u);
    out[i] = { ...v, seenBy: readers.map((id) => ({ id, name: nameOf(id) })) };
  }
  return out;
}
