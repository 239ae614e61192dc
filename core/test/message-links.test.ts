// Message links (issue 12, docs/messaging.md "Message links"): the web URL with its hash route and
// the ferry:// link are made from ids, and only exactly those shapes parse back.
import { describe, expect, it } from 'vitest';
import {
  appMessageLink,
  messageHash,
  parseMessageHash,
  webMessageLink,
} from '../src/desktop/links';

const CONV = 'ABCDEFGHJKMNPQRS';
const MSG = '0lq3x8k2a-0001-ABCDEFGHJKMNPQRS';
const T = { conversationId: CONV, messageId: MSG };

describe('message links', () => {
  it('makes the web URL from the app address and the ferry:// link', () => {
    expect(webMessageLink('https://chat.example/ferry/?x=1#/old', T)).toBe(
      `https://chat.example/ferry/#/c/${CONV}/m/${MSG}`,
    );
    expect(webMessageLink('http://127.0.0.1:7880/', T)).toBe(
      `http://127.0.0.1:7880/#/c/${CONV}/m/${MSG}`,
    );
    expect(appMessageLink(T)).toBe(`ferry://message/${CONV}/${MSG}`);
    expect(parseMessageHash(messageHash(T))).toEqual(T);
  });

  it.each([
    ['empty', ''],
    ['not a string', 7],
    ['no hash sign', `/c/${CONV}/m/${MSG}`],
    ['a bad conversation id', `#/c/abc/m/${MSG}`],
    ['a bad message id', `#/c/${CONV}/m/<img src=x>`],
    ['extra segments', `#/c/${CONV}/m/${MSG}/x`],
    ['a query', `#/c/${CONV}/m/${MSG}?x=1`],
    ['very long', `#/c/${CONV}/m/${MSG}${'x'.repeat(200)}`],
  ])('refuses a hash that is %s', (_what, hash) => {
    expect(parseMessageHash(hash)).toBeNull();
  });
});
