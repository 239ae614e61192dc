// Company sign-in through the directory, end to end in the relay (issue 15): a relay process
// whose config names a real slapd (started by the test, StartTLS with the test CA). Sign-in,
// wrong passwords under the same lockout, groups moving roles and channel memberships, a
// person removed mid-session losing their sockets within the sync interval, a directory
// outage that disables nobody, and the admin's view and buttons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxRoom } from '../../core/src/model/rooms';
import { PASSWORD, nextClose, type TestUser } from './authz-fixture';
import { api, errorCode, login, type Tokens } from './accounts-helpers';
import { groupDn, userDn, useSlapd } from './engines/slapd';
import { startIdentityRelay, type IdentityRelay } from './identity-fixture';

const ldap = useSlapd();
let r: IdentityRelay;

beforeAll(async () => {
  r = await startIdentityRelay({ ldap: ldap(), oidc: false });
}, 60_000);
afterAll(async () => {
  await r?.stop();
});

const asUser = (t: Tokens, username: string, password: string): TestUser => ({
  ...t,
  id: t.user.id,
  username,
  password,
});

interface SyncRow {
  ok: boolean;
  seen: number;
  disabled: number;
  roleChanges: number;
  channelChanges: number;
  error: string | null;
}

async function syncNow(): Promise<SyncRow> {
  const res = await r.f.call<{ sync: SyncRow }>('POST', '/admin/identity/ldap/sync', r.f.admin);
  expect(res.status).toBe(200);
  return res.body.sync;
}

const members = async (channel: string) => {
  const res = await r.f.call<{ members: Array<{ id: string }> }>(
    'GET',
    `/conversations/${channel}`,
    r.f.admin,
  );
  return res.body.members.map((m) => m.id);
};

