// Composition of the main process. Takes the electron module as a parameter; every
// decision lives in the small modules beside this file, which are unit-tested.
import os from 'node:os';
import path from 'node:path';
import type { BrowserWindow as BrowserWindowType, NativeImage, Tray as TrayType } from 'electron';
import type { DeepLink } from '../../core/src/desktop/api';
import { DEEP_LINK_SCHEME, IPC } from '../../core/src/desktop/api';
import { createBadge } from './badge';
import { DeepLinkQueue, deepLinkFromArgv, parseDeepLink } from './deeplink';
import { diagnosticsText } from './diagnostics';
import { configLocations, loadItConfig } from './itconfig';
import { registerIpc } from './ipc';
import { HIDDEN_ARG, applyStartAtLogin } from './login';
import { buildMenuTemplate, editMenuTemplate } from './menu';
import { createNotifier } from './notifications';
import { APP_SCHEME_PRIVILEGES, registerAppProtocol } from './protocol';
import { SecretStore } from './secrets';
import {
  APP_ENTRY_URL,
  createWindowOptions,
  hardenContents,
  installPermissionHandlers,
  trustedOrigins,
} from './security';
import { SettingsStore } from './settings';
import { claimSingleInstance } from './singleinstance';
import type { Updater } from './updates';
import { planUpdates, startUpdates } from './updates';
import { loadWindowState, restoreBounds, trackWindowState } from './windowstate';

/** Same as appId in build/electron-builder.config.cjs. */
export const APP_ID = 'app.ferry.desktop';

export type ElectronMain = typeof Electron.CrossProcessExports;

export interface StartOptions {
  /** dist/renderer (inside the asar when packaged). */
  rendererDir: string;
  /** dist/electron/preload.cjs */
  preloadPath: string;
  /** Folder with icon.png, tray.png, tray-unread.png (16 px, with @2x variants). */
  assetsDir: string;
  /** Vite dev server (development only; ignored when packaged). */
  devServerUrl: string | null;
  /** Server URL preset for development runs (`npm start`), below any IT preset. */
  defaultServerUrl: string | null;
  /** Development/test runs only: a separate profile (and so a separate single-instance lock). */
  userDataDir: string | null;
  argv: readonly string[];
  log: { info(...a: unknown[]): void; warn(...a: unknown[]): void; error(...a: unknown[]): void };
  logFile: string;
  loadUpdater(): Promise<Updater>;
}

