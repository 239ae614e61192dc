// The relay's writer of system events (docs/messaging.md, "Topic, description and system
// lines"): joins, leaves, additions, removals, renames and topic changes, written into the
// conversation's meta document (root `events`) through the relay's own rooms, so each is
// stored, versioned and forwarded like any update. The schema gives every `events` entry to
// the relay user: a member's write there is refused and audited like any forgery.
import { randomBytes } from 'node:crypto';
import type * as Y from 'yjs';
import { writeEvent } from '../../../core/src/model/events';
import { metaRoom, RELAY_USER } from '../../../core/src/model/rooms';
import type { ClientIds } from '../client-ids';
import type { RelayRooms } from '../hooks';
import type { Logger } from '../log';
import type { Conversations, MembershipEvent } from './service';

const suffix = (): string => randomBytes(5).toString('hex');

export class SystemEvents {
  private readonly relayDocs = new WeakSet<Y.Doc>();
  private readonly detach: () => void;

  constructor(
    private readonly relay: RelayRooms,
    conversations: Conversations,
    private readonly clientIds: ClientIds,
    private readonly log: Logger,
  ) {
    this.detach = conversations.onChange((e) => this.onMembership(e));
  }

  close(): void {
    this.detach();
  }

  private onMembership(e: MembershipEvent): void {
    const events = e.events ?? [];
    if (events.length === 0) return;
    const room = metaRoom(e.convId);
    this.relay.applyAsRelay(room, (doc) => {
      if (!this.relayDocs.has(doc)) {
        this.clientIds.bind(room, doc.clientID, RELAY_USER);
        this.relayDocs.add(doc);
      }
      for (const event of events) {
        try {
          writeEvent(doc, event, suffix());
        } catch (error) {
          // A value core refuses (it writes nothing then): log it, keep the rest.
          this.log.error({ err: error, conv: e.convId }, 'system event refused');
        }
      }
    });
  }
}
