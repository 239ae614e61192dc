// Single sign-on end to end in the relay (issue 15): a relay process and a real OpenID
// provider process. The app's side is played with fetch: it makes a verifier, opens
// /auth/oidc/start, the person signs in at the issuer (engines/oidc.ts signInAtIssuer), the
// relay's callback hands a one-time code to the app, which exchanges it with its verifier.
// Tampering with the state, the code or the verifier is refused and audited; a logout at the
// issuer ends the Ferry session through the back channel.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inboxRoom } from '../../core/src/model/rooms';
import { api, errorCode, type Tokens } from './accounts-helpers';
import { nextClose } from './authz-fixture';
import { CookieJar, signInAtIssuer } from './engines/oidc';
import { startIdentityRelay, type IdentityRelay } from './identity-fixture';

let r: IdentityRelay;

beforeAll(async () => {
  r = await startIdentityRelay({ ldap: null });
}, 60_000);
afterAll(async () => {
  await r?.stop();
});

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** GET without following redirects: status, Location and body. */
async function get(url: string) {
  const res = await fetch(url, { redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), text: await res.text() };
}

/** The app's part up to the one-time code: start, the issuer's form, the relay's callback. */
async function codeFor(
  who: { username: string; password: string },
  app: 'web' | 'desktop' = 'web',
  jar = new CookieJar(),
) {
  const { verifier, challenge } = pkce();
  const start = await get(`${r.f.http}/api/v1/auth/oidc/start?app=${app}&challenge=${challenge}`);
  expect(start.status).toBe(303);
  const callback = await signInAtIssuer(start.location as string, who, jar);
  expect(callback.startsWith(r.redirectUri + '?')).toBe(true);
  const back = await get(callback);
  return { verifier, callback, back };
}

const codeOf = (location: string | null) =>
  new URLSearchParams((location ?? '').split('#/auth?')[1] ?? '').get('code');

async function exchange(code: string, verifier: string) {
  return api<Tokens>(r.f.http, 'POST', '/auth/oidc/exchange', { body: { code, verifier } });
}

