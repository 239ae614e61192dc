// Issue 10 hardening of the accounts layer, on real relays: an unknown username answers the
// backoff and the lock exactly like a real one (no enumeration), a refresh token of any earlier
// generation revokes its session, and refusals reach the audit log coalesced (one entry per
// subject and reason per window, with a count), in bounded memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Accounts } from '../src/accounts/service';
import { RefusalAudit } from '../src/refusals';
import { sha256 } from '../src/accounts/tokens';
import { Audit } from '../src/audit';
import { LruMap } from '../src/limits';
import { Store } from '../src/store';
import { api, login, runCli, type ApiResponse, type Tokens } from './accounts-helpers';
import { removeDir, startRelayProcess, tempDir, type RelayProcess } from './helpers';

const PASSWORD = 'a long enough password';

const errorCode = (r: ApiResponse<unknown>) =>
  (r.body as { error?: { code?: string } } | null)?.error?.code;

async function withUsers(args: string[], users: string[]) {
  const dir = tempDir();
  for (const name of users) {
    const r = await runCli(
      ['admin', 'users', 'create', name, '--role', 'member', '--password-stdin', '--data', dir],
      { stdin: PASSWORD },
    );
    if (r.code !== 0) throw new Error(r.stderr);
  }
  const relay = await startRelayProcess(dir, args, { auth: true });
  return { dir, relay };
}

interface Entry {
  action: string;
  actor: string | null;
  target: string | null;
  detail: Record<string, unknown> | null;
}

async function auditEntries(dir: string): Promise<Entry[]> {
  const out = (await runCli(['audit', 'export', '--data', dir])).stdout.trim();
  return out ? out.split('\n').map((l) => JSON.parse(l) as Entry) : [];
}

/** What an attacker sees of one answer: status, code and Retry-After (never the message). */
const seen = (r: ApiResponse<unknown>) => ({
  status: r.status,
  code: errorCode(r),
  retryAfter: r.headers.get('retry-after'),
});

describe('accounts: unknown usernames answer the backoff like real ones', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    ({ dir, relay } = await withUsers(
      [
        // A long first wait: the 6th attempt is always inside it, whatever the machine's speed.
        '--login-backoff-ms',
        '60000',
        '--limit-api-address',
        '1000/1000/s',
        '--limit-login-username',
        '1000/1000/s',
      ],
      ['sue'],
    ));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  const attempt = (username: string, password = 'wrong password!') =>
    api(relay.http, 'POST', '/auth/login', { body: { username, password } });

  it('after five failures a real name, an unknown one and a malformed one all wait (429, same Retry-After)', async () => {
    const answers: Record<string, ReturnType<typeof seen>[]> = {};
    for (const name of ['sue', 'ghost', 'No Body!']) {
      answers[name] = [];
      for (let i = 0; i < 7; i++) answers[name].push(seen(await attempt(name)));
    }
    const fail = { status: 401, code: 'invalid-credentials', retryAfter: null };
    const wait = { status: 429, code: 'rate-limited', retryAfter: '60' };
    const expected = [fail, fail, fail, fail, fail, wait, wait];
    expect(answers).toEqual({ sue: expected, ghost: expected, 'No Body!': expected });
    // The real account's refusals are audited, once per window with a count; the unknown
    // names' are not attributed to anyone.
    const refusals = (await auditEntries(dir)).filter(
      (e) => e.action === 'auth.login_failed' && e.detail?.reason === 'backoff',
    );
    expect(refusals).toHaveLength(1);
    const users = JSON.parse(
      (await runCli(['admin', 'users', 'list', '--json', '--data', dir])).stdout,
    ) as Array<{
      id: string;
      username: string;
    }>;
    expect(refusals[0]?.target).toBe(users.find((u) => u.username === 'sue')?.id);
  });

  it('many unknown names from one address leave one coalesced audit entry, not one each', async () => {
    const before = (await auditEntries(dir)).filter((e) => e.detail?.reason === 'unknown user');
    for (let i = 0; i < 12; i++) expect((await attempt(`nobody${i}`)).status).toBe(401);
    const after = (await auditEntries(dir)).filter((e) => e.detail?.reason === 'unknown user');
    expect(after.length - before.length).toBeLessThanOrEqual(1);
  });
});

