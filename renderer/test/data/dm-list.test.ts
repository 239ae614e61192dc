// A conversation that appears while both people are online: the reader's list shows its
// newest message and unread count without opening it (the directory's versions bring the
// page).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Device, listWhere, removeDir, startRelay, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

describe('a new conversation, both online', () => {
  it('the other person sees the DM with its last message and unread count', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.openDm(bo.id);
    const ca = a.open(id);
    await ca.loadRecent();
    await ca.send('Hi Bo, a word about the release');
    const list = await listWhere(b, (l) => l.some((x) => x.id === id && x.lastMessage !== null && x.unread === 1), 15_000);
    const dm = list.find((x) => x.id === id);
    expect(dm?.lastMessage?.text).toBe('Hi Bo, a word about the release');
    expect(dm?.title).toBe('Ada');
    await ca.send('second');
    await listWhere(b, (l) => l.some((x) => x.id === id && x.unread === 2), 15_000);
    ca.close();
    await a.close();
    await b.close();
  });
});
