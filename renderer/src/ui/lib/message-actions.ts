// The actions on one message, in one list: which exist for a message and the viewer, with their
// labels, keys, icons and handlers. It drives the row's toolbar and, in a narrow column, the
// "⋯" menu that shows the same buttons with words (components/MessageToolbar.svelte). The keys
// themselves are read by lib/message-keys.ts; `keys` here only says so (aria-keyshortcuts).
import type { MessageView } from '../../data/api';

export type MessageActionId =
  | 'thread'
  | 'quote'
  | 'react'
  | 'pin'
  | 'save'
  | 'unread'
  | 'remind'
  | 'edit'
  | 'delete'
  // Issue 12, message links and forwarding:
  | 'link'
  | 'forward';

/** `chat`, `pin`, `pencil` and `trash` are Icon.svelte's; `quote` and `react` the toolbar's. */
export type MessageActionIcon =
  | 'chat'
  | 'quote'
  | 'react'
  | 'pin'
  | 'bookmark'
  | 'unread'
  | 'bell'
  | 'pencil'
  | 'trash'
  | 'link'
  | 'forward';

export interface MessageAction {
  id: MessageActionId;
  testid: `message-${MessageActionId}`;
  /** The word beside the icon in the "⋯" menu. */
  label: string;
  /** The button's accessible name. */
  ariaLabel: string;
  /** The tooltip, with the key. */
  title: string;
  /** aria-keyshortcuts ('' when it has no key). */
  keys: string;
  icon: MessageActionIcon;
  /** Destructive (red under the pointer). */
  danger?: boolean;
  /** A toggle's state (aria-pressed): set on the pin button only, true when it unpins. */
  pressed?: boolean;
  /** Shown dimmed: it would be refused here now (pinning on an older server). */
  unavailable?: boolean;
  /** Less used (Save, Mark unread, Remind me, Copy link, Forward): in a wide row it is behind
   * the toolbar's "⋯ More actions" menu, not an icon of its own; a narrow row's "⋯" menu lists
   * every action anyway. */
  more?: boolean;
  /** It opens a popup of this kind (the emoji picker). */
  popup?: 'dialog';
  /** Carries it out; a popup anchors at `anchor`. */
  run: (anchor: HTMLElement) => void;
}

/** What the viewer may do on this row, and how each action is carried out. */
export interface MessageActionContext {
  /** Reply in (or open) the thread; null where threads are not offered (a reply). */
  onthread: ((m: MessageView) => void) | null;
  /** Quote it in the composer; null where I may not post. */
  onquote: ((m: MessageView) => void) | null;
  /** Opens the emoji picker at the anchor; null where I may not react. */
  onreact: ((anchor: HTMLElement) => void) | null;
  /** The pin button (lib/pins.ts): pin, unpin, or none. */
  pinAction: 'pin' | 'unpin' | null;
  /** Why pinning does not work here now (an older server): the button says so. */
  pinUnavailable: string | null;
  onpin: (m: MessageView, on: boolean) => void;
  onedit: (m: MessageView) => void;
  ondelete: (m: MessageView) => void;
  /** Save, Mark unread, Remind me (lib/personal.ts); absent where there is no personal state. */
  personal?: {
    saved: boolean;
    /** A pending reminder's due time, or null. */
    reminderDue: number | null;
    onsave: (on: boolean) => void;
    onunread: () => void;
    onremind: () => void;
  } | null;
  /** Copy the message's link (issue 12); absent where there is none. */
  onlink?: ((m: MessageView) => void) | null;
  /** Forward it to another conversation (issue 12); absent where it cannot be. */
  onforward?: ((m: MessageView) => void) | null;
}

/** Issue 12: Copy link and Forward (a block of their own, after the others but Delete). */
function linkAndForward(m: MessageView, ctx: MessageActionContext): MessageAction[] {
  const out: MessageAction[] = [];
  const { onlink, onforward } = ctx;
  if (onlink && !m.deleted) {
    out.push({
      id: 'link',
      testid: 'message-link',
      label: 'Copy link',
      ariaLabel: 'Copy link to message',
      title: 'Copy link',
      keys: '',
      icon: 'link',
      more: true,
      run: () => onlink(m),
    });
  }
  if (onforward && !m.deleted) {
    out.push({
      id: 'forward',
      testid: 'message-forward',
      label: 'Forward',
      ariaLabel: 'Forward message',
      title: 'Forward',
      keys: '',
      icon: 'forward',
      more: true,
      popup: 'dialog',
      run: () => onforward(m),
    });
  }
  return out;
}

