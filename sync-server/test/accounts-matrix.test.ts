// Who may call what: every accounts endpoint × (anonymous, guest, member, admin, a disabled
// user's token, a revoked session's token). Bodies are chosen so an allowed call changes
// nothing (a validation error or an unknown id), so the matrix can run in any order.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorCode, login, runCli, type Tokens } from './accounts-helpers';
import { removeDir, startRelayProcess, tempDir, type RelayProcess } from './helpers';

const PASSWORD = 'a long enough password';
const NOBODY = '0000000000000000';

type Who = 'anonymous' | 'guest' | 'member' | 'admin' | 'disabled' | 'revoked';
const WHO: Who[] = ['anonymous', 'guest', 'member', 'admin', 'disabled', 'revoked'];

/** [method, path, body, status for anonymous, guest, member, admin]; disabled/revoked: always 401. */
const MATRIX: Array<[string, string, unknown, number, number, number, number]> = [
  ['GET', '/server', undefined, 200, 200, 200, 200],
  ['POST', '/setup', {}, 400, 400, 400, 400],
  ['POST', '/auth/login', {}, 400, 400, 400, 400],
  ['POST', '/auth/refresh', {}, 400, 400, 400, 400],
  ['GET', '/me', undefined, 401, 200, 200, 200],
  ['PATCH', '/me', {}, 401, 400, 400, 400],
  ['POST', '/me/password', {}, 401, 400, 400, 400],
  ['POST', '/me/totp/enable', {}, 401, 400, 400, 400],
  ['POST', '/me/totp/disable', {}, 401, 400, 400, 400],
  ['GET', '/me/sessions', undefined, 401, 200, 200, 200],
  ['DELETE', `/me/sessions/${NOBODY}`, undefined, 401, 404, 404, 404],
  ['GET', '/users?q=', undefined, 401, 200, 200, 200],
  ['GET', '/admin/users', undefined, 401, 403, 403, 200],
  ['POST', '/admin/users', {}, 401, 403, 403, 400],
  ['PATCH', `/admin/users/${NOBODY}`, {}, 401, 403, 403, 404],
  ['POST', `/admin/users/${NOBODY}/password`, {}, 401, 403, 403, 404],
  ['DELETE', `/admin/users/${NOBODY}/totp`, undefined, 401, 403, 403, 404],
  ['GET', '/admin/sessions', undefined, 401, 403, 403, 200],
  ['DELETE', `/admin/sessions/${NOBODY}`, undefined, 401, 403, 403, 404],
  ['POST', `/admin/users/${NOBODY}/unlock`, undefined, 401, 403, 403, 404],
  ['GET', '/admin/invites', undefined, 401, 403, 403, 200],
  ['POST', '/admin/invites', {}, 401, 403, 403, 400],
  ['DELETE', `/admin/invites/${NOBODY}`, undefined, 401, 403, 403, 404],
  ['POST', '/invites/lookup', {}, 400, 400, 400, 400],
  ['POST', '/invites/accept', {}, 400, 400, 400, 400],
  ['POST', '/auth/logout', undefined, 401, 204, 204, 204],
];