describe('single sign-on', () => {
  it('signs a person in: the web app gets a one-time code, its verifier gets the tokens', async () => {
    const { verifier, back } = await codeFor({ username: 'olivia', password: 'olivia-pw-1' });
    expect(back.status).toBe(303);
    expect(back.location).toMatch(new RegExp(`^${r.f.http}/#/auth\\?code=`));
    const res = await exchange(codeOf(back.location) as string, verifier);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      username: 'olivia',
      displayName: 'Olivia Owner',
      role: 'admin',
    });
    const me = await api<{ user: { source: string } }>(r.f.http, 'GET', '/me', {
      token: res.body.accessToken,
    });
    expect(me.body.user.source).toBe('oidc');
    expect(r.f.audit('auth.login').at(-1)?.detail).toEqual({ source: 'oidc' });
  });

  it('the desktop app gets the code through ferry:// from a calm page', async () => {
    const { verifier, back } = await codeFor(
      { username: 'oscar', password: 'oscar-pw-2' },
      'desktop',
    );
    expect(back.status).toBe(200);
    expect(back.text).toContain('You can close this tab and go back to Ferry.');
    const link = /href="(ferry:\/\/auth\?code=[^"]+)"/.exec(back.text)?.[1] as string;
    const code = new URL(link.replace('ferry://', 'http://x/')).searchParams.get('code') as string;
    const res = await exchange(code, verifier);
    expect(res.status).toBe(200);
    // staff → member; sales → the sales channel.
    expect(res.body.user.role).toBe('member');
    const conv = await r.f.call<{ members: Array<{ id: string }> }>(
      'GET',
      `/conversations/${r.salesChannel}`,
      r.f.admin,
    );
    expect(conv.body.members.map((m) => m.id)).toContain(res.body.user.id);
  });

  it('a code works once, only with its verifier, and a wrong verifier burns it', async () => {
    const a = await codeFor({ username: 'olivia', password: 'olivia-pw-1' });
    const code = codeOf(a.back.location) as string;
    const stolen = await exchange(code, pkce().verifier);
    expect([stolen.status, errorCode(stolen as never)]).toEqual([401, 'invalid-credentials']);
    expect((await exchange(code, a.verifier)).status).toBe(401);
    const b = await codeFor({ username: 'olivia', password: 'olivia-pw-1' });
    const codeB = codeOf(b.back.location) as string;
    expect((await exchange(codeB, b.verifier)).status).toBe(200);
    expect((await exchange(codeB, b.verifier)).status).toBe(401);
    const reasons = r.f.audit('identity.refused').map((e) => e.detail?.['reason']);
    expect(reasons).toEqual(
      expect.arrayContaining(['wrong verifier', 'unknown or already used code']),
    );
  });

  it('refuses a tampered or replayed state, and a callback with another code', async () => {
    const { callback } = await codeFor({ username: 'oscar', password: 'oscar-pw-2' });
    // Replayed: the state was used by codeFor's own GET.
    const replay = await get(callback);
    expect(replay.status).toBe(400);
    expect(replay.text).toContain('This sign-in link has expired');
    const tampered = new URL(callback);
    tampered.searchParams.set('state', 'x' + (tampered.searchParams.get('state') ?? ''));
    expect((await get(tampered.href)).status).toBe(400);
    // A fresh flow whose code is swapped: the issuer refuses the exchange.
    const { challenge } = pkce();
    const start = await get(`${r.f.http}/api/v1/auth/oidc/start?app=web&challenge=${challenge}`);
    const good = new URL(
      await signInAtIssuer(start.location as string, { username: 'oscar', password: 'oscar-pw-2' }),
    );
    good.searchParams.set('code', 'forged-code');
    const forged = await get(good.href);
    expect(forged.status).toBe(303);
    expect(forged.location).toContain('error=rejected');
    expect(codeOf(forged.location)).toBeNull();
  });

  it('refuses a start without an S256 challenge', async () => {
    const res = await get(`${r.f.http}/api/v1/auth/oidc/start?app=web&challenge=short`);
    expect(res.status).toBe(400);
    expect(
      (await get(`${r.f.http}/api/v1/auth/oidc/start?app=evil&challenge=${pkce().challenge}`))
        .status,
    ).toBe(400);
  });

  it('a logout at the issuer ends the Ferry session and closes its sockets', async () => {
    const jar = new CookieJar();
    const { verifier, back } = await codeFor(
      { username: 'oscar', password: 'oscar-pw-2' },
      'web',
      jar,
    );
    const tokens = (await exchange(codeOf(back.location) as string, verifier)).body;
    const user = { ...tokens, id: tokens.user.id, username: 'oscar', password: '' };
    const c = await r.f.joined(inboxRoom(user.id), user);
    const closed = nextClose(c);
    const ended = await r.issuer?.logout({ sub: 'sub-oscar' });
    expect(ended?.length).toBeGreaterThan(0);
    expect((await closed).reason).toMatch(/signed out/);
    const refresh = await api(r.f.http, 'POST', '/auth/refresh', {
      body: { refreshToken: tokens.refreshToken },
    });
    expect(refresh.status).toBe(401);
    expect(r.f.audit('identity.logout').at(-1)?.detail).toMatchObject({ ended: 1 });
    // A forged logout token changes nothing and is audited.
    const forged = await fetch(`${r.f.http}/api/v1/auth/oidc/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'logout_token=eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    });
    expect(forged.status).toBe(400);
  });

  it('a person the issuer calls "admin" gets a name of their own, never the local admin', async () => {
    await r.issuer?.addUser({
      username: 'Admin',
      password: 'pretend-admin-pw',
      name: 'Not\u0007 the admin',
      groups: ['staff'],
    });
    const { verifier, back } = await codeFor({ username: 'Admin', password: 'pretend-admin-pw' });
    const res = await exchange(codeOf(back.location) as string, verifier);
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({
      username: 'admin-2',
      displayName: 'Not the admin',
      role: 'member',
    });
    expect(res.body.user.id).not.toBe(r.f.admin.id);
    const local = await r.f.call<{
      users: Array<{ id: string; username: string; source: string; role: string }>;
    }>('GET', '/admin/users', r.f.admin);
    expect(local.body.users.find((u) => u.id === r.f.admin.id)).toMatchObject({
      username: 'admin',
      source: 'local',
      role: 'admin',
    });
  });

  it('says which sign-ins the relay offers', async () => {
    const res = await api(r.f.http, 'GET', '/auth/providers');
    expect(res.body).toEqual({
      local: 'everyone',
      ldap: null,
      oidc: { label: 'Sign in with Ferry Test' },
      offlineGraceDays: 14,
    });
  });
});

describe('single sign-on without accounts made at first sign-in, local sign-in for admins only', () => {
  let strict: IdentityRelay;
  beforeAll(async () => {
    strict = await startIdentityRelay({
      ldap: null,
      oidc: { createAccounts: false },
      identity: { localSignIn: 'admins' },
    });
  }, 60_000);
  afterAll(async () => {
    await strict?.stop();
  });

  it('answers "no Ferry account for you yet" and makes none; local members are turned away', async () => {
    const { challenge } = pkce();
    const start = await get(
      `${strict.f.http}/api/v1/auth/oidc/start?app=web&challenge=${challenge}`,
    );
    const callback = await signInAtIssuer(start.location as string, {
      username: 'olivia',
      password: 'olivia-pw-1',
    });
    const back = await get(callback);
    const said = new URLSearchParams((back.location ?? '').split('#/auth?')[1]);
    expect(said.get('error')).toBe('forbidden');
    expect(said.get('message')).toBe(
      'there is no Ferry account for you yet; ask an admin to make one',
    );
    expect(
      strict.f.rows<{ n: number }>("SELECT COUNT(*) AS n FROM users WHERE source = 'oidc'")[0]?.n,
    ).toBe(0);
    await expect(strict.f.user('mallory', 'member')).rejects.toThrow(/403.*local-sign-in-off/);
    const refused = await api(strict.f.http, 'POST', '/auth/login', {
      body: { username: 'admin', password: 'wrong-password-here' },
    });
    expect(refused.status).toBe(401);
    const providers = await api(strict.f.http, 'GET', '/auth/providers');
    expect(providers.body).toMatchObject({ local: 'admins' });
  });
});
