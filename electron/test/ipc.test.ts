import type { IpcMainEvent, IpcMainInvokeEvent } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_DESKTOP_SETTINGS, IPC } from '../../core/src/desktop/api';
import type { IpcServices } from '../src/ipc';
import { RENDERER_TO_MAIN_CHANNELS, UntrustedSenderError, registerIpc } from '../src/ipc';
import { APP_ORIGIN, trustedOrigins } from '../src/security';

type Listener = (event: never, ...args: unknown[]) => unknown;

function setup() {
  const handlers = new Map<string, Listener>();
  const listeners = new Map<string, Listener>();
  const services = {
    openExternal: vi.fn(async (_url: string) => undefined),
    getSecret: vi.fn(async () => 'token'),
    setSecret: vi.fn(async () => undefined),
    setBadgeCount: vi.fn(),
    notify: vi.fn(),
    getPolicy: vi.fn(() => ({ serverUrl: null, locked: [], sources: [], errors: [] })),
    getSettings: vi.fn(() => ({ ...DEFAULT_DESKTOP_SETTINGS })),
    setSettings: vi.fn(async () => ({ ...DEFAULT_DESKTOP_SETTINGS })),
    log: vi.fn(),
  } satisfies IpcServices;
  registerIpc(
    {
      handle: (channel, fn) => void handlers.set(channel, fn as Listener),
      on: (channel, fn) => void listeners.set(channel, fn as Listener),
    },
    trustedOrigins(null),
    services,
  );
  const call = (channel: string, frame: unknown, ...args: unknown[]): unknown => {
    const event = { senderFrame: frame } as IpcMainInvokeEvent & IpcMainEvent;
    const fn = handlers.get(channel) ?? listeners.get(channel);
    if (!fn) throw new Error(`no handler for ${channel}`);
    return (fn as (e: typeof event, ...a: unknown[]) => unknown)(event, ...args);
  };
  return { handlers, listeners, services, call };
}

const good = { url: `${APP_ORIGIN}/index.html`, parent: null };
const hostile = [
  ['a destroyed frame', null],
  ['a sub-frame of our page', { url: `${APP_ORIGIN}/index.html`, parent: good }],
  ['another origin', { url: 'https://evil.example/', parent: null }],
  ['a file:// page', { url: 'file:///tmp/x.html', parent: null }],
] as const;

describe('IPC handlers', () => {
  it('registers every renderer→main channel, and only those', () => {
    const { handlers, listeners } = setup();
    expect([...handlers.keys(), ...listeners.keys()].sort()).toEqual(
      [...RENDERER_TO_MAIN_CHANNELS].sort(),
    );
  });

  it.each(hostile)(
    'refuses every channel from %s without touching a service',
    async (_name, frame) => {
      const { handlers, listeners, services, call } = setup();
      for (const channel of handlers.keys()) {
        expect(() => call(channel, frame, 'x', 'y'), channel).toThrow(UntrustedSenderError);
      }
      for (const channel of listeners.keys()) {
        expect(call(channel, frame, 3)).toBeUndefined();
      }
      for (const [name, fn] of Object.entries(services)) {
        if (name !== 'log') expect(fn, name).not.toHaveBeenCalled();
      }
      expect(services.log).toHaveBeenCalledTimes(RENDERER_TO_MAIN_CHANNELS.length);
    },
  );

  it('serves our own frame', async () => {
    const { services, call } = setup();
    expect(await call(IPC.getSecret, good, 'refresh')).toBe('token');
    expect(services.getSecret).toHaveBeenCalledWith('refresh');
    await call(IPC.setSecret, good, 'refresh', 'v');
    expect(services.setSecret).toHaveBeenCalledWith('refresh', 'v');
    call(IPC.setBadgeCount, good, 4);
    expect(services.setBadgeCount).toHaveBeenCalledWith(4);
    call(IPC.notify, good, { title: 't' });
    expect(services.notify).toHaveBeenCalledOnce();
    expect(await call(IPC.getPolicy, good)).toMatchObject({ serverUrl: null });
    expect(await call(IPC.getSettings, good)).toMatchObject({ updates: true });
    await call(IPC.setSettings, good, { startHidden: true });
    expect(services.setSettings).toHaveBeenCalledWith({ startHidden: true });
  });

  it('opens only http(s)/mailto externally, answering false for the rest', async () => {
    const { services, call } = setup();
    expect(await call(IPC.openExternal, good, 'https://example.com/')).toBe(true);
    expect(await call(IPC.openExternal, good, 'file:///etc/passwd')).toBe(false);
    expect(await call(IPC.openExternal, good, 'javascript:alert(1)')).toBe(false);
    expect(await call(IPC.openExternal, good, { href: 'https://x' })).toBe(false);
    expect(services.openExternal.mock.calls).toEqual([['https://example.com/']]);
  });
});
