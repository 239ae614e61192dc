// Pins in the UI (docs/messaging.md, "Pins"): which pin button a message's row shows. Shared by
// the message list and the thread panel, so a reply and a top-level message behave alike.
import type { ConversationView, MessageView } from '../../data/api';

/**
 * The row's pin button: pin, unpin (my pin, or anyone's as a moderator), or none. On a relay
 * too old for pins the Pin button stays (dimmed, saying why) rather than vanishing.
 */
export function pinActionOf(
  view: Pick<ConversationView, 'pins' | 'canPin' | 'pinsUnavailable'> | null,
  m: Pick<MessageView, 'id' | 'deleted' | 'pinnedBy'>,
): 'pin' | 'unpin' | null {
  if (!view || m.deleted) return null;
  if (m.pinnedBy.length > 0) {
    const pin = view.pins.find((p) => p.messageId === m.id);
    return pin?.canUnpin ? 'unpin' : null;
  }
  return view.canPin || view.pinsUnavailable !== null ? 'pin' : null;
}
