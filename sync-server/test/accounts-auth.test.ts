// Sign-in, refresh rotation and reuse detection, sign-out, expiry, TOTP and recovery codes,
// backoff and lockout, and the per-address rate limit, on real relays with accounts on.
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorCode, login, runCli, type Tokens } from './accounts-helpers';
import { getJson, removeDir, startRelayProcess, tempDir, type RelayProcess } from './helpers';

const PASSWORD = 'a long enough password';

async function withUsers(
  args: string[],
  users: Array<[string, string]>,
): Promise<{ dir: string; relay: RelayProcess }> {
  const dir = tempDir();
  for (const [name, role] of users) {
    const r = await runCli(
      ['admin', 'users', 'create', name, '--role', role, '--password-stdin', '--data', dir],
      {
        stdin: PASSWORD,
      },
    );
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const relay = await startRelayProcess(dir, args, { auth: true });
  return { dir, relay };
}

const metric = async (relay: RelayProcess, name: string) => {
  const text = (await getJson(`${relay.http}/metrics`)).text;
  const line = text.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ').pop()) : 0;
};

describe('accounts: sign-in, refresh, sign-out, TOTP', () => {
  let dir: string;
  let relay: RelayProcess;

  beforeAll(async () => {
    ({ dir, relay } = await withUsers(
      ['--limit-api-address', '1000/1000/s', '--limit-login-username', '1000/1000/s'],
      [
        ['ann', 'member'],
        ['tom', 'member'],
      ],
    ));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('answers a wrong password and an unknown user the same way', async () => {
    const wrong = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'ann', password: 'wrong password!' },
    });
    const unknown = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'nobody', password: PASSWORD },
    });
    const malformed = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'No Body!', password: PASSWORD },
    });
    for (const r of [wrong, unknown, malformed]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({
        error: { code: 'invalid-credentials', message: 'wrong username or password' },
      });
    }
    const missing = await api(relay.http, 'POST', '/auth/login', { body: { username: 'ann' } });
    expect(missing.status).toBe(400);
    expect(await metric(relay, 'ferry_logins_total{result="failure"}')).toBeGreaterThanOrEqual(3);
  });

  it('signs in: access token (JWT with sub, sid, role, iss) and refresh token', async () => {
    const t = await login(relay.http, 'Ann', PASSWORD, { device: ' test\u001b[31m ' });
    expect(t.user).toMatchObject({ username: 'ann', role: 'member' });
    const [, payload] = t.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({ sub: t.user.id, role: 'member', iss: 'ferry' });
    // The TTL is a minimum: the expiry is rounded up to the next whole second.
    expect((claims.exp as number) - (claims.iat as number)).toBeGreaterThanOrEqual(600);
    expect((claims.exp as number) - (claims.iat as number)).toBeLessThanOrEqual(601);
    expect(t.accessExpiresAt).toBe((claims.exp as number) * 1000);
    // `<sid>.<generation>.<tag>`: generation 1 at sign-in, one more per refresh.
    expect(t.refreshToken).toMatch(new RegExp(`^${claims.sid as string}\\.1\\.[A-Za-z0-9_-]{43}$`));
    // The device name is kept without control characters (it is printed to terminals).
    const sessions = await api<{ sessions: Array<{ id: string; device: string }> }>(
      relay.http,
      'GET',
      '/me/sessions',
      {
        token: t.accessToken,
      },
    );
    expect(sessions.body.sessions.find((s) => s.id === claims.sid)?.device).toBe('test[31m');
  });

  it('rotates the refresh token; reusing the previous one ends the session (audited)', async () => {
    const first = await login(relay.http, 'ann', PASSWORD);
    const r1 = await api<Tokens>(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: first.refreshToken },
    });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(first.refreshToken);
    expect(r1.body.refreshToken.split('.')[0]).toBe(first.refreshToken.split('.')[0]);
    const r2 = await api<Tokens>(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: r1.body.refreshToken },
    });
    expect(r2.status).toBe(200);
    // The token before the current one, presented again: a thief racing the owner.
    const reuse = await api(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: r1.body.refreshToken },
    });
    expect(reuse.status).toBe(401);
    expect(errorCode(reuse)).toBe('session-ended');
    // The whole session is over, for the owner too.
    const owner = await api(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: r2.body.refreshToken },
    });
    expect(errorCode(owner)).toBe('session-ended');
    expect(errorCode(await api(relay.http, 'GET', '/me', { token: r2.body.accessToken }))).toBe(
      'session-ended',
    );
    const audit = await runCli(['audit', 'export', '--data', dir]);
    expect(audit.stdout).toContain('"action":"auth.refresh_reused"');
    // A made-up token for a real session does not end it.
    const other = await login(relay.http, 'ann', PASSWORD);
    const sid = other.refreshToken.split('.')[0] as string;
    const fake = await api(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: `${sid}.${'A'.repeat(43)}` },
    });
    expect(errorCode(fake)).toBe('unauthenticated');
    expect(
      (
        await api(relay.http, 'POST', '/auth/refresh', {
          body: { refreshToken: other.refreshToken },
        })
      ).status,
    ).toBe(200);
  });

  it('signs out: the access token and the refresh token stop working', async () => {
    const t = await login(relay.http, 'ann', PASSWORD);
    const out = await api(relay.http, 'POST', '/auth/logout', { token: t.accessToken });
    expect(out.status).toBe(204);
    expect(errorCode(await api(relay.http, 'GET', '/me', { token: t.accessToken }))).toBe(
      'session-ended',
    );
    const r = await api(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: t.refreshToken },
    });
    expect(errorCode(r)).toBe('session-ended');
  });

  it('signs out with the refresh token alone (the access token may have expired)', async () => {
    const t = await login(relay.http, 'ann', PASSWORD);
    const bogus = await api(relay.http, 'POST', '/auth/logout', {
      body: { refreshToken: `${t.refreshToken.split('.')[0]}.${'B'.repeat(43)}` },
    });
    expect(bogus.status).toBe(401);
    expect((await api(relay.http, 'POST', '/auth/logout', {})).status).toBe(401);
    const out = await api(relay.http, 'POST', '/auth/logout', {
      body: { refreshToken: t.refreshToken },
    });
    expect(out.status).toBe(204);
    expect(errorCode(await api(relay.http, 'GET', '/me', { token: t.accessToken }))).toBe(
      'session-ended',
    );
  });

  it('lists and ends own sessions only', async () => {
    const a = await login(relay.http, 'ann', PASSWORD, { device: 'phone' });
    const b = await login(relay.http, 'ann', PASSWORD, { device: 'desk' });
    const tom = await login(relay.http, 'tom', PASSWORD);
    const list = await api<{ sessions: Array<{ id: string; device: string; current: boolean }> }>(
      relay.http,
      'GET',
      '/me/sessions',
      { token: a.accessToken },
    );
    const phone = list.body.sessions.find((s) => s.device === 'phone');
    const desk = list.body.sessions.find((s) => s.device === 'desk');
    expect(phone?.current).toBe(true);
    expect(desk?.current).toBe(false);
    const tomSid = tom.refreshToken.split('.')[0] as string;
    expect(
      (await api(relay.http, 'DELETE', `/me/sessions/${tomSid}`, { token: a.accessToken })).status,
    ).toBe(404);
    expect(
      (await api(relay.http, 'DELETE', `/me/sessions/${desk?.id}`, { token: a.accessToken }))
        .status,
    ).toBe(204);
    expect(errorCode(await api(relay.http, 'GET', '/me', { token: b.accessToken }))).toBe(
      'session-ended',
    );
    expect((await api(relay.http, 'GET', '/me', { token: tom.accessToken })).status).toBe(200);
  });

  it('changes the display name and the password (other sessions end)', async () => {
    const a = await login(relay.http, 'tom', PASSWORD);
    const b = await login(relay.http, 'tom', PASSWORD);
    const bad = await api(relay.http, 'PATCH', '/me', {
      token: a.accessToken,
      body: { displayName: ' \u0007 ' },
    });
    expect(bad.status).toBe(400);
    const ok = await api<{ user: { displayName: string } }>(relay.http, 'PATCH', '/me', {
      token: a.accessToken,
      body: { displayName: '  Tom T  ' },
    });
    expect(ok.body.user.displayName).toBe('Tom T');
    const wrong = await api(relay.http, 'POST', '/me/password', {
      token: a.accessToken,
      body: { currentPassword: 'not it at all', newPassword: 'another long password' },
    });
    expect(errorCode(wrong)).toBe('invalid-credentials');
    const changed = await api(relay.http, 'POST', '/me/password', {
      token: a.accessToken,
      body: { currentPassword: PASSWORD, newPassword: 'another long password' },
    });
    expect(changed.status).toBe(204);
    expect((await api(relay.http, 'GET', '/me', { token: a.accessToken })).status).toBe(200);
    expect(errorCode(await api(relay.http, 'GET', '/me', { token: b.accessToken }))).toBe(
      'session-ended',
    );
    await login(relay.http, 'tom', 'another long password');
  });

  it('TOTP: enrol, then sign-in needs a code, each code once; recovery codes once each', async () => {
    const t = await login(relay.http, 'ann', PASSWORD);
    const setup = await api<{ secret: string; uri: string }>(relay.http, 'POST', '/me/totp/setup', {
      token: t.accessToken,
    });
    expect(setup.status).toBe(200);
    expect(setup.body.uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
    const { secret } = setup.body;
    const now = Math.floor(Date.now() / 1000);
    const wrongCode = await api(relay.http, 'POST', '/me/totp/enable', {
      token: t.accessToken,
      body: { code: '000000' },
    });
    expect(wrongCode.status).toBe(400);
    const code = await generate({ secret, epoch: now });
    const enabled = await api<{ recoveryCodes: string[] }>(relay.http, 'POST', '/me/totp/enable', {
      token: t.accessToken,
      body: { code },
    });
    expect(enabled.status).toBe(200);
    const codes = enabled.body.recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);

    const noCode = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'ann', password: PASSWORD },
    });
    expect(noCode.status).toBe(401);
    expect(errorCode(noCode)).toBe('totp-required');
    // The code used to enrol is spent; the next step's code (within ±1 step) works once.
    const reused = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'ann', password: PASSWORD, totp: code },
    });
    expect(errorCode(reused)).toBe('invalid-credentials');
    const next = await generate({ secret, epoch: now + 30 });
    await login(relay.http, 'ann', PASSWORD, { totp: next });
    const again = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'ann', password: PASSWORD, totp: next },
    });
    expect(errorCode(again)).toBe('invalid-credentials');
    // A wrong password with a right code is still a wrong password.
    const later = await generate({ secret, epoch: now + 60 });
    const wrongPw = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'ann', password: 'wrong password!', totp: later },
    });
    expect(errorCode(wrongPw)).toBe('invalid-credentials');

    const rc = (codes[3] as string).toLowerCase().replace('-', ' ');
    const viaRecovery = await login(relay.http, 'ann', PASSWORD, { recoveryCode: rc });
    const spent = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'ann', password: PASSWORD, recoveryCode: codes[3] },
    });
    expect(errorCode(spent)).toBe('invalid-credentials');
    const me = await api<{ totp: { enabled: boolean; recoveryCodesLeft: number } }>(
      relay.http,
      'GET',
      '/me',
      {
        token: viaRecovery.accessToken,
      },
    );
    expect(me.body.totp).toEqual({ enabled: true, recoveryCodesLeft: 9 });

    // Turning it off needs the password and a code.
    const noProof = await api(relay.http, 'POST', '/me/totp/disable', {
      token: viaRecovery.accessToken,
      body: { password: PASSWORD },
    });
    expect(errorCode(noProof)).toBe('invalid-credentials');
    const off = await api(relay.http, 'POST', '/me/totp/disable', {
      token: viaRecovery.accessToken,
      body: { password: PASSWORD, recoveryCode: codes[0] },
    });
    expect(off.status).toBe(204);
    await login(relay.http, 'ann', PASSWORD);
    const audit = (await runCli(['audit', 'export', '--data', dir])).stdout;
    expect(audit).toContain('"action":"user.totp_enabled"');
    expect(audit).toContain('"action":"user.totp_disabled"');
    expect(audit).not.toContain(secret);
    expect(audit).not.toContain(codes[5] as string);
  });
});

