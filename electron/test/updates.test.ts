import { describe, expect, it, vi } from 'vitest';
import type { ItConfig } from '../src/itconfig';
import { mergeConfigs } from '../src/itconfig';
import type { UpdateContext, Updater } from '../src/updates';
import { UPDATE_INTERVAL_MS, planUpdates, startUpdates } from '../src/updates';

const ctx = (config: Partial<ItConfig> = {}, over: Partial<UpdateContext> = {}): UpdateContext => ({
  isPackaged: true,
  platform: 'win32',
  enabledByUser: true,
  it: mergeConfigs([{ source: 'it.json', config: { lock: [], ...config } }], []),
  ...over,
});

describe('planUpdates', () => {
  it('uses <server>/updates/ by default, or the IT feed', () => {
    expect(planUpdates(ctx({ serverUrl: 'https://ferry.corp' }))).toEqual({
      check: true,
      feedUrl: 'https://ferry.corp/updates/',
    });
    expect(
      planUpdates(
        ctx({ serverUrl: 'https://ferry.corp', updates: { feedUrl: 'https://dl.corp/ferry' } }),
      ),
    ).toEqual({ check: true, feedUrl: 'https://dl.corp/ferry/' });
  });

  it('does not check in development, when off, or without a feed', () => {
    expect(planUpdates(ctx({ serverUrl: 'https://a' }, { isPackaged: false }))).toMatchObject({
      check: false,
    });
    expect(planUpdates(ctx({ serverUrl: 'https://a' }, { enabledByUser: false }))).toEqual({
      check: false,
      reason: 'disabled in settings',
    });
    expect(planUpdates(ctx())).toMatchObject({
      check: false,
      reason: expect.stringContaining('no update feed'),
    });
    expect(planUpdates(ctx({ serverUrl: 'https://a' }, { portable: true }))).toMatchObject({
      check: false,
    });
  });

  it('a lock makes IT decide, whatever the user set', () => {
    const on = ctx(
      { serverUrl: 'https://a', updates: { enabled: true }, lock: ['updates'] },
      { enabledByUser: false },
    );
    expect(planUpdates(on)).toMatchObject({ check: true });
    const off = ctx({ serverUrl: 'https://a', updates: { enabled: false }, lock: ['updates'] });
    expect(planUpdates(off)).toEqual({ check: false, reason: 'disabled by IT configuration' });
  });

  it('refuses plain http except on loopback (updates must not be swappable on the wire)', () => {
    expect(planUpdates(ctx({ serverUrl: 'http://ferry.corp' }))).toMatchObject({
      check: false,
      reason: expect.stringContaining('must use https'),
    });
    expect(planUpdates(ctx({ serverUrl: 'http://127.0.0.1:7880' }))).toMatchObject({ check: true });
  });
});

describe('startUpdates', () => {
  const fakeUpdater = () => {
    const listeners = new Map<string, (arg: never) => void>();
    const updater = {
      autoDownload: false,
      autoInstallOnAppQuit: false,
      allowDowngrade: true,
      allowPrerelease: true,
      setFeedURL: vi.fn(),
      checkForUpdates: vi.fn(async () => null),
      on: (event: string, fn: (arg: never) => void) => listeners.set(event, fn),
    };
    return { updater: updater as Updater & typeof updater, listeners };
  };
  const timers = () => {
    const t = { every: 0, fn: null as null | (() => void), cleared: false };
    return Object.assign(t, {
      setInterval: ((fn: () => void, ms: number) => {
        t.fn = fn;
        t.every = ms;
        return 1;
      }) as unknown as typeof setInterval,
      clearInterval: (() => void (t.cleared = true)) as typeof clearInterval,
    });
  };

  it('points the updater at the generic feed, never downgrades, checks now and every 6 h', async () => {
    const { updater } = fakeUpdater();
    const t = timers();
    const stop = startUpdates(
      updater,
      { check: true, feedUrl: 'https://a/updates/' },
      () => undefined,
      t,
    );
    expect(updater.setFeedURL).toHaveBeenCalledWith({
      provider: 'generic',
      url: 'https://a/updates/',
    });
    expect(updater).toMatchObject({
      autoDownload: true,
      autoInstallOnAppQuit: true,
      allowDowngrade: false,
      allowPrerelease: false,
    });
    expect(updater.checkForUpdates).toHaveBeenCalledTimes(1);
    expect(t.every).toBe(UPDATE_INTERVAL_MS);
    t.fn?.();
    expect(updater.checkForUpdates).toHaveBeenCalledTimes(2);
    stop();
    expect(t.cleared).toBe(true);
  });

  it('a failing check is logged, not thrown', async () => {
    const { updater, listeners } = fakeUpdater();
    updater.checkForUpdates.mockRejectedValueOnce(new Error('ECONNREFUSED'));
    const log = vi.fn();
    startUpdates(updater, { check: true, feedUrl: 'https://a/' }, log, timers());
    await vi.waitFor(() =>
      expect(log).toHaveBeenCalledWith(expect.stringContaining('ECONNREFUSED')),
    );
    listeners.get('error')?.(new Error('sha512 checksum mismatch') as never);
    expect(log).toHaveBeenCalledWith('update failed: sha512 checksum mismatch');
  });

  it('an off plan touches nothing', () => {
    const { updater } = fakeUpdater();
    startUpdates(updater, { check: false, reason: 'x' }, () => undefined, timers());
    expect(updater.setFeedURL).not.toHaveBeenCalled();
    expect(updater.checkForUpdates).not.toHaveBeenCalled();
  });
});