/** Starts the app. The promise settles once startup after `ready` is done (for tests). */
export function startFerry(electron: ElectronMain, opts: StartOptions): Promise<void> {
  const {
    app,
    BrowserWindow,
    Menu,
    Notification,
    Tray,
    clipboard,
    ipcMain,
    nativeImage,
    nativeTheme,
    protocol,
    safeStorage,
    screen,
    session,
    shell,
  } = electron;
  const log = opts.log;
  const devServerUrl = app.isPackaged ? null : opts.devServerUrl;
  const origins = trustedOrigins(devServerUrl);

  if (!app.isPackaged && opts.userDataDir) app.setPath('userData', opts.userDataDir);
  // Windows shows notifications only for an app with an AppUserModelID (the installer's shortcut
  // carries the same one).
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);
  if (
    !claimSingleInstance(app, (argv) => {
      const raw = deepLinkFromArgv(argv);
      if (raw) acceptLink(raw);
      showWindow();
    })
  ) {
    return Promise.resolve();
  }
  // Installed builds register ferry:// (the installers also declare it). Development runs do
  // not, so a dev checkout never takes the scheme over from an installed Ferry.
  if (app.isPackaged) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);

  const links = new DeepLinkQueue();
  let win: BrowserWindowType | null = null;
  let tray: TrayType | null = null;
  let quitting = false;

  function acceptLink(raw: string): void {
    const parsed = parseDeepLink(raw);
    if (parsed.ok) links.push(parsed.link);
    else log.warn(parsed.error);
  }
  function showWindow(): void {
    if (!win) return;
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
  }

  // macOS delivers links through open-url, possibly before ready.
  app.on('open-url', (event, url) => {
    event.preventDefault();
    acceptLink(url);
    showWindow();
  });
  const firstLink = deepLinkFromArgv(opts.argv);
  if (firstLink) acceptLink(firstLink);

  // Every web contents (windows and anything they might spawn) gets the same guards.
  app.on('web-contents-created', (_event, contents) => {
    hardenContents(contents, {
      origins,
      openExternal: (url) => shell.openExternal(url),
      log: (m) => log.warn(m),
    });
  });

  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => showWindow());

  return app
    .whenReady()
    .then(async () => {
      registerAppProtocol(protocol, opts.rendererDir);
      installPermissionHandlers(session.defaultSession, origins);

      const userData = app.getPath('userData');
      const it = await loadItConfig(
        configLocations(process.platform, app.getPath('exe'), process.env),
      );
      for (const error of it.policy.errors) log.error(error);
      if (!it.policy.serverUrl && opts.defaultServerUrl && !app.isPackaged)
        it.policy.serverUrl = opts.defaultServerUrl;
      const settings = new SettingsStore(path.join(userData, 'settings.json'), it);
      const current = await settings.load();
      const secrets = new SecretStore(
        path.join(userData, 'secrets.json'),
        safeStorage,
        process.platform,
      );

      const image = (name: string): NativeImage =>
        nativeImage.createFromPath(path.join(opts.assetsDir, name));
      const images = { normal: image('tray.png'), unread: image('tray-unread.png') };
      if (process.platform === 'darwin') images.normal.setTemplateImage(true);

      const stateFile = path.join(userData, 'window-state.json');
      const restored = restoreBounds(
        await loadWindowState(stateFile),
        [screen.getPrimaryDisplay(), ...screen.getAllDisplays()].map((d) => d.workArea),
      );
      const startHidden = opts.argv.includes(HIDDEN_ARG) || current.startHidden;
      win = new BrowserWindow(
        createWindowOptions({
          preload: opts.preloadPath,
          version: app.getVersion(),
          bounds: restored.bounds,
          spellcheck: current.spellcheck ?? true,
          icon: path.join(opts.assetsDir, 'icon.png'),
          dark: nativeTheme.shouldUseDarkColors,
        }),
      );
      const mainWindow = win;
      trackWindowState(mainWindow, stateFile);
      if (restored.maximized) mainWindow.maximize();
      mainWindow.once('ready-to-show', () => {
        if (!startHidden) mainWindow.show();
      });
      mainWindow.on('close', (event) => {
        if (!quitting && tray && settings.get().minimizeToTray && process.platform !== 'darwin') {
          event.preventDefault();
          mainWindow.hide();
        }
      });
      mainWindow.on('closed', () => {
        win = null;
        links.attach(null);
      });
      // A crashed or killed renderer is logged and reloaded (its data is on disk in IndexedDB).
      // At most 3 reloads a minute, so a renderer that crashes while loading cannot loop.
      let crashes: number[] = [];
      mainWindow.webContents.on('render-process-gone', (_event, details) => {
        log.error(`renderer gone: ${details.reason} (exit ${details.exitCode})`);
        if (details.reason === 'clean-exit' || mainWindow.isDestroyed()) return;
        const now = Date.now();
        crashes = [...crashes.filter((t) => now - t < 60_000), now];
        if (crashes.length <= 3) mainWindow.reload();
        else log.error('renderer keeps crashing: not reloading again');
      });
      // The renderer's warnings and errors (an action's refusal in full, lib/errors.ts: people
      // see plain words) go to the log file that Copy Diagnostics names.
      mainWindow.webContents.on('console-message', (event) => {
        if (event.level === 'warning' || event.level === 'error')
          log.warn(`renderer: ${event.message}`);
      });
      mainWindow.webContents.on('did-finish-load', () => {
        links.attach((link: DeepLink) => mainWindow.webContents.send(IPC.deepLink, link));
      });
      applySpellcheck(current.spellcheck ?? true, current.spellcheckLanguages);
      mainWindow.webContents.on('context-menu', (_event, params) => {
        const template = editMenuTemplate(params, (word) =>
          mainWindow.webContents.replaceMisspelling(word),
        );
        if (template.length > 0) Menu.buildFromTemplate(template).popup({ window: mainWindow });
      });

      tray = new Tray(images.normal);
      tray.setToolTip('Ferry');
      tray.setContextMenu(
        Menu.buildFromTemplate([
          { label: 'Open Ferry', click: () => showWindow() },
          { type: 'separator' },
          { label: 'Quit Ferry', click: () => app.quit() },
        ]),
      );
      tray.on('click', () => showWindow());

      const setBadge = createBadge<NativeImage>({
        platform: process.platform,
        setAppBadge: (n) => void app.setBadgeCount(n),
        setOverlay: (img, description) => mainWindow.setOverlayIcon(img, description),
        tray,
        images,
      });
      const notifier = createNotifier({
        isSupported: () => Notification.isSupported(),
        create: (o) => new Notification({ ...o, icon: path.join(opts.assetsDir, 'icon.png') }),
        focusWindow: showWindow,
        openTarget: (target) => mainWindow.webContents.send(IPC.notificationClick, target),
      });

      let stopUpdates = (): void => undefined;
      let updateState = 'not started';
      const runUpdates = async (): Promise<void> => {
        stopUpdates();
        const plan = planUpdates({
          isPackaged: app.isPackaged,
          platform: process.platform,
          enabledByUser: settings.get().updates,
          it,
          portable: Boolean(process.env['PORTABLE_EXECUTABLE_DIR']),
        });
        updateState = plan.check ? `checking ${plan.feedUrl}` : `off (${plan.reason})`;
        if (!plan.check) {
          log.info(`updates off: ${plan.reason}`);
          return;
        }
        try {
          stopUpdates = startUpdates(await opts.loadUpdater(), plan, (m) => log.info(m));
        } catch (error) {
          updateState = `failed to start (${String(error)})`;
          log.error(updateState);
        }
      };

      const loginContext = {
        platform: process.platform,
        exePath: process.env['APPIMAGE'] ?? process.execPath,
        configHome: process.env['XDG_CONFIG_HOME'] ?? path.join(os.homedir(), '.config'),
      };
      if (app.isPackaged) {
        await applyStartAtLogin(app, loginContext, current.startAtLogin, true).catch((e: unknown) =>
          log.error(`start at login: ${String(e)}`),
        );
      }
      settings.onChange((s) => {
        applySpellcheck(s.spellcheck ?? true, s.spellcheckLanguages);
        if (app.isPackaged) {
          void applyStartAtLogin(app, loginContext, s.startAtLogin, true).catch((e: unknown) =>
            log.error(`start at login: ${String(e)}`),
          );
        }
        void runUpdates();
      });

      registerIpc(ipcMain, origins, {
        openExternal: (url) => shell.openExternal(url),
        getSecret: (key) => secrets.get(key),
        setSecret: (key, value) => secrets.set(key, value),
        setBadgeCount: (n) => void setBadge(n),
        notify: (n) => void notifier.notify(n),
        getPolicy: () => it.policy,
        getSettings: () => settings.get(),
        setSettings: (patch) => settings.update(patch),
        log: (m) => log.warn(m),
      });

      const diagnostics = (): string =>
        diagnosticsText({
          version: app.getVersion(),
          versions: process.versions,
          platform: process.platform,
          arch: process.arch,
          osRelease: os.release(),
          locale: app.getLocale(),
          isPackaged: app.isPackaged,
          policy: it.policy,
          settings: settings.get(),
          updates: updateState,
          secureStorage: secrets.unavailableReason() ?? 'available',
          logFile: opts.logFile,
        });
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          buildMenuTemplate(process.platform, app.isPackaged, {
            copyDiagnostics: () => clipboard.writeText(diagnostics()),
            openLogs: () => void shell.showItemInFolder(opts.logFile),
            checkForUpdates: () => void runUpdates(),
          }),
        ),
      );

      await mainWindow.loadURL(devServerUrl ?? APP_ENTRY_URL);
      void runUpdates();

      function applySpellcheck(enabled: boolean, languages: string[]): void {
        const ses = session.defaultSession;
        ses.setSpellCheckerEnabled(enabled);
        if (enabled && languages.length > 0 && process.platform !== 'darwin') {
          const available = new Set(ses.availableSpellCheckerLanguages);
          ses.setSpellCheckerLanguages(languages.filter((l) => available.has(l)));
        }
      }
    })
    .catch((error: unknown) => {
      log.error(
        `startup failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      app.exit(1);
    });
}