describe('accounts: authorization matrix', () => {
  let dir: string;
  let relay: RelayProcess;
  const tokens = new Map<Who, Tokens>();

  beforeAll(async () => {
    dir = tempDir();
    for (const [name, role] of [
      ['gus', 'guest'],
      ['mia', 'member'],
      ['ada', 'admin'],
      ['dan', 'member'],
      ['rex', 'member'],
    ]) {
      const r = await runCli(
        [
          'admin',
          'users',
          'create',
          name as string,
          '--role',
          role as string,
          '--password-stdin',
          '--data',
          dir,
        ],
        { stdin: PASSWORD },
      );
      if (r.code !== 0) throw new Error(r.stderr);
    }
    // Invite lookups and sign-ups share the sign-in bucket per address (12 calls here).
    relay = await startRelayProcess(
      dir,
      ['--limit-api-address', '1000/1000/s', '--limit-login-username', '1000/1000/s'],
      { auth: true },
    );
    tokens.set('guest', await login(relay.http, 'gus', PASSWORD));
    tokens.set('member', await login(relay.http, 'mia', PASSWORD));
    tokens.set('admin', await login(relay.http, 'ada', PASSWORD));
    const disabled = await login(relay.http, 'dan', PASSWORD);
    const revoked = await login(relay.http, 'rex', PASSWORD);
    tokens.set('disabled', disabled);
    tokens.set('revoked', revoked);
    const admin = tokens.get('admin')?.accessToken;
    const off = await api(relay.http, 'PATCH', `/admin/users/${disabled.user.id}`, {
      token: admin,
      body: { disabled: true },
    });
    expect(off.status).toBe(200);
    const sid = revoked.refreshToken.split('.')[0];
    expect(
      (await api(relay.http, 'DELETE', `/admin/sessions/${sid}`, { token: admin })).status,
    ).toBe(204);
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('answers each endpoint for each caller as the matrix says', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const [method, path, body, ...statuses] of MATRIX) {
      for (const who of WHO) {
        const i = WHO.indexOf(who);
        // A disabled user's or revoked session's token counts for nothing: where anonymous
        // callers are let in, the answer is theirs; elsewhere 401 session-ended.
        const expected = i < 4 ? (statuses[i] as number) : statuses[0];
        const token = tokens.get(who)?.accessToken;
        const r = await api(relay.http, method, path, { token, body });
        got.push(`${who} ${method} ${path} -> ${r.status}`);
        want.push(`${who} ${method} ${path} -> ${expected}`);
        if (who === 'disabled' || who === 'revoked') {
          if (expected === 401) expect(errorCode(r)).toBe('session-ended');
        } else if (expected === 401) {
          expect(errorCode(r)).toBe('unauthenticated');
        } else if (expected === 403) {
          expect(errorCode(r)).toBe('forbidden');
        }
      }
    }
    expect(got).toEqual(want);
  });

  it('guests see only themselves in /users until they share a conversation', async () => {
    const guest = await login(relay.http, 'gus', PASSWORD);
    const r = await api<{ users: Array<{ username: string }> }>(relay.http, 'GET', '/users?q=', {
      token: guest.accessToken,
    });
    expect(r.body.users.map((u) => u.username)).toEqual(['gus']);
    const member = await login(relay.http, 'mia', PASSWORD);
    const all = await api<{ users: Array<{ username: string }> }>(relay.http, 'GET', '/users?q=', {
      token: member.accessToken,
    });
    // Disabled users are not listed.
    expect(all.body.users.map((u) => u.username)).toEqual(['ada', 'gus', 'mia', 'rex']);
    const some = await api<{ users: Array<{ username: string }> }>(
      relay.http,
      'GET',
      '/users?q=A',
      {
        token: member.accessToken,
      },
    );
    expect(some.body.users.map((u) => u.username)).toEqual(['ada', 'mia']);
  });

  it('admins manage users over HTTP: create, change, reset a password, end sessions', async () => {
    const admin = (await login(relay.http, 'ada', PASSWORD)).accessToken;
    const created = await api<{ user: { id: string; role: string }; password: string }>(
      relay.http,
      'POST',
      '/admin/users',
      {
        token: admin,
        body: { username: 'Neo', displayName: 'Neo N' },
      },
    );
    expect(created.status).toBe(201);
    expect(created.body.user.role).toBe('member');
    expect(created.body.password).toHaveLength(20);
    const dup = await api(relay.http, 'POST', '/admin/users', {
      token: admin,
      body: { username: 'neo' },
    });
    expect(errorCode(dup)).toBe('conflict');
    const neo = await login(relay.http, 'neo', created.body.password);
    const id = created.body.user.id;
    const patched = await api<{ user: { role: string; displayName: string } }>(
      relay.http,
      'PATCH',
      `/admin/users/${id}`,
      {
        token: admin,
        body: { role: 'guest', displayName: 'Neo' },
      },
    );
    expect(patched.body.user).toMatchObject({ role: 'guest', displayName: 'Neo' });
    const me = await api<{ user: { role: string } }>(relay.http, 'GET', '/me', {
      token: neo.accessToken,
    });
    expect(me.body.user.role).toBe('guest');
    const unknownField = await api(relay.http, 'PATCH', `/admin/users/${id}`, {
      token: admin,
      body: { password: 'x' },
    });
    expect(unknownField.status).toBe(400);
    const sessions = await api<{ sessions: Array<{ id: string; userId: string }> }>(
      relay.http,
      'GET',
      '/admin/sessions?user=neo',
      {
        token: admin,
      },
    );
    expect(sessions.body.sessions.map((s) => s.userId)).toEqual([id]);
    const reset = await api<{ password: string }>(
      relay.http,
      'POST',
      `/admin/users/${id}/password`,
      { token: admin, body: {} },
    );
    expect(reset.body.password).toHaveLength(20);
    expect(errorCode(await api(relay.http, 'GET', '/me', { token: neo.accessToken }))).toBe(
      'session-ended',
    );
    await login(relay.http, 'neo', reset.body.password);
    const lastAdmin = await api(
      relay.http,
      'PATCH',
      `/admin/users/${tokens.get('admin')?.user.id}`,
      {
        token: admin,
        body: { role: 'member' },
      },
    );
    expect(lastAdmin.status).toBe(409);
  });
});