describe('sign-in with the company directory', () => {
  it('makes the account at first sign-in, with role and channel from the groups (nested too)', async () => {
    const alice = await login(r.f.http, 'alice', 'alice-pw-1');
    expect(alice.user).toMatchObject({
      username: 'alice',
      displayName: 'Alice Admin',
      role: 'admin',
    });
    const me = await api<{ user: { source: string; email: string } }>(r.f.http, 'GET', '/me', {
      token: alice.accessToken,
    });
    expect(me.body.user).toMatchObject({ source: 'ldap', email: 'alice@ferry.test' });
    // bob is in emea-sales, which is in sales: the sales channel.
    const bob = await login(r.f.http, 'BOB', 'bob-pw-2');
    expect(bob.user).toMatchObject({ username: 'bob', role: 'member' });
    expect(await members(r.salesChannel)).toContain(bob.user.id);
    const created = r.f.audit('identity.synced').filter((e) => e.detail?.['created'] === true);
    expect(created.map((e) => e.target)).toEqual(
      expect.arrayContaining([alice.user.id, bob.user.id]),
    );
    // The password only passed through: nowhere in the database's audit.
    expect(JSON.stringify(r.f.audit())).not.toContain('bob-pw-2');
  });

  it('answers a wrong password and an unknown name alike, counted towards lockout', async () => {
    const wrong = await api(r.f.http, 'POST', '/auth/login', {
      body: { username: 'carol', password: 'not-her-password' },
    });
    const nobody = await api(r.f.http, 'POST', '/auth/login', {
      body: { username: 'zelda', password: 'whatever-password' },
    });
    expect([wrong.status, errorCode(wrong)]).toEqual([401, 'invalid-credentials']);
    expect([nobody.status, errorCode(nobody)]).toEqual([401, 'invalid-credentials']);
    expect(wrong.body).toEqual(nobody.body);
    // A name only the directory knows gets the unknown-name backoff: no account was made.
    expect(
      r.f.rows<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE username = 'carol'")[0]?.n,
    ).toBe(0);
  });

  it('backs off and locks a directory account like a local one: the directory is not asked', async () => {
    await ldap().addUser(
      { uid: 'frank', password: 'frank-pw-6', displayName: 'Frank Guessed', mail: null },
      ['staff'],
    );
    await login(r.f.http, 'frank', 'frank-pw-6');
    const tries = [];
    for (let i = 0; i < 6; i++) {
      const res = await api(r.f.http, 'POST', '/auth/login', {
        body: { username: 'frank', password: `guess number ${i}` },
      });
      tries.push(res.status);
    }
    expect(tries.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(tries[5]).toBe(429);
    // Even the right password waits now: the backoff is checked before the directory.
    const right = await api(r.f.http, 'POST', '/auth/login', {
      body: { username: 'frank', password: 'frank-pw-6' },
    });
    expect([right.status, errorCode(right)]).toEqual([429, 'rate-limited']);
  });

  it('refuses a person disabled in the directory, and a filter injection finds nobody', async () => {
    const dave = await api(r.f.http, 'POST', '/auth/login', {
      body: { username: 'dave', password: 'dave-pw-4' },
    });
    expect([dave.status, errorCode(dave)]).toEqual([403, 'forbidden']);
    expect(r.f.audit('identity.refused').at(-1)?.detail).toMatchObject({
      source: 'ldap',
      reason: 'disabled in the directory',
    });
    const star = await api(r.f.http, 'POST', '/auth/login', {
      body: { username: '*', password: 'alice-pw-1' },
    });
    expect(star.status).toBe(401);
  });

  it('keeps names and passwords of directory accounts with the directory', async () => {
    const carol = await login(r.f.http, 'carol', 'carol-pw-3');
    expect(carol.user.role).toBe('guest');
    const renamed = await api(r.f.http, 'PATCH', '/me', {
      token: carol.accessToken,
      body: { displayName: 'Someone Else' },
    });
    expect([renamed.status, errorCode(renamed)]).toEqual([409, 'conflict']);
    const password = await api(r.f.http, 'POST', '/me/password', {
      token: carol.accessToken,
      body: { currentPassword: 'carol-pw-3', newPassword: 'a brand new password' },
    });
    expect(password.status).toBe(409);
    // The local admin (break-glass) still signs in with a local password.
    await login(r.f.http, 'admin', PASSWORD);
  });
});

describe('the directory sync', () => {
  it('moves a role and a channel membership when groups change, and audits both', async () => {
    const carol = await login(r.f.http, 'carol', 'carol-pw-3');
    const bob = await login(r.f.http, 'bob', 'bob-pw-2');
    await ldap().addMember('ferry-admins', userDn('carol'));
    // (A groupOfNames keeps one member at least: erin's group stays non-empty.)
    await ldap().addMember('emea-sales', userDn('alice'));
    await ldap().removeMember('emea-sales', userDn('bob'));
    const sync = await syncNow();
    expect(sync).toMatchObject({ ok: true, error: null });
    expect(sync.roleChanges).toBeGreaterThanOrEqual(1);
    expect(sync.channelChanges).toBeGreaterThanOrEqual(1);
    const users = await r.f.call<{ users: Array<{ id: string; role: string; source: string }> }>(
      'GET',
      '/admin/users',
      r.f.admin,
    );
    expect(users.body.users.find((u) => u.id === carol.user.id)).toMatchObject({
      role: 'admin',
      source: 'ldap',
    });
    expect(await members(r.salesChannel)).not.toContain(bob.user.id);
    const carolSync = r.f
      .audit('identity.synced')
      .filter((e) => e.target === carol.user.id)
      .at(-1);
    expect(carolSync?.detail?.['role']).toMatchObject({
      from: 'guest',
      to: 'admin',
      group: groupDn('ferry-admins'),
    });
    expect(r.f.audit('conv.member_removed').at(-1)).toMatchObject({
      actor: 'directory',
      target: r.salesChannel,
    });
    // A member an owner added by hand stays: the group never gave it.
    await r.f.call('POST', `/conversations/${r.salesChannel}/members`, r.f.admin, {
      userIds: [carol.user.id],
    });
    await syncNow();
    expect(await members(r.salesChannel)).toContain(carol.user.id);
    await ldap().removeMember('ferry-admins', userDn('carol'));
    await ldap().addMember('emea-sales', userDn('bob'));
    await syncNow();
    expect(await members(r.salesChannel)).toContain(bob.user.id);
  });

  it('a person removed from the directory loses every socket within the sync interval', async () => {
    await ldap().addUser(
      { uid: 'erin', password: 'erin-pw-5', displayName: 'Erin Leaving', mail: null },
      ['staff'],
    );
    const erin = asUser(await login(r.f.http, 'erin', 'erin-pw-5'), 'erin', 'erin-pw-5');
    const c = await r.f.joined(inboxRoom(erin.id), erin);
    const closed = nextClose(c);
    await ldap().removeUser('erin');
    // No one presses "sync now": the schedule (every 2 s here) finds her gone.
    const close = await closed;
    expect(close.reason).toMatch(/disabled/);
    const refresh = await api(r.f.http, 'POST', '/auth/refresh', {
      body: { refreshToken: erin.refreshToken },
    });
    expect(refresh.status).toBe(401);
    const again = await api(r.f.http, 'POST', '/auth/login', {
      body: { username: 'erin', password: 'erin-pw-5' },
    });
    expect(again.status).toBe(401);
    const disabled = r.f.audit('user.disabled').filter((e) => e.target === erin.id);
    expect(disabled).toEqual([expect.objectContaining({ actor: 'directory' })]);
  });

  it('a person disabled in the directory is enabled again when the directory says so', async () => {
    const bob = await login(r.f.http, 'bob', 'bob-pw-2');
    await ldap().setDisabled('bob', true);
    expect((await syncNow()).disabled).toBe(1);
    expect(
      (
        await api(r.f.http, 'POST', '/auth/login', {
          body: { username: 'bob', password: 'bob-pw-2' },
        })
      ).status,
    ).toBe(403);
    await ldap().setDisabled('bob', false);
    await syncNow();
    const back = await login(r.f.http, 'bob', 'bob-pw-2');
    expect(back.user.id).toBe(bob.user.id);
  });

  it('a directory outage disables nobody, says why, and sign-ins answer 503 in words', async () => {
    const before = await r.f.call<{ users: Array<{ disabled: boolean }> }>(
      'GET',
      '/admin/users',
      r.f.admin,
    );
    await ldap().stop();
    try {
      const sync = await syncNow();
      expect(sync.ok).toBe(false);
      expect(sync.error).toMatch(/cannot reach|connection refused/);
      const res = await api(r.f.http, 'POST', '/auth/login', {
        body: { username: 'alice', password: 'alice-pw-1' },
      });
      expect([res.status, errorCode(res)]).toEqual([503, 'directory-unavailable']);
      expect(JSON.stringify(res.body)).not.toContain(ldap().servicePassword);
      const test = await r.f.call<{ error: { message: string } }>(
        'POST',
        '/admin/identity/ldap/test',
        r.f.admin,
      );
      expect(test.status).toBe(502);
      expect(test.body.error.message).toMatch(/connection refused/);
      // The local break-glass admin is not the directory's.
      await login(r.f.http, 'admin', PASSWORD);
    } finally {
      await ldap().start();
    }
    const after = await r.f.call<{ users: Array<{ disabled: boolean }> }>(
      'GET',
      '/admin/users',
      r.f.admin,
    );
    expect(after.body.users.filter((u) => u.disabled).length).toBe(
      before.body.users.filter((u) => u.disabled).length,
    );
  });
});

describe("the admin's view", () => {
  it('shows sources, accounts per source, the last syncs; tests the connection and a sign-in', async () => {
    const view = await r.f.call<{
      localSignIn: string;
      offlineGraceDays: number;
      local: { accounts: number };
      ldap: { label: string; accounts: number; syncs: SyncRow[]; url: string };
      oidc: null;
    }>('GET', '/admin/identity', r.f.admin);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ localSignIn: 'everyone', offlineGraceDays: 14, oidc: null });
    expect(view.body.ldap.accounts).toBeGreaterThanOrEqual(3);
    expect(view.body.ldap.syncs.length).toBeGreaterThan(0);
    expect(view.body.ldap.url).toBe(ldap().url);
    const test = await r.f.call<{ ok: boolean; message: string }>(
      'POST',
      '/admin/identity/ldap/test',
      r.f.admin,
    );
    expect(test.body).toMatchObject({ ok: true });
    const as = await r.f.call<{
      person: { username: string; groups: string[] };
      role: string;
      channels: string[];
    }>('POST', '/admin/identity/ldap/test-signin', r.f.admin, {
      username: 'bob',
      password: 'bob-pw-2',
    });
    expect(as.body).toMatchObject({ role: 'member', channels: [r.salesChannel] });
    expect(as.body.person.groups).toContain(groupDn('sales'));
    const wrong = await r.f.call<{ error: { message: string } }>(
      'POST',
      '/admin/identity/ldap/test-signin',
      r.f.admin,
      { username: 'bob', password: 'nope-nope' },
    );
    expect(wrong.status).toBe(401);
    expect(JSON.stringify(r.f.audit('identity.tested'))).not.toContain('bob-pw-2');
    const providers = await api(r.f.http, 'GET', '/auth/providers');
    expect(providers.body).toEqual({
      local: 'everyone',
      ldap: { label: 'Ferry Test directory' },
      oidc: null,
      offlineGraceDays: 14,
    });
    // Only admins see or press any of it.
    const bob = await login(r.f.http, 'bob', 'bob-pw-2');
    const denied = await api(r.f.http, 'GET', '/admin/identity', { token: bob.accessToken });
    expect(denied.status).toBe(403);
  });
});
