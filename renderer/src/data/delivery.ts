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
  // Each page's markers read once, and the walk stops once every reader has a message (issue
  // 16: it read every marker of the page for each of my messages, on every view).
  const markers = new Map<OpenDoc, Array<[user: string, id: string]>>();
  const readers = new Set<string>();
  for (const p of new Set(docOf.values())) {
    const list: Array<[string, string]> = [];
    meta.readsOf(p.doc).forEach((_v, user) => {
      const id = meta.readMarker(p.doc, user)?.id;
      if (id == null) return;
      list.push([user, id]);
      if (user !== me) readers.add(user);
    });
    markers.set(p, list);
  }
  const assigned = new Set<string>([me]);
  const out = messages.slice();
  for (let i = out.length - 1; i >= 0 && assigned.size <= readers.size; i--) {
    const v = out[i] as MessageView;
    const p = docOf.get(v.id);
    if (!v.mine || v.deleted || !p) continue;
    const now: string[] = [];
    for (const [user, id] of markers.get(p) ?? []) if (id >= v.id && !assigned.has(user)) now.push(user);
    if (now.length === 0) continue;
    now.sort();
    for (const u of now) assigned.add(u);
    out[i] = { ...v, seenBy: now.map((id) => ({ id, name: nameOf(id) })) };
  }
  return out;
}
