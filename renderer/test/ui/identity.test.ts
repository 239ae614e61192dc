// Words for company sign-in on screen (ui/lib/identity.ts, issue 15).
import { describe, expect, it } from 'vitest';
import type { IdentitySync } from '../../src/data/api';
import {
  SOURCE_BADGE,
  everyText,
  managedByDirectory,
  ssoButtonText,
  syncSummary,
} from '../../src/ui/lib/identity';

const sync = (s: Partial<IdentitySync>): IdentitySync => ({
  id: 1,
  source: 'ldap',
  node: 'relay-1',
  startedAt: 0,
  finishedAt: 1,
  ok: true,
  seen: 0,
  created: 0,
  updated: 0,
  disabled: 0,
  enabled: 0,
  roleChanges: 0,
  channelChanges: 0,
  error: null,
  ...s,
});

describe('identity words', () => {
  it('says what a sync did, only what changed, or why it failed', () => {
    expect(syncSummary(sync({ ok: null, finishedAt: null }))).toBe('Running…');
    expect(syncSummary(sync({ seen: 120 }))).toBe('120 people seen; nothing changed.');
    expect(
      syncSummary(sync({ seen: 1, created: 1, disabled: 2, roleChanges: 1, channelChanges: 3 })),
    ).toBe('1 person seen; 1 created, 2 disabled, 1 role change, 3 channel changes.');
    expect(syncSummary(sync({ ok: false, error: 'the company directory cannot be reached' }))).toBe(
      'Failed: the company directory cannot be reached',
    );
    expect(syncSummary(sync({ ok: false }))).toBe('Failed (the server gave no reason).');
    expect(syncSummary(sync({ finishedAt: null }))).toBe('Running…');
  });

  it('words a schedule', () => {
    expect(everyText(300)).toBe('every 5 minutes');
    expect(everyText(60)).toBe('every minute');
    expect(everyText(3600)).toBe('every hour');
    expect(everyText(7200)).toBe('every 2 hours');
    expect(everyText(45)).toBe('every 45 seconds');
    expect(everyText(0)).toBe('not on a schedule');
  });

  it('labels the single sign-on button and the sources', () => {
    expect(ssoButtonText('Corp')).toBe('Sign in with Corp');
    expect(ssoButtonText('Sign in with Corp')).toBe('Sign in with Corp');
    expect(ssoButtonText('  ')).toBe('Sign in with your company account');
    expect(SOURCE_BADGE).toEqual({ local: 'Local', ldap: 'Directory', oidc: 'SSO' });
    expect([
      managedByDirectory('local'),
      managedByDirectory('ldap'),
      managedByDirectory('oidc'),
    ]).toEqual([false, true, true]);
  });
});
