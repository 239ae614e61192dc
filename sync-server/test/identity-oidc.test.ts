// OIDC sign-in (issue 15) against a real OpenID provider started by the test (oidc-provider
// in its own process, test/engines/oidc.ts): the whole code + PKCE flow without a browser,
// every check that must refuse (state, nonce, PKCE, code reuse, redirect URI), back-channel
// logout tokens real and forged, the issuer down, and no secret in any message.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { OidcIssuer, type OidcFlow } from '../src/identity/oidc';
import { parseOidcConfig, type OidcConfig } from '../src/identity/oidc-config';
import { IdentityError } from '../src/identity/types';
import {
  CookieJar,
  IssuerPageError,
  signInAtIssuer,
  signOutAtIssuer,
  startIssuer,
} from './engines/oidc';
import { useIssuer } from './engines/use-issuer';

const REDIRECT = 'http://127.0.0.1:7880/api/v1/auth/oidc/callback';
const ALICE = { username: 'alice', password: 'alice-pw', groups: ['ferry-admins', 'staff'] };
const idp = useIssuer({ users: [ALICE], redirectUri: REDIRECT });

const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-oidc-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every IdentityError message seen, checked for secrets at the end. */
const messages: string[] = [];
const secretsSeen = new Set<string>(['alice-pw']);

function configFor(overrides: Record<string, unknown> = {}): OidcConfig {
  const secretFile = path.join(dir, 'oidc.secret');
  writeFileSync(secretFile, `  ${idp().clientSecret}\n`);
  secretsSeen.add(idp().clientSecret);
  const errors: string[] = [];
  const config = parseOidcConfig(
    {
      issuer: idp().issuer,
      allowHttp: true,
      clientId: idp().clientId,
      clientSecretFile: secretFile,
      label: 'Sign in with Corp',
      redirectUri: REDIRECT,
      claims: { groups: 'groups' },
      roles: { 'ferry-admins': 'admin', staff: 'member' },
      ...overrides,
    },
    errors,
  );
  expect(errors).toEqual([]);
  return config as OidcConfig;
}

async function refused(promise: Promise<unknown>): Promise<IdentityError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IdentityError);
  messages.push((error as IdentityError).message);
  return error as IdentityError;
}

/** begin → the issuer's login form → the callback URL (code and state). */
async function signIn(issuer: OidcIssuer, who = ALICE): Promise<{ callback: URL; flow: OidcFlow }> {
  const { url, flow } = await issuer.begin();
  const callback = new URL(await signInAtIssuer(url, who));
  const code = callback.searchParams.get('code');
  if (code) secretsSeen.add(code);
  return { callback, flow };
}

describe('identity.oidc config', () => {
  it('reads the secret from its file, trimmed, and fills the defaults', () => {
    const config = configFor();
    expect(config.clientSecret).toBe(idp().clientSecret);
    expect(config.scopes).toEqual(['openid', 'profile', 'email', 'groups']);
    expect(config.claims).toEqual({
      id: 'sub',
      username: 'preferred_username',
      displayName: 'name',
      email: 'email',
      groups: 'groups',
    });
    expect(config.maps.roles).toEqual([
      ['ferry-admins', 'admin'],
      ['staff', 'member'],
    ]);
    expect(config.maps.defaultRole).toBe('member');
    expect(config.createAccounts).toBe(true);
  });

  it('names the key of every wrong setting and never echoes the secret', () => {
    const errors: string[] = [];
    const config = parseOidcConfig(
      {
        issuer: 'http://sso.corp.example/realms/corp',
        allowHttp: true,
        clientId: '',
        clientSecretFile: path.join(dir, 'missing.secret'),
        redirectUri: '/api/v1/auth/oidc/callback',
        roles: { staff: 'boss' },
        scopes: ['profile'],
        extra: 1,
      },
      errors,
    );
    expect(config).toBeNull();
    expect(errors).toEqual([
      'identity.oidc: unknown key "extra"',
      'identity.oidc.issuer: http is allowed only to a loopback issuer (127.0.0.1, ::1, localhost); use https',
      'identity.oidc.clientId: must be the client id registered at the issuer',
      `identity.oidc.clientSecretFile: cannot read ${path.join(dir, 'missing.secret')} (ENOENT)`,
      'identity.oidc.redirectUri: must be an absolute URL, e.g. https://ferry.corp.example/api/v1/auth/oidc/callback',
      'identity.oidc.scopes: must include "openid"',
      'identity.oidc.roles["staff"]: a role is admin, member or guest',
    ]);
    const noHttp: string[] = [];
    parseOidcConfig({ ...rawOk(), allowHttp: undefined }, noHttp);
    expect(noHttp).toEqual([
      'identity.oidc.issuer: must be https (http only with allowHttp, to a loopback issuer, for tests)',
    ]);
    const badRedirect: string[] = [];
    parseOidcConfig({ ...rawOk(), redirectUri: 'http://ferry.corp.example/cb' }, badRedirect);
    expect(badRedirect).toEqual([
      'identity.oidc.redirectUri: must be https (http only on a loopback address)',
    ]);
    for (const line of [...errors, ...noHttp, ...badRedirect]) {
      expect(line).not.toContain(idp().clientSecret);
    }
  });

  function rawOk(): Record<string, unknown> {
    const secretFile = path.join(dir, 'ok.secret');
    writeFileSync(secretFile, idp().clientSecret);
    return {
      issuer: idp().issuer,
      allowHttp: true,
      clientId: 'ferry',
      clientSecretFile: secretFile,
      redirectUri: REDIRECT,
    };
  }
});

