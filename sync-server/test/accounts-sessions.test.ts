// Accounts in-process: onSessionEnded fires for every way a session ends, here and when
// another process (the admin CLI) ends it (seen through PRAGMA data_version).
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Accounts, type SessionEnded } from '../src/accounts/service';
import { Audit } from '../src/audit';
import { Store } from '../src/store';
import { removeDir, tempDir, until } from './helpers';

const cheap = { argon2: { memoryCost: 1024, timeCost: 1, parallelism: 1 } };
const PASSWORD = 'a long enough password';

describe('accounts: session-ended events', () => {
  let dir: string;
  let relayStore: Store;
  let cliStore: Store;
  let relay: Accounts;
  let cli: Accounts;
  let events: SessionEnded[];

  beforeEach(() => {
    dir = tempDir();
    relayStore = new Store(path.join(dir, 'data'));
    cliStore = new Store(path.join(dir, 'data'));
    relay = new Accounts(relayStore.db, new Audit(relayStore.db), cheap);
    cli = new Accounts(cliStore.db, new Audit(cliStore.db), cheap);
    events = [];
    relay.onSessionEnded((e) => events.push(e));
  });
  afterEach(() => {
    relay.close();
    cli.close();
    relayStore.close();
    cliStore.close();
    removeDir(dir);
  });

  async function signIn(username: string) {
    const t = await relay.login({ username, password: PASSWORD }, '127.0.0.1');
    const access = await relay.verifyAccess(t.accessToken);
    if (typeof access === 'string') throw new Error(access);
    return { ...t, access };
  }

  it('fires in-process for logout, revocation, password change, disabling and refresh reuse', async () => {
    const u = await relay.createUser(
      { username: 'ann', role: 'member', password: PASSWORD },
      { actor: 'cli' },
    );
    const a = await signIn('ann');
    relay.revokeSession(a.access.sessionId, 'logout', { actor: u.id });
    const b = await signIn('ann');
    const c = await signIn('ann');
    await relay.setPassword(u.id, 'another long password', { actor: u.id }, c.access.sessionId);
    const d = await relay.login({ username: 'ann', password: 'another long password' }, null);
    const rotated = await relay.refresh(d.refreshToken, null);
    await expect(relay.refresh(d.refreshToken, null)).rejects.toMatchObject({
      code: 'session-ended',
    });
    relay.updateUser(u.id, { disabled: true }, { actor: 'cli' });
    expect(events.map((e) => [e.sessionId, e.reason])).toEqual([
      [a.access.sessionId, 'logout'],
      [b.access.sessionId, 'password changed'],
      [rotated.refreshToken.split('.')[0], 'refresh reused'],
      [c.access.sessionId, 'user disabled'],
    ]);
    expect(events.every((e) => e.userId === u.id)).toBe(true);
    expect(await relay.verifyAccess(c.accessToken)).toBe('session ended');
  });

  it('notices sessions another process ended, within the poll interval', async () => {
    await relay.createUser(
      { username: 'bob', role: 'member', password: PASSWORD },
      { actor: 'cli' },
    );
    const bob = await signIn('bob');
    const other = await signIn('bob');
    relay.watch(50);
    cli.revokeSession(bob.access.sessionId, 'revoked by admin', { actor: 'cli' });
    await until(() => events.length === 1, 'the revocation to be noticed', 2000);
    expect(events[0]).toEqual({
      sessionId: bob.access.sessionId,
      userId: bob.user.id,
      reason: 'revoked by admin',
    });
    const u = cli.getUserByUsername('bob');
    cli.updateUser(u?.id as string, { disabled: true }, { actor: 'cli' });
    await until(() => events.length === 2, 'the disabled user to be noticed', 2000);
    expect(events[1]).toMatchObject({ sessionId: other.access.sessionId, reason: 'user disabled' });
  });

  it('verifyAccess tells expired, ended and invalid tokens apart', async () => {
    let now = Date.now();
    const clocked = new Accounts(relayStore.db, new Audit(relayStore.db), {
      ...cheap,
      now: () => now,
      accessTokenTtlSeconds: 60,
    });
    await clocked.createUser(
      { username: 'cy', role: 'guest', password: PASSWORD },
      { actor: 'cli' },
    );
    const t = await clocked.login({ username: 'cy', password: PASSWORD }, null);
    const ok = await clocked.verifyAccess(t.accessToken);
    expect(ok).toMatchObject({ userId: t.user.id, role: 'guest' });
    expect(await clocked.verifyAccess(t.accessToken.slice(0, -2) + 'xx')).toBe('not authenticated');
    expect(await clocked.verifyAccess('garbage')).toBe('not authenticated');
    now += 61_000;
    expect(await clocked.verifyAccess(t.accessToken)).toBe('token expired');
    // Rows of sessions that ended long ago are purged; live ones stay.
    const gone = await clocked.login({ username: 'cy', password: PASSWORD }, null);
    clocked.revokeSession(gone.refreshToken.split('.')[0] as string, 'logout', { actor: null });
    expect(clocked.purgeSessions(3600_000)).toBe(0);
    now += 2 * 3600_000;
    expect(clocked.purgeSessions(3600_000)).toBe(1);
    expect(clocked.listSessions(t.user.id)).toHaveLength(1);
    clocked.close();
  });
});
