import { describe, expect, it } from 'vitest';
import {
  calendarDaysBetween,
  dayKey,
  dayLabel,
  nextTickIn,
  relativeTime,
} from '../../src/ui/lib/time';

// Local-time constructors keep these tests independent of the machine's time zone.
const at = (y: number, mo: number, d: number, h = 12, mi = 0, s = 0) =>
  new Date(y, mo - 1, d, h, mi, s).getTime();
const NOW = at(2026, 11, 27, 15, 30); // Friday

describe('relativeTime', () => {
  it('reads "now" under a minute, and for times ahead of our clock', () => {
    expect(relativeTime(NOW - 59_000, NOW, 'en-US')).toBe('now');
    expect(relativeTime(NOW + 120_000, NOW, 'en-US')).toBe('now');
  });
  it('counts minutes and hours today', () => {
    expect(relativeTime(NOW - 5 * 60_000, NOW, 'en-US')).toBe('5m');
    expect(relativeTime(at(2026, 11, 27, 0, 10), NOW, 'en-US')).toBe('15h');
  });
  it('says Yesterday for the previous calendar day, even 1 minute before midnight', () => {
    expect(relativeTime(at(2026, 11, 26, 23, 59), at(2026, 11, 27, 0, 1), 'en-US')).toBe(
      'Yesterday',
    );
  });
  it('uses the weekday within a week, then the date, then the year', () => {
    expect(relativeTime(at(2026, 11, 24), NOW, 'en-US')).toBe('Tue');
    expect(relativeTime(at(2026, 11, 2), NOW, 'en-US')).toBe('Nov 2');
    expect(relativeTime(at(2025, 3, 4), NOW, 'en-US')).toBe('Mar 4, 2025');
  });
});

describe('day labels and keys', () => {
  it('labels today, yesterday and older days', () => {
    expect(dayLabel(at(2026, 11, 27, 8), NOW, 'en-US')).toBe('Today');
    expect(dayLabel(at(2026, 11, 26, 8), NOW, 'en-US')).toBe('Yesterday');
    expect(dayLabel(at(2026, 11, 2), NOW, 'en-US')).toBe('Monday, November 2');
    expect(dayLabel(at(2025, 3, 4), NOW, 'en-US')).toBe('Tuesday, March 4, 2025');
  });
  it('keys by local calendar day', () => {
    expect(dayKey(at(2026, 1, 5, 0, 0))).toBe('2026-01-05');
    expect(dayKey(at(2026, 1, 5, 23, 59))).toBe('2026-01-05');
    expect(calendarDaysBetween(at(2026, 1, 5, 23, 59), at(2026, 1, 6, 0, 0))).toBe(1);
  });
  it('schedules the next refresh on the next minute boundary', () => {
    expect(nextTickIn(60_000 * 10 + 15_000)).toBe(45_000);
  });
});
