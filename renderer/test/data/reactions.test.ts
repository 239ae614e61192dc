// Reactions through the data layer, signed in to a REAL relay with accounts: concurrent
// offline reactions merge (relay stopped for real), toggling is idempotent, bad input is
// refused before anything is written, archived conversations refuse, removed people's
// reactions still count.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { ConversationStore, ConversationView, MessageView, ReactionView } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { pageRoom, periodOfMessage } from '../../../core/src/model/rooms';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay, type TestUser } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

/** What a message shows of its reactions: `emoji count (names)`, in the view's order. */
function chips(v: ConversationView, messageId: string): string[] {
  const m = v.messages.find((x) => x.id === messageId);
  return (m?.reactions ?? []).map((r: ReactionView) => `${r.emoji} ${r.count} (${r.by.map((p) => p.name).join(', ')})`);
}

interface Pair {
  ada: TestUser;
  bo: TestUser;
  a: Client;
  b: Client;
  ca: ConversationStore;
  cb: ConversationStore;
  id: string;
  msg: MessageView;
  adaDevice: Device;
}

/** Ada and Bo in a private channel, Ada's first message seen by both. */
async function pair(r: Relay, title: string): Promise<Pair> {
  const [ada, bo] = await Promise.all([r.createUser('Ada'), r.createUser('Bo')]);
  const adaDevice = new Device('Ada', r.url);
  const a = await adaDevice.signIn(ada);
  const b = await new Device('Bo', r.url).signIn(bo);
  const id = await a.createConversation({ kind: 'channel', title, visibility: 'private', members: [bo.id] });
  const ca = a.open(id);
  await ca.loadRecent();
  const msg = await ca.send('Release is out');
  await listWhere(b, (l) => l.some((x) => x.id === id));
  const cb = b.open(id);
  await cb.loadRecent();
  await viewWhere(cb, (v) => v.messages.some((m) => m.id === msg.id));
  return { ada, bo, a, b, ca, cb, id, msg, adaDevice };
}

async function closeAll(p: Pair): Promise<void> {
  p.ca.close();
  p.cb.close();
  await p.a.close();
  await p.b.close();
}


/** Resolves once Date.now() has moved past the current millisecond. */
async function nextMs(): Promise<void> {
  const t = Date.now();
  while (Date.now() === t) await new Promise((r) => setTimeout(r, 1));
}