describe('OIDC sign-in against a real issuer', () => {
  it('signs in: code + PKCE S256, ID token checked, claims mapped with groups and sid', async () => {
    const issuer = new OidcIssuer(configFor());
    const { url, flow } = await issuer.begin();
    const sent = new URL(url);
    expect(sent.searchParams.get('redirect_uri')).toBe(REDIRECT);
    expect(sent.searchParams.get('code_challenge_method')).toBe('S256');
    expect(sent.searchParams.get('state')).toBe(flow.state);
    expect(sent.searchParams.get('nonce')).toBe(flow.nonce);
    expect(sent.searchParams.get('scope')).toBe('openid profile email groups');
    expect(url).not.toContain(flow.verifier);

    const callback = new URL(await signInAtIssuer(url, ALICE));
    expect(`${callback.origin}${callback.pathname}`).toBe(REDIRECT);
    expect(callback.searchParams.get('state')).toBe(flow.state);
    const { person, sid } = await issuer.finish(callback, flow);
    expect(person).toEqual({
      externalId: 'sub-alice',
      username: 'alice',
      displayName: 'alice',
      email: 'alice@corp.example',
      disabled: false,
      groups: ['ferry-admins', 'staff'],
    });
    expect(sid).toMatch(/^[\w-]{20,}$/);
  });

  it('lower-cases the username and reads groups from userinfo when the ID token lacks them', async () => {
    const other = await startIssuer({
      users: [{ username: 'Bob.Smith', password: 'bob-pw', groups: ['staff'], name: 'Bob Smith' }],
      redirectUri: REDIRECT,
      claimsInIdToken: false,
    });
    try {
      secretsSeen.add(other.clientSecret);
      writeFileSync(path.join(dir, 'other.secret'), other.clientSecret);
      const issuer = new OidcIssuer({
        ...configFor(),
        issuer: other.issuer,
        clientSecret: other.clientSecret,
      });
      const { callback, flow } = await signIn(issuer, {
        username: 'bob.smith',
        password: 'bob-pw',
        groups: [],
      });
      const { person } = await issuer.finish(callback, flow);
      expect(person).toMatchObject({
        externalId: 'sub-bob.smith',
        username: 'bob.smith',
        displayName: 'Bob Smith',
        groups: ['staff'],
      });
    } finally {
      await other.dispose();
    }
  });

  it('a wrong password at the issuer gives no code', async () => {
    const issuer = new OidcIssuer(configFor());
    const { url } = await issuer.begin();
    const error = await signInAtIssuer(url, { username: 'alice', password: 'alice-pw!' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IssuerPageError);
    expect((error as IssuerPageError).status).toBe(401);
    expect((error as IssuerPageError).text).toBe('Wrong username or password.');
  });

  it('refuses a tampered state, a nonce mismatch and a wrong PKCE verifier', async () => {
    const issuer = new OidcIssuer(configFor());
    const a = await signIn(issuer);
    const state = await refused(
      issuer.finish(a.callback, { ...a.flow, state: 'x' + a.flow.state.slice(1) }),
    );
    expect(state).toMatchObject({
      code: 'rejected',
      message: 'the state does not match the sign-in that was started',
    });

    const b = await signIn(issuer);
    const nonce = await refused(issuer.finish(b.callback, { ...b.flow, nonce: 'another-nonce' }));
    expect(nonce).toMatchObject({
      code: 'rejected',
      message: "the ID token's nonce does not match the sign-in that was started",
    });

    const c = await signIn(issuer);
    const other = (await issuer.begin()).flow.verifier;
    const pkce = await refused(issuer.finish(c.callback, { ...c.flow, verifier: other }));
    expect(pkce.code).toBe('rejected');
    expect(pkce.message).toMatch(/^the issuer refused the code \(invalid_grant/);
  });

  it('refuses a code used twice', async () => {
    const issuer = new OidcIssuer(configFor());
    const { callback, flow } = await signIn(issuer);
    await issuer.finish(callback, flow);
    const again = await refused(issuer.finish(callback, flow));
    expect(again.code).toBe('rejected');
    expect(again.message).toMatch(/invalid_grant/);
  });

  it('the issuer refuses a redirect URI one character off; finish refuses another callback path', async () => {
    const issuer = new OidcIssuer(configFor({ redirectUri: REDIRECT.replace(/k$/, 'x') }));
    const { url } = await issuer.begin();
    const error = await signInAtIssuer(url, ALICE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerPageError);
    expect((error as IssuerPageError).text).toMatch(/redirect_uri/);

    const good = new OidcIssuer(configFor());
    const { callback, flow } = await signIn(good);
    const elsewhere = new URL(callback.href.replace('/callback', '/callbacks'));
    const refusedPath = await refused(good.finish(elsewhere, flow));
    expect(refusedPath.message).toBe('the callback URL is not the configured redirectUri');
  });

  it('an error sent back by the issuer is refused in words', async () => {
    const issuer = new OidcIssuer(configFor());
    const { flow } = await issuer.begin();
    const callback = new URL(
      `${REDIRECT}?error=access_denied&state=${flow.state}&iss=${encodeURIComponent(idp().issuer)}`,
    );
    const error = await refused(issuer.finish(callback, flow));
    expect(error).toMatchObject({
      code: 'rejected',
      message: 'the issuer refused the sign-in (access_denied)',
    });
  });
});

describe('back-channel logout', () => {
  it("verifies the issuer's logout token (sub and sid) and refuses it replayed", async () => {
    const issuer = new OidcIssuer(configFor());
    const { callback, flow } = await signIn(issuer);
    const { sid } = await issuer.finish(callback, flow);
    const ended = await idp().logout({ sid: sid ?? '' });
    expect(ended).toEqual([{ sub: 'sub-alice', sid }]);
    const token = (await idp().logoutTokens()).at(-1) ?? '';
    secretsSeen.add(token);
    expect(await issuer.verifyLogoutToken(token)).toEqual({ sub: 'sub-alice', sid });
    const replay = await refused(issuer.verifyLogoutToken(token));
    expect(replay.message).toBe('logout token refused: it was used already');
  });

  it('signing out at the issuer (end_session) sends a logout token for that sid', async () => {
    const issuer = new OidcIssuer(configFor());
    const jar = new CookieJar();
    const { url, flow } = await issuer.begin();
    const { sid } = await issuer.finish(new URL(await signInAtIssuer(url, ALICE, jar)), flow);
    const endSession = await issuer.endSessionUrl();
    expect(endSession).toBe(`${idp().issuer}/session/end?client_id=${idp().clientId}`);
    const before = (await idp().logoutTokens()).length;
    const landed = await signOutAtIssuer(endSession ?? '', jar);
    expect(landed).toBe(`${idp().issuer}/session/end/success`);
    const tokens = await idp().logoutTokens();
    expect(tokens).toHaveLength(before + 1);
    expect(await issuer.verifyLogoutToken(tokens.at(-1) ?? '')).toEqual({ sub: 'sub-alice', sid });
  });

  it('refuses a logout token signed by another key, and an ID token posing as one', async () => {
    const issuer = new OidcIssuer(configFor());
    const { privateKey } = await generateKeyPair('RS256');
    const forged = await new SignJWT({
      events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      sid: 'some-sid',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-issuer-1', typ: 'logout+jwt' })
      .setIssuer(idp().issuer)
      .setAudience(idp().clientId)
      .setSubject('sub-alice')
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('forged-1')
      .sign(privateKey);
    const error = await refused(issuer.verifyLogoutToken(forged));
    expect(error).toMatchObject({
      code: 'rejected',
      message: "logout token refused: it is not signed by the issuer's keys",
    });

    const notJwt = await refused(issuer.verifyLogoutToken('not.a.jwt'));
    expect(notJwt.message).toBe('logout token refused: it is not a well-formed signed JWT');
  });
});

describe('the issuer down or wrong', () => {
  it("says 'unavailable' when the issuer cannot be reached, 'misconfigured' without discovery", async () => {
    const gone = await startIssuer({ users: [ALICE], redirectUri: REDIRECT });
    const issuerUrl = gone.issuer;
    secretsSeen.add(gone.clientSecret);
    const config = { ...configFor(), issuer: issuerUrl, clientSecret: gone.clientSecret };
    const issuer = new OidcIssuer(config);
    const { callback, flow } = await signIn(issuer);
    await gone.dispose();
    const atCallback = await refused(issuer.finish(callback, flow));
    expect(atCallback).toMatchObject({
      code: 'unavailable',
      message: `the issuer ${issuerUrl} cannot be reached`,
    });
    const atStart = await refused(new OidcIssuer(config).discover());
    expect(atStart).toMatchObject({
      code: 'unavailable',
      message: `the issuer ${issuerUrl} cannot be reached`,
    });

    const wrong = `${idp().issuer}/realms/none`;
    const noDiscovery = await refused(new OidcIssuer({ ...configFor(), issuer: wrong }).discover());
    expect(noDiscovery).toMatchObject({
      code: 'misconfigured',
      message: `${wrong} has no OpenID discovery document (${wrong}/.well-known/openid-configuration)`,
    });
  });

  it('no message holds the client secret, a password, a code or a token', () => {
    expect(messages.length).toBeGreaterThanOrEqual(10);
    for (const message of messages) {
      expect(message).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
      for (const secret of secretsSeen) expect(message).not.toContain(secret);
    }
  });
});
