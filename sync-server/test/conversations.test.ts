// The membership API (/api/v1/conversations…) against a real relay with accounts: create and
// register (idempotent, DM ids, one DM per pair), browse, get, rename/archive, invite, roles,
// remove, join, leave — each checked with core's can() and audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dmConversationId } from '../../core/src/ids';
import { errorCode } from './accounts-helpers';
import { Fixture, newTestId, type TestUser } from './authz-fixture';

interface View {
  id: string;
  kind: string;
  visibility: string;
  title: string | null;
  archived: boolean;
  role: string | null;
  members: Array<{ id: string; role: string }>;
}

describe('membership API', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let gus: TestUser;

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
    gus = await f.user('gus', 'guest');
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('creates a channel (creator owns it), idempotently for the same creator and body', async () => {
    const id = newTestId();
    const body = { id, kind: 'channel', title: 'General', visibility: 'open', members: [bob.id] };
    const first = await f.call<View>('POST', '/conversations', alice, body);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      id,
      kind: 'channel',
      visibility: 'open',
      title: 'General',
      role: 'owner',
    });
    expect(first.body.members).toEqual(
      [
        { id: alice.id, role: 'owner' },
        { id: bob.id, role: 'member' },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
    );
    const again = await f.call<View>('POST', '/conversations', alice, body);
    expect(again.status).toBe(200);
    expect(again.body.members).toEqual(first.body.members);
    // Someone else, or another body, with the same id: a conflict, nothing changed.
    const other = await f.call('POST', '/conversations', bob, body);
    expect(other.status).toBe(409);
    const renamed = await f.call('POST', '/conversations', alice, { ...body, title: 'Other' });
    expect(renamed.status).toBe(409);
    expect(f.audit('conv.created').filter((e) => e.target === id)).toHaveLength(1);
  });

  it('refuses bad bodies with 400 invalid and the field', async () => {
    const bad = await f.call('POST', '/conversations', alice, {
      id: 'nope',
      kind: 'channel',
      title: 'x',
    });
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('invalid');
    expect(JSON.stringify(bad.body)).toContain('id');
    const noTitle = await f.call('POST', '/conversations', alice, {
      id: newTestId(),
      kind: 'channel',
    });
    expect(noTitle.status).toBe(400);
    const kind = await f.call('POST', '/conversations', alice, {
      id: newTestId(),
      kind: 'group',
      title: 'x',
    });
    expect(kind.status).toBe(400);
    const nobody = await f.call('POST', '/conversations', alice, {
      id: newTestId(),
      kind: 'channel',
      title: 'x',
      members: [newTestId()],
    });
    expect(nobody.status).toBe(400);
    expect(JSON.stringify(nobody.body)).toContain('no user');
    const anonymous = await f.call('POST', '/conversations', null, {
      id: newTestId(),
      kind: 'channel',
      title: 'x',
    });
    expect(anonymous.status).toBe(401);
  });

  it('registers a DM only under dmConversationId of the pair; both get the same one', async () => {
    const id = dmConversationId(alice.id, carol.id);
    const wrong = await f.call('POST', '/conversations', alice, {
      id: newTestId(),
      kind: 'dm',
      members: [carol.id],
    });
    expect(wrong.status).toBe(400);
    expect(JSON.stringify(wrong.body)).toContain(id);
    const three = await f.call('POST', '/conversations', alice, {
      id,
      kind: 'dm',
      members: [carol.id, bob.id],
    });
    expect(three.status).toBe(400);
    const a = await f.call<View>('POST', '/conversations', alice, {
      id,
      kind: 'dm',
      members: [carol.id],
    });
    expect(a.status).toBe(201);
    // Carol started the same DM offline: she registers it too and gets the existing one.
    const c = await f.call<View>('POST', '/conversations', carol, {
      id,
      kind: 'dm',
      members: [alice.id],
    });
    expect(c.status).toBe(200);
    expect(c.body.id).toBe(id);
    expect(c.body.members.map((m) => m.id).sort()).toEqual([alice.id, carol.id].sort());
    // A DM has no rename, invite, leave.
    expect((await f.call('PATCH', `/conversations/${id}`, alice, { title: 'x' })).status).toBe(403);
    expect(
      (await f.call('POST', `/conversations/${id}/members`, alice, { userIds: [bob.id] })).status,
    ).toBe(403);
    expect((await f.call('POST', `/conversations/${id}/leave`, alice)).status).toBe(403);
    // Bob cannot see it at all.
    expect((await f.call('GET', `/conversations/${id}`, bob)).status).toBe(404);
  });

  it('guests cannot create, browse or join; they see conversations they are in', async () => {
    const open = newTestId();
    await f.conversation(alice, { id: open, kind: 'channel', title: 'Open', visibility: 'open' });
    expect(
      (
        await f.call('POST', '/conversations', gus, {
          id: newTestId(),
          kind: 'channel',
          title: 'g',
        })
      ).status,
    ).toBe(403);
    expect((await f.call('GET', '/conversations?browse=open', gus)).status).toBe(403);
    expect((await f.call('POST', `/conversations/${open}/join`, gus)).status).toBe(404);
    expect((await f.call('GET', `/conversations/${open}`, gus)).status).toBe(404);
    const priv = newTestId();
    await f.conversation(alice, {
      id: priv,
      kind: 'channel',
      title: 'With guest',
      members: [gus.id],
    });
    const mine = await f.call<{ conversations: View[] }>('GET', '/conversations', gus);
    expect(mine.body.conversations.map((c) => c.id)).toEqual([priv]);
  });

  it('browses open channels; joins and leaves; the last owner must hand over', async () => {
    const id = newTestId();
    await f.conversation(alice, { id, kind: 'channel', title: 'Lobby', visibility: 'open' });
    const browse = await f.call<{ conversations: Array<{ id: string; memberCount: number }> }>(
      'GET',
      '/conversations?browse=open',
      bob,
    );
    expect(browse.body.conversations.find((c) => c.id === id)?.memberCount).toBe(1);
    const joined = await f.call<View>('POST', `/conversations/${id}/join`, bob);
    expect(joined.status).toBe(200);
    expect(joined.body.role).toBe('member');
    const lastOwner = await f.call('POST', `/conversations/${id}/leave`, alice);
    expect(lastOwner.status).toBe(409);
    expect(errorCode(lastOwner)).toBe('conflict');
    expect(
      (await f.call('PATCH', `/conversations/${id}/members/${bob.id}`, alice, { role: 'owner' }))
        .status,
    ).toBe(200);
    expect((await f.call('POST', `/conversations/${id}/leave`, alice)).status).toBe(200);
    const view = await f.call<View>('GET', `/conversations/${id}`, bob);
    expect(view.body.members).toEqual([{ id: bob.id, role: 'owner' }]);
    expect(f.audit('conv.member_left').some((e) => e.target === id && e.actor === alice.id)).toBe(
      true,
    );
    expect(f.audit('conv.role_changed').some((e) => e.target === id)).toBe(true);
    // A private channel cannot be joined, nor seen, by outsiders.
    const priv = newTestId();
    await f.conversation(alice, { id: priv, kind: 'channel', title: 'Private' });
    expect((await f.call('POST', `/conversations/${priv}/join`, carol)).status).toBe(404);
  });

  it('invites, sets roles and removes by the matrix', async () => {
    const id = newTestId();
    await f.conversation(alice, { id, kind: 'channel', title: 'Team', members: [bob.id] });
    // A plain member of a private channel may not invite.
    expect(
      (await f.call('POST', `/conversations/${id}/members`, bob, { userIds: [carol.id] })).status,
    ).toBe(403);
    expect(
      (
        await f.call('PATCH', `/conversations/${id}/members/${bob.id}`, alice, {
          role: 'moderator',
        })
      ).status,
    ).toBe(200);
    const invited = await f.call<{ added: string[] }>('POST', `/conversations/${id}/members`, bob, {
      userIds: [carol.id, gus.id],
    });
    expect(invited.status).toBe(200);
    expect(invited.body.added.sort()).toEqual([carol.id, gus.id].sort());
    // A moderator removes members, not owners, and may not set roles.
    expect((await f.call('DELETE', `/conversations/${id}/members/${alice.id}`, bob)).status).toBe(
      403,
    );
    expect(
      (
        await f.call('PATCH', `/conversations/${id}/members/${carol.id}`, bob, {
          role: 'moderator',
        })
      ).status,
    ).toBe(403);
    expect((await f.call('DELETE', `/conversations/${id}/members/${gus.id}`, bob)).status).toBe(
      200,
    );
    // A workspace admin who is not a member manages, but does not read.
    const byAdmin = await f.call<View>(
      'DELETE',
      `/conversations/${id}/members/${carol.id}`,
      f.admin,
    );
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.members.map((m) => m.id).sort()).toEqual([alice.id, bob.id].sort());
    const removed = f.audit('conv.member_removed').filter((e) => e.target === id);
    expect(removed.map((e) => e.detail?.user).sort()).toEqual([carol.id, gus.id].sort());
    expect(
      (
        await f.call('PATCH', `/conversations/${id}/members/${newTestId()}`, alice, {
          role: 'member',
        })
      ).status,
    ).toBe(404);
    expect(
      (await f.call('PATCH', `/conversations/${id}/members/${bob.id}`, alice, { role: 'king' }))
        .status,
    ).toBe(400);
  });

  it('renames and archives (owner or admin); archived is read-only until unarchived', async () => {
    const id = newTestId();
    await f.conversation(alice, {
      id,
      kind: 'announcement',
      title: 'News',
      visibility: 'open',
      members: [bob.id],
    });
    expect((await f.call('PATCH', `/conversations/${id}`, bob, { title: 'Mine' })).status).toBe(
      403,
    );
    const renamed = await f.call<View>('PATCH', `/conversations/${id}`, alice, {
      title: '  Company news ',
    });
    expect(renamed.body.title).toBe('Company news');
    const archived = await f.call<View>('PATCH', `/conversations/${id}`, f.admin, {
      archived: true,
    });
    expect(archived.status).toBe(200);
    expect(archived.body.archived).toBe(true);
    expect((await f.call('PATCH', `/conversations/${id}`, alice, { title: 'Again' })).status).toBe(
      403,
    );
    expect(
      (await f.call('POST', `/conversations/${id}/members`, alice, { userIds: [carol.id] })).status,
    ).toBe(403);
    const both = await f.call<View>('PATCH', `/conversations/${id}`, alice, {
      archived: false,
      title: 'Back',
    });
    expect(both.status).toBe(200);
    expect(both.body).toMatchObject({ archived: false, title: 'Back' });
    expect((await f.call('PATCH', `/conversations/${id}`, alice, {})).status).toBe(400);
    const updates = f.audit('conv.updated').filter((e) => e.target === id);
    expect(updates.map((e) => e.detail)).toEqual([
      { title: 'Company news' },
      { archived: true },
      { archived: false, title: 'Back' },
    ]);
  });

  it('answers 404 for an unknown or malformed conversation id', async () => {
    expect((await f.call('GET', `/conversations/${newTestId()}`, alice)).status).toBe(404);
    expect((await f.call('GET', '/conversations/..%2F..', alice)).status).toBe(404);
  });
});
