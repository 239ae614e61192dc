// A guest's app and the workspace (docs/accounts.md, "Guests and the workspace"), through the
// data layer against a REAL relay: the guest sees names, statuses and pictures of the people
// they share a conversation with (from the directory), never opens the workspace (no refusal,
// no error), holds nothing of anyone else on the device, sees no presence, and cannot set a
// status. A member made a guest while the app runs closes the workspace and deletes its copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Person } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { workspaceRoom } from '../../../core/src/model/rooms';
import { Device, listWhere, removeDir, startRelay, type Relay } from './harness';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** Resolves with `c.people` once `pred` holds (re-checked on every change the client reports). */
function peopleWhere(c: Client, pred: (people: Person[]) => boolean, timeoutMs = 20_000): Promise<Person[]> {
  return new Promise((resolve, reject) => {
    let last: Person[] = [];
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`people never matched; last: ${JSON.stringify(last).slice(0, 300)}`));
    }, timeoutMs);
    off = c.people((list) => {
      last = list;
      if (pred(list)) {
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(list);
      }
    });
  });
}

function presenceNow(c: Client): Promise<Map<string, string>> {
  return new Promise((resolve) => {
    const off = c.presence((m) => {
      queueMicrotask(() => off());
      resolve(m);
    });
  });
}

/** Every room this device keeps rows of, once its writes are done. */
async function storedRooms(c: Client): Promise<string[]> {
  await c.store.flush();
  return c.store.roomsWithPrefix('');
}

describe('a guest and the workspace', () => {
  it('sees names, status and picture of shared people only; no workspace, no error, no presence, no status to set', async () => {
    const [ada, bo, gus] = await Promise.all([
      relay.createUser('Ada'),
      relay.createUser('Bo'),
      relay.createUser('Gus', 'guest'),
    ]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    await a.setMyProfile({ status: 'In the yard', avatar: PNG });
    await b.setMyProfile({ status: 'Bo’s private status' });
    await peopleWhere(a, (l) => l.some((p) => p.id === ada.id && p.status === 'In the yard'));
    // Ada and Bo share a channel, so Bo's profile is in the workspace Ada reads.
    const staff = await b.createConversation({ kind: 'channel', title: 'Staff', visibility: 'private', members: [ada.id] });
    await listWhere(a, (l) => l.some((x) => x.id === staff));
    await peopleWhere(a, (l) => l.some((p) => p.id === bo.id && p.status === 'Bo’s private status'));
    const yard = await a.createConversation({ kind: 'channel', title: 'Yard', visibility: 'private', members: [gus.id] });

    const g = await new Device('Gus', relay.url).signIn(gus);
    await listWhere(g, (l) => l.some((x) => x.id === yard));
    const people = await peopleWhere(g, (l) => l.some((p) => p.id === ada.id && p.status === 'In the yard'));
    expect(people.find((p) => p.id === ada.id)).toMatchObject({ displayName: 'Ada', status: 'In the yard', avatar: PNG });
    expect(people.map((p) => p.id).sort()).toEqual([ada.id, gus.id].sort());
    // A later change reaches the guest through the directory.
    await a.setMyProfile({ status: 'Gone fishing' });
    await peopleWhere(g, (l) => l.some((p) => p.id === ada.id && p.status === 'Gone fishing'));

    // The workspace was never opened: no refusal, no error, nothing stored of it.
    expect(g.host.get(workspaceRoom)).toBeUndefined();
    expect([...g.errors.keys()]).toEqual([]);
    expect(await storedRooms(g)).not.toContain(workspaceRoom);
    expect(g.nameOf(bo.id)).toBe('Someone');
    // No presence shown at all (not even "offline"), and no status to set.
    expect([...(await presenceNow(g)).keys()]).toEqual([]);
    expect(g.profileUnavailable()).toMatch(/Guests cannot set a status or picture/);
    await expect(g.setMyProfile({ status: 'hi' })).rejects.toThrow(/Guests cannot set a status/);
    await Promise.all([a.close(), b.close(), g.close()]);
  }, 90_000);

  it('a member made a guest while the app runs: the workspace closes without an error and its copy is deleted', async () => {
    const [ada, cy] = await Promise.all([relay.createUser('Ada'), relay.createUser('Cy')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    await a.setMyProfile({ status: 'Ada’s status' });
    const c = await new Device('Cy', relay.url).signIn(cy);
    // As a member, Cy's device holds the workspace (everyone's profiles).
    await c.setMyProfile({ status: 'Cy here' });
    expect(c.host.get(workspaceRoom)).toBeDefined();
    expect(await storedRooms(c)).toContain(workspaceRoom);
    expect((await presenceNow(c)).get(cy.id)).toBeDefined();

    const r = await relay.api('PATCH', `/admin/users/${cy.id}`, { role: 'guest' });
    expect(r.status).toBe(200);
    await new Promise<void>((resolve) => {
      const off = c.myProfile(() => {
        if (c.session.role !== 'guest' || c.host.get(workspaceRoom)) return;
        queueMicrotask(() => off());
        resolve();
      });
    });
    expect([...(await presenceNow(c)).keys()]).toEqual([]);
    expect(await storedRooms(c)).not.toContain(workspaceRoom);
    expect([...c.errors.keys()]).toEqual([]);
    expect((await presenceNow(c)).size).toBe(0);
    await Promise.all([a.close(), c.close()]);
  }, 90_000);
});
