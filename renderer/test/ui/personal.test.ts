// The UI's part of personal state (lib/personal.ts, lib/message-actions.ts): the reminder
// choices and custom times, how a due time reads, unread marks folded into the list, and the
// Save / Mark unread / Remind me actions on a message.
import { describe, expect, it, vi } from 'vitest';
import type { ConversationSummary, MessageView, UnreadMarkView } from '../../src/data/api';
import { messageActions } from '../../src/ui/lib/message-actions';
import {
  customDue,
  dueLabel,
  localInputValue,
  remindChoices,
  withUnreadMarks,
} from '../../src/ui/lib/personal';

const NOW = new Date(2026, 11, 7, 14, 5, 30).getTime();

describe('reminder times', () => {
  it('offers 20 minutes, 1 hour, 3 hours and tomorrow at 9:00 local time', () => {
    const c = remindChoices(NOW);
    expect(c.map((x) => x.id)).toEqual(['20m', '1h', '3h', 'tomorrow']);
    expect(c[0]?.due).toBe(NOW + 20 * 60_000);
    expect(c[2]?.due).toBe(NOW + 3 * 3_600_000);
    expect(new Date(c[3]?.due ?? 0)).toEqual(new Date(2026, 11, 8, 9, 0, 0, 0));
  });

  it('reads a custom date and time to the second, refusing the past and beyond a year', () => {
    const v = localInputValue(NOW + 6000);
    expect(v).toBe('2026-12-07T14:05:36');
    expect(customDue(v, NOW)).toEqual({ due: NOW + 6000 });
    expect(customDue(localInputValue(NOW - 1000), NOW)).toEqual({
      error: 'Pick a time in the future.',
    });
    expect(customDue('', NOW)).toEqual({ error: 'Pick a date and time.' });
    expect(customDue(localInputValue(NOW + 400 * 86_400_000), NOW)).toEqual({
      error: 'Pick a time within a year.',
    });
  });

  it('says today and tomorrow in words', () => {
    expect(dueLabel(NOW + 60_000, NOW)).toMatch(/^Today at /);
    expect(dueLabel(new Date(2026, 11, 8, 9).getTime(), NOW)).toMatch(/^Tomorrow at /);
  });
});

describe('unread marks in the list', () => {
  const conv = (id: string, unread: number) => ({ id, unread }) as ConversationSummary;
  it('counts a marked conversation at least its mark, and leaves others as they are', () => {
    const list = [conv('A', 0), conv('B', 5), conv('C', 1)];
    const marks = new Map<string, UnreadMarkView>([
      ['A', { conversationId: 'A', from: 'm', count: 2, at: 1 }],
      ['B', { conversationId: 'B', from: null, count: 1, at: 1 }],
    ]);
    expect(withUnreadMarks(list, marks).map((c) => c.unread)).toEqual([2, 5, 1]);
    expect(withUnreadMarks(list, new Map())).toBe(list);
  });
});

describe('personal actions on a message', () => {
  const m = {
    id: 'm1',
    deleted: false,
    mine: false,
    canEdit: false,
    canDelete: false,
    thread: null,
  } as unknown as MessageView;
  const base = {
    onthread: null,
    onquote: null,
    onreact: null,
    pinAction: null,
    pinUnavailable: null,
    onpin: () => undefined,
    onedit: () => undefined,
    ondelete: () => undefined,
  };
  it('adds Save, Mark unread and Remind me where there is personal state; Save toggles', () => {
    const onsave = vi.fn();
    const personal = {
      saved: false,
      reminderDue: null,
      onsave,
      onunread: vi.fn(),
      onremind: vi.fn(),
    };
    const actions = messageActions(m, { ...base, personal });
    expect(actions.map((a) => a.id)).toEqual(['save', 'unread', 'remind']);
    actions[0]?.run({} as HTMLElement);
    expect(onsave).toHaveBeenCalledWith(true);
    const saved = messageActions(m, {
      ...base,
      personal: { ...personal, saved: true, reminderDue: 5 },
    });
    expect(saved.map((a) => [a.label, a.pressed ?? false])).toEqual([
      ['Unsave', true],
      ['Mark unread', false],
      ['Change reminder', true],
    ]);
    expect(messageActions(m, base).map((a) => a.id)).toEqual([]);
    expect(messageActions({ ...m, deleted: true }, { ...base, personal }).map((a) => a.id)).toEqual(
      [],
    );
  });
});
