// Personal state through the data layer, signed in to a REAL relay with accounts
// (docs/messaging.md, "Personal state"): two devices of one person converge on saved
// messages, unread marks and reminders; a save made offline is on disk at once and reaches the
// other device after reconnecting (and after a restart while offline); a reminder falls due on
// a device with no network; drafts are this device's only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PersonalState, ReminderItem } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { encodeHlc } from '../../../core/src/hlc';
import { Device, removeDir, startRelay, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

/** Resolves with the first personal state that satisfies `pred` (events, no sleeps). */
function stateWhere(c: Client, pred: (s: PersonalState) => boolean, timeoutMs = 15_000): Promise<PersonalState> {
  return new Promise((resolve, reject) => {
    let last: PersonalState | null = null;
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`personal state never matched; last: ${JSON.stringify(last?.saved)}`));
    }, timeoutMs);
    off = c.personal.state((s) => {
      last = s;
      if (pred(s)) {
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(s);
      }
    });
  });
}

const CONV = '0123456789ABCDEF';
const MSG = encodeHlc({ wall: Date.now() - 60_000, counter: 0, node: 'DEV1' });

describe('personal state', () => {
  it('two devices of one person converge; an offline save reaches the other after reconnecting', async () => {
    const ada = await relay.createUser('Ada');
    const one = new Device('Ada laptop', relay.url);
    const two = new Device('Ada phone', relay.url);
    const a = await one.signIn(ada);
    const b = await two.signIn(ada);
    const id = await a.createConversation({ kind: 'channel', title: 'Saved', visibility: 'private', members: [] });
    const conv = a.open(id);
    await conv.loadRecent();
    const m1 = (await conv.send('Keep this')).id;
    const m2 = (await conv.send('And this')).id;
    await a.whenSettled(20_000);

    // Both online: a save, an unread mark and a reminder on one device reach the other.
    await a.personal.save(id, m1);
    await a.personal.markUnread(id, m2, 1);
    await a.personal.remind(id, m1, Date.now() + 3_600_000);
    const seen = await stateWhere(b, (s) => s.saved.length === 1 && s.unread.size === 1 && s.reminders.length === 1);
    expect(seen.saved[0]).toMatchObject({ conversationId: id, messageId: m1 });
    expect(seen.unread.get(id)).toMatchObject({ from: m2, count: 1 });

    // The phone goes offline and saves the second message, then restarts still offline.
    b.setOnline(false);
    await b.personal.save(id, m2);
    await b.personal.clearUnread(id);
    expect((await stateWhere(b, (s) => s.saved.length === 2)).unread.size).toBe(0);
    await b.close();
    const b2 = (await two.restore({ online: false })) as Client;
    const kept = await stateWhere(b2, (s) => s.loaded && s.saved.length === 2);
    expect(kept.saved.map((s) => s.messageId)).toEqual([m2, m1]);
    // Meanwhile the laptop cancels the reminder.
    await a.personal.cancelReminder(id, m1);

    b2.setOnline(true);
    const merged = await stateWhere(a, (s) => s.saved.length === 2 && s.unread.size === 0);
    expect(merged.reminders).toEqual([]);
    await stateWhere(b2, (s) => s.reminders.length === 0 && s.saved.length === 2);
    conv.close();
    await a.close();
    await b2.close();
  });

  it('a reminder falls due on a device with no network; done on one device is done on both', async () => {
    const bo = await relay.createUser('Bo');
    const one = new Device('Bo laptop', relay.url);
    const two = new Device('Bo desk', relay.url);
    const a = await one.signIn(bo);
    const b = await two.signIn(bo);
    a.setOnline(false);
    const fired: ReminderItem[] = [];
    const due = new Promise<ReminderItem>((resolve) =>
      a.personal.onReminderDue((r) => {
        fired.push(r);
        resolve(r);
      }),
    );
    const msg = MSG;
    await a.personal.remind(CONV, msg, Date.now() + 300);
    const r = await due;
    expect(r).toMatchObject({ conversationId: CONV, messageId: msg, done: null });
    a.setOnline(true);
    await stateWhere(b, (s) => s.reminders.length === 1);
    await b.personal.finishReminder(CONV, msg);
    const done = await stateWhere(a, (s) => s.reminders[0]?.done !== null && s.reminders.length === 1);
    expect(done.reminders[0]?.done).toBeGreaterThan(0);
    expect(fired).toHaveLength(1);
    await a.close();
    await b.close();
  });

  it('drafts are listed from this device only', async () => {
    const cy = await relay.createUser('Cy');
    const a = await new Device('Cy laptop', relay.url).signIn(cy);
    const b = await new Device('Cy phone', relay.url).signIn(cy);
    await a.setDraft(CONV, 'half a thought');
    await a.setDraft(`${CONV}:thread:${MSG}`, 'a reply');
    const s = await stateWhere(a, (x) => x.drafts.length === 2);
    expect(s.drafts.map((d) => [d.conversationId, d.threadRoot, d.text]).sort((x, y) => String(x[2]).localeCompare(String(y[2])))).toEqual([
      [CONV, MSG, 'a reply'],
      [CONV, null, 'half a thought'],
    ]);
    await a.setDraft(CONV, '');
    await stateWhere(a, (x) => x.drafts.length === 1);
    expect((await stateWhere(b, (x) => x.loaded)).drafts).toEqual([]);
    await a.close();
    await b.close();
  });
});
