// Issue 12, onboarding and lockout (docs/accounts.md, Onboarding): admins unlock a locked account
// (only admins, audited); a password an admin chose must be changed before the session does
// anything else (enforced by the relay: HTTP and sockets); invite links with a role, an expiry
// and a use count, refused in plain words once expired, used up or withdrawn; hostile input.
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Accounts } from '../src/accounts/service';
import { INVITE_LIMITS } from '../src/accounts/invites';
import { Audit } from '../src/audit';
import { Store } from '../src/store';
import { api, errorCode, login, runCli, type ApiResponse } from './accounts-helpers';
import { removeDir, startRelayProcess, tempDir, type RelayProcess } from './helpers';

const PASSWORD = 'a long enough password';

interface AuditLine {
  action: string;
  actor: string | null;
  target: string | null;
  detail: Record<string, unknown> | null;
}

describe('onboarding over HTTP: unlock, password change required, invite links', () => {
  let dir: string;
  let relay: RelayProcess;
  let admin: string;
  let member: string;

  const auditLines = async (): Promise<AuditLine[]> =>
    (await runCli(['audit', 'export', '--data', dir])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditLine);
  const call = <T = Record<string, unknown>>(
    method: string,
    route: string,
    token?: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> => api<T>(relay.http, method, route, { token, body });

  beforeAll(async () => {
    dir = tempDir();
    for (const [name, role] of [
      ['ada', 'admin'],
      ['mia', 'member'],
      ['lee', 'member'],
    ] as const) {
      const r = await runCli(
        ['admin', 'users', 'create', name, '--role', role, '--password-stdin', '--data', dir],
        { stdin: PASSWORD },
      );
      if (r.code !== 0) throw new Error(r.stderr);
    }
    relay = await startRelayProcess(
      dir,
      [
        '--login-backoff-ms',
        '1',
        '--limit-api-address',
        '1000/1000/s',
        '--limit-login-username',
        '1000/1000/s',
      ],
      { auth: true },
    );
    admin = (await login(relay.http, 'ada', PASSWORD)).accessToken;
    member = (await login(relay.http, 'mia', PASSWORD)).accessToken;
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('shows a locked account to admins and lets only them unlock it (audited)', async () => {
    for (let i = 0; i < 10; i++) {
      await call('POST', '/auth/login', undefined, { username: 'lee', password: 'wrong one!!' });
      await new Promise((r) => setTimeout(r, 40));
    }
    const locked = await call('POST', '/auth/login', undefined, {
      username: 'lee',
      password: PASSWORD,
    });
    expect(locked.status).toBe(423);
    const list = await call<{
      users: Array<{ username: string; id: string; lockedUntil: number | null }>;
    }>('GET', '/admin/users', admin);
    const lee = list.body.users.find((u) => u.username === 'lee');
    expect(lee?.lockedUntil).toBeGreaterThan(Date.now());
    expect(list.body.users.find((u) => u.username === 'mia')?.lockedUntil).toBeNull();

    const refused = await call('POST', `/admin/users/${lee?.id}/unlock`, member);
    expect(refused.status).toBe(403);
    expect(errorCode(refused)).toBe('forbidden');
    expect(
      (await call('POST', '/auth/login', undefined, { username: 'lee', password: PASSWORD }))
        .status,
    ).toBe(423);

    const unlocked = await call<{ user: { lockedUntil: number | null } }>(
      'POST',
      `/admin/users/${lee?.id}/unlock`,
      admin,
    );
    expect(unlocked.status).toBe(200);
    expect(unlocked.body.user.lockedUntil).toBeNull();
    await login(relay.http, 'lee', PASSWORD);
    const entry = (await auditLines()).find((e) => e.action === 'user.unlocked');
    expect(entry).toMatchObject({ target: lee?.id });
    expect(entry?.detail).toMatchObject({ failures: 10 });
    expect(entry?.actor).not.toBeNull();
  });

  it('unlocks from the admin CLI too', async () => {
    for (let i = 0; i < 10; i++) {
      await call('POST', '/auth/login', undefined, { username: 'lee', password: 'wrong one!!' });
      await new Promise((r) => setTimeout(r, 40));
    }
    const table = await runCli(['admin', 'users', 'list', '--data', dir]);
    expect(table.stdout).toMatch(/lee\s+lee\s+member\s+locked until/);
    const r = await runCli(['admin', 'users', 'unlock', 'lee', '--data', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('lee unlocked');
    await login(relay.http, 'lee', PASSWORD);
  });

  it('makes a person given a password by an admin choose their own before anything else', async () => {
    const created = await call<{
      user: { id: string; mustChangePassword: boolean };
      password: string;
    }>('POST', '/admin/users', admin, { username: 'neo' });
    expect(created.status).toBe(201);
    expect(created.body.user.mustChangePassword).toBe(true);
    const given = created.body.password;
    const first = await call<{ accessToken: string; passwordChangeRequired?: boolean }>(
      'POST',
      '/auth/login',
      undefined,
      { username: 'neo', password: given },
    );
    expect(first.status).toBe(200);
    expect(first.body.passwordChangeRequired).toBe(true);
    const token = first.body.accessToken;
    // The relay refuses everything else, whatever the app does.
    for (const [method, route, body] of [
      ['GET', '/users?q=', undefined],
      ['GET', '/me/sessions', undefined],
      ['POST', '/conversations', { id: '0123456789ABCDEF', kind: 'channel', title: 'x' }],
      ['PATCH', '/me', { displayName: 'Neo' }],
    ] as const) {
      const r = await call(method, route, token, body);
      expect({ route, status: r.status, code: errorCode(r) }).toEqual({
        route,
        status: 403,
        code: 'password-change-required',
      });
    }
    const closed = await new Promise<{ code: number; reason: string }>((resolve) => {
      const ws = new WebSocket(`${relay.url}/workspace?token=${token}`);
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
      ws.on('error', () => {});
    });
    expect(closed).toEqual({ code: 4401, reason: 'password change required' });
    const me = await call<{ passwordChangeRequired?: boolean }>('GET', '/me', token);
    expect(me.body.passwordChangeRequired).toBe(true);
    const same = await call('POST', '/me/password', token, {
      currentPassword: given,
      newPassword: given,
    });
    expect(same.status).toBe(400);
    const changed = await call('POST', '/me/password', token, {
      currentPassword: given,
      newPassword: 'neo chose this one',
    });
    expect(changed.status).toBe(204);
    // The same session goes on, now unrestricted.
    expect((await call('GET', '/users?q=', token)).status).toBe(200);
    const again = await login(relay.http, 'neo', 'neo chose this one');
    expect((again as { passwordChangeRequired?: boolean }).passwordChangeRequired).toBeUndefined();

    // An admin's reset sets it again.
    const reset = await call<{ password: string }>(
      'POST',
      `/admin/users/${created.body.user.id}/password`,
      admin,
      {},
    );
    const afterReset = await login(relay.http, 'neo', reset.body.password);
    expect((afterReset as { passwordChangeRequired?: boolean }).passwordChangeRequired).toBe(true);
  });

  it('lets a person join with an invite link, as often as it allows', async () => {
    const made = await call<{ invite: { id: string; state: string; role: string }; token: string }>(
      'POST',
      '/admin/invites',
      admin,
      { role: 'guest', expiresInHours: 24, maxUses: 2 },
    );
    expect(made.status).toBe(201);
    expect(made.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(made.body.invite).toMatchObject({ state: 'active', role: 'guest' });
    const { token } = made.body;
    const look = await call<{ role: string }>('POST', '/invites/lookup', undefined, { token });
    expect(look.status).toBe(200);
    expect(look.body.role).toBe('guest');

    const join = (username: string) =>
      call<{ accessToken: string; user: { role: string }; passwordChangeRequired?: boolean }>(
        'POST',
        '/invites/accept',
        undefined,
        { token, username, displayName: `Person ${username}`, password: PASSWORD },
      );
    const one = await join('gia');
    expect(one.status).toBe(201);
    expect(one.body.user.role).toBe('guest');
    expect(one.body.passwordChangeRequired).toBeUndefined();
    expect((await call('GET', '/me', one.body.accessToken)).status).toBe(200);
    // A taken username gives the use back.
    const taken = await join('gia');
    expect(taken.status).toBe(409);
    expect((await join('gil')).status).toBe(201);
    const third = await join('gus');
    expect(third.status).toBe(410);
    expect(errorCode(third)).toBe('gone');
    expect((third.body as unknown as { error: { message: string } }).error.message).toMatch(
      /used as many times/,
    );

    const list = await call<{ invites: Array<{ id: string; uses: number; state: string }> }>(
      'GET',
      '/admin/invites',
      admin,
    );
    expect(list.body.invites.find((i) => i.id === made.body.invite.id)).toMatchObject({
      uses: 2,
      state: 'used-up',
    });
    const actions = (await auditLines()).map((e) => e.action);
    expect(actions).toContain('invite.created');
    expect(actions.filter((a) => a === 'invite.accepted')).toHaveLength(2);
    expect(actions).toContain('invite.refused');
  });

  it('refuses a withdrawn link, and only admins manage links', async () => {
    const made = await call<{ invite: { id: string }; token: string }>(
      'POST',
      '/admin/invites',
      admin,
      { role: 'member', expiresInHours: 2, maxUses: 5 },
    );
    expect(
      (await call('POST', '/admin/invites', member, { expiresInHours: 2, maxUses: 1 })).status,
    ).toBe(403);
    expect((await call('GET', '/admin/invites', member)).status).toBe(403);
    expect((await call('DELETE', `/admin/invites/${made.body.invite.id}`, member)).status).toBe(
      403,
    );
    const revoked = await call<{ invite: { state: string } }>(
      'DELETE',
      `/admin/invites/${made.body.invite.id}`,
      admin,
    );
    expect(revoked.body.invite.state).toBe('revoked');
    const r = await call('POST', '/invites/accept', undefined, {
      token: made.body.token,
      username: 'late',
      password: PASSWORD,
    });
    expect(r.status).toBe(410);
    expect((r.body as { error: { message: string } }).error.message).toMatch(/withdrawn/);
    expect((await auditLines()).some((e) => e.action === 'invite.revoked')).toBe(true);
  });

  it('refuses hostile and oversized input with plain words', async () => {
    const bad: Array<[string, unknown, number]> = [
      ['/admin/invites', { role: 'admin', expiresInHours: 2, maxUses: 1 }, 400],
      ['/admin/invites', { expiresInHours: 0, maxUses: 1 }, 400],
      ['/admin/invites', { expiresInHours: 24 * 365, maxUses: 1 }, 400],
      ['/admin/invites', { expiresInHours: 1.5, maxUses: 1 }, 400],
      ['/admin/invites', { expiresInHours: 2, maxUses: 0 }, 400],
      ['/admin/invites', { expiresInHours: 2, maxUses: 1e9 }, 400],
      ['/admin/invites', { expiresInHours: 2, maxUses: 1, extra: 'x' }, 400],
      ['/admin/invites', { expiresInHours: '2', maxUses: 1 }, 400],
    ];
    for (const [route, body, status] of bad) {
      expect({ body, status: (await call('POST', route, admin, body)).status }).toEqual({
        body,
        status,
      });
    }
    const anonymous: Array<[string, unknown, number]> = [
      ['/invites/lookup', { token: 'x'.repeat(5000) }, 400],
      ['/invites/lookup', { token: 'A'.repeat(43) }, 404],
      ['/invites/lookup', { token: "' OR 1=1 --" }, 404],
      ['/invites/lookup', {}, 400],
      [
        '/invites/accept',
        { token: 'A'.repeat(43), username: 'Not Valid!', password: PASSWORD },
        400,
      ],
      ['/invites/accept', { token: 'A'.repeat(43), username: 'ok', password: 'short' }, 400],
      ['/invites/accept', { token: 'A'.repeat(43), username: 'ok', password: PASSWORD }, 404],
    ];
    for (const [route, body, status] of anonymous) {
      const r = await call(route === '' ? 'GET' : 'POST', route, undefined, body);
      expect({ route, status: r.status }).toEqual({ route, status });
    }
    const huge = await call('POST', '/invites/lookup', undefined, { token: 'y'.repeat(70_000) });
    expect(huge.status).toBe(413);
    // At most INVITE_LIMITS.activePerAdmin active links per admin.
    const codes: number[] = [];
    for (let i = 0; i < INVITE_LIMITS.activePerAdmin + 1; i++) {
      codes.push(
        (await call('POST', '/admin/invites', admin, { expiresInHours: 1, maxUses: 1 })).status,
      );
    }
    expect(codes.at(-1)).toBe(409);
    expect(codes.filter((c) => c === 201).length).toBeLessThanOrEqual(INVITE_LIMITS.activePerAdmin);
  });
});

describe('invite links expire (in-process, with a clock)', () => {
  it('refuses an expired link and reports it as expired', async () => {
    const dir = tempDir();
    const store = new Store(path.join(dir, 'data'));
    let now = 1_800_000_000_000;
    const accounts = new Accounts(store.db, new Audit(store.db), {
      argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      now: () => now,
    });
    try {
      const ada = await accounts.createUser(
        { username: 'ada', role: 'admin', password: PASSWORD },
        {
          actor: 'cli',
        },
      );
      const { invite, token } = accounts.invites.create(
        { role: 'member', hours: 1, maxUses: 3 },
        { actor: ada.id },
      );
      expect(accounts.invites.inspect(token).role).toBe('member');
      now += 3600_000 + 1;
      expect(() => accounts.invites.inspect(token)).toThrow(/expired/);
      await expect(
        accounts.invites.accept(token, { username: 'late', password: PASSWORD }, null),
      ).rejects.toThrow(/expired/);
      expect(accounts.invites.list().find((i) => i.id === invite.id)?.state).toBe('expired');
      expect(accounts.getUserByUsername('late')).toBeNull();

      // Withdrawing links does not make room for endless new rows: a cap per admin and day.
      for (let i = 1; i < INVITE_LIMITS.createdPerDay; i++) {
        const made = accounts.invites.create(
          { role: 'guest', hours: 1, maxUses: 1 },
          { actor: ada.id },
        );
        accounts.invites.revoke(made.invite.id, { actor: ada.id });
      }
      expect(() =>
        accounts.invites.create({ role: 'guest', hours: 1, maxUses: 1 }, { actor: ada.id }),
      ).toThrow(/in the last 24 hours/);
      now += 24 * 3600_000 + 1;
      expect(
        accounts.invites.create({ role: 'guest', hours: 1, maxUses: 1 }, { actor: ada.id }).token,
      ).toHaveLength(43);
    } finally {
      accounts.close();
      store.close();
      removeDir(dir);
    }
  });
});
