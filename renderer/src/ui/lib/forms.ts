// The sign-in and first-admin forms as data: what each field must hold, and what to say when
// the relay refuses. Pure functions, unit-tested (renderer/test/ui/forms.test.ts).

/** The relay's username rule (docs/accounts.md): lower case, 1–32 characters. */
export const USERNAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;
export const MIN_PASSWORD = 10;
export const MAX_DISPLAY_NAME = 64;

export type Errors<K extends string> = Partial<Record<K, string>>;

/** Checks a server address: http(s), no credentials in it. Returns a message or null. */
export function serverUrlError(value: string): string | null {
  const url = value.trim();
  if (!url) return 'Enter the address of your server.';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'This is not a valid address.';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return 'Use an http:// or https:// address.';
  }
  if (parsed.username || parsed.password) {
    return 'Leave user names and passwords out of the address.';
  }
  return null;
}

/** The server URL as stored: trimmed, without a trailing slash. Call after serverUrlError. */
export function normalizeServerUrl(url: string): string {
  const parsed = new URL(url.trim());
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}

/** Login is case-insensitive: the username as sent. */
export function normalizeUsername(value: string): string {
  return value.trim().toLowerCase();
}

export interface SignInFields {
  serverUrl: string;
  username: string;
  password: string;
}

export function validateSignIn(f: SignInFields): Errors<keyof SignInFields> {
  const errors: Errors<keyof SignInFields> = {};
  const server = serverUrlError(f.serverUrl);
  if (server) errors.serverUrl = server;
  if (!normalizeUsername(f.username)) errors.username = 'Enter your username.';
  if (!f.password) errors.password = 'Enter your password.';
  return errors;
}

export type SecondFactor = 'totp' | 'recovery';

/** The six-digit code as sent (spaces and dashes people type are dropped), or null. */
export function normalizeTotp(value: string): string | null {
  const digits = value.replace(/[\s-]/g, '');
  return /^\d{6}$/.test(digits) ? digits : null;
}

export function secondFactorError(kind: SecondFactor, value: string): string | null {
  if (kind === 'totp') {
    if (!value.trim()) return 'Enter the 6-digit code from your authenticator app.';
    return normalizeTotp(value) ? null : 'The code has 6 digits.';
  }
  return value.trim() ? null : 'Enter one of your recovery codes.';
}

export interface SetupFields {
  serverUrl: string;
  username: string;
  displayName: string;
  password: string;
  confirm: string;
}

// Control characters (C0, DEL, C1) are refused in display names, as the relay does.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function displayNameError(value: string): string | null {
  const name = value.trim();
  if (!name) return 'Enter the name your team will see.';
  if (Array.from(name).length > MAX_DISPLAY_NAME) return 'Use at most 64 characters.';
  if (CONTROL.test(name)) return 'Leave out control characters.';
  return null;
}

export function usernameError(value: string): string | null {
  const name = normalizeUsername(value);
  if (!name) return 'Choose a username.';
  if (name.length > 32) return 'Use at most 32 characters.';
  if (!USERNAME.test(name)) {
    return 'Use letters, digits, dots, dashes and underscores; start with a letter or digit.';
  }
  return null;
}

export function passwordError(value: string): string | null {
  if (!value) return 'Choose a password.';
  if (Array.from(value).length < MIN_PASSWORD) {
    return `Use at least ${MIN_PASSWORD} characters.`;
  }
  return null;
}

export function validateSetupAdmin(f: SetupFields): Errors<keyof SetupFields> {
  const errors: Errors<keyof SetupFields> = {};
  const checks: Array<[keyof SetupFields, string | null]> = [
    ['serverUrl', serverUrlError(f.serverUrl)],
    ['username', usernameError(f.username)],
    ['displayName', displayNameError(f.displayName)],
    ['password', passwordError(f.password)],
    [
      'confirm',
      !f.confirm
        ? 'Type the password again.'
        : f.confirm !== f.password
          ? 'The two passwords differ.'
          : null,
    ],
  ];
  for (const [key, message] of checks) if (message) errors[key] = message;
  return errors;
}

/** A new password and its repetition ("Choose your own password", an invite's sign-up). */
export function newPasswordErrors(
  password: string,
  confirm: string,
): Errors<'password' | 'confirm'> {
  const errors: Errors<'password' | 'confirm'> = {};
  const p = passwordError(password);
  if (p) errors.password = p;
  if (!confirm) errors.confirm = 'Type the password again.';
  else if (confirm !== password) errors.confirm = 'The two passwords differ.';
  return errors;
}

/** "12 seconds", "1 minute", "15 minutes": a wait the relay asked for, in seconds. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} ${s === 1 ? 'second' : 'seconds'}`;
  const m = Math.ceil(s / 60);
  return `${m} ${m === 1 ? 'minute' : 'minutes'}`;
}

export type RefusalCode =
  | 'invalid-credentials'
  | 'totp-required'
  | 'locked'
  | 'rate-limited'
  | 'unreachable'
  | 'invalid'
  | 'setup-code'
  | 'password-change-required'
  | 'error';

export interface Refusal {
  code: RefusalCode;
  message: string;
  retryAfter?: number;
}

/**
 * What the sign-in screen says when the relay refuses. `step` is where the user is: the
 * password, the second factor, or the first-admin form. `host` names the server.
 */
export function refusalText(
  r: Refusal,
  step: 'password' | SecondFactor | 'setup',
  host: string,
): string {
  switch (r.code) {
    case 'invalid-credentials':
      if (step === 'totp')
        return 'That code is not right. Codes change every 30 seconds: try the current one.';
      if (step === 'recovery') return 'That recovery code is not right, or it was used already.';
      return 'Wrong username or password.';
    // The wait itself counts down live on the button ("Try again in 13:51"): one message,
    // no second number that goes stale.
    case 'locked':
      return 'This account is locked after too many failed sign-ins. Wait until the button counts down, or ask an admin to unlock it.';
    case 'rate-limited':
      return r.retryAfter
        ? 'Too many attempts. Wait until the button counts down, then try again.'
        : 'Too many attempts. Wait a moment, then try again.';
    case 'password-change-required':
      return 'Choose your own password to finish signing in.';
    case 'unreachable':
      return `Can't reach the server at ${host}. Check the address and your connection; your messages on this device are safe.`;
    case 'setup-code':
      return 'The server asks for its setup code: it is printed in the server’s log when it starts.';
    case 'totp-required':
      return 'Enter the code from your authenticator app.';
    case 'invalid':
    case 'error':
      return r.message || 'The server refused this. Try again.';
  }
}

/** The host of a server URL for messages ("ferry.corp.example"), or the text itself. */
export function hostOf(url: string): string {
  try {
    return new URL(url.trim()).host || url;
  } catch {
    return url;
  }
}
