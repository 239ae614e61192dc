// Pins of one conversation, in its meta document (key `<messageId>|<me>`: only mine, so others'
// pins merge without conflict): pinning and unpinning, the pin list, and who pinned each message.
import { isHlc } from '../../../core/src/hlc';
import { periodOfMessage } from '../../../core/src/model/rooms';
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import { ModelError } from '../../../core/src/model/errors';
import type { MessageView, PinView } from './api';
import type { ConversationHost } from './conversation-host';
import type { MessageViews } from './message-views';
import type { ConversationPages } from './pages';

export class Pins {
  private pinsKey = '';

  constructor(
    private readonly client: ConversationHost,
    private readonly id: string,
    private readonly pages: ConversationPages,
    private readonly views: MessageViews,
  ) {}

  /**
   * Pins or unpins in the meta document; a moderator's or owner's unpin removes every pin of the
   * message (core `unpinAll`, which the relay allows them only). Everything is checked before
   * anything is written.
   */
  async pin(messageId: string, on: boolean): Promise<void> {
    if (!isHlc(messageId)) throw new ModelError('invalid', `pin: not a message id: ${JSON.stringify(messageId)}`);
    if (typeof on !== 'boolean') throw new ModelError('invalid', 'pin: on must be true or false');
    const st = this.client.convState(this.id);
    // Pinning needs the right to post; unpinning my own pin only a live conversation.
    if (on || st.removed || st.archived) this.client.assertMay(this.id, 'pin');
    const unavailable = this.client.pinsUnavailable();
    if (unavailable) throw new ModelError('forbidden', unavailable);
    const m = await this.pages.writable();
    if (on) {
      const held = this.pages.holdPage(periodOfMessage(messageId));
      try {
        await held.od.loaded;
        const msg = page.getMessage(held.od.doc, messageId);
        if (!msg) throw new ModelError('not-found', 'That message is not on this device, so it cannot be pinned.');
        if (msg.deleted) throw new ModelError('invalid', 'A deleted message cannot be pinned.');
      } finally {
        held.release();
      }
      meta.pin(m.doc, { message: messageId, user: this.client.me, at: this.client.now() });
    } else if (this.mayUnpinOthers()) {
      meta.unpinAll(m.doc, messageId);
    } else {
      meta.unpin(m.doc, { message: messageId, user: this.client.me });
    }
    await m.lastWrite;
  }

  private mayUnpinOthers(): boolean {
    try {
      this.client.assertMay(this.id, 'unpin-others');
      return this.client.convState(this.id).canModerate;
    } catch {
      return false;
    }
  }

  mayPin(): boolean {
    try {
      this.client.assertMay(this.id, 'pin');
      return true;
    } catch {
      return false;
    }
  }

  /** The pins now; when they changed, the cached message views are rebuilt with the new marks. */
  current(): PinView[] {
    const pins = this.list();
    const pinsKey = JSON.stringify(pins.map((p) => [p.messageId, p.by]));
    if (pinsKey !== this.pinsKey) {
      this.pinsKey = pinsKey;
      this.views.pinnedIndex = new Map(pins.map((p) => [p.messageId, p.by]));
      this.views.forget();
    }
    return pins;
  }

  private list(): PinView[] {
    const m = this.pages.meta;
    if (!m?.isLoaded) return [];
    const st = this.client.convState(this.id);
    const live = !st.removed && !st.archived;
    const others = live && this.mayUnpinOthers();
    return meta.listPins(m.doc).map((p) => {
      const mine = p.by.includes(this.client.me);
      return {
        messageId: p.messageId,
        by: p.by.map((id) => ({ id, name: this.views.nameFor(id) })),
        at: p.at,
        mine,
        canUnpin: live && (mine || others),
      };
    });
  }

  /** Message views are cached per page: the pinned ones (and the formerly pinned) are copied. */
  withPins(messages: MessageView[], pins: PinView[]): MessageView[] {
    const index = new Map(pins.map((p) => [p.messageId, p.by]));
    this.views.pinnedIndex = index;
    return messages.map((v) => {
      const by = index.get(v.id);
      if (!by && v.pinnedBy.length === 0) return v;
      const want = by ?? [];
      const same = want.length === v.pinnedBy.length && want.every((p, i) => v.pinnedBy[i]?.id === p.id && v.pinnedBy[i]?.name === p.name);
      return same ? v : { ...v, pinnedBy: want };
    });
  }
}
