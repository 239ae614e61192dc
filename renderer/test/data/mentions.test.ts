// Mentions and notification preferences through the data layer, signed in to a REAL relay:
// Bo is offline while Ada mentions him; on reconnect his list counts the unread mention (and
// only real mentions: not in code, not Ada's mention of herself); reading clears it.
// Preferences are this device's: kept in its local store across sign-ins, bad values refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NotifyPrefs } from '../../src/data/api';
import { readNotifyPrefs } from '../../src/data/notify-prefs';
import { Device, listWhere, removeDir, startRelay, viewWhere, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

function prefsOf(client: { notifyPrefs: (l: (p: NotifyPrefs) => void) => () => void }): NotifyPrefs {
  let out: NotifyPrefs | null = null;
  client.notifyPrefs((p) => (out = p))();
  if (out === null) throw new Error('no prefs');
  return out;
}

describe('mentions in the conversation list', () => {
  it('an offline reader gets the mention count on reconnect; reading clears it', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Launch', visibility: 'private', members: [bo.id] });
    await listWhere(b, (l) => l.some((x) => x.id === id));

    b.setOnline(false);
    await new Promise<void>((r) => b.sync((s) => s.connection === 'offline' && r()));
    const ca = a.open(id);
    await ca.loadRecent();
    await ca.send(`Ready? @${bo.username.toUpperCase()} ship it`);
    await ca.send('no mention here');
    await ca.send(`\`@${bo.username}\` in code, ${bo.username}@example.org`);
    await ca.send(`@${ada.username} note to myself`);
    const mine = await listWhere(a, (l) => l.some((x) => x.id === id && x.lastMessage !== null));
    expect(mine.find((x) => x.id === id)?.mentions).toBe(0);
    // Offline, Bo has none of it yet.
    expect((await listWhere(b, (l) => l.some((x) => x.id === id))).find((x) => x.id === id)?.mentions).toBe(0);

    b.setOnline(true);
    const list = await listWhere(b, (l) => l.some((x) => x.id === id && x.unread === 4));
    expect(list.find((x) => x.id === id)?.mentions).toBe(1);

    await ca.send('@here all of you');
    await listWhere(b, (l) => l.some((x) => x.id === id && x.unread === 5 && x.mentions === 2));

    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.length === 5);
    cb.markRead();
    await listWhere(b, (l) => l.some((x) => x.id === id && x.unread === 0 && x.mentions === 0));
    cb.close();
    ca.close();
    await a.close();
    await b.close();
  });
});

describe('notification preferences', () => {
  it('are kept in the device store across sign-ins; null goes back to the default', async () => {
    const cy = await relay.createUser('Cy');
    const device = new Device('Cy', relay.url);
    const c1 = await device.signIn(cy);
    expect(prefsOf(c1)).toEqual({ dnd: false, conversations: {} });
    await c1.setNotifyPref('CONV1', 'mute');
    await c1.setNotifyPref('CONV2', 'all');
    await c1.setDnd(true);
    expect(prefsOf(c1)).toEqual({ dnd: true, conversations: { CONV1: 'mute', CONV2: 'all' } });
    await c1.setNotifyPref('CONV2', null);
    await expect(c1.setNotifyPref('CONV1', 'loud' as never)).rejects.toThrow(/unknown preference/);
    expect(prefsOf(c1).conversations).toEqual({ CONV1: 'mute' });
    await c1.close();

    const c2 = await device.signIn(cy);
    await new Promise<void>((r) => c2.notifyPrefs((p) => p.dnd && r()));
    expect(prefsOf(c2)).toEqual({ dnd: true, conversations: { CONV1: 'mute' } });
    await c2.close();
  });

  it('a damaged stored value reads as the defaults, keeping what is valid', () => {
    expect(readNotifyPrefs(null)).toEqual({ dnd: false, conversations: {} });
    expect(readNotifyPrefs('x')).toEqual({ dnd: false, conversations: {} });
    expect(readNotifyPrefs({ dnd: 'yes', conversations: { a: 'mute', b: 'loud', c: 3 } })).toEqual({
      dnd: false,
      conversations: { a: 'mute' },
    });
  });
});
