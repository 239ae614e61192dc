// Company sign-in as the app sees it (identity.ts, issue 15): the PKCE-like verifier and its
// challenge, the return from the issuer read strictly, the providers of a relay, and the
// exchange's refusals in words. Against a REAL relay with no company sign-in configured, and
// a path where it has no such route (as a relay from before issue 15 answers: 404).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  LEGACY_PROVIDERS,
  SSO_PENDING_MAX_MS,
  authReturnOfHash,
  challengeOf,
  exchangeReturn,
  fetchProviders,
  makeVerifier,
  memoryKeeper,
  parseAuthQuery,
  parseProviders,
  ssoStartUrl,
  storageKeeper,
} from '../../src/data/identity';
import { useRelay } from './harness';

const CODE = 'q2V7mN0sX1yZ_a-bcdefGHIJ';

describe('the verifier and its challenge', () => {
  it('is base64url(SHA-256(verifier)) as Node computes it; a verifier is 32 random bytes', async () => {
    // SHA-256("abc") is the FIPS 180-2 example ba7816bf…15ad.
    expect(await challengeOf('abc')).toBe(Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString('base64url'));
    const v = makeVerifier();
    expect(v).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(makeVerifier()).not.toBe(v);
    expect(await challengeOf(v)).toBe(createHash('sha256').update(v).digest('base64url'));
  });

  it('builds the start address under /api/v1 with app and challenge only', () => {
    expect(ssoStartUrl('https://ferry.corp.example/x', 'desktop', 'abc_-')).toBe(
      'https://ferry.corp.example/x/api/v1/auth/oidc/start?app=desktop&challenge=abc_-',
    );
  });
});

describe('the return from the issuer', () => {
  it('reads #/auth?code= and #/auth?error=&message=, the words as plain text', () => {
    expect(authReturnOfHash(`#/auth?code=${CODE}`)).toEqual({ kind: 'code', code: CODE });
    expect(authReturnOfHash('#/auth?error=access_denied&message=Not+for+you%0A<b>')).toEqual({
      kind: 'error',
      error: 'access_denied',
      message: 'Not for you <b>',
    });
    expect(parseAuthQuery('error=failed')).toMatchObject({ message: 'Company sign-in did not finish.' });
  });

  it.each([
    ['another hash', `#/invite/${CODE}`],
    ['no query', '#/auth'],
    ['both', `#/auth?code=${CODE}&error=x`],
    ['twice', `#/auth?code=${CODE}&code=${CODE}`],
    ['a short code', '#/auth?code=abc'],
    ['an odd code', `#/auth?code=${CODE}%3Cx%3E`],
    ['a code with words', `#/auth?code=${CODE}&message=hi`],
    ['another parameter', `#/auth?code=${CODE}&next=https://evil`],
    ['an odd error', '#/auth?error=Bad%20Thing'],
  ])('refuses %s', (_why, hash) => {
    expect(authReturnOfHash(hash)).toBeNull();
  });
});

describe('the providers', () => {
  it('reads the answer, defaulting to the old behaviour where it is missing or odd', () => {
    expect(parseProviders({ local: 'admins', ldap: { label: 'Corp' }, oidc: { label: 'Corp SSO' }, offlineGraceDays: 14 })).toEqual({
      local: 'admins',
      ldap: { label: 'Corp' },
      oidc: { label: 'Corp SSO' },
      offlineGraceDays: 14,
    });
    expect(parseProviders({ local: 'x', ldap: null, oidc: { label: '' }, offlineGraceDays: -3 })).toEqual({
      local: 'everyone',
      ldap: null,
      oidc: { label: 'your company account' },
      offlineGraceDays: null,
    });
    expect(parseProviders(null)).toEqual(LEGACY_PROVIDERS);
  });
});

describe('keeping the verifier', () => {
  it('hands it back once (memory and sessionStorage-like), never a damaged record', () => {
    const p = { verifier: 'v'.repeat(43), serverUrl: 'https://a.example', at: 5 };
    const m = memoryKeeper();
    m.put(p);
    expect(m.take()).toEqual(p);
    expect(m.take()).toBeNull();
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    const s = storageKeeper(storage);
    s.put(p);
    expect(s.take()).toEqual(p);
    expect(s.take()).toBeNull();
    data.set('ferry.sso.pending', '{not json');
    expect(s.take()).toBeNull();
  });
});

const relayOf = useRelay();

describe('against a relay without company sign-in configured (real)', () => {
  const http = { fetch: (i: string, init?: RequestInit) => fetch(i, init) };

  it('its providers: local sign-in for everyone, no offline limit; a 404 (an older relay) means the same', async () => {
    expect(await fetchProviders(http, relayOf().url)).toEqual(LEGACY_PROVIDERS);
    // The relay's own 404 for a route it does not have, as a relay from before issue 15 gives.
    expect(await fetchProviders(http, `${relayOf().url}/no-such-prefix`)).toEqual(LEGACY_PROVIDERS);
  });

  it('a relay that is not there is an error in words, not "local only"', async () => {
    await expect(fetchProviders(http, 'http://127.0.0.1:1')).rejects.toThrow(/Can't reach the server/);
  });

  it('the exchange refuses in words: the issuer said no, nothing pending, too old, no such route', async () => {
    const now = Date.now();
    const pending = { verifier: makeVerifier(), serverUrl: relayOf().url, at: now };
    expect(await exchangeReturn(http, { kind: 'error', error: 'access_denied', message: 'Not for you.' }, pending, now)).toEqual({
      ok: false,
      code: 'error',
      message: 'Not for you.',
    });
    expect(await exchangeReturn(http, { kind: 'code', code: CODE }, null, now)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/not started on this device/),
    });
    expect(await exchangeReturn(http, { kind: 'code', code: CODE }, pending, now + SSO_PENDING_MAX_MS + 1)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/took too long/),
    });
    const r = await exchangeReturn(http, { kind: 'code', code: CODE }, pending, now);
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/does not offer company sign-in/) });
    // Neither the code nor the verifier is ever in a message.
    expect(JSON.stringify(r)).not.toContain(CODE);
    expect(JSON.stringify(r)).not.toContain(pending.verifier);
  });
});