describe('accounts: expiry', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    ({ dir, relay } = await withUsers(
      // The idle TTL must outlast the access token's whole life: its expiry is rounded up to
      // the next whole second, so the first refresh can come almost 2 s after the login.
      ['--access-token-ttl', '1', '--session-idle-ttl', '4'],
      [['eve', 'member']],
    ));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('an access token expires after its TTL; refresh gives a new one; an idle session ends', async () => {
    const t = await login(relay.http, 'eve', PASSWORD);
    expect((await api(relay.http, 'GET', '/me', { token: t.accessToken })).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, t.accessExpiresAt - Date.now()) + 50));
    const expired = await api(relay.http, 'GET', '/me', { token: t.accessToken });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({
      error: { code: 'unauthenticated', message: 'token expired' },
    });
    const r = await api<Tokens>(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: t.refreshToken },
    });
    expect(r.status).toBe(200);
    expect((await api(relay.http, 'GET', '/me', { token: r.body.accessToken })).status).toBe(200);
    // Four seconds without a refresh: the session is over.
    await new Promise((res) => setTimeout(res, 4100));
    const idle = await api(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: r.body.refreshToken },
    });
    expect(errorCode(idle)).toBe('session-ended');
  });
});

describe('accounts: backoff, lockout and rate limits', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    ({ dir, relay } = await withUsers(
      [
        '--login-backoff-ms',
        '200',
        '--login-lock-ms',
        '1500',
        '--limit-api-address',
        '1000/1000/s',
        '--limit-login-username',
        '1000/1000/s',
      ],
      [
        ['lee', 'member'],
        ['max', 'member'],
        ['pat', 'member'],
      ],
    ));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  const attempt = (username: string, password: string) =>
    api(relay.http, 'POST', '/auth/login', { body: { username, password } });

  it('a success resets the count of failures', async () => {
    for (let i = 0; i < 4; i++) expect((await attempt('max', 'wrong password!')).status).toBe(401);
    await login(relay.http, 'max', PASSWORD);
    for (let i = 0; i < 4; i++) expect((await attempt('max', 'wrong password!')).status).toBe(401);
    await login(relay.http, 'max', PASSWORD);
  });

  it('counts every one of many concurrent failures', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => attempt('pat', 'wrong password!')),
    );
    const failed = results.filter((r) => r.status === 401).length;
    // Attempts that arrived once five had failed wait (429) instead of being checked.
    expect(failed + results.filter((r) => r.status === 429).length).toBe(8);
    expect(failed).toBeGreaterThanOrEqual(5);
    const audit = (await runCli(['audit', 'export', '--data', dir])).stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string; detail: { failures?: number } | null });
    const counts = audit
      .filter((e) => e.action === 'auth.login_failed')
      .map((e) => e.detail?.failures ?? 0);
    expect(Math.max(...counts)).toBe(failed);
  });

  it('after 5 failures each attempt waits 2^(n-5) steps (429); at 10 the account locks (423)', async () => {
    const backoffsBefore = await metric(relay, 'ferry_rate_limited_total{what="login-backoff"}');
    for (let i = 0; i < 5; i++) expect((await attempt('lee', 'wrong password!')).status).toBe(401);
    // Even the right password must wait now.
    const early = await attempt('lee', PASSWORD);
    expect(early.status).toBe(429);
    expect(errorCode(early)).toBe('rate-limited');
    expect(Number(early.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(
      (early.body as { error: { retryAfter: number } }).error.retryAfter,
    ).toBeGreaterThanOrEqual(1);
    for (let n = 5; n < 10; n++) {
      const wait = 200 * 2 ** (n - 5);
      await new Promise((r) => setTimeout(r, wait + 30));
      const r = await attempt('lee', 'wrong password!');
      expect({ n, status: r.status }).toEqual({ n, status: 401 });
    }
    const locked = await attempt('lee', PASSWORD);
    expect(locked.status).toBe(423);
    expect(errorCode(locked)).toBe('locked');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const exported = await runCli(['audit', 'export', '--data', dir]);
    expect(exported.stdout, `exit ${exported.code}: ${exported.stderr}`).toContain(
      '"action":"auth.locked"',
    );
    // After the lock the right password works again (and resets the count); a wrong one
    // right after a lock would lock again at once.
    await new Promise((r) => setTimeout(r, 1600));
    await login(relay.http, 'lee', PASSWORD);
    expect(await metric(relay, 'ferry_logins_total{result="locked"}')).toBe(1);
    expect(await metric(relay, 'ferry_rate_limited_total{what="login-backoff"}')).toBe(
      backoffsBefore + 1,
    );
  });
});