/** The message's actions, in the toolbar's order: the everyday ones, then those `more` (behind
 * "⋯" in a wide row), Delete last. */
export function messageActions(m: MessageView, ctx: MessageActionContext): MessageAction[] {
  const actions: MessageAction[] = [];
  const { onthread, onquote, onreact, pinAction, pinUnavailable } = ctx;
  if (onthread && (!m.deleted || m.thread !== null)) {
    actions.push({
      id: 'thread',
      testid: 'message-thread',
      label: 'Reply in thread',
      ariaLabel: 'Reply in thread',
      title: 'Reply in thread (T)',
      keys: 'T',
      icon: 'chat',
      run: () => onthread(m),
    });
  }
  if (onquote && !m.deleted) {
    actions.push({
      id: 'quote',
      testid: 'message-quote',
      label: 'Quote',
      ariaLabel: 'Quote',
      title: 'Quote (Q)',
      keys: 'Q',
      icon: 'quote',
      run: () => onquote(m),
    });
  }
  if (onreact && !m.deleted) {
    actions.push({
      id: 'react',
      testid: 'message-react',
      label: 'React',
      ariaLabel: 'React',
      title: 'React (R)',
      keys: 'R',
      icon: 'react',
      popup: 'dialog',
      run: (anchor) => onreact(anchor),
    });
  }
  if (pinAction) {
    const unpin = pinAction === 'unpin';
    actions.push({
      id: 'pin',
      testid: 'message-pin',
      label: unpin ? 'Unpin' : 'Pin',
      ariaLabel: unpin ? 'Unpin message' : 'Pin message',
      title:
        pinUnavailable && !unpin
          ? `Pin (unavailable: ${pinUnavailable})`
          : unpin
            ? 'Unpin message (P)'
            : 'Pin message (P)',
      keys: 'P',
      icon: 'pin',
      pressed: unpin,
      unavailable: pinUnavailable !== null && !unpin,
      run: () => ctx.onpin(m, !unpin),
    });
  }
  if (m.canEdit && !m.deleted) {
    actions.push({
      id: 'edit',
      testid: 'message-edit',
      label: 'Edit',
      ariaLabel: 'Edit message',
      title: 'Edit (E, or ↑ in an empty composer)',
      keys: 'E Enter',
      icon: 'pencil',
      run: () => ctx.onedit(m),
    });
  }
  const personal = ctx.personal;
  if (personal && !m.deleted) {
    actions.push(
      {
        id: 'save',
        testid: 'message-save',
        label: personal.saved ? 'Unsave' : 'Save',
        ariaLabel: personal.saved ? 'Remove from Saved' : 'Save message',
        title: personal.saved ? 'Remove from Saved' : 'Save for later',
        keys: '',
        icon: 'bookmark',
        more: true,
        pressed: personal.saved,
        run: () => personal.onsave(!personal.saved),
      },
      {
        id: 'unread',
        testid: 'message-unread',
        label: 'Mark unread',
        ariaLabel: 'Mark unread from here',
        title: 'Mark unread from here',
        keys: '',
        icon: 'unread',
        more: true,
        run: () => personal.onunread(),
      },
      {
        id: 'remind',
        testid: 'message-remind',
        label: personal.reminderDue === null ? 'Remind me' : 'Change reminder',
        ariaLabel: personal.reminderDue === null ? 'Remind me about this' : 'Change reminder',
        title: personal.reminderDue === null ? 'Remind me about this' : 'Change reminder',
        keys: '',
        icon: 'bell',
        more: true,
        pressed: personal.reminderDue !== null,
        popup: 'dialog',
        run: () => personal.onremind(),
      },
    );
  }
  actions.push(...linkAndForward(m, ctx));
  if (m.canDelete && !m.deleted) {
    actions.push({
      id: 'delete',
      testid: 'message-delete',
      label: 'Delete',
      ariaLabel: m.mine ? 'Delete message' : `Delete ${m.authorName}’s message (moderator)`,
      title: m.mine ? 'Delete (Del)' : 'Delete (moderator; Del)',
      keys: 'Delete',
      icon: 'trash',
      danger: true,
      run: () => ctx.ondelete(m),
    });
  }
  return actions;
}
