import { describe, expect, it } from 'vitest';
import type { SyncStatus } from '../../src/data/api';
import { normalizeServerUrl, validateSetup } from '../../src/ui/backend';
import { syncLabel } from '../../src/ui/lib/sync-label';

const status = (s: Partial<SyncStatus>): SyncStatus => ({
  connection: 'online',
  pending: 0,
  catchUp: null,
  lastSyncedAt: null,
  ...s,
});

describe('syncLabel', () => {
  it('says not syncing once the session ended, whatever the connection', () => {
    expect(syncLabel(status({}), true)).toMatchObject({ state: 'ended', label: 'Not syncing' });
    expect(syncLabel(status({ connection: 'offline', pending: 2 }), true).detail).toBe(
      '2 changes waiting · sign in to send',
    );
  });
  it('says offline, and how many changes wait', () => {
    expect(syncLabel(status({ connection: 'offline' }))).toMatchObject({
      state: 'offline',
      label: 'Offline',
    });
    expect(syncLabel(status({ connection: 'offline', pending: 3 })).detail).toBe(
      '3 changes waiting to sync',
    );
  });
  it('says connecting', () => {
    expect(syncLabel(status({ connection: 'connecting', pending: 1 }))).toMatchObject({
      state: 'connecting',
      detail: '1 change waiting',
    });
  });
  it('says when the network is up but the relay does not answer', () => {
    expect(syncLabel(status({ connection: 'unreachable' }))).toMatchObject({
      state: 'unreachable',
      label: "Can't reach the server",
      detail: 'Retrying · your messages stay here',
    });
    expect(syncLabel(status({ connection: 'unreachable', pending: 2 })).detail).toBe(
      '2 changes waiting · retrying',
    );
  });
  it('shows progress while catching up, then waiting, then synced', () => {
    expect(syncLabel(status({ catchUp: { done: 3, total: 12 } }))).toMatchObject({
      state: 'catching-up',
      label: 'Syncing 3/12',
      progress: 0.25,
    });
    expect(syncLabel(status({ catchUp: { done: 12, total: 12 }, pending: 2 }))).toMatchObject({
      state: 'waiting',
      label: '2 changes waiting',
    });
    expect(syncLabel(status({}))).toMatchObject({
      state: 'synced',
      label: 'Synced',
      progress: null,
    });
  });
});

describe('first-run validation', () => {
  it('accepts an http(s) server and a name', () => {
    expect(validateSetup({ serverUrl: 'http://127.0.0.1:7880', displayName: 'Ada' })).toEqual({});
    expect(
      validateSetup({ serverUrl: ' https://ferry.corp.example/ ', displayName: ' Ada ' }),
    ).toEqual({});
  });
  it('refuses other schemes, credentials in the URL, garbage and empty names', () => {
    expect(validateSetup({ serverUrl: 'ftp://x', displayName: 'A' }).serverUrl).toMatch(/http/);
    expect(
      validateSetup({ serverUrl: 'https://u:p@x.example', displayName: 'A' }).serverUrl,
    ).toMatch(/passwords/);
    expect(validateSetup({ serverUrl: 'not a url', displayName: 'A' }).serverUrl).toMatch(/valid/);
    expect(validateSetup({ serverUrl: '', displayName: 'A' }).serverUrl).toMatch(/Enter/);
    expect(validateSetup({ serverUrl: 'http://x', displayName: '   ' }).displayName).toMatch(
      /name/,
    );
    expect(
      validateSetup({ serverUrl: 'http://x', displayName: 'x'.repeat(65) }).displayName,
    ).toMatch(/64/);
  });
  it('normalizes the URL: trimmed, no trailing slash, path kept', () => {
    expect(normalizeServerUrl(' https://ferry.corp.example/ ')).toBe('https://ferry.corp.example');
    expect(normalizeServerUrl('http://host:7880/ferry//')).toBe('http://host:7880/ferry');
  });
});
