// My own state in the UI (docs/messaging.md, "Personal state"): what a message row may do with
// it (Save, Mark unread, Remind me), through a context the workspace provides; the open
// conversation provides its id and how many messages follow one; the reminder choices and
// how a due time reads; unread marks folded into the conversation list's counts.
import { getContext, setContext } from 'svelte';
import type { ConversationSummary, UnreadMarkView } from '../../data/api';
import { calendarDaysBetween, clockTime, dayLabel } from './time';

export interface PersonalActions {
  isSaved(conversationId: string, messageId: string): boolean;
  /** The pending reminder's due time on a message, or null. */
  reminderDue(conversationId: string, messageId: string): number | null;
  setSaved(conversationId: string, messageId: string, on: boolean): void;
  markUnread(conversationId: string, messageId: string, count: number): void;
  /** Opens the "Remind me" choices for a message. */
  remind(conversationId: string, messageId: string): void;
}

export interface OpenConversation {
  id: string;
  /** Messages shown from this one on (itself included), at least 1. */
  countFrom(messageId: string): number;
}

const PERSONAL = Symbol('ferry.personal');
const CONVERSATION = Symbol('ferry.personal.conversation');

export function providePersonal(actions: PersonalActions): void {
  setContext(PERSONAL, actions);
}
export function usePersonal(): PersonalActions | undefined {
  return getContext<PersonalActions | undefined>(PERSONAL);
}
export function provideOpenConversation(c: OpenConversation): void {
  setContext(CONVERSATION, c);
}
export function useOpenConversation(): OpenConversation | undefined {
  return getContext<OpenConversation | undefined>(CONVERSATION);
}

export interface RemindChoice {
  id: '20m' | '1h' | '3h' | 'tomorrow';
  label: string;
  due: number;
}

/** The quick choices, from `now` (local time): 20 minutes, 1 hour, 3 hours, tomorrow 9:00. */
export function remindChoices(now: number): RemindChoice[] {
  const tomorrow = new Date(now);
  tomorrow.setDate(tomorrow.getDate() + 1);
  tomorrow.setHours(9, 0, 0, 0);
  return [
    { id: '20m', label: 'In 20 minutes', due: now + 20 * 60_000 },
    { id: '1h', label: 'In 1 hour', due: now + 60 * 60_000 },
    { id: '3h', label: 'In 3 hours', due: now + 3 * 60 * 60_000 },
    { id: 'tomorrow', label: 'Tomorrow at 9:00', due: tomorrow.getTime() },
  ];
}

/** A `datetime-local` value (local time, to the second) for a time. */
export function localInputValue(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
    `T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/** A custom time from a `datetime-local` value, or why it cannot be used. */
export function customDue(value: string, now: number): { due: number } | { error: string } {
  const at = value ? new Date(value).getTime() : NaN;
  if (!Number.isFinite(at)) return { error: 'Pick a date and time.' };
  if (at <= now) return { error: 'Pick a time in the future.' };
  if (at > now + 365 * 24 * 60 * 60_000) return { error: 'Pick a time within a year.' };
  return { due: at };
}

/** "Today at 14:20", "Tomorrow at 9:00", "Mon 3 Feb at 9:00". */
export function dueLabel(due: number, now: number): string {
  const day = calendarDaysBetween(due, now) === -1 ? 'Tomorrow' : dayLabel(due, now);
  return `${day} at ${clockTime(due)}`;
}

/**
 * The list with unread marks folded in: a marked conversation counts at least its mark's
 * messages (so its badge and the total show it), until it is read again.
 */
export function withUnreadMarks(
  list: readonly ConversationSummary[],
  marks: ReadonlyMap<string, UnreadMarkView>,
): ConversationSummary[] {
  if (marks.size === 0) return list as ConversationSummary[];
  return list.map((c) => {
    const m = marks.get(c.id);
    return m && m.count > c.unread ? { ...c, unread: m.count } : c;
  });
}
