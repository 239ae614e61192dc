// Human-readable times for the conversation list and the message list. Pure functions:
// `now` and the locale are parameters so tests do not depend on the clock or the machine.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Midnight (local time) of the day that contains `at`. */
export function startOfDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** Whole calendar days between the day of `at` and the day of `now` (0 = same day). */
export function calendarDaysBetween(at: number, now: number): number {
  // Round: a day with a daylight-saving change is 23 or 25 hours long.
  return Math.round((startOfDay(now) - startOfDay(at)) / DAY);
}

/** A stable key for the local calendar day of `at`, e.g. "2026-11-27". */
export function dayKey(at: number): string {
  const d = new Date(at);
  const m = String(d.getMonth() + 1).padStart(2, '0');
  const day = String(d.getDate()).padStart(2, '0');
  return `${d.getFullYear()}-${m}-${day}`;
}

/**
 * Short relative time for the sidebar: "now", "5m", "3h" (today), "Yesterday", a weekday
 * within the last week, then a date ("Mar 4"), with the year when it is not this year.
 * Times in the future (a peer's clock ahead of ours) read as "now".
 */
export function relativeTime(at: number, now: number, locale?: string): string {
  const diff = now - at;
  if (diff < MINUTE) return 'now';
  const days = calendarDaysBetween(at, now);
  if (days === 0) {
    if (diff < HOUR) return `${Math.floor(diff / MINUTE)}m`;
    return `${Math.floor(diff / HOUR)}h`;
  }
  if (days === 1) return 'Yesterday';
  if (days < 7) return new Intl.DateTimeFormat(locale, { weekday: 'short' }).format(at);
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(locale, {
    month: 'short',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(at);
}

/** Label of a day separator: "Today", "Yesterday", "Monday, March 4" (+ year if not this year). */
export function dayLabel(at: number, now: number, locale?: string): string {
  const days = calendarDaysBetween(at, now);
  if (days === 0) return 'Today';
  if (days === 1) return 'Yesterday';
  const sameYear = new Date(at).getFullYear() === new Date(now).getFullYear();
  return new Intl.DateTimeFormat(locale, {
    weekday: 'long',
    month: 'long',
    day: 'numeric',
    ...(sameYear ? {} : { year: 'numeric' }),
  }).format(at);
}

/** Clock time of a message, e.g. "14:05" or "2:05 PM" depending on the locale. */
export function clockTime(at: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' }).format(at);
}

/** Full date and time for tooltips. */
export function fullTime(at: number, locale?: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }).format(at);
}

/** Milliseconds until relative labels computed at `now` may change (for a refresh timer). */
export function nextTickIn(now: number): number {
  return MINUTE - (now % MINUTE);
}
