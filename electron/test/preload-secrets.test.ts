import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DESKTOP_API_MEMBERS, IPC, VERSION_ARG_PREFIX } from '../../core/src/desktop/api';
import type { IpcRendererLike } from '../src/preload-api';
import { createPreloadApi } from '../src/preload-api';
import type { SafeStorageLike } from '../src/secrets';
import { SecretError, SecretStore } from '../src/secrets';

const CONV = 'ABCDEFGHJKMNPQRS';
const MSG = '0lq3x8k2a-0001-ABCDEFGHJKMNPQRS';
const ROOT = '0lq3x8k1z-0000-ABCDEFGHJKMNPQRS';

describe('window.ferry (preload)', () => {
  const fakeIpc = () => {
    const listeners = new Map<string, Set<(e: unknown, ...a: unknown[]) => void>>();
    const ipc = {
      invoke: vi.fn(async (..._args: unknown[]) => 'answer' as unknown),
      send: vi.fn(),
      on: (c: string, l: (e: unknown, ...a: unknown[]) => void) => {
        if (!listeners.has(c)) listeners.set(c, new Set());
        listeners.get(c)?.add(l);
      },
      removeListener: (c: string, l: (e: unknown, ...a: unknown[]) => void) =>
        listeners.get(c)?.delete(l),
      emit: (c: string, ...a: unknown[]) =>
        listeners.get(c)?.forEach((l) => l({ sender: 'SECRET' }, ...a)),
      count: (c: string) => listeners.get(c)?.size ?? 0,
    };
    return ipc as typeof ipc & IpcRendererLike;
  };

  it('exposes exactly the FerryDesktopApi members', () => {
    const api = createPreloadApi(fakeIpc(), {
      platform: 'linux',
      argv: ['x', `${VERSION_ARG_PREFIX}1.4.0`],
    });
    expect(Object.keys(api).sort()).toEqual([...DESKTOP_API_MEMBERS]);
    expect(api).toMatchObject({ kind: 'electron', platform: 'linux', version: '1.4.0' });
  });

  it('maps calls to the IPC channels', async () => {
    const ipc = fakeIpc();
    const api = createPreloadApi(ipc, { platform: 'win32', argv: [] });
    await api.openExternal('https://x');
    await api.getSecret('k');
    await api.setSecret('k', null);
    await api.getPolicy();
    await api.setSettings({ startHidden: true });
    api.setBadgeCount(3);
    api.notify({ title: 't', body: 'b', conversationId: CONV, extra: 'dropped' } as never);
    api.notify({ title: 't', body: 'b', conversationId: CONV, messageId: MSG, threadRootId: ROOT });
    // Not a target: never sent.
    api.notify({ title: 't', body: 'b', conversationId: 'c' });
    api.notify({ title: 't', body: 'b', conversationId: CONV, messageId: '<b>' });
    expect(ipc.invoke.mock.calls.map((c) => c[0])).toEqual([
      IPC.openExternal,
      IPC.getSecret,
      IPC.setSecret,
      IPC.getPolicy,
      IPC.setSettings,
    ]);
    expect(ipc.send.mock.calls).toEqual([
      [IPC.setBadgeCount, 3],
      [IPC.notify, { title: 't', body: 'b', conversationId: CONV }],
      [
        IPC.notify,
        { title: 't', body: 'b', conversationId: CONV, messageId: MSG, threadRootId: ROOT },
      ],
    ]);
  });

  it('listeners get the data only, never the IPC event; unsubscribe stops delivery', () => {
    const ipc = fakeIpc();
    const api = createPreloadApi(ipc, { platform: 'darwin', argv: [] });
    const got: unknown[][] = [];
    const off = api.onNotificationClick((...args) => got.push(args));
    ipc.emit(IPC.notificationClick, { conversationId: CONV, messageId: MSG });
    expect(got).toEqual([[{ conversationId: CONV, messageId: MSG }]]);
    off();
    ipc.emit(IPC.notificationClick, { conversationId: CONV });
    expect(got).toHaveLength(1);
  });

  it('a notification click that is not a valid target never reaches the page', () => {
    const ipc = fakeIpc();
    const api = createPreloadApi(ipc, { platform: 'linux', argv: [] });
    // Before the page subscribes: a malformed click is not even held.
    ipc.emit(IPC.notificationClick, 'CONV');
    ipc.emit(IPC.notificationClick, { conversationId: CONV, messageId: '"><img>' });
    ipc.emit(IPC.notificationClick, { conversationId: CONV, messageId: MSG, threadRootId: ROOT });
    const got: unknown[] = [];
    api.onNotificationClick((t) => got.push(t));
    ipc.emit(IPC.notificationClick, null);
    ipc.emit(IPC.notificationClick, { conversationId: 'nope', messageId: MSG });
    expect(got).toEqual([{ conversationId: CONV, messageId: MSG, threadRootId: ROOT }]);
  });

  it('holds links that arrive before the page subscribes (bounded), then delivers them', () => {
    const ipc = fakeIpc();
    const api = createPreloadApi(ipc, { platform: 'linux', argv: [] });
    for (let i = 0; i < 20; i++)
      ipc.emit(IPC.deepLink, { kind: 'invite', code: `code${i}aa`, serverUrl: null });
    const got: unknown[] = [];
    api.onDeepLink((l) => got.push(l));
    expect(got).toHaveLength(16);
    expect(got[0]).toEqual({ kind: 'invite', code: 'code0aa', serverUrl: null });
    ipc.emit(IPC.deepLink, { kind: 'invite', code: 'afterwards', serverUrl: null });
    expect(got).toHaveLength(17);
  });
});

describe('SecretStore (safeStorage)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  // A reversible stand-in for the OS key store: enough to see that nothing is stored in clear.
  const safe = (backend = 'gnome_libsecret', available = true): SafeStorageLike => ({
    isEncryptionAvailable: () => available,
    encryptString: (s) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
    decryptString: (b) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    getSelectedStorageBackend: () => backend,
  });

  it('stores sealed values, reads them back, deletes with null', async () => {
    const file = path.join(dir, 'secrets.json');
    const store = new SecretStore(file, safe(), 'linux');
    await Promise.all([store.set('refresh', 'tok-123'), store.set('other', 'x')]);
    expect(await readFile(file, 'utf8')).not.toContain('tok-123');
    expect(await new SecretStore(file, safe(), 'linux').get('refresh')).toBe('tok-123');
    await store.set('refresh', null);
    expect(await store.get('refresh')).toBeNull();
    expect(await store.get('other')).toBe('x');
  });

  it('refuses to store without a real key store (Linux basic_text) and says why', async () => {
    const store = new SecretStore(path.join(dir, 's.json'), safe('basic_text'), 'linux');
    await expect(store.set('refresh', 'tok')).rejects.toThrow(/no keyring/);
    expect(await store.get('refresh')).toBeNull();
    const none = new SecretStore(path.join(dir, 's.json'), safe('x', false), 'win32');
    await expect(none.set('refresh', 'tok')).rejects.toThrow(/no secure storage/);
  });

  it('refuses bad keys and values', async () => {
    const store = new SecretStore(path.join(dir, 's.json'), safe(), 'darwin');
    await expect(store.get('../x')).rejects.toThrow(SecretError);
    await expect(store.set('k', 'v'.repeat(70_000))).rejects.toThrow(/64 KiB/);
    await expect(store.set('k', 5)).rejects.toThrow(SecretError);
  });
});
