// The conversation's system events (joined, left, added, removed, renamed, topic: written by
// the relay alone, docs/messaging.md) as quiet lines in the timeline: their sentence, and where
// they go among the rows of messages. Pure.
import type { SystemEventView } from '../../data/api';
import type { DayRow, Row } from './grouping';
import { dayKey, dayLabel } from './time';

export interface SystemRow {
  kind: 'system';
  key: string;
  event: SystemEventView;
  text: string;
}

/** The sentence of an event; I am "You". */
export function systemLineText(e: SystemEventView): string {
  const actor = e.mine ? 'You' : e.actorName;
  const user = e.aboutMe ? 'you' : (e.userName ?? 'someone');
  switch (e.kind) {
    case 'joined':
      return `${actor} joined`;
    case 'left':
      return `${actor} left`;
    case 'added':
      return `${actor} added ${user}`;
    case 'removed':
      return `${actor} removed ${user}`;
    case 'renamed':
      return `${actor} renamed the channel to “${e.text ?? ''}”`;
    case 'topic':
      return e.text ? `${actor} set the topic: ${e.text}` : `${actor} cleared the topic`;
  }
}

/**
 * Rows with the events placed by time among the messages' rows (from `buildRows`): an event
 * goes before the first message written after it, under its own day's separator (one is added
 * when no message of that day is shown); a message right after an event starts a new group.
 * With older history not loaded (`hasOlder`), events older than the first shown message wait
 * for it.
 */
export function withSystemRows(
  rows: readonly Row[],
  events: readonly SystemEventView[],
  now: number,
  hasOlder: boolean,
  locale?: string,
): Array<Row | SystemRow> {
  if (events.length === 0) return [...rows];
  const firstMessage = rows.find((r) => r.kind === 'message');
  const from = hasOlder && firstMessage ? firstMessage.message.createdAt : -Infinity;
  const pending = events.filter((e) => e.at >= from);
  if (hasOlder && !firstMessage) pending.length = 0;
  const out: Array<Row | SystemRow> = [];
  let day: string | null = null;
  let i = 0;
  let afterEvent = false;
  const flush = (until: number, notOn: string | null) => {
    for (; i < pending.length; i++) {
      const e = pending[i] as SystemEventView;
      if (e.at >= until || (notOn !== null && dayKey(e.at) === notOn)) break;
      const d = dayKey(e.at);
      if (d !== day) {
        day = d;
        const row: DayRow = {
          kind: 'day',
          key: `day:${d}#sys`,
          label: dayLabel(e.at, now, locale),
        };
        out.push(row);
      }
      const prev = out[out.length - 1];
      if (prev?.kind === 'message') out[out.length - 1] = { ...prev, groupEnd: true };
      out.push({ kind: 'system', key: `sys:${e.id}`, event: e, text: systemLineText(e) });
      afterEvent = true;
    }
  };
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r] as Row;
    if (row.kind === 'day') {
      const next = rows.slice(r + 1).find((x) => x.kind === 'message');
      if (next) {
        const nextDay = dayKey(next.message.createdAt);
        flush(next.message.createdAt, nextDay);
        day = nextDay;
      }
      out.push(row);
      afterEvent = false;
      continue;
    }
    flush(row.message.createdAt, null);
    out.push(afterEvent && !row.groupStart ? { ...row, groupStart: true } : row);
    afterEvent = false;
  }
  flush(Infinity, null);
  return out;
}
