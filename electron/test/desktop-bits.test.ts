// Badge counts, notification routing, start at login, menus, single instance.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { badgeLabel, createBadge, normalizeCount } from '../src/badge';
import { HIDDEN_ARG, applyStartAtLogin, autostartEntry } from '../src/login';
import { buildMenuTemplate, editMenuTemplate } from '../src/menu';
import type { NativeNotification } from '../src/notifications';
import { createNotifier, parseNotification } from '../src/notifications';
import { claimSingleInstance } from '../src/singleinstance';

const CONV = 'ABCDEFGHJKMNPQRS';
/** Message ids are clock ids (core/src/hlc.ts). */
const MSG = '0lq3x8k2a-0001-ABCDEFGHJKMNPQRS';
const ROOT = '0lq3x8k1z-0000-ABCDEFGHJKMNPQRS';

describe('badge', () => {
  it('normalizes counts from the renderer', () => {
    expect([3, 0, -1, 2.7, Number.NaN, Infinity, '5', null, 1e9].map(normalizeCount)).toEqual([
      3, 0, 0, 2, 0, 0, 0, 0, 99_999,
    ]);
    expect([0, 1, 99, 100].map(badgeLabel)).toEqual(['', '1', '99', '99+']);
  });

  it('macOS/Linux: app badge and tray; only on change', () => {
    const setAppBadge = vi.fn();
    const tray = { setImage: vi.fn(), setToolTip: vi.fn() };
    const set = createBadge({
      platform: 'darwin',
      setAppBadge,
      tray,
      images: { normal: 'n', unread: 'u' },
    });
    set(5);
    set(5);
    set(0);
    expect(setAppBadge.mock.calls).toEqual([[5], [0]]);
    expect(tray.setImage.mock.calls).toEqual([['u'], ['n']]);
    expect(tray.setToolTip.mock.calls).toEqual([['Ferry — 5 unread'], ['Ferry']]);
  });

  it('Windows: taskbar overlay icon instead of an app badge', () => {
    const setAppBadge = vi.fn();
    const setOverlay = vi.fn();
    const set = createBadge({
      platform: 'win32',
      setAppBadge,
      setOverlay,
      tray: null,
      images: { normal: 'n', unread: 'u' },
    });
    set(120);
    set(0);
    expect(setAppBadge).not.toHaveBeenCalled();
    expect(setOverlay.mock.calls).toEqual([
      ['u', '99+ unread'],
      [null, ''],
    ]);
  });
});

