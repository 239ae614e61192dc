// The Activity / Threads views' words and where each entry opens (renderer/src/ui/lib/activity.ts).
import { describe, expect, it } from 'vitest';
import type { ActivityItem, FollowedThread } from '../../src/data/api';
import {
  activityVerb,
  countText,
  filterItems,
  followReason,
  openInContext,
  repliesText,
  targetOfItem,
  targetOfThread,
  threadLastLine,
  type OpenTarget,
} from '../../src/ui/lib/activity';

const item = (kind: ActivityItem['kind'], extra: Partial<ActivityItem> = {}): ActivityItem => ({
  key: kind + (extra.messageId ?? 'M1'),
  kind,
  conversationId: 'C1',
  conversationTitle: 'Launch',
  messageId: 'M1',
  rootId: null,
  actorId: 'U1',
  actorName: 'Bo',
  emoji: null,
  text: 'hi',
  at: 1,
  unread: true,
  ...extra,
});

describe('activity words and targets', () => {
  it('says what happened', () => {
    expect(activityVerb(item('mention'))).toBe('mentioned you');
    expect(activityVerb(item('mention', { rootId: 'R' }))).toBe('mentioned you in a thread');
    expect(activityVerb(item('reply', { rootId: 'R' }))).toBe('replied in a thread you follow');
    expect(activityVerb(item('reaction', { emoji: '🎉' }))).toBe('reacted 🎉 to your message');
    expect(repliesText(0)).toBe('No replies yet');
    expect(repliesText(1)).toBe('1 reply');
    expect(repliesText(3)).toBe('3 replies');
    expect(countText(0)).toBe('');
    expect(countText(100)).toBe('99+');
    expect(
      filterItems([item('mention'), item('reaction', { messageId: 'M2' })], 'reaction'),
    ).toHaveLength(1);
  });

  it('an item opens its message, a followed thread its panel; the views close first', () => {
    const thread = {
      conversationId: 'C1',
      rootId: 'R1',
      reason: 'started',
    } as FollowedThread;
    expect(followReason(thread)).toBe('You started it');
    expect(
      threadLastLine(
        {
          ...thread,
          replies: 2,
          lastReplyAuthorName: 'Bo',
          lastReplyText: '**ok**',
          lastReplyAt: 0,
        },
        30_000,
      ),
    ).toBe('2 replies · Bo: ok · just now');
    expect(targetOfItem(item('reply', { messageId: 'M9', rootId: 'R1' }))).toEqual({
      conversationId: 'C1',
      messageId: 'M9',
      thread: false,
    });
    expect(targetOfThread(thread)).toEqual({ conversationId: 'C1', messageId: 'R1', thread: true });
    const calls: string[] = [];
    openInContext(targetOfThread(thread), {
      closeViews: () => calls.push('close'),
      focus: (t: OpenTarget) => calls.push(`focus ${t.conversationId} ${t.messageId} ${t.thread}`),
    });
    expect(calls).toEqual(['close', 'focus C1 R1 true']);
  });
});