describe('reactions', () => {
  it('concurrent offline reactions (relay stopped for real) merge: same chips, same order on both', async () => {
    const own = await startRelay();
    try {
      const p = await pair(own, 'Launch');
      const { a, b, ca, cb, msg } = p;
      await own.stop();
      await new Promise<void>((r) => a.sync((s) => s.connection === 'unreachable' && r()));
      await new Promise<void>((r) => b.sync((s) => s.connection === 'unreachable' && r()));

      // Offline: each sees their own reactions at once (on disk), not the other's.
      // Chips are ordered by reaction time in ms (ties by emoji, then user id): let the clock
      // move between reactions so the expected order does not depend on the ids.
      await cb.react(msg.id, '👍', true);
      await nextMs();
      await cb.react(msg.id, '🎉', true);
      await nextMs();
      await ca.react(msg.id, '👍', true);
      const offA = await viewWhere(ca, (v) => chips(v, msg.id).length === 1);
      expect(chips(offA, msg.id)).toEqual(['👍 1 (Ada)']);
      expect(offA.messages[0]?.reactions[0]?.mine).toBe(true);
      const offB = await viewWhere(cb, (v) => chips(v, msg.id).length === 2);
      expect(chips(offB, msg.id)).toEqual(['👍 1 (Bo)', '🎉 1 (Bo)']);
      let pending = 0;
      b.sync((s) => (pending = s.pending))();
      expect(pending).toBeGreaterThan(0);

      await own.restart();
      await a.whenSettled(20_000);
      await b.whenSettled(20_000);
      const want = (v: ConversationView) => chips(v, msg.id).some((c) => c.startsWith('👍 2'));
      const va = await viewWhere(ca, want);
      const vb = await viewWhere(cb, want);
      // Bo reacted first (earlier time), so 👍 lists Bo first and stays before 🎉 everywhere.
      expect(chips(va, msg.id)).toEqual(['👍 2 (Bo, Ada)', '🎉 1 (Bo)']);
      expect(chips(vb, msg.id)).toEqual(chips(va, msg.id));
      expect(va.messages[0]?.reactions.map((r) => r.mine)).toEqual([true, false]);
      expect(vb.messages[0]?.reactions.map((r) => r.mine)).toEqual([true, true]);

      // Bo takes 🎉 back offline; Ada sees it disappear once Bo is back.
      b.setOnline(false);
      await cb.react(msg.id, '🎉', false);
      expect(chips(await viewWhere(cb, (v) => chips(v, msg.id).length === 1), msg.id)).toEqual(['👍 2 (Bo, Ada)']);
      b.setOnline(true);
      expect(chips(await viewWhere(ca, (v) => chips(v, msg.id).length === 1), msg.id)).toEqual(['👍 2 (Bo, Ada)']);
      await closeAll(p);
    } finally {
      await own.stop();
      removeDir(own.dataDir);
    }
  });

  it('toggling: twice on counts once, off removes only mine, twice off is harmless', async () => {
    const p = await pair(relay, 'Toggles');
    const { ca, cb, msg } = p;
    await ca.react(msg.id, '👀', true);
    await ca.react(msg.id, '👀', true);
    await nextMs(); // Ada first: the order is by time, ties by user id
    await cb.react(msg.id, '👀', true);
    const both = await viewWhere(ca, (v) => chips(v, msg.id)[0]?.startsWith('👀 2') ?? false);
    expect(chips(both, msg.id)).toEqual(['👀 2 (Ada, Bo)']);

    await ca.react(msg.id, '👀', false);
    await ca.react(msg.id, '👀', false);
    const seenByBo = await viewWhere(cb, (v) => chips(v, msg.id)[0]?.startsWith('👀 1') ?? false);
    expect(chips(seenByBo, msg.id)).toEqual(['👀 1 (Bo)']);
    expect(seenByBo.messages[0]?.reactions[0]?.mine).toBe(true);
    await cb.react(msg.id, '👀', false);
    await viewWhere(ca, (v) => chips(v, msg.id).length === 0);
    await closeAll(p);
  });

  it('refuses bad input with a clear error before writing anything', async () => {
    const p = await pair(relay, 'Strict');
    const { a, ca, msg } = p;
    await a.whenSettled(20_000);
    const pageDoc = (): Y.Doc => a.host.get(pageRoom(p.id, periodOfMessage(msg.id)))?.doc as Y.Doc;
    const before = Y.encodeStateVector(pageDoc());
    const cases: [string, string, RegExp][] = [
      [msg.id, '', /emoji/],
      [msg.id, 'a b', /spaces/],
      [msg.id, 'x|y', /'\|'/],
      [msg.id, '🎉'.repeat(17), /limit is 32/],
      [msg.id, 'ok\n', /control|spaces/],
      ['not-a-message', '👍', /not a message id/],
    ];
    for (const [id, emoji, message] of cases) {
      await expect(ca.react(id, emoji, true)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(message) });
    }
    // A message that does not exist on its page, and a deleted one.
    const ghost = `${msg.id.slice(0, -1)}${msg.id.endsWith('0') ? '1' : '0'}`;
    await expect(ca.react(ghost, '👍', true)).rejects.toMatchObject({ code: 'not-found' });
    const gone = await ca.send('to be deleted');
    await ca.remove(gone.id);
    const afterDelete = Y.encodeStateVector(pageDoc());
    await expect(ca.react(gone.id, '👍', true)).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/deleted/) });
    expect(Y.encodeStateVector(pageDoc())).toEqual(afterDelete);
    expect(before).not.toEqual(afterDelete); // (the send and delete did write)
    const v = await viewWhere(ca, (x) => x.messages.length === 2);
    expect(v.messages.every((m) => m.reactions.length === 0)).toBe(true);
    await closeAll(p);
  });

  it('archived: shown, not changeable; people removed later still count', async () => {
    const p = await pair(relay, 'History');
    const { a, ca, cb, msg, bo } = p;
    await cb.react(msg.id, '🙏', true);
    // Chips are ordered by reaction time (ms), ties by user id: Ada reacts once Bo's reaction
    // has reached her, so Bo is first whatever the ids.
    await viewWhere(ca, (v) => chips(v, msg.id)[0]?.startsWith('🙏 1') ?? false);
    await ca.react(msg.id, '🙏', true);
    await viewWhere(ca, (v) => chips(v, msg.id)[0]?.startsWith('🙏 2') ?? false);
    await p.b.whenSettled(20_000);

    await a.removeMember(p.id, bo.id);
    const afterRemoval = await viewWhere(ca, (v) => v.members.length === 1);
    // Still counted, with Bo's name, although the directory no longer lists him.
    expect(chips(afterRemoval, msg.id)).toEqual(['🙏 2 (Bo, Ada)']);
    expect(afterRemoval.messages[0]?.reactions[0]?.by.map((x) => x.id)).toEqual([bo.id, p.ada.id]);
    // Also after a restart, offline: the device keeps the names it has seen.
    const again = await p.adaDevice.restore({ online: false });
    if (!again) throw new Error('no kept session');
    const cAgain = again.open(p.id);
    await cAgain.loadRecent();
    const restarted = await viewWhere(cAgain, (v) => chips(v, msg.id).length === 1);
    expect(chips(restarted, msg.id)).toEqual(['🙏 2 (Bo, Ada)']);
    expect(restarted.messages[0]?.authorName).toBe('Ada');
    cAgain.close();
    await again.close();
    // Bo, removed, may not react any more (the relay would refuse it): nothing is written.
    await viewWhere(cb, (v) => v.removed);
    await expect(cb.react(msg.id, '👍', true)).rejects.toMatchObject({ code: 'forbidden' });
    expect((await viewWhere(cb, (v) => v.removed)).canReact).toBe(false);

    await a.setArchived(p.id, true);
    const archived = await viewWhere(ca, (v) => v.archived);
    expect(archived.canReact).toBe(false);
    expect(chips(archived, msg.id)).toEqual(['🙏 2 (Bo, Ada)']);
    await expect(ca.react(msg.id, '🙏', false)).rejects.toMatchObject({ code: 'forbidden', message: expect.stringMatching(/archived/) });
    await closeAll(p);
  });
});
