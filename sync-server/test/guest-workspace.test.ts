// Guests and the workspace (docs/accounts.md, "Guests and the workspace"): the workspace room
// holds everyone's profile and presence, so a guest never gets it, by either endpoint, while
// the guest's directory carries the name, status and picture of exactly the people the guest
// shares a conversation with, following profile, membership and role changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDirectory } from '../../core/src/model/directory';
import { inboxRoom, metaRoom, workspaceRoom } from '../../core/src/model/rooms';
import { peopleOf, setProfile } from '../../core/src/model/workspace';
import { Fixture, newTestId, nextClose, type TestUser } from './authz-fixture';
import { stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

// A 1×1 PNG, and another (a byte changed in the CRC does not matter to the relay's checks).
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const PNG2 =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('guests and the workspace', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let gus: TestUser;
  /** Alice's and Bob's workspace rooms, where each keeps a profile and presence. */
  let wa: Client;
  let wb: Client;
  let gi: Client;
  let shared: string;
  let bobOnly: string;

  /** How `room` ends for `as` on the plain endpoint: 'synced' or the close code and reason. */
  async function openPlain(room: string, as: TestUser): Promise<{ client: Client; got: string }> {
    const c = f.plain(room, as);
    const got = await Promise.race([
      synced(c).then(() => 'synced'),
      nextClose(c).then((e) => `${e.code} ${e.reason}`),
    ]);
    c.provider.disconnect();
    return { client: c, got };
  }

  const gusDir = () => readDirectory(gi.doc);

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    gus = await f.user('gus', 'guest');
    shared = newTestId();
    await f.conversation(alice, { id: shared, kind: 'channel', title: 'Yard', members: [gus.id] });
    bobOnly = newTestId();
    await f.conversation(bob, {
      id: bobOnly,
      kind: 'channel',
      title: 'Staff',
      members: [alice.id],
    });
    wa = await f.joined(workspaceRoom, alice);
    wb = await f.joined(workspaceRoom, bob);
    const at = Date.now();
    // One after the other: `stored` compares the relay's acknowledgement with all a doc holds.
    setProfile(wa.doc, { user: alice.id, name: 'Alice', at, status: 'At the yard', avatar: PNG });
    await until(() => stored(wa), 'alice’s profile stored');
    setProfile(wb.doc, {
      user: bob.id,
      name: 'Bob',
      at,
      status: 'Bob’s secret status',
      avatar: PNG2,
    });
    await until(() => stored(wb), 'bob’s profile stored');
    wa.provider.awareness.setLocalState({ u: alice.id, p: 'online' });
    wb.provider.awareness.setLocalState({ u: bob.id, p: 'online' });
    await until(() => peopleOf(wa.doc).has(bob.id), 'alice sees bob’s profile');
    await until(() => wa.provider.awareness.getStates().size >= 2, 'alice sees bob online');
    gi = f.onMux(f.mux(gus), inboxRoom(gus.id));
    await synced(gi);
  });

  afterAll(async () => {
    await f?.stop();
  });

  it('refuses a guest the workspace room on both endpoints, with nothing of it sent', async () => {
    const plain = await openPlain(workspaceRoom, gus);
    expect(plain.got).toBe('4403 guests do not open the workspace');
    const onMux = f.onMux(f.mux(gus), workspaceRoom);
    const mux = await Promise.race([
      synced(onMux).then(() => 'synced'),
      nextClose(onMux).then((e) => `${e.code} ${e.reason}`),
    ]);
    onMux.provider.disconnect();
    expect(mux).toBe('4403 guests do not open the workspace');
    for (const c of [plain.client, onMux]) {
      expect(peopleOf(c.doc).size).toBe(0);
      expect(c.doc.store.clients.size).toBe(0);
      const others = [...c.provider.awareness.getStates().keys()].filter(
        (id) => id !== c.doc.clientID,
      );
      expect(others).toEqual([]);
    }
    // Members still open it.
    expect((await openPlain(workspaceRoom, alice)).got).toBe('synced');
  });

  it('gives a guest nothing of a member they share no conversation with, by any room', async () => {
    const tries = [inboxRoom(bob.id), metaRoom(bobOnly), workspaceRoom];
    for (const room of tries) {
      const { client, got } = await openPlain(room, gus);
      expect(got, room).toMatch(/^4403 /);
      expect(client.doc.store.clients.size, room).toBe(0);
    }
    // Her directory names Alice (and herself), never Bob, and holds nothing of his profile.
    await until(() => gusDir().people.get(alice.id)?.status === 'At the yard', 'alice status');
    expect([...gusDir().people.keys()].sort()).toEqual([alice.id, gus.id].sort());
    const json = JSON.stringify(gi.doc.toJSON());
    for (const secret of [bob.id, 'Bob’s secret status', PNG2, 'bob']) {
      expect(json).not.toContain(secret);
    }
  });

  it('copies the status and picture of the people a guest shares a conversation with, and follows them', async () => {
    expect(gusDir().people.get(alice.id)).toEqual({
      username: 'alice',
      displayName: 'Alice',
      status: 'At the yard',
      avatar: PNG,
    });
    // A member's own directory keeps the name-only shape: members read the workspace.
    const ai = await f.joined(inboxRoom(alice.id), alice);
    await until(() => readDirectory(ai.doc).people.has(gus.id), 'alice’s people');
    expect(readDirectory(ai.doc).people.get(gus.id)).toEqual({
      username: 'gus',
      displayName: 'Gus',
    });

    setProfile(wa.doc, { user: alice.id, name: 'Alice', at: Date.now(), status: 'Gone fishing' });
    await until(() => gusDir().people.get(alice.id)?.status === 'Gone fishing', 'new status');
    setProfile(wa.doc, { user: alice.id, name: 'Alice', at: Date.now(), avatar: null });
    await until(() => gusDir().people.get(alice.id)?.avatar === undefined, 'picture cleared');

    // Bob joins the shared conversation: his profile reaches Gus; he leaves: it is gone.
    const added = await f.call('POST', `/conversations/${shared}/members`, alice, {
      userIds: [bob.id],
    });
    expect(added.status).toBe(200);
    await until(
      () => gusDir().people.get(bob.id)?.status === 'Bob’s secret status',
      'bob’s status for gus',
    );
    expect(gusDir().people.get(bob.id)?.avatar).toBe(PNG2);
    setProfile(wb.doc, { user: bob.id, name: 'Bob', at: Date.now(), status: 'Back at 3' });
    await until(() => gusDir().people.get(bob.id)?.status === 'Back at 3', 'bob’s new status');
    const left = await f.call('DELETE', `/conversations/${shared}/members/${bob.id}`, alice);
    expect(left.status).toBe(200);
    await until(() => !gusDir().people.has(bob.id), 'bob gone from gus’s people');
    // Changes of someone Gus no longer sees stay out of his directory.
    setProfile(wb.doc, { user: bob.id, name: 'Bob', at: Date.now(), status: 'Not for guests' });
    await until(() => stored(wb), 'bob’s change stored');
    setProfile(wa.doc, { user: alice.id, name: 'Alice', at: Date.now(), status: 'Marker' });
    await until(() => gusDir().people.get(alice.id)?.status === 'Marker', 'a later change');
    expect(JSON.stringify(gi.doc.toJSON())).not.toContain('Not for guests');
  });

  it('closes the workspace of a member made a guest, takes their status out of it, and opens it again when they are a member', async () => {
    const carol = await f.user('carol');
    const wc = await f.joined(workspaceRoom, carol);
    setProfile(wc.doc, { user: carol.id, name: 'Carol', at: Date.now(), status: 'Carol here' });
    await until(() => stored(wc), 'carol’s status stored');
    await until(() => peopleOf(wa.doc).get(carol.id)?.status === 'Carol here', 'alice sees it');
    const closed = nextClose(wc);
    const r = await f.call('PATCH', `/admin/users/${carol.id}`, f.admin, { role: 'guest' });
    expect(r.status).toBe(200);
    expect(await closed).toEqual({ code: 4403, reason: 'guests do not open the workspace' });
    wc.provider.disconnect();
    await until(() => !peopleOf(wa.doc).has(carol.id), 'carol’s profile leaves the workspace');
    // Her old token says member: the role is read from the database at every open.
    expect((await openPlain(workspaceRoom, carol)).got).toBe(
      '4403 guests do not open the workspace',
    );
    await f.call('PATCH', `/admin/users/${carol.id}`, f.admin, { role: 'member' });
    expect((await openPlain(workspaceRoom, carol)).got).toBe('synced');
  });
});
