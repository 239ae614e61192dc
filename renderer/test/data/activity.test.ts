// Activity, followed threads and "also send to channel" through the data layer, signed in to a
// REAL relay: Bo mentions Ada, replies in her thread, reacts to her message and sends a reply to
// the channel too; Ada's Activity lists the three (unread), Threads lists her thread, the
// channel's timeline shows the reply once for both; after a restart offline it is all still there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityView, FerryClient } from '../../src/data/api';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

function activityWhere(client: FerryClient, pred: (v: ActivityView) => boolean): Promise<ActivityView> {
  const api = client.activity;
  if (!api) throw new Error('no activity');
  return new Promise((resolve) => {
    let off: (() => void) | null = null;
    let done = false;
    off = api.observe((v) => {
      if (done || !pred(v)) return;
      done = true;
      resolve(v);
      queueMicrotask(() => off?.());
    });
  });
}

describe('activity and threads', () => {
  it('mention, reply in my thread and reaction reach my Activity; a reply sent to the channel shows once', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const deviceA = new Device('Ada', relay.url);
    const a = await deviceA.signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Launch', visibility: 'private', members: [bo.id] });
    await listWhere(b, (l) => l.some((x) => x.id === id));
    const ca = a.open(id);
    await ca.loadRecent();
    const root = await ca.send('Plan for launch');
    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.some((m) => m.id === root.id));

    const mention = await cb.send(`@${ada.username} can you check?`);
    const reply = await cb.send('Looks good', { parent: root.id });
    await cb.react(root.id, '🎉', true);
    await expect(cb.send('no parent', { alsoToChannel: true })).rejects.toThrow(/Only a thread reply/);
    const loud = await cb.send('Shipping Friday', { parent: root.id, alsoToChannel: true });
    expect(loud.broadcast).toBe(true);

    // Ada has not opened anything since: her Activity fills in from the pages she follows.
    ca.close();
    const v = await activityWhere(a, (x) => x.items.length >= 4);
    expect(v.items.map((i) => [i.kind, i.messageId, i.rootId, i.actorName])).toEqual([
      ['reply', loud.id, root.id, 'Bo'],
      ['reaction', root.id, null, 'Bo'],
      ['reply', reply.id, root.id, 'Bo'],
      ['mention', mention.id, null, 'Bo'],
    ]);
    expect(v.unread).toBe(4);
    expect(v.items[1]?.emoji).toBe('🎉');
    expect(v.threads).toHaveLength(1);
    expect(v.threads[0]).toMatchObject({
      conversationId: id,
      rootId: root.id,
      rootText: 'Plan for launch',
      reason: 'started',
      replies: 2,
      unread: 2,
      lastReplyAuthorName: 'Bo',
      conversationTitle: 'Launch',
    });
    expect(a.activity?.following(id, root.id)).toBe(true);

    // The reply sent to the channel: in both timelines once, naming its root; in the thread too.
    const ca2 = a.open(id);
    await ca2.loadRecent();
    const tl = await viewWhere(ca2, (x) => x.messages.some((m) => m.id === loud.id));
    expect(tl.messages.map((m) => m.id)).toEqual([root.id, mention.id, loud.id]);
    expect(tl.messages[2]?.broadcastRoot).toMatchObject({ id: root.id, text: 'Plan for launch', authorName: 'Ada' });
    const tb = await viewWhere(cb, (x) => x.messages.some((m) => m.id === loud.id));
    expect(tb.messages.filter((m) => m.id === loud.id)).toHaveLength(1);
    await new Promise<void>((resolve) => {
      const off = ca2.thread(root.id)((t) => {
        if (t.state === 'ready' && t.replies.length === 2) {
          expect(t.replies.map((r) => r.id)).toEqual([reply.id, loud.id]);
          queueMicrotask(() => off());
          resolve();
        }
      });
    });
    ca2.close();

    // Opening items reads them; opening the thread reads its replies.
    await a.activity?.markRead([v.items[3]!.key]);
    await a.activity?.markThreadRead(id, root.id);
    const after = await activityWhere(a, (x) => x.threadsUnread === 0);
    expect(after.unread).toBe(1); // the reaction
    await a.activity?.follow(id, root.id, false);
    expect((await activityWhere(a, (x) => x.threads.length === 0)).items.map((i) => i.kind)).toEqual([
      'reaction',
      'mention',
    ]);
    await a.activity?.follow(id, root.id, true);
    await activityWhere(a, (x) => x.threads.length === 1);
    cb.close();
    await b.close();
    await a.close();

    // Offline restart: what the device stored shows at once.
    const again = await deviceA.restore({ online: false });
    if (!again) throw new Error('no session to restore');
    const stored = await activityWhere(again, (x) => x.loaded && x.items.length === 4);
    expect(stored.unread).toBe(1);
    expect(stored.threads[0]?.rootId).toBe(root.id);
    await again.close();
  });
});
