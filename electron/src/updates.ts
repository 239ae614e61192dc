// Update policy: whether to check and where. The feed is a "generic" electron-updater
// feed (latest.yml + installers) that IT hosts on-prem; by default `<server>/updates/`,
// which the relay can serve. electron-updater checks the sha512 in latest.yml for every
// download, and on Windows/macOS the code signature of the new build before installing.
import { parseServerUrl } from './deeplink';
import type { EffectiveConfig } from './itconfig';

export type UpdatePlan = { check: true; feedUrl: string } | { check: false; reason: string };

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface UpdateContext {
  isPackaged: boolean;
  platform: NodeJS.Platform;
  /** The user's `updates` setting (ignored when IT locked it). */
  enabledByUser: boolean;
  it: EffectiveConfig;
  /** Portable Windows builds and Mac App Store builds update elsewhere. */
  portable?: boolean;
}

export function planUpdates(ctx: UpdateContext): UpdatePlan {
  if (!ctx.isPackaged) return { check: false, reason: 'not packaged (development run)' };
  if (ctx.portable) return { check: false, reason: 'portable build' };
  const locked = ctx.it.policy.locked.includes('updates');
  const enabled = locked ? (ctx.it.updatesEnabled ?? true) : ctx.enabledByUser;
  if (!enabled)
    return {
      check: false,
      reason: locked ? 'disabled by IT configuration' : 'disabled in settings',
    };
  const base =
    ctx.it.updateFeedUrl ?? (ctx.it.policy.serverUrl ? `${ctx.it.policy.serverUrl}/updates` : null);
  if (!base)
    return { check: false, reason: 'no update feed configured (set updates.feedUrl or serverUrl)' };
  const feed = parseServerUrl(base);
  if (!feed) return { check: false, reason: `update feed is not an http(s) URL: ${base}` };
  const url = new URL(feed);
  if (url.protocol !== 'https:' && !LOOPBACK.has(url.hostname)) {
    return { check: false, reason: `update feed must use https: ${feed}` };
  }
  return { check: true, feedUrl: `${feed}/` };
}

/** The part of electron-updater's AppUpdater that we drive. */
export interface Updater {
  autoDownload: boolean;
  autoInstallOnAppQuit: boolean;
  allowDowngrade: boolean;
  allowPrerelease: boolean;
  setFeedURL(options: { provider: 'generic'; url: string }): void;
  checkForUpdates(): Promise<unknown>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'update-downloaded', listener: (info: { version: string }) => void): unknown;
}

export const UPDATE_INTERVAL_MS = 6 * 60 * 60 * 1000;

/** Applies a plan to the updater; returns a stop function. Checks now and every 6 hours. */
export function startUpdates(
  updater: Updater,
  plan: UpdatePlan,
  log: (message: string) => void,
  timers: { setInterval: typeof setInterval; clearInterval: typeof clearInterval } = globalThis,
): () => void {
  if (!plan.check) {
    log(`updates off: ${plan.reason}`);
    return () => undefined;
  }
  updater.setFeedURL({ provider: 'generic', url: plan.feedUrl });
  updater.autoDownload = true;
  updater.autoInstallOnAppQuit = true;
  updater.allowDowngrade = false;
  updater.allowPrerelease = false;
  updater.on('error', (error) => log(`update failed: ${error.message}`));
  updater.on('update-downloaded', (info) =>
    log(`update ${info.version} verified; installs on quit`),
  );
  const check = (): void => {
    updater
      .checkForUpdates()
      .catch((error: unknown) => log(`update check failed: ${String(error)}`));
  };
  check();
  const timer = timers.setInterval(check, UPDATE_INTERVAL_MS);
  return () => timers.clearInterval(timer);
}