describe('notifications', () => {
  const setup = (supported = true) => {
    const created: (NativeNotification & { fire(e: string): void; opts: unknown })[] = [];
    const deps = {
      isSupported: () => supported,
      create: (opts: unknown) => {
        const handlers = new Map<string, () => void>();
        const n = {
          opts,
          shown: false,
          on: (e: string, fn: () => void) => handlers.set(e, fn),
          show() {
            this.shown = true;
          },
          fire: (e: string) => handlers.get(e)?.(),
        };
        created.push(n);
        return n;
      },
      focusWindow: vi.fn(),
      openTarget: vi.fn(),
    };
    return { notifier: createNotifier(deps), deps, created };
  };

  it('a click focuses the window and opens that conversation at that message', () => {
    const { notifier, deps, created } = setup();
    expect(
      notifier.notify({ title: 'Ana', body: 'Lunch?', conversationId: CONV, messageId: MSG }),
    ).toBe(true);
    expect(notifier.live).toBe(1);
    expect(deps.openTarget).not.toHaveBeenCalled();
    created[0]?.fire('click');
    expect(deps.focusWindow).toHaveBeenCalledOnce();
    // Only the target goes to the renderer, not the text shown.
    expect(deps.openTarget).toHaveBeenCalledWith({ conversationId: CONV, messageId: MSG });
    expect(notifier.live).toBe(0);
  });

  it('a summary opens the conversation; a reply carries its thread root', () => {
    const { notifier, deps, created } = setup();
    notifier.notify({ title: 'Ferry', body: '9 new messages', conversationId: CONV });
    notifier.notify({
      title: 'Ana',
      body: 'Re: lunch',
      conversationId: CONV,
      messageId: MSG,
      threadRootId: ROOT,
    });
    created[0]?.fire('click');
    created[1]?.fire('click');
    expect(deps.openTarget.mock.calls).toEqual([
      [{ conversationId: CONV }],
      [{ conversationId: CONV, messageId: MSG, threadRootId: ROOT }],
    ]);
  });

  it('refuses a target that is not ids: nothing is shown, nothing is opened', () => {
    const { notifier, created } = setup();
    const base = { title: 'a', body: 'b', conversationId: CONV };
    expect(notifier.notify({ ...base, messageId: 'javascript:alert(1)' })).toBe(false);
    expect(notifier.notify({ ...base, messageId: 42 })).toBe(false);
    expect(notifier.notify({ ...base, messageId: MSG, threadRootId: '../x' })).toBe(false);
    // A thread without a message to open at is not a target.
    expect(notifier.notify({ ...base, threadRootId: ROOT })).toBe(false);
    expect(created).toHaveLength(0);
    // Unknown fields are dropped, not passed on.
    expect(parseNotification({ ...base, messageId: MSG, html: '<b>' })).toEqual({
      ...base,
      messageId: MSG,
    });
  });

  it('keeps notifications referenced until closed (so their click is not lost)', () => {
    const { notifier, created } = setup();
    notifier.notify({ title: 'a', body: 'b', conversationId: CONV });
    notifier.notify({ title: 'a', body: 'b', conversationId: CONV });
    expect(notifier.live).toBe(2);
    created[0]?.fire('close');
    created[1]?.fire('failed');
    expect(notifier.live).toBe(0);
  });

  it('refuses malformed input and clips long text', () => {
    const { notifier, created } = setup();
    expect(notifier.notify({ title: 'a', body: 'b', conversationId: '../x' })).toBe(false);
    expect(notifier.notify({ title: 1, body: 'b', conversationId: CONV })).toBe(false);
    expect(notifier.notify('hi')).toBe(false);
    expect(created).toHaveLength(0);
    const n = parseNotification({
      title: 't'.repeat(1000),
      body: 'b'.repeat(5000),
      conversationId: CONV,
    });
    expect(n?.title).toHaveLength(256);
    expect(n?.body).toHaveLength(1024);
  });

  it('shows nothing where the OS has no notifications', () => {
    const { notifier, created } = setup(false);
    expect(notifier.notify({ title: 'a', body: 'b', conversationId: CONV })).toBe(false);
    expect(created).toHaveLength(0);
  });
});

describe('start at login', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-login-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('Linux: writes and removes an XDG autostart entry', async () => {
    const app = { setLoginItemSettings: vi.fn() };
    const ctx = { platform: 'linux' as const, exePath: '/opt/Ferry $x/ferry', configHome: dir };
    await applyStartAtLogin(app, ctx, true, true);
    const file = path.join(dir, 'autostart', 'ferry.desktop');
    const text = await readFile(file, 'utf8');
    expect(text).toContain('Exec="/opt/Ferry \\$x/ferry" --hidden');
    await applyStartAtLogin(app, ctx, false, true);
    await expect(stat(file)).rejects.toThrow();
    expect(app.setLoginItemSettings).not.toHaveBeenCalled();
    expect(autostartEntry('/a', false)).toContain('Exec="/a"\n');
  });

  it('Windows/macOS: app.setLoginItemSettings, started hidden', async () => {
    const app = { setLoginItemSettings: vi.fn() };
    await applyStartAtLogin(
      app,
      { platform: 'win32', exePath: 'C:\\F.exe', configHome: dir },
      true,
      true,
    );
    await applyStartAtLogin(
      app,
      { platform: 'darwin', exePath: '/x', configHome: dir },
      false,
      false,
    );
    expect(app.setLoginItemSettings.mock.calls).toEqual([
      [{ openAtLogin: true, args: [HIDDEN_ARG] }],
      [{ openAtLogin: false, openAsHidden: false, args: [] }],
    ]);
  });
});

