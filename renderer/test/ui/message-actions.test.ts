import { describe, expect, it, vi } from 'vitest';
import type { MessageView } from '../../src/data/api';
import { messageActions, type MessageActionContext } from '../../src/ui/lib/message-actions';

const message = (extra: Partial<MessageView> = {}): MessageView => ({
  id: 'm1',
  authorId: 'u1',
  authorName: 'Ingrid',
  text: 'Deploy at noon?',
  createdAt: 0,
  editedAt: null,
  deleted: false,
  parentId: null,
  quoteId: null,
  thread: null,
  writtenOffline: false,
  mine: true,
  delivery: 'stored',
  canEdit: true,
  canDelete: true,
  reactions: [],
  seenBy: [],
  pinnedBy: [],
  ...extra,
});

const context = (extra: Partial<MessageActionContext> = {}): MessageActionContext => ({
  onthread: () => undefined,
  onquote: () => undefined,
  onreact: () => undefined,
  pinAction: 'pin',
  pinUnavailable: null,
  onpin: () => undefined,
  onedit: () => undefined,
  ondelete: () => undefined,
  ...extra,
});

const ids = (m: MessageView, ctx: MessageActionContext) => messageActions(m, ctx).map((a) => a.id);

describe('message actions: one list for the toolbar and the "⋯" menu', () => {
  it('lists my own message’s actions in the toolbar’s order', () => {
    expect(ids(message(), context())).toEqual([
      'thread',
      'quote',
      'react',
      'pin',
      'edit',
      'delete',
    ]);
  });

  it('puts the less used actions behind "More actions" (`more`), before Delete', () => {
    const ctx = context({
      personal: {
        saved: false,
        reminderDue: null,
        onsave: () => undefined,
        onunread: () => undefined,
        onremind: () => undefined,
      },
      onlink: () => undefined,
      onforward: () => undefined,
    });
    const actions = messageActions(message(), ctx);
    expect(actions.map((a) => [a.id, a.more === true])).toEqual([
      ['thread', false],
      ['quote', false],
      ['react', false],
      ['pin', false],
      ['edit', false],
      ['save', true],
      ['unread', true],
      ['remind', true],
      ['link', true],
      ['forward', true],
      ['delete', false],
    ]);
  });

  it('offers only what the viewer may do', () => {
    const others = message({ mine: false, canEdit: false, canDelete: false });
    expect(ids(others, context({ onquote: null, onreact: null, pinAction: null }))).toEqual([
      'thread',
    ]);
    // A reply (no thread action) seen by a moderator.
    expect(ids(message({ mine: false, canEdit: false }), context({ onthread: null }))).toEqual([
      'quote',
      'react',
      'pin',
      'delete',
    ]);
  });

  it('leaves a deleted message only its thread, when it has one', () => {
    const deleted = message({ deleted: true });
    // lib/pins.ts offers no pin button on a deleted message.
    expect(ids(deleted, context({ pinAction: null }))).toEqual([]);
    const root = message({
      deleted: true,
      thread: { count: 2, lastReplyAt: 0, repliers: [], unread: 0 },
    });
    expect(ids(root, context({ pinAction: null }))).toEqual(['thread']);
  });

  it('words pin and unpin, dimmed where the server cannot pin', () => {
    const pin = messageActions(message(), context({ pinUnavailable: 'older server' })).find(
      (a) => a.id === 'pin',
    );
    expect(pin).toMatchObject({
      label: 'Pin',
      title: 'Pin (unavailable: older server)',
      pressed: false,
      unavailable: true,
    });
    const unpin = messageActions(message(), context({ pinAction: 'unpin' })).find(
      (a) => a.id === 'pin',
    );
    expect(unpin).toMatchObject({
      label: 'Unpin',
      ariaLabel: 'Unpin message',
      title: 'Unpin message (P)',
      pressed: true,
      unavailable: false,
    });
  });

  it('names a moderator’s deletion of someone else’s message', () => {
    const del = messageActions(message({ mine: false, canEdit: false }), context()).at(-1);
    expect(del).toMatchObject({
      id: 'delete',
      ariaLabel: 'Delete Ingrid’s message (moderator)',
      title: 'Delete (moderator; Del)',
      danger: true,
    });
  });

  it('carries each action out through its handler', () => {
    const m = message();
    const ctx = context({
      onthread: vi.fn(),
      onquote: vi.fn(),
      onreact: vi.fn(),
      onpin: vi.fn(),
      onedit: vi.fn(),
      ondelete: vi.fn(),
    });
    const anchor = {} as HTMLElement;
    for (const a of messageActions(m, ctx)) a.run(anchor);
    expect(ctx.onthread).toHaveBeenCalledWith(m);
    expect(ctx.onquote).toHaveBeenCalledWith(m);
    expect(ctx.onreact).toHaveBeenCalledWith(anchor);
    expect(ctx.onpin).toHaveBeenCalledWith(m, true);
    expect(ctx.onedit).toHaveBeenCalledWith(m);
    expect(ctx.ondelete).toHaveBeenCalledWith(m);
  });
});
