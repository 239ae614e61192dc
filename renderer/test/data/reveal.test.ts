// Opening a message from a link or a notification before the message has reached this device
// (docs: renderer/src/data/README.md, "Conversations"): online, `reveal` waits for the page's
// sync and, for a message written moments ago, for the message itself; offline it answers with
// what the disk has. Against a REAL relay; Ada's device is taken offline for real (its
// connections closed), so her message is in flight until she reconnects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, removeDir, startRelay, viewWhere, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

describe('reveal', () => {
  it('waits for a message written a moment ago that is still on its way', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({
      kind: 'channel',
      title: 'Links',
      visibility: 'private',
      members: [bo.id],
    });
    const ca = a.open(id);
    await ca.loadRecent();
    await ca.send('First');
    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.some((m) => m.text === 'First'));

    // Ada writes offline; Bo follows a link to it (its id) before it can have arrived.
    a.setOnline(false);
    const late = await ca.send('Written on the train');
    let answered: boolean | null = null;
    const revealed = cb.reveal(late.id).then((found) => (answered = found));
    await viewWhere(cb, (v) => v.messages.some((m) => m.text === 'First'));
    expect(answered).toBeNull();
    a.setOnline(true);
    expect(await revealed).toBe(true);
    await viewWhere(cb, (v) => v.messages.some((m) => m.id === late.id));

    // A message that never arrives is missing once Bo's device is offline (no more waiting).
    a.setOnline(false);
    const never = await ca.send('Never sent');
    const gone = cb.reveal(never.id);
    b.setOnline(false);
    expect(await gone).toBe(false);

    cb.close();
    ca.close();
    await a.close();
    await b.close();
  });
});
