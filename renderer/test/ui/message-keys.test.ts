// The keys on a focused message (lib/message-keys.ts), as the message list and the thread
// panel read them: the same keys, the list's ↓ from nowhere goes to the newest, the panel's to
// the root; T and Escape only where asked for.
import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../src/data/api';
import { messageKey, type MessageKeyOptions } from '../../src/ui/lib/message-keys';

const row = (id: string, extra: Partial<MessageView> = {}): MessageView => ({
  id,
  authorId: 'u1',
  authorName: 'Ingrid',
  text: id,
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

/** A key event on an element that is (or is inside) `inside`: a button, a textarea, or none. */
function key(
  k: string,
  inside: 'button' | 'textarea' | null = null,
  mods: Partial<KeyboardEvent> = {},
) {
  const target = { closest: (sel: string) => (inside && sel.includes(inside) ? {} : null) };
  return {
    key: k,
    target,
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    shiftKey: false,
    ...mods,
  } as unknown as KeyboardEvent;
}

const LIST: MessageKeyOptions = { canPost: true, downFromNone: 'last', thread: true, escape: true };
const PANEL: MessageKeyOptions = {
  canPost: true,
  downFromNone: 'first',
  thread: false,
  escape: false,
};
const rows = [row('a'), row('b'), row('c', { canEdit: false, canDelete: false, mine: false })];

describe('messageKey', () => {
  it('moves with the arrows, Home and End; ↓ from nowhere differs between list and panel', () => {
    expect(messageKey(key('ArrowUp'), rows, null, LIST)).toEqual({ kind: 'move', to: rows[2] });
    expect(messageKey(key('ArrowDown'), rows, null, LIST)).toEqual({ kind: 'move', to: rows[2] });
    expect(messageKey(key('ArrowDown'), rows, null, PANEL)).toEqual({ kind: 'move', to: rows[0] });
    expect(messageKey(key('ArrowUp'), rows, 'a', LIST)).toEqual({ kind: 'move', to: rows[0] });
    expect(messageKey(key('ArrowDown'), rows, 'c', PANEL)).toEqual({ kind: 'move', to: rows[2] });
    expect(messageKey(key('Home'), rows, 'b', PANEL)).toEqual({ kind: 'move', to: rows[0] });
    expect(messageKey(key('End'), rows, 'a', PANEL)).toEqual({ kind: 'move', to: rows[2] });
  });

  it('acts on the active row: edit and delete my own, thread, quote, pin, react', () => {
    expect(messageKey(key('e'), rows, 'a', LIST)).toEqual({ kind: 'edit', message: rows[0] });
    expect(messageKey(key('Enter'), rows, 'a', LIST)).toEqual({ kind: 'edit', message: rows[0] });
    expect(messageKey(key('Enter', 'button'), rows, 'a', LIST)).toBeNull(); // the button's own
    expect(messageKey(key('e'), rows, 'c', LIST)).toBeNull(); // not mine
    expect(messageKey(key('Delete'), rows, 'b', PANEL)).toEqual({
      kind: 'delete',
      message: rows[1],
    });
    expect(messageKey(key('t'), rows, 'b', LIST)).toEqual({ kind: 'thread', message: rows[1] });
    expect(messageKey(key('t'), rows, 'b', PANEL)).toBeNull();
    expect(messageKey(key('q'), rows, 'c', PANEL)).toEqual({ kind: 'quote', message: rows[2] });
    expect(messageKey(key('q'), rows, 'c', { ...PANEL, canPost: false })).toBeNull();
    expect(messageKey(key('p'), rows, 'c', LIST)).toEqual({ kind: 'pin', message: rows[2] });
    expect(messageKey(key('r'), rows, 'c', PANEL)).toEqual({ kind: 'react', message: rows[2] });
    expect(messageKey(key('p'), rows, null, LIST)).toBeNull(); // no active row
  });

  it('deleted rows: no edit, delete or quote; a deleted root with a thread still opens it', () => {
    const gone = [row('x', { deleted: true, text: '' })];
    for (const k of ['e', 'Delete', 'q', 't'])
      expect(messageKey(key(k), gone, 'x', LIST)).toBeNull();
    const root = [
      row('x', {
        deleted: true,
        text: '',
        thread: { count: 1, lastReplyAt: 0, repliers: [], unread: 0 },
      }),
    ];
    expect(messageKey(key('t'), root, 'x', LIST)).toEqual({ kind: 'thread', message: root[0] });
  });

  it('leaves text fields, modified keys and Escape in the panel alone', () => {
    expect(messageKey(key('ArrowUp', 'textarea'), rows, 'a', LIST)).toBeNull();
    expect(messageKey(key('p', null, { ctrlKey: true }), rows, 'a', LIST)).toBeNull();
    expect(messageKey(key('Escape'), rows, 'a', LIST)).toEqual({ kind: 'escape' });
    expect(messageKey(key('Escape'), rows, 'a', PANEL)).toBeNull();
    expect(messageKey(key('ArrowUp'), [], null, LIST)).toBeNull();
  });
});
