// The browser implementation of the desktop API (`window.ferry`), so the renderer runs in
// plain Chromium (the relay's web client, end-to-end tests) with the same interface as in
// the Electron app. Where the browser has no equivalent the behaviour is the safe nearest:
// secrets in the app's IndexedDB `ferry-accounts`, where the data layer keeps the refresh
// token too (a browser has no OS keychain; the desktop app uses safeStorage; see
// renderer/src/data/README.md, Accounts), localStorage only where IndexedDB is missing,
// badge in the tab title, notifications through the Notification API when already allowed.

import {
  DEFAULT_DESKTOP_SETTINGS,
  DESKTOP_LIMITS,
  type DeepLink,
  type DesktopNotification,
  type DesktopPolicy,
  type DesktopSettings,
  type FerryDesktopApi,
  type NotificationTarget,
  type Unsubscribe,
} from '../../../core/src/desktop/api';
import { isSafeExternalUrl } from '../ui/lib/links';
import { AccountsDb } from '../data/accounts';

const SECRET_PREFIX = 'ferry.secret.';
const SETTINGS_KEY = 'ferry.settings';
const BASE_TITLE = 'Ferry';

function readSettings(storage: Storage): DesktopSettings {
  try {
    const raw = storage.getItem(SETTINGS_KEY);
    if (!raw) return { ...DEFAULT_DESKTOP_SETTINGS };
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null) return { ...DEFAULT_DESKTOP_SETTINGS };
    const p = parsed as Partial<DesktopSettings>;
    return {
      startAtLogin: typeof p.startAtLogin === 'boolean' ? p.startAtLogin : false,
      startHidden: typeof p.startHidden === 'boolean' ? p.startHidden : false,
      minimizeToTray: typeof p.minimizeToTray === 'boolean' ? p.minimizeToTray : true,
      updates: typeof p.updates === 'boolean' ? p.updates : true,
      ...(typeof p.spellcheck === 'boolean' ? { spellcheck: p.spellcheck } : {}),
      spellcheckLanguages: Array.isArray(p.spellcheckLanguages)
        ? p.spellcheckLanguages.filter((l): l is string => typeof l === 'string')
        : [],
    };
  } catch {
    // A damaged settings record is replaced by defaults on the next write, never a crash.
    return { ...DEFAULT_DESKTOP_SETTINGS };
  }
}

export function createBrowserApi(win: Window = window): FerryDesktopApi {
  const storage = win.localStorage;
  const idb = (win as Window & { indexedDB?: IDBFactory }).indexedDB;
  const secrets = idb ? new AccountsDb(idb).secrets() : null;
  const clickListeners = new Set<(target: NotificationTarget) => void>();

  return {
    kind: 'browser',
    platform: 'web',
    // Defined by vite.config.ts; absent when the module runs under Vitest.
    version: typeof __FERRY_VERSION__ === 'string' ? __FERRY_VERSION__ : 'dev',

    async openExternal(url: string): Promise<boolean> {
      if (url.length > DESKTOP_LIMITS.urlMax || !isSafeExternalUrl(url)) return false;
      win.open(url, '_blank', 'noopener,noreferrer');
      return true;
    },

    async getSecret(key: string): Promise<string | null> {
      if (secrets) return secrets.get(key);
      return storage.getItem(SECRET_PREFIX + key);
    },

    async setSecret(key: string, value: string | null): Promise<void> {
      if (key.length > DESKTOP_LIMITS.secretKeyMax) throw new Error('Secret key is too long.');
      if (value !== null && value.length > DESKTOP_LIMITS.secretValueMax)
        throw new Error('Secret is too long.');
      if (secrets) return secrets.set(key, value);
      if (value === null) storage.removeItem(SECRET_PREFIX + key);
      else storage.setItem(SECRET_PREFIX + key, value);
    },

    setBadgeCount(count: number): void {
      const n = Math.max(0, Math.min(DESKTOP_LIMITS.badgeMax, Math.floor(count)));
      win.document.title = n > 0 ? `(${n}) ${BASE_TITLE}` : BASE_TITLE;
      const nav = win.navigator as Navigator & {
        setAppBadge?: (n?: number) => Promise<void>;
        clearAppBadge?: () => Promise<void>;
      };
      // Installed web apps show a badge; elsewhere these are absent or reject quietly.
      if (n > 0) nav.setAppBadge?.(n).catch(() => undefined);
      else nav.clearAppBadge?.().catch(() => undefined);
    },

    notify(n: DesktopNotification): void {
      const N = (win as unknown as { Notification?: typeof Notification }).Notification;
      if (!N || N.permission !== 'granted') return;
      const notification = new N(n.title.slice(0, DESKTOP_LIMITS.notificationTitleMax), {
        body: n.body.slice(0, DESKTOP_LIMITS.notificationBodyMax),
        tag: n.conversationId,
      });
      // The target is copied now: the page may change the object it passed in.
      const target: NotificationTarget = {
        conversationId: n.conversationId,
        ...(n.messageId !== undefined ? { messageId: n.messageId } : {}),
        ...(n.threadRootId !== undefined ? { threadRootId: n.threadRootId } : {}),
      };
      notification.onclick = () => {
        win.focus();
        for (const l of clickListeners) l(target);
        notification.close();
      };
    },

    onDeepLink(_callback: (link: DeepLink) => void): Unsubscribe {
      // A browser receives no ferry:// links.
      return () => undefined;
    },

    onNotificationClick(callback: (target: NotificationTarget) => void): Unsubscribe {
      clickListeners.add(callback);
      return () => clickListeners.delete(callback);
    },

    async getPolicy(): Promise<DesktopPolicy> {
      return { serverUrl: null, locked: [], sources: [], errors: [] };
    },

    async getSettings(): Promise<DesktopSettings> {
      return readSettings(storage);
    },

    async setSettings(patch: Partial<DesktopSettings>): Promise<DesktopSettings> {
      const next = { ...readSettings(storage), ...patch };
      storage.setItem(SETTINGS_KEY, JSON.stringify(next));
      return next;
    },
  };
}
