// Builds the window.ferry object from ipcRenderer. Kept apart from preload.ts (which
// only calls contextBridge) so tests can build it with a fake ipcRenderer. Listeners
// get plain data, never the IpcRendererEvent (which would hand the page `sender`).
import type {
  DeepLink,
  DesktopNotification,
  DesktopPlatform,
  DesktopPolicy,
  DesktopSettings,
  FerryDesktopApi,
  NotificationTarget,
} from '../../core/src/desktop/api';
import { IPC, VERSION_ARG_PREFIX } from '../../core/src/desktop/api';
import { parseNotificationTarget } from '../../core/src/desktop/target';

export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  send(channel: string, ...args: unknown[]): void;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

export function desktopPlatform(platform: string): DesktopPlatform {
  return platform === 'win32' || platform === 'darwin' || platform === 'linux' ? platform : 'linux';
}

export function versionFromArgv(argv: readonly string[]): string {
  const arg = argv.find((a) => a.startsWith(VERSION_ARG_PREFIX));
  return arg ? arg.slice(VERSION_ARG_PREFIX.length) : '0.0.0';
}

export function createPreloadApi(
  ipc: IpcRendererLike,
  env: { platform: string; argv: readonly string[] },
): FerryDesktopApi {
  // Events from main are listened for from the start and held (at most 16) until the page
  // subscribes: a link or a notification click may arrive before the app has mounted.
  // `parse` drops what does not validate (main checked it already; this is the second look).
  const channel = <T>(
    name: string,
    parse: (value: unknown) => T | null = (value) => value as T,
  ): ((callback: (value: T) => void) => () => void) => {
    const callbacks = new Set<(value: T) => void>();
    let pending: T[] = [];
    ipc.on(name, (_event: unknown, raw: unknown) => {
      const value = parse(raw);
      if (value === null) return;
      if (callbacks.size === 0) {
        if (pending.length < 16) pending.push(value);
        return;
      }
      for (const cb of callbacks) cb(value);
    });
    return (callback) => {
      callbacks.add(callback);
      const held = pending;
      pending = [];
      for (const value of held) callback(value);
      return () => void callbacks.delete(callback);
    };
  };
  const deepLinks = channel<DeepLink>(IPC.deepLink);
  const notificationClicks = channel<NotificationTarget>(
    IPC.notificationClick,
    parseNotificationTarget,
  );
  return {
    kind: 'electron',
    platform: desktopPlatform(env.platform),
    version: versionFromArgv(env.argv),
    openExternal: (url: string) => ipc.invoke(IPC.openExternal, String(url)) as Promise<boolean>,
    getSecret: (key: string) => ipc.invoke(IPC.getSecret, key) as Promise<string | null>,
    setSecret: async (key: string, value: string | null) => {
      await ipc.invoke(IPC.setSecret, key, value);
    },
    setBadgeCount: (count: number) => ipc.send(IPC.setBadgeCount, count),
    // Plain fields only (a page object with getters or extra keys never crosses as is), and
    // only with a valid target: main checks again, this saves the message.
    notify: (n: DesktopNotification) => {
      const target = parseNotificationTarget(n);
      if (!target) return;
      ipc.send(IPC.notify, { title: String(n.title), body: String(n.body), ...target });
    },
    onDeepLink: (callback: (link: DeepLink) => void) => deepLinks(callback),
    onNotificationClick: (callback: (target: NotificationTarget) => void) =>
      notificationClicks(callback),
    getPolicy: () => ipc.invoke(IPC.getPolicy) as Promise<DesktopPolicy>,
    getSettings: () => ipc.invoke(IPC.getSettings) as Promise<DesktopSettings>,
    setSettings: (patch: Partial<DesktopSettings>) =>
      ipc.invoke(IPC.setSettings, patch) as Promise<DesktopSettings>,
  } satisfies FerryDesktopApi;
}
