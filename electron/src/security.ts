// The Electron security checklist, as code: window options, navigation and
// window-open denial, external links, permission handlers and the IPC sender check.
// Every function takes the Electron objects it touches, so tests can hand in fakes.
import type {
  BrowserWindowConstructorOptions,
  Rectangle,
  Session,
  WebContents,
  WebFrameMain,
} from 'electron';
import {
  APP_HOST,
  APP_SCHEME,
  DESKTOP_LIMITS,
  VERSION_ARG_PREFIX,
} from '../../core/src/desktop/api';

/** The origin the packaged renderer runs at. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * CSP sent with every app:// response. Scripts only from the app itself; styles may be
 * inline (Svelte writes style attributes); the relay is a URL the user picks at run time,
 * so connections may go to any http(s)/ws(s) host; no plugins, frames, forms or <base>.
 * Images only from the app and inline (profile pictures are data: URLs): nothing a message or
 * a profile holds can make the app fetch a remote image (a tracking pixel).
 * 'wasm-unsafe-eval' (issue 13) lets the app compile its own WebAssembly (hash-wasm's SHA-256 of
 * attached files, streamed); it allows no JavaScript eval.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' https: http: wss: ws:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * Permissions the renderer may have, and only for trusted origins. Notifications are raised
 * by main, so the web Notification permission is not needed. Local-network access is
 * allowed because the relay is usually on the company network.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set([
  'clipboard-sanitized-write',
  'fullscreen',
  'persistent-storage',
  'local-network-access',
  'local-network',
  'loopback-network',
]);

export interface WindowOptionsInput {
  /** Absolute path of dist/electron/preload.cjs. */
  preload: string;
  version: string;
  bounds: Partial<Rectangle>;
  /** Start hidden (tray) instead of showing once ready. */
  show?: boolean;
  spellcheck?: boolean;
  icon?: string;
  /** The OS is in dark mode: paint the window dark before the page loads (no white flash). */
  dark?: boolean;
}

/** BrowserWindow options with every checklist switch set explicitly (not left to defaults). */
export function createWindowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  return {
    ...input.bounds,
    minWidth: 480,
    minHeight: 360,
    show: false, // shown on ready-to-show (or kept hidden in the tray)
    title: 'Ferry',
    backgroundColor: input.dark ? '#1b1d22' : '#ffffff',
    ...(input.icon ? { icon: input.icon } : {}),
    webPreferences: {
      preload: input.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: input.spellcheck ?? true,
      additionalArguments: [`${VERSION_ARG_PREFIX}${input.version}`],
    },
  };
}

/** http(s) and mailto URLs only, no credentials, bounded length. Returns the normalized URL or null. */
export function externalUrl(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > DESKTOP_LIMITS.urlMax)
    return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol === 'mailto:') return url.href;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || !url.hostname) return null;
  return url.href;
}

/** The origins whose frames count as our renderer (the app protocol, plus the dev server when not packaged). */
export function trustedOrigins(devServerUrl: string | null): string[] {
  const origins = [APP_ORIGIN];
  if (devServerUrl) origins.push(new URL(devServerUrl).origin);
  return origins;
}

export function originOf(url: string): string | null {
  try {
    const parsed = new URL(url);
    // Node's URL gives origin "null" for non-special schemes; build it for app:// ourselves.
    if (parsed.protocol === `${APP_SCHEME}:`) return `${APP_SCHEME}://${parsed.host}`;
    return parsed.origin;
  } catch {
    return null;
  }
}

/** IPC sender check: a live top-level frame showing one of our origins. */
export function isTrustedFrame(
  frame: Pick<WebFrameMain, 'url' | 'parent'> | null | undefined,
  origins: readonly string[],
): boolean {
  if (!frame || frame.parent !== null) return false;
  const origin = originOf(frame.url);
  return origin !== null && origins.includes(origin);
}

export interface HardenDeps {
  origins: readonly string[];
  /** shell.openExternal */
  openExternal(url: string): Promise<void>;
  log?(message: string): void;
}

/**
 * No navigation away from the app, no new windows (links go to the system browser
 * when they are http(s)/mailto), no <webview>.
 */
export function hardenContents(contents: WebContents, deps: HardenDeps): void {
  const log = deps.log ?? (() => undefined);
  const deny = (event: { preventDefault(): void }, url: string): void => {
    const origin = originOf(url);
    if (origin !== null && deps.origins.includes(origin)) {
      // In-app navigation (e.g. a reload of index.html) is fine only for same-origin URLs.
      return;
    }
    event.preventDefault();
    log(`navigation refused: ${url.slice(0, 200)}`);
  };
  contents.on('will-navigate', deny);
  contents.on('will-redirect', deny);
  contents.on('will-frame-navigate', (event) => {
    if (!event.isMainFrame) {
      event.preventDefault();
      log('sub-frame navigation refused');
    }
  });
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log('webview refused');
  });
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) {
      deps
        .openExternal(external)
        .catch((error: unknown) => log(`openExternal failed: ${String(error)}`));
    } else {
      log(`window.open refused: ${url.slice(0, 200)}`);
    }
    return { action: 'deny' };
  });
}

/** Allow only the permissions in ALLOWED_PERMISSIONS, only for our origins; deny device access. */
export function installPermissionHandlers(session: Session, origins: readonly string[]): void {
  const trusted = (url: string | undefined | null): boolean => {
    const origin = url ? originOf(url) : null;
    return origin !== null && origins.includes(origin);
  };
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const url = details.requestingUrl ?? contents.getURL();
    callback(ALLOWED_PERMISSIONS.has(permission) && trusted(url));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => {
    return ALLOWED_PERMISSIONS.has(permission) && trusted(requestingOrigin);
  });
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback(null));
}
