// Copy link and Forward (issue 12): where the web link points, when a link cannot be opened, and
// the two actions on a message row (none on a deleted one).
import { describe, expect, it } from 'vitest';
import type { ConversationSummary, MessageView } from '../../src/data/api';
import { messageActions, type MessageActionContext } from '../../src/ui/lib/message-actions';
import { appAddress, linkProblem, messageLinks } from '../../src/ui/lib/message-tools';

const CONV = 'ABCDEFGHJKMNPQRS';
const MSG = '0lq3x8k2a-0001-ABCDEFGHJKMNPQRS';

describe('message links in the app', () => {
  it('uses the page in a browser and the relay in the desktop app', () => {
    expect(appAddress('browser', 'https://chat.example/app/#/c/x', 'https://relay')).toBe(
      'https://chat.example/app/#/c/x',
    );
    expect(appAddress('electron', 'app://ferry/index.html', 'https://relay.example/')).toBe(
      'https://relay.example/',
    );
    expect(
      messageLinks('https://relay.example/', { conversationId: CONV, messageId: MSG }),
    ).toEqual({
      web: `https://relay.example/#/c/${CONV}/m/${MSG}`,
      app: `ferry://message/${CONV}/${MSG}`,
    });
  });

  it('explains a conversation I am not in', () => {
    const list = [{ id: CONV } as ConversationSummary];
    expect(linkProblem(CONV, list)).toBeNull();
    expect(linkProblem('ZZZZZZZZZZZZZZZZ', list)).toMatch(/You are not in the conversation/);
  });

  it('adds Copy link and Forward before Delete, not on a deleted message', () => {
    const m = {
      id: MSG,
      deleted: false,
      canEdit: false,
      canDelete: true,
      mine: true,
      thread: null,
    } as unknown as MessageView;
    const ctx: MessageActionContext = {
      onthread: null,
      onquote: null,
      onreact: null,
      pinAction: null,
      pinUnavailable: null,
      onpin: () => undefined,
      onedit: () => undefined,
      ondelete: () => undefined,
      onlink: () => undefined,
      onforward: () => undefined,
    };
    expect(messageActions(m, ctx).map((a) => a.id)).toEqual(['link', 'forward', 'delete']);
    expect(messageActions({ ...m, deleted: true }, ctx).map((a) => a.id)).toEqual([]);
    expect(messageActions(m, { ...ctx, onlink: null, onforward: null }).map((a) => a.id)).toEqual([
      'delete',
    ]);
  });
});
