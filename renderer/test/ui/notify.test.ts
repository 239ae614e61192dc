import { describe, expect, it } from 'vitest';
import type { ConversationSummary, NotifyPref, NotifyPrefs } from '../../src/data/api';
import { defaultNotifyPref, notificationsFor, notifyPrefOf, seenOf } from '../../src/ui/lib/notify';

const conv = (id: string, unread: number, text = 'hi'): ConversationSummary => ({
  id,
  title: `Conversation ${id}`,
  createdAt: 0,
  lastMessage: { text, authorName: 'Ann', at: 1 },
  unread,
  mentions: 0,
  kind: 'dm',
  visibility: 'open',
  role: 'member',
  archived: false,
  memberCount: 2,
  dmWith: null,
  registered: true,
  removed: false,
  undelivered: 0,
});

describe('notificationsFor', () => {
  it('names the sender in a channel’s body, not in a DM’s, whose title already names them', () => {
    const dm = conv('a', 1, 'news');
    const channel = { ...conv('b', 1, 'news'), kind: 'channel' as const, title: 'Ops' };
    const shown = notificationsFor(new Map(), [dm, channel], null, {
      dnd: false,
      conversations: { b: 'all' },
    });
    expect(shown.map((n) => [n.title, n.body])).toEqual([
      ['Conversation a', 'news'],
      ['Ops', 'Ann: news'],
    ]);
  });

  it('notifies once per conversation whose unread count grew', () => {
    const before = new Map([
      ['a', 0],
      ['b', 2],
    ]);
    expect(notificationsFor(before, [conv('a', 1, 'news'), conv('b', 2)], null)).toEqual([
      { title: 'Conversation a', body: 'news', conversationId: 'a' },
    ]);
  });

  it('targets the newest message, so a click opens the conversation there', () => {
    const c = conv('a', 1, 'news');
    const withId = { ...c, lastMessage: { ...c.lastMessage!, id: '0lq3x8k2a-0001-ANN' } };
    expect(notificationsFor(new Map(), [withId], null)).toEqual([
      {
        title: 'Conversation a',
        body: 'news',
        conversationId: 'a',
        messageId: '0lq3x8k2a-0001-ANN',
      },
    ]);
    // A list cached by an earlier release has no id: the click opens the conversation.
    expect(notificationsFor(new Map(), [c], null)[0]).not.toHaveProperty('messageId');
  });

  it('shows the text of a formatted message, not its markup', () => {
    expect(
      notificationsFor(new Map(), [conv('a', 1, '**Ship** it: `v2` _today_')], null)[0]?.body,
    ).toBe('Ship it: v2 today');
  });

  it('stays quiet for the conversation on screen, for read messages and for empty ones', () => {
    const before = new Map([['a', 0]]);
    expect(notificationsFor(before, [conv('a', 3)], 'a')).toEqual([]);
    expect(notificationsFor(new Map([['a', 3]]), [conv('a', 0)], null)).toEqual([]);
    expect(notificationsFor(before, [{ ...conv('a', 1), lastMessage: null }], null)).toEqual([]);
  });

  it('counts a conversation it has not seen before from zero', () => {
    expect(notificationsFor(new Map(), [conv('new', 2)], null)).toHaveLength(1);
  });

  it('sums a catch-up into one notification beyond three conversations', () => {
    const list = ['a', 'b', 'c', 'd'].map((id) => conv(id, 2));
    expect(notificationsFor(new Map([['a', 1]]), list, null)).toEqual([
      { title: 'Ferry', body: '7 new messages in 4 conversations', conversationId: 'a' },
    ]);
  });
});

