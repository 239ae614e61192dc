import { describe, expect, it } from 'vitest';
import type { MessageView, SystemEventView } from '../../src/data/api';
import { buildRows } from '../../src/ui/lib/grouping';
import { systemLineText, withSystemRows } from '../../src/ui/lib/system-lines';

const ME = 'ME00000000000000';
const ADA = 'ADA0000000000000';
const DAY = 24 * 3600_000;
const T = new Date(2026, 11, 7, 12, 0).getTime();

function msg(id: string, at: number, author = ADA): MessageView {
  return { id, authorId: author, authorName: 'Ada', text: id, createdAt: at } as MessageView;
}
function ev(id: string, at: number, kind: SystemEventView['kind'] = 'joined'): SystemEventView {
  return { id, kind, at, actorId: ADA, actorName: 'Ada', mine: false, aboutMe: false };
}

describe('system lines', () => {
  it('says what happened, "You" for me', () => {
    expect(systemLineText(ev('1', T))).toBe('Ada joined');
    expect(
      systemLineText({ ...ev('1', T, 'added'), userId: ME, userName: 'Me', aboutMe: true }),
    ).toBe('Ada added you');
    expect(systemLineText({ ...ev('1', T, 'renamed'), mine: true, text: 'Ops' })).toBe(
      'You renamed the channel to “Ops”',
    );
    expect(systemLineText({ ...ev('1', T, 'topic'), text: 'Ship it' })).toBe(
      'Ada set the topic: Ship it',
    );
    expect(systemLineText({ ...ev('1', T, 'topic'), text: '' })).toBe('Ada cleared the topic');
  });

  it('places events by time and breaks the author’s group after them', () => {
    const rows = buildRows([msg('a', T), msg('b', T + 2000)], T + 10_000);
    const out = withSystemRows(rows, [ev('e', T + 1000)], T + 10_000, false);
    expect(out.map((r) => r.kind)).toEqual(['day', 'message', 'system', 'message']);
    const last = out[3] as { groupStart: boolean };
    expect(last.groupStart).toBe(true);
    expect((out[1] as { groupEnd: boolean }).groupEnd).toBe(true);
  });

  it('gives an event on a day with no shown message its own day separator', () => {
    const rows = buildRows([msg('a', T - 2 * DAY), msg('b', T)], T);
    const out = withSystemRows(rows, [ev('e', T - DAY)], T, false);
    expect(out.map((r) => r.kind)).toEqual(['day', 'message', 'day', 'system', 'day', 'message']);
    const early = withSystemRows(rows, [ev('e', T - 60_000)], T, false);
    expect(early.map((r) => r.kind)).toEqual(['day', 'message', 'day', 'system', 'message']);
    expect(new Set(early.map((r) => r.key)).size).toBe(early.length);
  });

  it('holds back events older than the loaded history, shows newer ones at the end', () => {
    const rows = buildRows([msg('a', T)], T);
    const out = withSystemRows(rows, [ev('old', T - 5000), ev('new', T + 5000)], T, true);
    expect(out.filter((r) => r.kind === 'system').map((r) => r.key)).toEqual(['sys:new']);
  });
});
