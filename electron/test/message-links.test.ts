// ferry://message links (issue 12, docs/messaging.md "Message links"): main accepts exactly a
// conversation id and a message id; anything else is refused before it reaches the renderer.
import { describe, expect, it } from 'vitest';
import { appMessageLink } from '../../core/src/desktop/links';
import { parseDeepLink } from '../src/deeplink';

const CONV = '0123456789ABCDEF';
const MSG = '0lq3x8k2a-0001-ABCDEFGHJKMNPQRS';

describe('parseDeepLink: message links', () => {
  it('reads the link the app copies, with an optional server', () => {
    expect(parseDeepLink(appMessageLink({ conversationId: CONV, messageId: MSG }))).toEqual({
      ok: true,
      link: { kind: 'message', conversationId: CONV, messageId: MSG, serverUrl: null },
    });
    expect(
      parseDeepLink(`ferry://message/${CONV}/${MSG}?server=https%3A%2F%2Fchat.example`),
    ).toMatchObject({ ok: true, link: { serverUrl: 'https://chat.example' } });
  });

  it.each([
    ['one segment', `ferry://message/${CONV}`],
    ['three segments', `ferry://message/${CONV}/${MSG}/x`],
    ['an empty segment', `ferry://message/${CONV}//${MSG}`],
    ['a bad conversation id', `ferry://message/0123456789abcdef/${MSG}`],
    ['a bad message id', `ferry://message/${CONV}/not-a-clock`],
    ['ids swapped', `ferry://message/${MSG}/${CONV}`],
    ['a traversal', `ferry://message/${CONV}/../${MSG}`],
    ['an encoded slash', `ferry://message/${CONV}%2F${MSG}`],
    ['a fragment', `ferry://message/${CONV}/${MSG}#x`],
    ['a javascript payload', `ferry://message/${CONV}/javascript:alert(1)`],
    ['an unknown parameter', `ferry://message/${CONV}/${MSG}?open=https://evil`],
    ['a conversation link with a message', `ferry://conversation/${CONV}/${MSG}`],
  ])('refuses %s', (_what, raw) => {
    expect(parseDeepLink(raw).ok).toBe(false);
  });
});
