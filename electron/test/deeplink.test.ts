import { describe, expect, it } from 'vitest';
import type { DeepLink } from '../../core/src/desktop/api';
import { DeepLinkQueue, deepLinkFromArgv, parseDeepLink } from '../src/deeplink';

const CONV = '0123456789ABCDEF';

describe('parseDeepLink', () => {
  it('reads conversation and invite links, with an optional server', () => {
    expect(parseDeepLink(`ferry://conversation/${CONV}`)).toEqual({
      ok: true,
      link: { kind: 'conversation', conversationId: CONV, serverUrl: null },
    });
    expect(parseDeepLink(`FERRY://conversation/${CONV}/`)).toMatchObject({ ok: true });
    expect(
      parseDeepLink('ferry://invite/Ab3_x-9zQ?server=https%3A%2F%2Fchat.corp.example%2Fferry%2F'),
    ).toEqual({
      ok: true,
      link: { kind: 'invite', code: 'Ab3_x-9zQ', serverUrl: 'https://chat.corp.example/ferry' },
    });
  });

  it.each([
    ['a non-string', 42],
    ['another scheme', `https://conversation/${CONV}`],
    ['no slashes', `ferry:conversation/${CONV}`],
    ['an unknown kind', `ferry://settings/${CONV}`],
    ['a lower-case or short id', 'ferry://conversation/0123456789abcdef'],
    ['a path traversal', `ferry://conversation/../../${CONV}`],
    ['an encoded traversal', 'ferry://conversation/%2e%2e%2fetc'],
    ['two segments', `ferry://conversation/${CONV}/extra`],
    ['credentials', `ferry://user:pw@conversation/${CONV}`],
    ['a port', `ferry://conversation:80/${CONV}`],
    ['a fragment', `ferry://conversation/${CONV}#x`],
    ['an unknown parameter', `ferry://conversation/${CONV}?redirect=https://evil`],
    ['a javascript: server', `ferry://invite/abcdefg?server=javascript:alert(1)`],
    ['a file: server', `ferry://invite/abcdefg?server=file:///etc/passwd`],
    ['a server with credentials', `ferry://invite/abcdefg?server=https://a:b@evil.example`],
    ['two servers', `ferry://invite/abcdefg?server=https://a&server=https://b`],
    ['a short invite code', 'ferry://invite/abc'],
    ['an invite code with symbols', 'ferry://invite/abc<script>'],
    ['whitespace', `ferry://conversation/${CONV} --inspect`],
    ['a control character', `ferry://conversation/${CONV}\u0000`],
    ['a quote', `ferry://invite/abcdefg"--x`],
    ['non-ASCII', 'ferry://invite/äbcdefg'],
    ['a huge link', `ferry://invite/${'a'.repeat(5000)}`],
  ])('refuses %s', (_why, raw) => {
    const result = parseDeepLink(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^deep link refused: /);
  });
});

describe('parseDeepLink: the end of single sign-on (issue 15)', () => {
  const CODE = 'q2V7mN0sX1yZ_a-bcdefGHIJ';
  it('reads ferry://auth?code= and ferry://auth?error=&message=', () => {
    expect(parseDeepLink(`ferry://auth?code=${CODE}`)).toEqual({
      ok: true,
      link: { kind: 'auth', code: CODE },
    });
    expect(parseDeepLink(`ferry://auth/?code=${CODE}`)).toMatchObject({ ok: true });
    expect(
      parseDeepLink('ferry://auth?error=access_denied&message=You+are+not+allowed+to+use+Ferry.'),
    ).toEqual({
      ok: true,
      link: {
        kind: 'auth-error',
        error: 'access_denied',
        message: 'You are not allowed to use Ferry.',
      },
    });
    // Control characters in the words become spaces; no message gets a sentence of its own.
    expect(parseDeepLink('ferry://auth?error=failed&message=a%0Ab')).toMatchObject({
      link: { message: 'a b' },
    });
    expect(parseDeepLink('ferry://auth?error=failed')).toMatchObject({
      link: { message: 'Company sign-in did not finish.' },
    });
  });

  it.each([
    ['neither code nor error', 'ferry://auth'],
    ['both code and error', `ferry://auth?code=${CODE}&error=x`],
    ['a code given twice', `ferry://auth?code=${CODE}&code=${CODE}`],
    ['a short code', 'ferry://auth?code=abc'],
    ['a code with symbols', `ferry://auth?code=${CODE}%3Cscript%3E`],
    ['a code with a message', `ferry://auth?code=${CODE}&message=hi`],
    ['an unknown parameter', `ferry://auth?code=${CODE}&redirect=https://evil`],
    ['a server parameter', `ferry://auth?code=${CODE}&server=https://evil`],
    ['a path', `ferry://auth/x?code=${CODE}`],
    ['an error code with capitals or spaces', 'ferry://auth?error=Bad%20Thing'],
    ['a fragment', `ferry://auth?code=${CODE}#x`],
    ['credentials', `ferry://u:p@auth?code=${CODE}`],
    ['a port', `ferry://auth:1/?code=${CODE}`],
  ])('refuses %s', (_why, raw) => {
    const result = parseDeepLink(raw);
    expect(result.ok).toBe(false);
  });
});

describe('deepLinkFromArgv', () => {
  it('finds the link among Chromium switches, or null', () => {
    expect(
      deepLinkFromArgv(['/opt/Ferry/ferry', '--no-sandbox', `ferry://conversation/${CONV}`]),
    ).toBe(`ferry://conversation/${CONV}`);
    expect(deepLinkFromArgv(['C:\\Ferry\\Ferry.exe', '--allow-file-access-from-files'])).toBeNull();
  });
});

describe('DeepLinkQueue', () => {
  it('holds links until the renderer attaches, then delivers in order', () => {
    const q = new DeepLinkQueue();
    const a: DeepLink = { kind: 'invite', code: 'aaaaaa', serverUrl: null };
    const b: DeepLink = { kind: 'conversation', conversationId: CONV, serverUrl: null };
    q.push(a);
    const seen: DeepLink[] = [];
    q.attach((l) => seen.push(l));
    q.push(b);
    expect(seen).toEqual([a, b]);
    q.attach(null);
    q.push(a);
    expect(seen).toHaveLength(2);
  });
  it('drops links beyond 16 while nothing listens (a flood cannot grow memory)', () => {
    const q = new DeepLinkQueue();
    for (let i = 0; i < 100; i++) q.push({ kind: 'invite', code: 'aaaaaa', serverUrl: null });
    let n = 0;
    q.attach(() => n++);
    expect(n).toBe(16);
  });
});
