// The composition in app.ts with a fake `electron` module: the order of startup (privileged
// scheme and single-instance lock before ready), the window it creates, the guards it installs
// and how links reach the renderer.
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IPC } from '../../core/src/desktop/api';
import type { ElectronMain, StartOptions } from '../src/app';
import { startFerry } from '../src/app';
import { RENDERER_TO_MAIN_CHANNELS } from '../src/ipc';

const CONV = '0123456789ABCDEF';

function fakeElectron(dir: string, lock = true) {
  const calls: string[] = [];
  const windows: FakeWindow[] = [];
  const ipc = new Map<string, unknown>();
  const session = {
    handlers: [] as string[],
    setPermissionRequestHandler: () => session.handlers.push('request'),
    setPermissionCheckHandler: () => session.handlers.push('check'),
    setDevicePermissionHandler: () => session.handlers.push('device'),
    setDisplayMediaRequestHandler: () => session.handlers.push('display'),
    setSpellCheckerEnabled: vi.fn(),
    setSpellCheckerLanguages: vi.fn(),
    availableSpellCheckerLanguages: ['en-US'],
  };
  class FakeWindow extends EventEmitter {
    options: unknown;
    webContents = Object.assign(new EventEmitter(), { send: vi.fn(), replaceMisspelling: vi.fn() });
    loaded: string | null = null;
    shown = 0;
    constructor(options: unknown) {
      super();
      this.options = options;
      windows.push(this);
      calls.push('new BrowserWindow');
    }
    loadURL = async (url: string) => {
      this.loaded = url;
    };
    show = () => void this.shown++;
    focus = () => undefined;
    hide = () => undefined;
    restore = () => undefined;
    maximize = () => undefined;
    isMinimized = () => false;
    isMaximized = () => false;
    isFullScreen = () => false;
    isDestroyed = () => false;
    reload = vi.fn();
    getNormalBounds = () => ({ x: 0, y: 0, width: 800, height: 600 });
    setOverlayIcon = vi.fn();
  }
  const app = Object.assign(new EventEmitter(), {
    isPackaged: false,
    setPath: vi.fn(),
    getPath: (name: string) =>
      name === 'exe' ? path.join(dir, 'app', 'ferry') : path.join(dir, name),
    getVersion: () => '9.9.9',
    getLocale: () => 'en-US',
    requestSingleInstanceLock: () => {
      calls.push('lock');
      return lock;
    },
    quit: vi.fn(() => calls.push('quit')),
    exit: vi.fn(),
    whenReady: () => {
      calls.push('whenReady');
      return Promise.resolve();
    },
    setAsDefaultProtocolClient: vi.fn(),
    setBadgeCount: vi.fn(),
    setLoginItemSettings: vi.fn(),
  });
  const electron = {
    app,
    BrowserWindow: FakeWindow,
    Menu: { buildFromTemplate: () => ({ popup: vi.fn() }), setApplicationMenu: vi.fn() },
    Notification: Object.assign(class {}, { isSupported: () => false }),
    Tray: class {
      setToolTip = vi.fn();
      setContextMenu = vi.fn();
      setImage = vi.fn();
      on = vi.fn();
    },
    clipboard: { writeText: vi.fn() },
    ipcMain: {
      handle: (c: string, fn: unknown) => ipc.set(c, fn),
      on: (c: string, fn: unknown) => ipc.set(c, fn),
    },
    nativeImage: { createFromPath: () => ({ setTemplateImage: vi.fn() }) },
    nativeTheme: { shouldUseDarkColors: true },
    protocol: {
      registerSchemesAsPrivileged: vi.fn(() => calls.push('privileges')),
      handle: vi.fn((scheme: string) => calls.push(`handle ${scheme}`)),
    },
    safeStorage: { isEncryptionAvailable: () => false },
    screen: {
      getPrimaryDisplay: () => ({ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }),
      getAllDisplays: () => [],
    },
    session: { defaultSession: session },
    shell: { openExternal: vi.fn(async () => undefined), showItemInFolder: vi.fn() },
  };
  return { electron: electron as unknown as ElectronMain, app, calls, windows, ipc, session };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-app-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const options = (argv: string[] = []): StartOptions => ({
  rendererDir: path.join(dir, 'renderer'),
  preloadPath: path.join(dir, 'preload.cjs'),
  assetsDir: path.join(dir, 'assets'),
  devServerUrl: null,
  defaultServerUrl: 'http://127.0.0.1:7880',
  userDataDir: null,
  argv,
  log: { info: vi.fn(), warn: vi.fn(), error: vi.fn() },
  logFile: path.join(dir, 'main.log'),
  loadUpdater: () => Promise.reject(new Error('not in tests')),
});

describe('startFerry', () => {
  it('a second instance registers the scheme privileges, fails the lock and quits before ready', async () => {
    const f = fakeElectron(dir, false);
    await startFerry(f.electron, options());
    expect(f.calls).toEqual(['privileges', 'lock', 'quit']);
    expect(f.windows).toHaveLength(0);
  });

  it('the first instance: privileges and lock before ready, then protocol, guards, a locked-down window', async () => {
    const f = fakeElectron(dir);
    await startFerry(f.electron, options());
    expect(f.calls.slice(0, 3)).toEqual(['privileges', 'lock', 'whenReady']);
    expect(f.calls).toContain('handle app');
    expect(f.session.handlers.sort()).toEqual(['check', 'device', 'display', 'request']);
    expect(f.windows).toHaveLength(1);
    const win = f.windows[0];
    expect(win?.options).toMatchObject({
      show: false,
      webPreferences: {
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
      },
    });
    expect(win?.loaded).toBe('app://ferry/index.html');
    expect([...f.ipc.keys()].sort()).toEqual([...RENDERER_TO_MAIN_CHANNELS].sort());
    expect(f.app.setAsDefaultProtocolClient).not.toHaveBeenCalled(); // not packaged
  });

  it('reloads a renderer that crashed, not one that exited cleanly', async () => {
    const f = fakeElectron(dir);
    const opts = options();
    await startFerry(f.electron, opts);
    const win = f.windows[0];
    win?.webContents.emit('render-process-gone', {}, { reason: 'clean-exit', exitCode: 0 });
    expect(win?.reload).not.toHaveBeenCalled();
    win?.webContents.emit('render-process-gone', {}, { reason: 'oom', exitCode: 133 });
    expect(win?.reload).toHaveBeenCalledOnce();
    expect(opts.log.error).toHaveBeenCalledWith('renderer gone: oom (exit 133)');
    for (let i = 0; i < 5; i++)
      win?.webContents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 1 });
    expect(win?.reload).toHaveBeenCalledTimes(3); // no crash loop
    expect(opts.log.error).toHaveBeenCalledWith('renderer keeps crashing: not reloading again');
  });

  it("writes the renderer's warnings and errors to the log (issue 12: detail is logged, people see words)", async () => {
    const f = fakeElectron(dir);
    const opts = options();
    await startFerry(f.electron, opts);
    const win = f.windows[0];
    win?.webContents.emit('console-message', { level: 'info', message: 'hello' });
    win?.webContents.emit('console-message', {
      level: 'warning',
      message: '[ferry] send: ModelError: addMessage: text is 10001 characters',
    });
    expect(opts.log.warn).toHaveBeenCalledWith(
      'renderer: [ferry] send: ModelError: addMessage: text is 10001 characters',
    );
    expect(opts.log.warn).not.toHaveBeenCalledWith('renderer: hello');
  });

  it('hardens every web contents that is created', async () => {
    const f = fakeElectron(dir);
    await startFerry(f.electron, options());
    const contents = Object.assign(new EventEmitter(), { setWindowOpenHandler: vi.fn() });
    f.app.emit('web-contents-created', {}, contents);
    expect(contents.setWindowOpenHandler).toHaveBeenCalledOnce();
    expect(contents.listenerCount('will-navigate')).toBe(1);
    expect(contents.listenerCount('will-attach-webview')).toBe(1);
  });

  it('links from the first start and from later starts reach the renderer once it has loaded', async () => {
    const f = fakeElectron(dir);
    await startFerry(f.electron, options(['ferry', `ferry://conversation/${CONV}`]));
    const win = f.windows[0];
    expect(win?.webContents.send).not.toHaveBeenCalled();
    win?.webContents.emit('did-finish-load');
    expect(win?.webContents.send).toHaveBeenCalledWith(IPC.deepLink, {
      kind: 'conversation',
      conversationId: CONV,
      serverUrl: null,
    });
    f.app.emit('second-instance', {}, ['ferry', 'ferry://invite/abcdefgh'], '/');
    expect(win?.webContents.send).toHaveBeenLastCalledWith(IPC.deepLink, {
      kind: 'invite',
      code: 'abcdefgh',
      serverUrl: null,
    });
    expect(win?.shown).toBeGreaterThan(0); // focused for the link
    f.app.emit('second-instance', {}, ['ferry', 'ferry://invite/../../x'], '/');
    expect(win?.webContents.send).toHaveBeenCalledTimes(2); // the hostile one never arrives
  });

  it('single sign-on (issue 15): the issuer opens in the system browser, its ferry://auth return reaches the renderer', async () => {
    const f = fakeElectron(dir);
    await startFerry(f.electron, options());
    const win = f.windows[0];
    win?.webContents.emit('did-finish-load');
    const trusted = { senderFrame: { url: 'app://ferry/index.html', parent: null } };
    const start = 'https://ferry.corp.example/api/v1/auth/oidc/start?app=desktop&challenge=abc';
    const open = f.ipc.get(IPC.openExternal) as (e: unknown, url: unknown) => Promise<boolean>;
    expect(await open(trusted, start)).toBe(true);
    expect(f.electron.shell.openExternal).toHaveBeenCalledWith(start); // never a window of ours
    expect(f.windows).toHaveLength(1);
    const code = 'q2V7mN0sX1yZ_a-bcdefGHIJ';
    // Windows and Linux: the browser starts ferry again; the lock hands the link over.
    f.app.emit('second-instance', {}, ['ferry', `ferry://auth?code=${code}`], '/');
    expect(win?.webContents.send).toHaveBeenLastCalledWith(IPC.deepLink, { kind: 'auth', code });
    // macOS: open-url.
    f.app.emit(
      'open-url',
      { preventDefault: vi.fn() },
      'ferry://auth?error=access_denied&message=No+access',
    );
    expect(win?.webContents.send).toHaveBeenLastCalledWith(IPC.deepLink, {
      kind: 'auth-error',
      error: 'access_denied',
      message: 'No access',
    });
    // Anything else on ferry://auth never arrives.
    f.app.emit(
      'second-instance',
      {},
      ['ferry', `ferry://auth?code=${code}&next=https://evil.example`],
      '/',
    );
    f.app.emit('open-url', { preventDefault: vi.fn() }, 'ferry://auth?code=short');
    expect(win?.webContents.send).toHaveBeenCalledTimes(2);
  });

  it('a broken IT config file is reported and the dev server preset used', async () => {
    await mkdir(path.join(dir, 'app'));
    await writeFile(path.join(dir, 'app', 'ferry-config.json'), '{"serverUrl": ');
    const f = fakeElectron(dir);
    const opts = options();
    await startFerry(f.electron, opts);
    expect(opts.log.error).toHaveBeenCalledWith(expect.stringContaining('not valid JSON'));
    const getPolicy = f.ipc.get(IPC.getPolicy) as (e: unknown) => unknown;
    const policy = getPolicy({ senderFrame: { url: 'app://ferry/index.html', parent: null } });
    expect(policy).toMatchObject({ serverUrl: 'http://127.0.0.1:7880', locked: [] });
  });
});
