// The desktop API the renderer sees as `window.ferry`.
//
// Electron's preload (electron/src/preload.ts) implements it over IPC; the browser
// build (renderer/src/platform/browser.ts) implements the same interface with web
// APIs so the renderer runs in plain Chromium too. Types and constants only: this
// file is shared by renderer, preload and main, and imports nothing.

/** `process.platform` of the desktop app, or `web` in a plain browser. */
export type DesktopPlatform = 'win32' | 'darwin' | 'linux' | 'web';

/** Returned by every `on…` subscription; calling it removes the listener. */
export type Unsubscribe = () => void;

/** A parsed, validated `ferry://` link. Main refuses anything else before it reaches the renderer. */
export type DeepLink =
  /** `ferry://conversation/<convId>?server=<https url>` — open a conversation. */
  | { kind: 'conversation'; conversationId: string; serverUrl: string | null }
  /** `ferry://invite/<code>?server=<https url>` — join a workspace or conversation with an invite code. */
  | { kind: 'invite'; code: string; serverUrl: string | null }
  /** `ferry://message/<convId>/<messageId>` — open a message in context (core/src/desktop/links.ts). */
  | { kind: 'message'; conversationId: string; messageId: string; serverUrl: string | null }
  /**
   * `ferry://auth?code=<one-time code>` — the relay ends single sign-on here (docs/identity.md):
   * the app trades the code, with the verifier it kept, for its tokens.
   */
  | { kind: 'auth'; code: string }
  /** `ferry://auth?error=<code>&message=<words>` — single sign-on failed; the words are shown as text. */
  | { kind: 'auth-error'; error: string; message: string };

/**
 * Where a notification leads (docs/messaging.md, "Notification targets"). Clicking the
 * notification focuses the window and fires `onNotificationClick` with it: the conversation
 * opens at `messageId`, highlighted, or at its newest message when there is none (a summary
 * of news in many conversations).
 */
export interface NotificationTarget {
  conversationId: string;
  /** The message to open at (a clock id). */
  messageId?: string;
  /** For a reply: its thread's root message (a clock id); the click opens that thread. */
  threadRootId?: string;
}

export interface DesktopNotification extends NotificationTarget {
  title: string;
  body: string;
}

/** Settings IT may lock through the config file (see docs/desktop.md). */
export type LockableSetting = 'serverUrl' | 'updates' | 'startAtLogin';

/** What the IT config file presets. Read-only for the renderer. */
export interface DesktopPolicy {
  /** Preset relay URL (http/https), or null when IT set none. */
  serverUrl: string | null;
  /** Settings the user may not change. A locked `serverUrl` means the sign-in screen shows it read-only. */
  locked: LockableSetting[];
  /** Where the policy came from (absolute paths), for the diagnostics screen. Empty when none was found. */
  sources: string[];
  /** A clear message per config file that could not be used (the app then runs with safe defaults). */
  errors: string[];
}

/** User-changeable desktop settings (persisted by main). */
export interface DesktopSettings {
  startAtLogin: boolean;
  /** Start hidden in the tray (only meaningful with startAtLogin or a tray). */
  startHidden: boolean;
  /** Close button hides to the tray instead of quitting (Windows/Linux). */
  minimizeToTray: boolean;
  /** Check the on-prem feed for updates. */
  updates: boolean;
  /** Spell-check on or off; absent means on. */
  spellcheck?: boolean;
  /** Spell-check languages, e.g. ['en-US', 'de']; empty means the OS languages. Ignored on macOS (the OS picks). */
  spellcheckLanguages: string[];
}

