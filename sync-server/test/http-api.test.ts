// The /api/v1 layer on a real relay: server info, first-admin setup, the error shape, body
// limits, CORS, request ids and what the request log holds (no secrets, no query strings).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorCode, login, runCli, type Tokens } from './accounts-helpers';
import { removeDir, startRelayProcess, tempDir, type RelayProcess } from './helpers';

describe('http api: basics', () => {
  let dir: string;
  let relay: RelayProcess;
  const password = 'correct horse battery';

  beforeAll(async () => {
    dir = tempDir();
    relay = await startRelayProcess(dir, [], { auth: true });
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('says setup is required and logs how to create the first admin', async () => {
    const r = await api(relay.http, 'GET', '/server');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Ferry', setupRequired: true, auth: true });
    expect(typeof r.body.version).toBe('string');
    const line = await relay.waitForLog((l) => l.msg.startsWith('NO USERS YET'));
    expect(line.msg).toContain('ferry-relay admin users create');
    expect(typeof line.setupCode).toBe('string');
  });

  it('refuses a bad setup body with 400 invalid and one detail per issue', async () => {
    const r = await api(relay.http, 'POST', '/setup', {
      body: { username: 'Bad Name!', password: 'short' },
    });
    expect(r.status).toBe(400);
    expect(errorCode(r)).toBe('invalid');
    const details = (r.body as { error: { details: Array<{ path: string }> } }).error.details;
    expect(details.map((d) => d.path).sort()).toEqual(['password', 'username']);
    // The input itself (a password!) is never echoed back.
    expect(JSON.stringify(r.body)).not.toContain('short"');
  });

  let admin: Tokens;
  it('creates the first admin from loopback, signed in at once; only once', async () => {
    const r = await api<Tokens>(relay.http, 'POST', '/setup', {
      body: { username: 'Root', password, displayName: 'The Admin' },
    });
    expect(r.status).toBe(201);
    expect(r.body.user).toMatchObject({ username: 'root', role: 'admin' });
    admin = r.body;
    const again = await api(relay.http, 'POST', '/setup', {
      body: { username: 'other', password },
    });
    expect(again.status).toBe(409);
    expect(errorCode(again)).toBe('conflict');
    expect((await api(relay.http, 'GET', '/server')).body.setupRequired).toBe(false);
  });

  it('signs in case-insensitively and answers /me', async () => {
    const t = await login(relay.http, 'ROOT', password);
    const me = await api(relay.http, 'GET', '/me', { token: t.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ username: 'root', displayName: 'The Admin' });
  });

  it('answers unknown endpoints 404, wrong methods 405, all in the error shape', async () => {
    const a = await api(relay.http, 'GET', '/nope');
    expect(a.status).toBe(404);
    expect(errorCode(a)).toBe('not-found');
    const b = await api(relay.http, 'DELETE', '/server');
    expect(b.status).toBe(405);
    expect(b.headers.get('allow')).toBe('GET');
  });

  it('refuses bodies over 64 KiB with 413, non-JSON with 415, broken JSON with 400', async () => {
    const big = await fetch(`${relay.http}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: 'x', password: 'y'.repeat(70_000) }),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe('too-large');
    const text = await fetch(`${relay.http}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    const broken = await fetch(`${relay.http}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{"username":',
    });
    expect(broken.status).toBe(400);
  });

  it('sends CORS headers without credentials, no-store and a request id', async () => {
    const pre = await fetch(`${relay.http}/api/v1/me`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'app://ferry',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('*');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    const r = await api(relay.http, 'GET', '/me', { token: admin.accessToken });
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('cache-control')).toBe('no-store');
    const rid = r.headers.get('x-request-id');
    expect(rid).toBeTruthy();
    const line = await relay.waitForLog((l) => l.rid === rid && l.msg === 'api request');
    expect(line).toMatchObject({ method: 'GET', path: '/api/v1/me', status: 200 });
  });

  it('logs paths without query strings and never a password or token', async () => {
    await api(relay.http, 'GET', '/users?q=secretquery', { token: admin.accessToken });
    await relay.waitForLog((l) => l.path === '/api/v1/users');
    const all = relay.logs.map((l) => JSON.stringify(l)).join('\n');
    expect(all).not.toContain('secretquery');
    expect(all).not.toContain(password);
    expect(all).not.toContain(admin.accessToken);
    // The secret part: the last one (`<sid>.<generation>.<tag>`).
    expect(all).not.toContain(admin.refreshToken.split('.').pop());
  });
});

describe('http api: setup from another machine, and --no-auth', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    dir = tempDir();
    relay = await startRelayProcess(dir, [], { auth: true });
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  it('needs the setup code the relay printed when the request is not from loopback', async () => {
    const line = await relay.waitForLog((l) => l.msg.startsWith('NO USERS YET'));
    const code = String(line.setupCode);
    // Behind a reverse proxy every request arrives over loopback: proxy headers count as remote.
    const proxied = { 'X-Forwarded-For': '203.0.113.9' };
    const body = { username: 'boss', password: 'correct horse battery' };
    const none = await api(relay.http, 'POST', '/setup', { body, headers: proxied });
    expect(none.status).toBe(403);
    expect(errorCode(none)).toBe('forbidden');
    const wrong = await api(relay.http, 'POST', '/setup', {
      body: { ...body, setupCode: code.slice(1) + 'x' },
      headers: proxied,
    });
    expect(wrong.status).toBe(403);
    const right = await api(relay.http, 'POST', '/setup', {
      body: { ...body, setupCode: code },
      headers: proxied,
    });
    expect(right.status).toBe(201);
  });

  it('--no-auth is refused unless the relay listens on loopback only', async () => {
    const r = await runCli([
      'serve',
      '--no-auth',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--data',
      dir,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--no-auth: refused with --host 0\.0\.0\.0/);
  });

  it('--no-auth on loopback warns at start', async () => {
    const other = tempDir();
    const open = await startRelayProcess(other);
    try {
      const line = await open.waitForLog((l) => l.msg.startsWith('ACCOUNTS ARE OFF'));
      expect(line.level).toBe(40);
      expect((await api(open.http, 'GET', '/server')).body).toMatchObject({ auth: false });
    } finally {
      await open.stop();
      removeDir(other);
    }
  });
});

describe('http api: --trust-proxy', () => {
  it('rate-limits by the address the proxy appended to X-Forwarded-For', async () => {
    const dir = tempDir();
    const relay = await startRelayProcess(dir, ['--trust-proxy', '--limit-api-address', '2/1/min']);
    try {
      const from = (addr: string) =>
        api(relay.http, 'GET', '/server', { headers: { 'X-Forwarded-For': `10.9.9.9, ${addr}` } });
      expect((await from('198.51.100.1')).status).toBe(200);
      expect((await from('198.51.100.1')).status).toBe(200);
      expect((await from('198.51.100.1')).status).toBe(429);
      // Another client behind the same proxy has its own bucket; the spoofable first entry
      // (10.9.9.9, the same in every request) does not count.
      expect((await from('198.51.100.2')).status).toBe(200);
    } finally {
      await relay.stop();
      removeDir(dir);
    }
  });
});