describe('notificationsFor: preferences', () => {
  const msg = (
    id: string,
    kind: ConversationSummary['kind'],
    unread: number,
    mentions: number,
  ) => ({
    ...conv(id, unread, 'hello @me'),
    kind,
    mentions,
  });
  const prefs = (conversations: NotifyPrefs['conversations'] = {}, dnd = false): NotifyPrefs => ({
    dnd,
    conversations,
  });
  const ids = (n: { conversationId: string }[]) => n.map((x) => x.conversationId);

  it('defaults: a DM notifies every message, a channel only mentions', () => {
    expect(defaultNotifyPref('dm')).toBe('all');
    expect(defaultNotifyPref('channel')).toBe('mentions');
    expect(defaultNotifyPref('announcement')).toBe('mentions');
    const list = [msg('dm', 'dm', 1, 0), msg('plain', 'channel', 1, 0), msg('at', 'channel', 1, 1)];
    const out = notificationsFor(new Map(), list, null, prefs());
    expect(ids(out)).toEqual(['dm', 'at']);
    expect(out[1]?.title).toBe('Conversation at: you were mentioned');
  });

  it('every preference × DM/channel × mention', () => {
    for (const kind of ['dm', 'channel'] as const) {
      for (const mentions of [0, 1]) {
        const list = [msg('c', kind, 1, mentions)];
        const run = (p: NotifyPref) => notificationsFor(new Map(), list, null, prefs({ c: p }));
        expect(run('all'), `${kind} ${mentions} all`).toHaveLength(1);
        expect(run('mentions'), `${kind} ${mentions} mentions`).toHaveLength(mentions);
        expect(run('mute'), `${kind} ${mentions} mute`).toHaveLength(0);
      }
    }
  });

  it('a mention notifies only when the mention count grew, not on later plain messages', () => {
    const before = seenOf([msg('c', 'channel', 1, 1)]);
    expect(notificationsFor(before, [msg('c', 'channel', 2, 1)], null)).toEqual([]);
    expect(notificationsFor(before, [msg('c', 'channel', 2, 2)], null)).toHaveLength(1);
    // An old-style before map (bare unread counts) counts mentions from zero.
    expect(notificationsFor(new Map([['c', 1]]), [msg('c', 'channel', 2, 1)], null)).toHaveLength(
      1,
    );
  });

  it('nothing under do-not-disturb, for the conversation on screen, or for my own messages', () => {
    const list = [msg('dm', 'dm', 1, 1), msg('at', 'channel', 1, 1)];
    expect(notificationsFor(new Map(), list, null, prefs({}, true))).toEqual([]);
    expect(notificationsFor(new Map(), list, null, prefs({ dm: 'all', at: 'all' }, true))).toEqual(
      [],
    );
    expect(ids(notificationsFor(new Map(), list, 'at', prefs()))).toEqual(['dm']);
    // My own messages do not raise unread (the data layer counts others' only): no change, nothing.
    const before = seenOf(list);
    expect(notificationsFor(before, list, null, prefs())).toEqual([]);
  });

  it('muted conversations do not count toward the summary', () => {
    const list = ['a', 'b', 'c', 'd', 'e'].map((id) => msg(id, 'dm', 1, 0));
    expect(notificationsFor(new Map(), list, null, prefs())).toHaveLength(1);
    const muted = prefs({ a: 'mute', b: 'mute' });
    expect(notificationsFor(new Map(), list, null, muted)).toHaveLength(3);
    expect(notifyPrefOf({ id: 'a', kind: 'dm' }, muted)).toBe('mute');
    expect(notifyPrefOf({ id: 'z', kind: 'channel' }, muted)).toBe('mentions');
  });
});

describe('notificationsFor: threads', () => {
  const reply = (threadWithMe: boolean): ConversationSummary => {
    const c = { ...conv('t', 1, 'Saturday works'), kind: 'channel' as const };
    return {
      ...c,
      lastMessage: {
        ...c.lastMessage!,
        id: '0lq3x8k2b-0000-BOB',
        threadRootId: '0lq3x8k2a-0000-ANN',
        ...(threadWithMe ? { threadWithMe } : {}),
      },
    };
  };

  it('a reply in my thread notifies under the channel default (mentions), with its root', () => {
    expect(notificationsFor(new Map(), [reply(true)], null)).toEqual([
      {
        title: 'Conversation t: a reply in your thread',
        body: 'Ann: Saturday works',
        conversationId: 't',
        messageId: '0lq3x8k2b-0000-BOB',
        threadRootId: '0lq3x8k2a-0000-ANN',
      },
    ]);
  });

  it("a reply in someone else's thread stays quiet; muted, DND and the open conversation too", () => {
    expect(notificationsFor(new Map(), [reply(false)], null)).toEqual([]);
    const muted = { dnd: false, conversations: { t: 'mute' as const } };
    expect(notificationsFor(new Map(), [reply(true)], null, muted)).toEqual([]);
    expect(
      notificationsFor(new Map(), [reply(true)], null, { dnd: true, conversations: {} }),
    ).toEqual([]);
    expect(notificationsFor(new Map(), [reply(true)], 't')).toEqual([]);
  });
});
