import { describe, expect, it } from 'vitest';
import { parseNotificationTarget } from '../src/desktop/target';

const CONV = 'ABCDEFGHJKMNPQRS';
const MSG = '0lq3x8k2a-0001-ABCDEFGHJKMNPQRS';
const ROOT = '0lq3x8k1z-0000-ABCDEFGHJKMNPQRS';

describe('parseNotificationTarget', () => {
  it('keeps the conversation, the message and a thread root; drops anything else', () => {
    expect(parseNotificationTarget({ conversationId: CONV })).toEqual({ conversationId: CONV });
    expect(
      parseNotificationTarget({
        conversationId: CONV,
        messageId: MSG,
        threadRootId: ROOT,
        title: 'kept out',
        __proto__: { polluted: true },
      }),
    ).toEqual({ conversationId: CONV, messageId: MSG, threadRootId: ROOT });
  });

  it('refuses what is not a target: null, never a partial one', () => {
    for (const raw of [
      null,
      'ABCDEFGHJKMNPQRS',
      {},
      { conversationId: 'abc' },
      { conversationId: CONV.toLowerCase() },
      { conversationId: CONV, messageId: '' },
      { conversationId: CONV, messageId: 'x"><img src=x>' },
      { conversationId: CONV, messageId: MSG, threadRootId: 7 },
      { conversationId: CONV, threadRootId: ROOT },
    ]) {
      expect(parseNotificationTarget(raw), JSON.stringify(raw)).toBeNull();
    }
  });
});
