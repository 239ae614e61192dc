// The keys on a focused message (renderer/src/ui/README.md, "Keyboard"), shared by the message
// list (ConversationPane) and the thread panel (ThreadPanel), which each carry them out.
import type { MessageView } from '../../data/api';

export type MessageKey =
  | { kind: 'move'; to: MessageView | undefined }
  | { kind: 'edit' | 'delete' | 'thread' | 'quote' | 'pin' | 'react'; message: MessageView }
  | { kind: 'escape' };

export interface MessageKeyOptions {
  /** Whether I may post here (Q quotes into a composer). */
  canPost: boolean;
  /** ↓ with no row active goes to the first row (thread) or the last (the list: newest). */
  downFromNone: 'first' | 'last';
  /** T opens the focused message's thread (the list only; the panel already is one). */
  thread: boolean;
  /** Escape leaves the rows (the list: back to the composer); else the caller's Escape runs. */
  escape: boolean;
}

/**
 * What a key pressed in a list of message rows means, or null when it is none of these (the
 * caller leaves the event alone): ↑/↓ and Home/End move; Enter or E edits my own message (not
 * from one of its buttons), Delete deletes it, T opens its thread, Q quotes it, P pins or
 * unpins it and R reacts to it (the caller knows whether it may, and prevents the default
 * only when it acts). Keys typed in a text field or with Alt/Ctrl/Meta are never ours.
 */
export function messageKey(
  e: KeyboardEvent,
  rows: readonly MessageView[],
  activeId: string | null,
  opts: MessageKeyOptions,
): MessageKey | null {
  const target = e.target as HTMLElement;
  if (target.closest('textarea, input') || e.altKey || e.ctrlKey || e.metaKey) return null;
  if (rows.length === 0) return null;
  const i = activeId ? rows.findIndex((r) => r.id === activeId) : -1;
  const current = i >= 0 ? rows[i] : undefined;
  const last = rows.length - 1;
  switch (e.key) {
    case 'ArrowUp':
      return { kind: 'move', to: i < 0 ? rows[last] : rows[Math.max(0, i - 1)] };
    case 'ArrowDown':
      return {
        kind: 'move',
        to: i < 0 ? rows[opts.downFromNone === 'first' ? 0 : last] : rows[Math.min(last, i + 1)],
      };
    case 'Home':
      return { kind: 'move', to: rows[0] };
    case 'End':
      return { kind: 'move', to: rows[last] };
    case 'Escape':
      return opts.escape ? { kind: 'escape' } : null;
  }
  if (!current) return null;
  if ((e.key === 'Enter' || e.key === 'e') && current.canEdit && !current.deleted) {
    return target.closest('button') ? null : { kind: 'edit', message: current };
  }
  if (e.key === 'Delete' && current.canDelete && !current.deleted) {
    return { kind: 'delete', message: current };
  }
  if (e.shiftKey) return null;
  if (e.key === 't' && opts.thread) {
    return current.deleted && !current.thread ? null : { kind: 'thread', message: current };
  }
  if (e.key === 'q' && opts.canPost && !current.deleted) return { kind: 'quote', message: current };
  if (e.key === 'p') return { kind: 'pin', message: current };
  if (e.key === 'r') return { kind: 'react', message: current };
  return null;
}
