// Profiles through the data layer, signed in to a REAL relay with accounts (docs/messaging.md,
// "Profiles"): status and avatar set offline reach the other device after reconnecting; bad
// input is refused with a clear message and nothing written; a hostile entry written past the
// client's checks is refused by the relay, and one an older relay let through is never shown.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Person } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { peopleOf } from '../../../core/src/model/workspace';
import { Device, listWhere, removeDir, startRelay, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

// A 1×1 PNG.
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function personWhere(c: Client, id: string, pred: (p: Person) => boolean, timeoutMs = 20_000): Promise<Person> {
  return new Promise((resolve, reject) => {
    let last: Person | undefined;
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`person ${id} never matched; last: ${JSON.stringify(last)?.slice(0, 200)}`));
    }, timeoutMs);
    off = c.people((list) => {
      last = list.find((p) => p.id === id);
      if (last && pred(last)) {
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(last);
      }
    });
  });
}

function mine(c: Client): Promise<Person> {
  return new Promise((resolve) => {
    const off = c.myProfile((p) => {
      queueMicrotask(() => off());
      resolve(p);
    });
  });
}

async function pair() {
  const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
  const a = await new Device('Ada', relay.url).signIn(ada);
  const b = await new Device('Bo', relay.url).signIn(bo);
  // Sharing a conversation puts each in the other's people list.
  const id = await a.createConversation({ kind: 'channel', title: 'Deck', visibility: 'private', members: [bo.id] });
  await listWhere(b, (l) => l.some((x) => x.id === id));
  await personWhere(a, bo.id, () => true);
  await personWhere(b, ada.id, () => true);
  return { ada, bo, a, b };
}

describe('profiles: status and avatar', () => {
  it('set offline, synced on reconnect: the other device sees them; clearing reaches it too', async () => {
    const { ada, a, b } = await pair();
    expect((await mine(a)).status).toBeNull();

    a.setOnline(false);
    await a.setMyProfile({ status: '  On deck until 6  ' });
    await a.setMyProfile({ avatar: PNG });
    // At once on this device, offline; name still the directory's.
    const me = await mine(a);
    expect(me).toMatchObject({ id: ada.id, displayName: 'Ada', status: 'On deck until 6', avatar: PNG });
    const pending = await new Promise<number>((resolve) => {
      const off = a.sync((st) => {
        queueMicrotask(() => off());
        resolve(st.pending);
      });
    });
    expect(pending).toBeGreaterThan(0);

    a.setOnline(true);
    const seen = await personWhere(b, ada.id, (p) => p.avatar === PNG && p.status === 'On deck until 6');
    expect(seen.displayName).toBe('Ada');

    // Clearing the status keeps the avatar.
    await a.setMyProfile({ status: null });
    const cleared = await personWhere(b, ada.id, (p) => p.status === null);
    expect(cleared.avatar).toBe(PNG);
    await a.setMyProfile({ avatar: null });
    await personWhere(b, ada.id, (p) => p.avatar === null);
    await a.close();
    await b.close();
  }, 60_000);

  it('refuses a bad status or avatar with a clear message and writes nothing', async () => {
    const { a, b } = await pair();
    await a.setMyProfile({ status: 'Fine', avatar: PNG });
    const bad: Array<[Parameters<Client['setMyProfile']>[0], RegExp]> = [
      [{ status: 'x'.repeat(101) }, /status is 101 characters, the limit is 100/],
      [{ status: 'two\nlines' }, /one line/],
      [{ avatar: 'https://tracker.example/pixel.png' }, /data:image\/png, image\/jpeg or image\/webp/],
      [{ avatar: 'javascript:alert(1)' }, /data:image/],
      [{ avatar: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=' }, /data:image/],
      [{ avatar: 'data:image/png;base64,abc' }, /not valid base64/],
      [{ avatar: `data:image/png;base64,${'A'.repeat(48_000)}` }, /the limit is 48000/],
    ];
    for (const [change, err] of bad) await expect(a.setMyProfile(change)).rejects.toThrow(err);
    expect(await mine(a)).toMatchObject({ status: 'Fine', avatar: PNG });
    await a.close();
    await b.close();
  }, 60_000);

  it('a hostile entry written past the checks is refused by the relay; one an old relay let through is never shown', async () => {
    const { ada, bo, a, b } = await pair();
    await a.setMyProfile({ status: 'Honest' });
    await personWhere(b, ada.id, (p) => p.status === 'Honest');

    // Bo's client bypasses its checks and plants a tracking pixel in his own profile.
    const wsB = b.host.get('workspace');
    if (!wsB) throw new Error('no workspace room');
    peopleOf(wsB.doc).set(bo.id, { name: 'Bo', updatedAt: Date.now(), avatar: 'https://tracker.example/p.png' });
    // The relay refuses it (audited); Bo's app rebuilds the room from the relay's state plus his
    // own entries that pass the schema, so the hostile one is gone from his copy too (README,
    // "Recovering from a refused update").
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the relay never refused the hostile profile')), 20_000);
      const off = wsB.onState(() => {
        if (peopleOf(wsB.doc).get(bo.id)?.avatar === undefined) {
          clearTimeout(timer);
          off();
          resolve();
        }
      });
    });
    // ...so Ada never receives it (her own later change still syncs).
    await a.setMyProfile({ status: 'Still here' });
    await a.whenSettled(20_000);
    expect(peopleOf(a.host.get('workspace')!.doc).get(bo.id)).toBeUndefined();

    // A relay from before schema 2 would have relayed it: Ada's client still never shows it.
    peopleOf(a.host.get('workspace')!.doc).set(bo.id, {
      name: 'Bo',
      updatedAt: Date.now(),
      status: 'line\nbreak',
      avatar: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
    });
    const shown = await personWhere(a, bo.id, () => true);
    expect(shown).toMatchObject({ displayName: 'Bo', status: null, avatar: null });
    await a.close();
    await b.close();
  }, 60_000);
});