export interface FerryDesktopApi {
  /** `electron` inside the desktop app, `browser` in plain Chromium. */
  readonly kind: 'electron' | 'browser';
  readonly platform: DesktopPlatform;
  /** App version (package.json), e.g. `0.1.0`. */
  readonly version: string;
  /** Opens an http(s) or mailto URL in the system browser. Resolves false when refused. */
  openExternal(url: string): Promise<boolean>;
  /** Reads a secret (e.g. a refresh token) kept with the OS keychain (safeStorage). Null when absent. */
  getSecret(key: string): Promise<string | null>;
  /** Stores a secret; `null` deletes it. Rejects when the OS offers no secure storage. */
  setSecret(key: string, value: string | null): Promise<void>;
  /** Total unread count: tray icon, dock/taskbar badge. 0 clears it. */
  setBadgeCount(count: number): void;
  /** Raises a native notification. */
  notify(notification: DesktopNotification): void;
  /** `ferry://` links from the first start and from later starts (forwarded by the single-instance lock). */
  onDeepLink(callback: (link: DeepLink) => void): Unsubscribe;
  /** Fired with the notification's target when one raised by `notify` is clicked. */
  onNotificationClick(callback: (target: NotificationTarget) => void): Unsubscribe;
  /** IT presets and locks. */
  getPolicy(): Promise<DesktopPolicy>;
  getSettings(): Promise<DesktopSettings>;
  /** Applies a partial change; locked settings are refused (rejects with a clear message). Resolves to the new settings. */
  setSettings(patch: Partial<DesktopSettings>): Promise<DesktopSettings>;
}

/** Every member of `window.ferry`, once, sorted: what tests check the preload exposes. */
export const DESKTOP_API_MEMBERS = Object.freeze([
  'getPolicy',
  'getSecret',
  'getSettings',
  'kind',
  'notify',
  'onDeepLink',
  'onNotificationClick',
  'openExternal',
  'platform',
  'setBadgeCount',
  'setSecret',
  'setSettings',
  'version',
] as const satisfies readonly (keyof FerryDesktopApi)[]);

// A member added to FerryDesktopApi but not to the list above is a type error here.
type Unlisted = Exclude<keyof FerryDesktopApi, (typeof DESKTOP_API_MEMBERS)[number]>;
export const DESKTOP_API_MEMBERS_COMPLETE: [Unlisted] extends [never] ? true : Unlisted = true;

/** Defaults used when there are no settings yet (and for the browser build). */
export const DEFAULT_DESKTOP_SETTINGS: Readonly<DesktopSettings> = Object.freeze({
  startAtLogin: false,
  startHidden: false,
  minimizeToTray: true,
  updates: true,
  spellcheck: true,
  spellcheckLanguages: [],
});

/** The URL scheme registered for deep links. */
export const DEEP_LINK_SCHEME = 'ferry';

/** The privileged scheme the packaged renderer is served from (`app://ferry/index.html`). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'ferry';

/**
 * Every IPC channel, in one place. `invoke` channels answer; `event` channels go
 * from main to the renderer. Main checks the sender frame on each of them.
 */
export const IPC = Object.freeze({
  openExternal: 'ferry:open-external',
  getSecret: 'ferry:get-secret',
  setSecret: 'ferry:set-secret',
  setBadgeCount: 'ferry:set-badge-count',
  notify: 'ferry:notify',
  getPolicy: 'ferry:get-policy',
  getSettings: 'ferry:get-settings',
  setSettings: 'ferry:set-settings',
  /** main → renderer */
  deepLink: 'ferry:deep-link',
  /** main → renderer */
  notificationClick: 'ferry:notification-click',
} as const);

export type IpcChannel = (typeof IPC)[keyof typeof IPC];

/** Limits main enforces on IPC input (the renderer is untrusted). */
export const DESKTOP_LIMITS = Object.freeze({
  secretKeyMax: 128,
  secretValueMax: 64 * 1024,
  notificationTitleMax: 256,
  notificationBodyMax: 1024,
  urlMax: 2048,
  badgeMax: 99_999,
});

/**
 * The global the API lives on. core/ has no DOM types, so the renderer declares
 * `interface Window extends FerryWindow {}` (or reads `(window as FerryWindow).ferry`).
 */
export interface FerryWindow {
  ferry?: FerryDesktopApi;
}

/** Preload reads the app version from this command-line switch (webPreferences.additionalArguments). */
export const VERSION_ARG_PREFIX = '--ferry-version=';