describe('accounts: unknown usernames lock like real ones', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    ({ dir, relay } = await withUsers(
      [
        '--login-backoff-ms',
        '1',
        '--login-lock-ms',
        '600000',
        '--limit-api-address',
        '1000/1000/s',
        '--limit-login-username',
        '1000/1000/s',
      ],
      ['sam'],
    ));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  /** Wrong passwords until the name locks (423): the 401s it took and the lock's Retry-After. */
  const untilLocked = async (username: string) => {
    let failures = 0;
    for (let i = 0; i < 60; i++) {
      const r = await api(relay.http, 'POST', '/auth/login', {
        body: { username, password: 'wrong password!' },
      });
      if (r.status === 401) failures++;
      else if (r.status === 423) {
        return { failures, code: errorCode(r), retryAfter: Number(r.headers.get('retry-after')) };
      } else expect(r.status).toBe(429);
    }
    return { failures, code: 'never locked', retryAfter: 0 };
  };

  it('ten failures lock a real name and an unknown one alike (423, same Retry-After)', async () => {
    const real = await untilLocked('sam');
    const unknown = await untilLocked('phantom');
    expect(real).toMatchObject({ failures: 10, code: 'locked' });
    expect(unknown).toMatchObject({ failures: 10, code: 'locked' });
    expect(Math.abs(real.retryAfter - unknown.retryAfter)).toBeLessThanOrEqual(1);
    expect(real.retryAfter).toBeGreaterThan(590);
  });
});

describe('accounts: the state kept for unknown names is bounded', () => {
  it('an LRU of unknown names never holds more than its cap', async () => {
    const dir = tempDir();
    const store = new Store(dir);
    try {
      const audit = new Audit(store.db);
      const accounts = new Accounts(store.db, audit, {
        argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
        loginPerUsername: { burst: 1000, perSecond: 1000 },
        unknownNamesTracked: 50,
      });
      for (let i = 0; i < 400; i++) {
        await accounts
          .login({ username: `x${i}`, password: 'wrong password!' }, '10.0.0.1')
          .catch(() => undefined);
      }
      expect(accounts.unknownNamesHeld).toBeLessThanOrEqual(50);
      accounts.close();
    } finally {
      store.close();
      removeDir(dir);
    }
  });

  it('LruMap evicts the least recently used key and reports it', () => {
    const evicted: string[] = [];
    const m = new LruMap<string, number>(2, (k) => evicted.push(k));
    m.set('a', 1);
    m.set('b', 2);
    expect(m.get('a')).toBe(1); // a is now the most recent
    m.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect([...m.keys()]).toEqual(['a', 'c']);
    expect(m.size).toBe(2);
  });
});

describe('audit: refusals coalesce per subject and reason', () => {
  it('one entry at once, the repeats as one counted entry when the window ends, bounded keys', () => {
    const dir = tempDir();
    const store = new Store(dir);
    try {
      const audit = new Audit(store.db);
      let now = 1_000_000;
      const refusals = new RefusalAudit(audit, { windowMs: 60_000, maxKeys: 3, now: () => now });
      const refuse = (target: string, reason: string) =>
        refusals.refused({
          actor: null,
          action: 'auth.login_failed',
          target,
          ip: '10.0.0.9',
          reason,
        });
      const written = () =>
        [...audit.entries()].map((e) => ({ target: e.target, detail: e.detail }));
      for (let i = 0; i < 50; i++) refuse('u1', 'backoff');
      expect(written()).toEqual([{ target: 'u1', detail: { reason: 'backoff' } }]);
      now += 30_000;
      refuse('u1', 'locked'); // another reason is another key
      expect(written()).toHaveLength(2);
      now += 31_000; // u1/backoff's window ended
      refusals.sweep();
      expect(written()[2]).toEqual({
        target: 'u1',
        detail: { reason: 'backoff', repeated: 49, firstAt: 1_000_000, lastAt: 1_000_000 },
      });
      // Past the cap of three open windows the least recently used closes early, its count
      // appended first: nothing counted is lost.
      for (const t of ['a', 'b', 'c', 'd']) {
        refuse(t, 'x');
        refuse(t, 'x');
        expect(refusals.size).toBeLessThanOrEqual(3);
      }
      expect(written()).toContainEqual({
        target: 'a',
        detail: { reason: 'x', repeated: 1, firstAt: now, lastAt: now },
      });
      refusals.close(); // appends what is still counted
      const counted = written()
        .filter((e) => e.detail?.reason === 'x')
        .reduce((n, e) => n + (typeof e.detail?.repeated === 'number' ? e.detail.repeated : 1), 0);
      expect(counted).toBe(8);
    } finally {
      store.close();
      removeDir(dir);
    }
  });
});

