// Looking up one message by id (a quote, a pin, a link): its page is the view's or held open
// while observed, and the answer follows the page (api.ts MessageLookup).
import { isHlc } from '../../../core/src/hlc';
import { periodOfMessage } from '../../../core/src/model/rooms';
import * as page from '../../../core/src/model/page';
import type { MessageLookup, Observe } from './api';
import type { ConversationHost } from './conversation-host';
import type { OpenDoc } from './docs';
import type { MessageViews } from './message-views';
import type { ConversationPages } from './pages';

export class Lookups {
  constructor(
    private readonly client: ConversationHost,
    private readonly id: string,
    private readonly pages: ConversationPages,
    private readonly views: MessageViews,
    private readonly closed: () => boolean,
  ) {}

  /** The lookup state of a message on an open page (see api.ts MessageLookup). */
  private state(od: OpenDoc, messageId: string): MessageLookup {
    if (!od.isLoaded) return { state: 'loading' };
    const msg = page.getMessage(od.doc, messageId);
    if (msg) return { state: 'found', message: this.views.messageView(od, msg) };
    const settled =
      od.synced || od.refused !== null || od.error !== null || this.client.host.connection !== 'online';
    return settled ? { state: 'missing' } : { state: 'loading' };
  }

  lookup(messageId: string): Observe<MessageLookup> {
    return (listener) => {
      let period: number;
      try {
        if (!isHlc(messageId)) throw new Error('not a message id');
        period = periodOfMessage(messageId);
      } catch {
        listener({ state: 'missing' });
        return () => undefined;
      }
      if (this.closed()) {
        listener({ state: 'missing' });
        return () => undefined;
      }
      const held = this.pages.holdPage(period);
      const od = held.od;
      let last = '';
      let stopped = false;
      const emit = () => {
        if (stopped || this.closed()) return;
        const v = this.state(od, messageId);
        // Rebuilt on every page update: only changes reach the listener.
        const key = JSON.stringify(v);
        if (key === last) return;
        last = key;
        listener(v);
      };
      let queued = false;
      const later = () => {
        if (queued) return;
        queued = true;
        queueMicrotask(() => {
          queued = false;
          emit();
        });
      };
      od.doc.on('update', later);
      const offState = od.onState(later);
      const offHost = this.client.host.onChange(later);
      const offConv = this.client.onConvChange((convId) => {
        if (convId === null || convId === this.id) later();
      });
      void od.loaded.then(later, later);
      emit();
      return () => {
        stopped = true;
        od.doc.off('update', later);
        offState();
        offHost();
        offConv();
        held.release();
      };
    };
  }
}
