import { describe, expect, it } from 'vitest';
import type { MessageView } from '../../src/data/api';
import { buildRows, lastOwnEditable } from '../../src/ui/lib/grouping';

const at = (d: number, h: number, mi = 0) => new Date(2026, 10, d, h, mi).getTime();
const NOW = at(27, 18);

let seq = 0;
function msg(authorId: string, createdAt: number, extra: Partial<MessageView> = {}): MessageView {
  seq += 1;
  return {
    id: `m${String(seq).padStart(4, '0')}`,
    authorId,
    authorName: authorId.toUpperCase(),
    text: `text ${seq}`,
    createdAt,
    editedAt: null,
    deleted: false,
    parentId: null,
    quoteId: null,
    thread: null,
    writtenOffline: false,
    mine: authorId === 'me',
    delivery: 'stored',
    canEdit: authorId === 'me',
    canDelete: authorId === 'me',
    reactions: [],
    seenBy: [],
    pinnedBy: [],
    ...extra,
  };
}

const shape = (rows: ReturnType<typeof buildRows>) =>
  rows.map((r) =>
    r.kind === 'day'
      ? `day ${r.label}`
      : `${r.message.authorId}${r.groupStart ? ' start' : ''}${r.groupEnd ? ' end' : ''}`,
  );

describe('buildRows', () => {
  it('the "New messages" divider starts a new group: the first unread shows name and avatar', () => {
    const read = msg('ada', at(27, 10, 0));
    const unread = msg('ada', at(27, 10, 1));
    const next = msg('ada', at(27, 10, 2));
    expect(shape(buildRows([read, unread, next], NOW, 'en'))).toEqual([
      'day Today',
      'ada start',
      'ada',
      'ada end',
    ]);
    expect(shape(buildRows([read, unread, next], NOW, 'en', unread.id))).toEqual([
      'day Today',
      'ada start end',
      'ada start',
      'ada end',
    ]);
  });

  it('returns nothing for no messages', () => {
    expect(buildRows([], NOW)).toEqual([]);
  });

  it('groups consecutive messages by author and splits on author change', () => {
    const rows = buildRows(
      [
        msg('ann', at(27, 9)),
        msg('ann', at(27, 9, 1)),
        msg('bo', at(27, 9, 2)),
        msg('ann', at(27, 9, 3)),
      ],
      NOW,
      'en-US',
    );
    expect(shape(rows)).toEqual([
      'day Today',
      'ann start',
      'ann end',
      'bo start end',
      'ann start end',
    ]);
  });

  it('starts a new group after a long pause by the same author', () => {
    const rows = buildRows([msg('ann', at(27, 9)), msg('ann', at(27, 9, 30))], NOW, 'en-US');
    expect(shape(rows)).toEqual(['day Today', 'ann start end', 'ann start end']);
  });

  it('puts a day separator between days and never groups across it', () => {
    const rows = buildRows(
      [msg('ann', at(26, 23, 58)), msg('ann', at(27, 0, 1)), msg('ann', at(27, 0, 2))],
      NOW,
      'en-US',
    );
    expect(shape(rows)).toEqual([
      'day Yesterday',
      'ann start end',
      'day Today',
      'ann start',
      'ann end',
    ]);
  });

  it('keeps the given (clock id) order even when createdAt goes backwards', () => {
    const a = msg('ann', at(27, 9));
    const b = msg('bo', at(26, 9)); // a device with a wrong clock
    const rows = buildRows([a, b], NOW, 'en-US');
    expect(rows.filter((r) => r.kind === 'message').map((r) => r.key)).toEqual([a.id, b.id]);
    expect(shape(rows)).toEqual(['day Today', 'ann start end', 'day Yesterday', 'bo start end']);
  });

  it('keys a day separator by its day, so older messages of that day keep it', () => {
    const later = [msg('ann', at(27, 9)), msg('bo', at(27, 10))];
    const withOlder = [msg('bo', at(27, 8)), ...later];
    expect(buildRows(later, NOW)[0]?.key).toBe(buildRows(withOlder, NOW)[0]?.key);
  });

  it('gives every row a unique key', () => {
    const list = [msg('ann', at(26, 9)), msg('ann', at(27, 9)), msg('ann', at(26, 10))];
    const keys = buildRows(list, NOW).map((r) => r.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('lastOwnEditable', () => {
  it('finds the newest own message that is not deleted', () => {
    const mine1 = msg('me', at(27, 9));
    const list = [mine1, msg('me', at(27, 10), { deleted: true }), msg('bo', at(27, 11))];
    expect(lastOwnEditable(list)?.id).toBe(mine1.id);
    expect(lastOwnEditable([msg('bo', at(27, 9))])).toBeUndefined();
  });
  it('offers nothing where I may not write (announcement for members, archived, removed)', () => {
    expect(lastOwnEditable([msg('me', at(27, 9), { canEdit: false })])).toBeUndefined();
  });
});