describe('accounts: any earlier refresh token ends its session', () => {
  let dir: string;
  let relay: RelayProcess;
  beforeAll(async () => {
    ({ dir, relay } = await withUsers(
      ['--limit-api-address', '1000/1000/s', '--limit-login-username', '1000/1000/s'],
      ['rae'],
    ));
  });
  afterAll(async () => {
    await relay?.stop();
    removeDir(dir);
  });

  const refresh = (refreshToken: string) =>
    api<Tokens>(relay.http, 'POST', '/auth/refresh', { body: { refreshToken } });

  it('a token two (or more) rotations old revokes the session, closes its sockets, is audited', async () => {
    const first = await login(relay.http, 'rae', PASSWORD);
    const tokens = [first];
    for (let i = 0; i < 3; i++) {
      const r = await refresh((tokens.at(-1) as Tokens).refreshToken);
      expect(r.status).toBe(200);
      tokens.push(r.body);
    }
    const current = tokens.at(-1) as Tokens;
    const ws = new WebSocket(`${relay.url}/workspace?token=${current.accessToken}`);
    ws.on('error', () => {});
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    await new Promise((resolve) => ws.once('message', resolve)); // joined the room
    // The very first token, three rotations old: a copy taken long ago.
    const reuse = await refresh(first.refreshToken);
    expect(reuse.status).toBe(401);
    expect(errorCode(reuse)).toBe('session-ended');
    expect(await closed).toMatchObject({ code: 4401 });
    expect(errorCode(await refresh(current.refreshToken))).toBe('session-ended');
    const sid = first.refreshToken.split('.')[0];
    const audit = await auditEntries(dir);
    expect(
      audit.filter((e) => e.action === 'auth.refresh_reused' && e.target === sid),
    ).toHaveLength(1);
    expect(
      audit.some((e) => e.action === 'session.revoked' && e.detail?.reason === 'refresh reused'),
    ).toBe(true);
  });

  it('a made-up token for a live session, in either shape, does not end it', async () => {
    const t = await login(relay.http, 'rae', PASSWORD);
    const next = await refresh(t.refreshToken);
    expect(next.status).toBe(200);
    const sid = t.refreshToken.split('.')[0] as string;
    for (const fake of [`${sid}.${'A'.repeat(43)}`, `${sid}.0.${'A'.repeat(43)}`, `${sid}.1.x`]) {
      const r = await refresh(fake);
      expect({ fake, code: errorCode(r) }).toEqual({ fake, code: 'unauthenticated' });
    }
    expect((await refresh(next.body.refreshToken)).status).toBe(200);
  });

  it('signing out with an old refresh token is reuse too', async () => {
    const t = await login(relay.http, 'rae', PASSWORD);
    const next = await refresh(t.refreshToken);
    const r = await api(relay.http, 'POST', '/auth/logout', {
      body: { refreshToken: t.refreshToken },
    });
    expect(errorCode(r)).toBe('session-ended');
    expect(errorCode(await refresh(next.body.refreshToken))).toBe('session-ended');
    const sid = t.refreshToken.split('.')[0];
    expect(
      (await auditEntries(dir)).some((e) => e.action === 'auth.refresh_reused' && e.target === sid),
    ).toBe(true);
  });
});

describe('accounts: refresh tokens from before generations (an upgraded database)', () => {
  it('the current one still rotates; the one before it is reuse; after that, generations', async () => {
    const dir = tempDir();
    const store = new Store(dir);
    try {
      const audit = new Audit(store.db);
      const accounts = new Accounts(store.db, audit, {
        argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 },
      });
      const user = await accounts.createUser(
        { username: 'old', role: 'member', password: PASSWORD },
        { actor: 'cli' },
      );
      const t = await accounts.login({ username: 'old', password: PASSWORD }, null);
      const sid = t.refreshToken.split('.')[0] as string;
      // What migration 4 leaves of a session made before it: generation 0, a random token.
      const legacy = `${sid}.${'L'.repeat(43)}`;
      const before = `${sid}.${'P'.repeat(43)}`;
      store.db
        .prepare(
          'UPDATE sessions SET refresh_hash = ?, previous_refresh_hash = ?, refresh_generation = 0 WHERE id = ?',
        )
        .run(sha256(legacy), sha256(before), sid);
      const next = await accounts.refresh(legacy, null);
      expect(next.refreshToken.split('.').slice(0, 2)).toEqual([sid, '1']);
      const then = await accounts.refresh(next.refreshToken, null);
      // The pre-generation token is now two rotations old: still seen as reuse.
      await expect(accounts.refresh(legacy, null)).rejects.toMatchObject({
        status: 401,
        code: 'session-ended',
      });
      await expect(accounts.refresh(then.refreshToken, null)).rejects.toMatchObject({
        code: 'session-ended',
      });
      expect(accounts.getSession(sid)?.revokedReason).toBe('refresh reused');
      expect(user.username).toBe('old');
      accounts.close();
    } finally {
      store.close();
      removeDir(dir);
    }
  });
});
