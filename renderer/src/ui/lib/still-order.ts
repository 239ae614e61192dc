// A sidebar that keeps still under the pointer. The data layer orders conversations by
// activity, so while messages arrive (catch-up after reconnecting, someone writing) an item
// could move just as it is clicked and the click open its neighbour. While the pointer is over
// the list or keyboard focus is in it, the sidebar holds the order it showed: each item still
// shows its fresh summary (unread count, preview, title) in its held place, a new conversation
// is appended at the end of its section, a gone one is dropped. Letting go shows the fresh
// order.

import type { ConversationSummary } from '../../data/api';
import type { Sections } from './sections';

/** The ids of each section, top to bottom, as shown when the hold began. */
export interface HeldOrder {
  channels: readonly string[];
  dms: readonly string[];
}

/** The order to hold: what `sections` shows now. */
export function orderOf(sections: Sections): HeldOrder {
  return {
    channels: sections.channels.map((c) => c.id),
    dms: sections.dms.map((c) => c.id),
  };
}

/**
 * `fresh` shown in the `held` order (none: `fresh` as it is). Every conversation in `fresh`
 * appears exactly once, in its own section: held ones where they were, the others after them
 * in their fresh order.
 */
export function holdOrder(fresh: Sections, held: HeldOrder | null): Sections {
  if (held === null) return fresh;
  return {
    channels: holdSection(fresh.channels, held.channels),
    dms: holdSection(fresh.dms, held.dms),
  };
}

function holdSection(
  fresh: readonly ConversationSummary[],
  held: readonly string[],
): ConversationSummary[] {
  const byId = new Map(fresh.map((c) => [c.id, c]));
  const out: ConversationSummary[] = [];
  for (const id of held) {
    const c = byId.get(id);
    if (!c) continue;
    out.push(c);
    byId.delete(id);
  }
  // What was not held (new here), in fresh order; the map keeps insertion order.
  for (const c of byId.values()) out.push(c);
  return out;
}
