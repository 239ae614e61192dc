import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_SCHEME } from '../../core/src/desktop/api';
import {
  APP_SCHEME_PRIVILEGES,
  createAppHandler,
  registerAppProtocol,
  resolveAppPath,
} from '../src/protocol';
import { CONTENT_SECURITY_POLICY } from '../src/security';

let tmp: string;
let root: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'ferry-protocol-'));
  root = path.join(tmp, 'renderer');
  await mkdir(path.join(root, 'assets'), { recursive: true });
  await writeFile(path.join(root, 'index.html'), '<!doctype html><title>Ferry</title>');
  await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(tmp, 'secret.txt'), 'TOP-SECRET-CONTENT');
  await symlink(path.join(tmp, 'secret.txt'), path.join(root, 'link.txt'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const get = (url: string, method = 'GET') => createAppHandler(root)(new Request(url, { method }));

describe('app:// protocol', () => {
  it('is registered as a standard, secure scheme (an origin with storage), never bypassing CSP', () => {
    expect(APP_SCHEME_PRIVILEGES.scheme).toBe(APP_SCHEME);
    expect(APP_SCHEME_PRIVILEGES.privileges).toMatchObject({ standard: true, secure: true });
    expect(APP_SCHEME_PRIVILEGES.privileges?.bypassCSP).toBeUndefined();
    let registered: string | undefined;
    registerAppProtocol({ handle: (scheme) => void (registered = scheme) }, root);
    expect(registered).toBe('app');
  });

  it('serves the renderer build with the CSP and nosniff on every response', async () => {
    const index = await get('app://ferry/index.html');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('<title>Ferry</title>');

    const root_ = await get('app://ferry/');
    expect(await root_.text()).toContain('<title>Ferry</title>');
    const js = await get('app://ferry/assets/app.js');
    expect(js.headers.get('content-type')).toContain('text/javascript');

    const missing = await get('app://ferry/nope.js');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
  });

  it.each([
    'app://ferry/..%2f..%2fetc%2fpasswd',
    'app://ferry/%2e%2e/secret.txt',
    'app://ferry/assets/..%2F..%2Fsecret.txt',
    'app://ferry/..%5csecret.txt',
    'app://ferry/index.html%00.js',
    'app://ferry/link.txt',
    'app://ferry/%E0%A4%A',
  ])('refuses to leave the renderer folder: %s', async (url) => {
    const res = await get(url);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).not.toContain('TOP-SECRET-CONTENT');
  });

  it('URL-normalized dot segments stay inside the folder', async () => {
    // WHATWG URL parsing already folds /../ for standard schemes; the result must stay in root.
    const resolved = await resolveAppPath(root, 'app://ferry/assets/../index.html');
    expect(resolved).toEqual({
      ok: true,
      file: expect.stringContaining(path.join('renderer', 'index.html')),
    });
  });

  it('refuses other hosts, other schemes and writes', async () => {
    expect((await get('app://other/index.html')).status).toBe(403);
    expect((await resolveAppPath(root, 'file:///etc/passwd')).ok).toBe(false);
    expect((await get('app://ferry/index.html', 'POST')).status).toBe(405);
  });
});
