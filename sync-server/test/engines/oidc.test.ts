// The OpenID provider test engine itself: discovery on 127.0.0.1, the login form and its
// session (a second sign-in needs no password), logout tokens posted to the URI the test
// gives, end_session, user changes, stop/start on the same port, and nothing left running.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { liveEngines } from './common';
import { CookieJar, signInAtIssuer, startIssuer, type IssuerEngine } from './oidc';

const REDIRECT = 'http://127.0.0.1:7880/api/v1/auth/oidc/callback';

async function authorizationUrl(idp: IssuerEngine) {
  const config = await client.discovery(
    new URL(idp.issuer),
    idp.clientId,
    undefined,
    client.ClientSecretBasic(idp.clientSecret),
    { execute: [client.allowInsecureRequests] },
  );
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: 'openid profile groups',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: client.randomState(),
    nonce: client.randomNonce(),
  });
  return { config, url: url.href, verifier };
}

/** A back-channel logout endpoint of the test's own: resolves each posted logout token. */
async function logoutReceiver() {
  const tokens: string[] = [];
  let arrived: (() => void) | null = null;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      tokens.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(200).end();
      arrived?.();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    uri: `http://127.0.0.1:${port}/backchannel-logout`,
    tokens,
    next: () => new Promise<void>((resolve) => (arrived = resolve)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('OpenID provider test engine', () => {
  it('signs in once with the password, then from its session; logs out to the given URI', async () => {
    const receiver = await logoutReceiver();
    const idp = await startIssuer({
      users: [{ username: 'alice', password: 'alice-pw', groups: ['staff'] }],
      redirectUri: REDIRECT,
      backchannelLogoutUri: receiver.uri,
    });
    try {
      expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const jar = new CookieJar();
      const first = await authorizationUrl(idp);
      expect(first.config.serverMetadata()).toMatchObject({
        issuer: idp.issuer,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
        code_challenge_methods_supported: ['S256'],
      });
      const callback = await signInAtIssuer(
        first.url,
        { username: 'alice', password: 'alice-pw' },
        jar,
      );
      expect(callback.startsWith(`${REDIRECT}?code=`)).toBe(true);
      // The issuer's session cookie signs in again without the form.
      const second = await authorizationUrl(idp);
      expect(await signInAtIssuer(second.url, null, jar)).toMatch(/[?&]code=/);

      const logoutArrived = receiver.next();
      const ended = await idp.logout({ sub: 'sub-alice' });
      expect(ended).toHaveLength(1);
      await logoutArrived;
      expect(receiver.tokens).toHaveLength(1);
      const claims = JSON.parse(
        Buffer.from(receiver.tokens[0]?.split('.')[1] ?? '', 'base64url').toString(),
      ) as Record<string, unknown>;
      expect(claims).toMatchObject({ iss: idp.issuer, aud: idp.clientId, sub: 'sub-alice' });
      expect(claims.sid).toBe(ended[0]?.sid);
      // The issuer's session is gone: the next sign-in shows the form again.
      const third = await authorizationUrl(idp);
      await expect(signInAtIssuer(third.url, null, jar)).rejects.toThrow(/answered 200/);
    } finally {
      await idp.dispose();
      await receiver.close();
    }
  });

  it('adds, changes and removes users; stops and starts on the same port', async () => {
    const idp = await startIssuer({ users: [], redirectUri: REDIRECT });
    try {
      expect(await idp.addUser({ username: 'Carol', password: 'carol-pw', groups: ['a'] })).toBe(
        'sub-carol',
      );
      await idp.setGroups('carol', ['b']);
      const a = await authorizationUrl(idp);
      const callback = new URL(
        await signInAtIssuer(a.url, { username: 'carol', password: 'carol-pw' }),
      );
      expect(callback.searchParams.get('code')).toBeTruthy();
      await idp.removeUser('carol');
      const b = await authorizationUrl(idp);
      await expect(
        signInAtIssuer(b.url, { username: 'carol', password: 'carol-pw' }),
      ).rejects.toThrow(/401: Wrong username or password/);

      const port = idp.port;
      await idp.stop();
      expect(idp.running()).toBe(false);
      await expect(fetch(`${idp.issuer}/.well-known/openid-configuration`)).rejects.toThrow();
      await idp.start();
      expect(idp.port).toBe(port);
      const c = await authorizationUrl(idp);
      expect(c.url.startsWith(idp.issuer)).toBe(true);
    } finally {
      await idp.dispose();
    }
    expect(liveEngines()).toBe(0);
  });
});
