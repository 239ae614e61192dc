// IPC handlers for window.ferry. The renderer is treated as untrusted: every handler
// first checks that the message comes from our top-level frame at our origin, then
// validates its arguments. A refused call rejects (invoke) or is dropped (send).
import type { IpcMainEvent, IpcMainInvokeEvent, WebFrameMain } from 'electron';
import type { DesktopPolicy, DesktopSettings } from '../../core/src/desktop/api';
import { IPC } from '../../core/src/desktop/api';
import { externalUrl, isTrustedFrame } from './security';

export interface IpcMainLike {
  handle(
    channel: string,
    listener: (event: IpcMainInvokeEvent, ...args: unknown[]) => unknown,
  ): void;
  on(channel: string, listener: (event: IpcMainEvent, ...args: unknown[]) => void): unknown;
}

export interface IpcServices {
  openExternal(url: string): Promise<void>;
  getSecret(key: unknown): Promise<string | null>;
  setSecret(key: unknown, value: unknown): Promise<void>;
  setBadgeCount(count: unknown): void;
  notify(notification: unknown): void;
  getPolicy(): DesktopPolicy;
  getSettings(): DesktopSettings;
  setSettings(patch: unknown): Promise<DesktopSettings>;
  log(message: string): void;
}

export class UntrustedSenderError extends Error {
  constructor(channel: string) {
    super(`${channel}: refused, sender is not the Ferry window`);
  }
}

export function registerIpc(
  ipc: IpcMainLike,
  origins: readonly string[],
  services: IpcServices,
): void {
  const trusted = (frame: WebFrameMain | null): boolean => isTrustedFrame(frame, origins);

  const handle = (channel: string, fn: (...args: unknown[]) => unknown): void => {
    ipc.handle(channel, (event, ...args) => {
      if (!trusted(event.senderFrame)) {
        services.log(
          `ipc ${channel} refused from ${event.senderFrame?.url ?? 'a destroyed frame'}`,
        );
        throw new UntrustedSenderError(channel);
      }
      return fn(...args);
    });
  };
  const on = (channel: string, fn: (...args: unknown[]) => void): void => {
    ipc.on(channel, (event, ...args) => {
      if (!trusted(event.senderFrame)) {
        services.log(
          `ipc ${channel} refused from ${event.senderFrame?.url ?? 'a destroyed frame'}`,
        );
        return;
      }
      fn(...args);
    });
  };

  handle(IPC.openExternal, async (url) => {
    const safe = externalUrl(url);
    if (!safe) return false;
    await services.openExternal(safe);
    return true;
  });
  handle(IPC.getSecret, (key) => services.getSecret(key));
  handle(IPC.setSecret, (key, value) => services.setSecret(key, value));
  handle(IPC.getPolicy, () => services.getPolicy());
  handle(IPC.getSettings, () => services.getSettings());
  handle(IPC.setSettings, (patch) => services.setSettings(patch));
  on(IPC.setBadgeCount, (count) => services.setBadgeCount(count));
  on(IPC.notify, (notification) => services.notify(notification));
}

/** Every channel main listens on, for the test that asserts each is guarded. */
export const RENDERER_TO_MAIN_CHANNELS = [
  IPC.openExternal,
  IPC.getSecret,
  IPC.setSecret,
  IPC.getPolicy,
  IPC.getSettings,
  IPC.setSettings,
  IPC.setBadgeCount,
  IPC.notify,
] as const;
