// platform(): the desktop API of the preload (`window.ferry`) inside Electron, the browser
// implementation of the same interface everywhere else. Components call only this.

import type { FerryDesktopApi, FerryWindow } from '../../../core/src/desktop/api';
import { createBrowserApi } from './browser';

let cached: FerryDesktopApi | undefined;

export function platform(): FerryDesktopApi {
  cached ??= (window as Window & FerryWindow).ferry ?? createBrowserApi(window);
  return cached;
}

/**
 * The relay URL to offer on first run: the IT preset, else the page's own origin when the
 * relay serves the web client (http/https), else the relay's default local address.
 */
export function defaultServerUrl(presetUrl: string | null, location: Location): string {
  if (presetUrl) return presetUrl;
  if (location.protocol === 'http:' || location.protocol === 'https:') return location.origin;
  return 'http://127.0.0.1:7880';
}
