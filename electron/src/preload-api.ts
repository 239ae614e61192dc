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
} from '../../core/src/desktop/api';
import { IPC, VERSION_ARG_PREFIX } from '../../core/src/desktop/api';

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
  const subscribe = <T>(channel: string, callback: (value: T) => void): (() => void) => {
    const listener = (_event: unknown, value: unknown): void => callback(value as T);
    ipc.on(channel, listener);
    return () => void ipc.removeListener(channel, listener);
  };
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
    notify: (n: DesktopNotification) =>
      ipc.send(IPC.notify, { title: n.title, body: n.body, conversationId: n.conversationId }),
    onDeepLink: (callback: (link: DeepLink) => void) => subscribe(IPC.deepLink, callback),
    onNotificationClick: (callback: (id: string) => void) =>
      subscribe(IPC.notificationClick, callback),
    getPolicy: () => ipc.invoke(IPC.getPolicy) as Promise<DesktopPolicy>,
    getSettings: () => ipc.invoke(IPC.getSettings) as Promise<DesktopSettings>,
    setSettings: (patch: Partial<DesktopSettings>) =>
      ipc.invoke(IPC.setSettings, patch) as Promise<DesktopSettings>,
  } satisfies FerryDesktopApi;
}
