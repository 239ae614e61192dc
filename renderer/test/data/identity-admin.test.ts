// The admin's Sign-in page data (identity-admin.ts, issue 15): answers read defensively, and,
// against a REAL relay with no company sign-in configured: local accounts only, every user
// `local`, and the directory's buttons saying in words that there is none.
import { describe, expect, it } from 'vitest';
import { asOverview, asSync, asTestSignIn } from '../../src/data/identity-admin';
import { Device, useRelay } from './harness';

describe('reading the answers', () => {
  it('the overview, with syncs, an odd sync dropped, missing parts defaulted', () => {
    const o = asOverview({
      localSignIn: 'admins',
      offlineGraceDays: 14,
      local: { accounts: 2 },
      ldap: {
        label: 'Corp AD',
        url: 'ldaps://dc1.corp.example:636',
        syncEverySeconds: 300,
        accounts: 40,
        syncs: [
          { id: 2, startedAt: 10, finishedAt: 20, ok: false, seen: 0, created: 0, updated: 0, disabled: 0, enabled: 0, roleChanges: 0, channelChanges: 0, error: 'the company directory cannot be reached; try again' },
          { nonsense: true },
        ],
      },
      oidc: { label: 'Corp', issuer: 'https://sso.corp.example', createAccounts: true, accounts: 3 },
    });
    expect(o.localSignIn).toBe('admins');
    expect(o.offlineGraceDays).toBe(14);
    expect(o.ldap?.syncs).toHaveLength(1);
    expect(o.ldap?.syncs[0]).toMatchObject({ ok: false, error: 'the company directory cannot be reached; try again' });
    expect(o.oidc).toEqual({ label: 'Corp', issuer: 'https://sso.corp.example', createAccounts: true, accounts: 3 });
    expect(asOverview({})).toEqual({ localSignIn: 'everyone', offlineGraceDays: null, local: { accounts: 0 }, ldap: null, oidc: null });
  });

  it('a sync and a test sign-in', () => {
    expect(asSync({ id: 7, startedAt: 1, finishedAt: null, ok: true })).toMatchObject({ id: 7, finishedAt: null, ok: true, seen: 0, error: null });
    expect(() => asSync({})).toThrow(/unexpected/);
    expect(
      asTestSignIn({
        person: { externalId: 'e1', username: 'ada', displayName: 'Ada', email: 'ada@corp.example', disabled: false, groups: ['staff', 1] },
        role: 'member',
        channels: ['C1'],
      }),
    ).toEqual({
      person: { externalId: 'e1', username: 'ada', displayName: 'Ada', email: 'ada@corp.example', disabled: false, groups: ['staff'] },
      role: 'member',
      channels: ['C1'],
    });
    expect(asTestSignIn({ person: { username: 'x' }, role: 'owner' }).role).toBeNull();
  });
});

const relayOf = useRelay();

describe('against a relay without company sign-in configured (real)', () => {
  it('shows local sign-in only, every account local, and the directory buttons say there is none', async () => {
    const boss = await relayOf().createUser('Boss', 'admin');
    const c = await new Device('Desk', relayOf().url).signIn(boss);
    try {
      await c.whenSettled();
      const identity = c.admin?.identity;
      expect(identity).toBeDefined();
      const users0 = await c.admin!.listUsers();
      expect(await identity!.overview()).toEqual({
        localSignIn: 'everyone',
        offlineGraceDays: null,
        local: { accounts: users0.length },
        ldap: null,
        oidc: null,
      });
      await expect(identity!.testConnection()).rejects.toThrow('This server has no company directory configured.');
      await expect(identity!.syncNow()).rejects.toThrow('This server has no company directory configured.');
      await expect(identity!.testSignIn('', 'x')).rejects.toThrow('Enter a username and password to test.');
      const users = await c.admin!.listUsers();
      expect(users.length).toBeGreaterThan(0);
      expect(users.every((u) => u.source === 'local' && u.email === null)).toBe(true);
      expect((await c.account.status()).user.source).toBe('local');
    } finally {
      await c.close();
    }
  });
});