describe('accounts: per-address and per-username rate limits', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    ({ dir, relay } = await withUsers(
      ['--limit-api-address', '4/1/min', '--limit-login-username', '2/1/min'],
      [['kim', 'member']],
    ));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('refuses with 429 and Retry-After once a bucket is empty', async () => {
    const a = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'kim', password: 'wrong password!' },
    });
    const b = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'kim', password: 'wrong password!' },
    });
    expect([a.status, b.status]).toEqual([401, 401]);
    const c = await api(relay.http, 'POST', '/auth/login', {
      body: { username: 'kim', password: PASSWORD },
    });
    expect(c.status).toBe(429);
    expect(c.headers.get('retry-after')).toBe('60');
    // The address has one unauthenticated call left, then it is refused too.
    expect((await api(relay.http, 'GET', '/server')).status).toBe(200);
    const d = await api(relay.http, 'GET', '/server');
    expect(d.status).toBe(429);
    expect(errorCode(d)).toBe('rate-limited');
    expect(Number(d.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await metric(relay, 'ferry_rate_limited_total{what="api-address"}')).toBe(1);
    expect(await metric(relay, 'ferry_rate_limited_total{what="login-username"}')).toBe(1);
  });

  it('an admin token is not limited by the address bucket', async () => {
    const r = await runCli(['admin', 'token', 'kim', '--data', dir]);
    const me = await api(relay.http, 'GET', '/me', { token: r.stdout.trim() });
    expect(me.status).toBe(200);
  });
});

describe('accounts: refresh is limited per session, not per address', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    ({ dir, relay } = await withUsers(['--limit-api-address', '2/1/min'], [['ivy', 'member']]));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('refreshes a live session when the address bucket is empty; junk tokens still count', async () => {
    const t = await login(relay.http, 'ivy', PASSWORD);
    expect((await api(relay.http, 'GET', '/server')).status).toBe(200);
    expect((await api(relay.http, 'GET', '/server')).status).toBe(429);
    // Many clients behind one office NAT reconnecting at once each refresh their own session.
    const r = await api<Tokens>(relay.http, 'POST', '/auth/refresh', {
      body: { refreshToken: t.refreshToken },
    });
    expect(r.status).toBe(200);
    const junk = await api(relay.http, 'POST', '/auth/refresh', { body: { refreshToken: 'junk' } });
    expect(junk.status).toBe(429);
    const malformed = await api(relay.http, 'POST', '/auth/refresh', { body: {} });
    expect(malformed.status).toBe(429);
  });
});
