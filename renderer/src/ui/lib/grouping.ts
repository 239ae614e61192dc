// Turns the ordered message list into the rows the message list renders: day separators,
// and messages marked as the first/last of a run by the same author. Pure and O(n).

import type { MessageView } from '../../data/api';
import { dayKey, dayLabel } from './time';

/** Messages by the same author further apart than this start a new group. */
export const GROUP_GAP_MS = 5 * 60_000;

export interface DayRow {
  kind: 'day';
  key: string;
  label: string;
}

export interface MessageRow {
  kind: 'message';
  key: string;
  message: MessageView;
  /** First message of a run by one author: shows avatar, name and time. */
  groupStart: boolean;
  /** Last message of the run: gets the spacing below. */
  groupEnd: boolean;
}

export type Row = DayRow | MessageRow;

function startsGroup(prev: MessageView | undefined, m: MessageView): boolean {
  if (!prev) return true;
  if (prev.authorId !== m.authorId) return true;
  if (dayKey(prev.createdAt) !== dayKey(m.createdAt)) return true;
  return m.createdAt - prev.createdAt > GROUP_GAP_MS;
}

/**
 * Rows for `messages` (already in display order, ascending by id). The input order is kept
 * even when createdAt is not monotonic (clocks of different devices disagree): a day
 * separator appears whenever the day changes from the previous message. `dividerBefore`: the
 * message the "New messages" divider stands above, which starts a group of its own (its name
 * and avatar show under the divider, issue 12).
 */
export function buildRows(
  messages: readonly MessageView[],
  now: number,
  locale?: string,
  dividerBefore: string | null = null,
): Row[] {
  const rows: Row[] = [];
  let prev: MessageView | undefined;
  let lastRow: MessageRow | undefined;
  // A day's separator is keyed by the day (and how often that day has started a run, for
  // out-of-order clocks), not by its first message: loading older messages of the same day
  // then keeps the separator's identity.
  const seen = new Map<string, number>();
  for (const m of messages) {
    const day = dayKey(m.createdAt);
    if (!prev || dayKey(prev.createdAt) !== day) {
      if (lastRow) lastRow.groupEnd = true;
      const n = (seen.get(day) ?? 0) + 1;
      seen.set(day, n);
      const key = n === 1 ? `day:${day}` : `day:${day}#${n}`;
      rows.push({ kind: 'day', key, label: dayLabel(m.createdAt, now, locale) });
    }
    const groupStart = startsGroup(prev, m) || m.id === dividerBefore;
    if (groupStart && lastRow) lastRow.groupEnd = true;
    lastRow = { kind: 'message', key: m.id, message: m, groupStart, groupEnd: false };
    rows.push(lastRow);
    prev = m;
  }
  if (lastRow) lastRow.groupEnd = true;
  return rows;
}

/** The newest message written by this user that can still be edited (not deleted). */
export function lastOwnEditable(messages: readonly MessageView[]): MessageView | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m && m.mine && !m.deleted && m.canEdit) return m;
  }
  return undefined;
}