describe('menus', () => {
  const roles = (items: MenuItemConstructorOptions[]): string[] =>
    items.flatMap((i) => [
      ...(i.role ? [i.role] : []),
      ...(Array.isArray(i.submenu) ? roles(i.submenu) : []),
    ]);
  const actions = { copyDiagnostics: vi.fn(), openLogs: vi.fn(), checkForUpdates: vi.fn() };

  it('has the usual edit, zoom and window shortcuts on every OS', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const r = roles(buildMenuTemplate(platform, true, actions));
      for (const role of [
        'undo',
        'redo',
        'cut',
        'copy',
        'paste',
        'selectAll',
        'zoomIn',
        'zoomOut',
        'resetZoom',
        'minimize',
      ]) {
        expect(r, `${platform} ${role}`).toContain(role);
      }
    }
    expect(roles(buildMenuTemplate('darwin', true, actions))).toContain('hide');
  });

  it('no reload or devtools in packaged builds', () => {
    expect(roles(buildMenuTemplate('win32', true, actions))).not.toContain('toggleDevTools');
    expect(roles(buildMenuTemplate('win32', false, actions))).toContain('toggleDevTools');
  });

  it('Help › Copy Diagnostics calls the action', () => {
    const help = buildMenuTemplate('linux', true, actions).find((m) => m.role === 'help');
    const item = (help?.submenu as MenuItemConstructorOptions[]).find(
      (i) => i.label === 'Copy Diagnostics',
    );
    (item?.click as () => void)();
    expect(actions.copyDiagnostics).toHaveBeenCalledOnce();
  });

  it('context menu offers spelling suggestions in editable text', () => {
    const replace = vi.fn();
    const flags = { canCut: true, canCopy: true, canPaste: true } as never;
    const t = editMenuTemplate(
      {
        isEditable: true,
        selectionText: '',
        misspelledWord: 'teh',
        dictionarySuggestions: ['the', 'tech'],
        editFlags: flags,
      },
      replace,
    );
    expect(t.slice(0, 2).map((i) => i.label)).toEqual(['the', 'tech']);
    (t[0]?.click as () => void)();
    expect(replace).toHaveBeenCalledWith('the');
    expect(
      editMenuTemplate(
        {
          isEditable: false,
          selectionText: '',
          misspelledWord: '',
          dictionarySuggestions: [],
          editFlags: flags,
        },
        replace,
      ),
    ).toEqual([]);
  });
});

describe('single instance', () => {
  it('the second instance quits; the first receives its argv', () => {
    const handlers: ((e: unknown, argv: string[], cwd: string) => void)[] = [];
    const first = {
      requestSingleInstanceLock: () => true,
      quit: vi.fn(),
      on: (_e: string, fn: (typeof handlers)[0]) => handlers.push(fn),
    };
    const forwarded: string[][] = [];
    expect(claimSingleInstance(first, (argv) => forwarded.push(argv))).toBe(true);
    const second = { requestSingleInstanceLock: () => false, quit: vi.fn(), on: vi.fn() };
    expect(claimSingleInstance(second, () => undefined)).toBe(false);
    expect(second.quit).toHaveBeenCalledOnce();
    expect(second.on).not.toHaveBeenCalled();
    handlers[0]?.({}, ['ferry.exe', `ferry://conversation/${CONV}`], '/');
    expect(forwarded).toEqual([['ferry.exe', `ferry://conversation/${CONV}`]]);
    expect(first.quit).not.toHaveBeenCalled();
  });
});

describe('diagnostics', () => {
  it('names versions, policy problems and state, and nothing secret', async () => {
    const { diagnosticsText } = await import('../src/diagnostics');
    const text = diagnosticsText({
      version: '1.0.0',
      versions: { electron: '45.5.0', chrome: '140', node: '22' },
      platform: 'linux',
      arch: 'x64',
      osRelease: '6.1',
      locale: 'de-DE',
      isPackaged: true,
      policy: {
        serverUrl: 'https://f.corp',
        locked: ['serverUrl'],
        sources: ['/etc/ferry/ferry-config.json'],
        errors: ['/opt/Ferry/ferry-config.json: not valid JSON; file ignored'],
      },
      settings: {
        startAtLogin: false,
        startHidden: false,
        minimizeToTray: true,
        updates: true,
        spellcheckLanguages: [],
      },
      updates: 'checking https://f.corp/updates/',
      secureStorage: 'available',
      logFile: '/home/u/.config/Ferry/logs/main.log',
    });
    expect(text).toContain('Ferry 1.0.0');
    expect(text).toContain('Electron 45.5.0');
    expect(text).toContain('locked: serverUrl');
    expect(text).toContain('IT config error: /opt/Ferry/ferry-config.json: not valid JSON');
    expect(text).not.toMatch(/token|password/i);
  });
});
