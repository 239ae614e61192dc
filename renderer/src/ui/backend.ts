// How the UI obtains a FerryClient. main.ts builds this from the data layer's factory; the
// screenshot harness (renderer/test/ui/harness) builds it from an in-memory fake. The UI
// itself never knows which.

import type { FerryClient } from '../data/api';

export interface ServerInfo {
  name: string;
  version: string;
  /** A fresh relay with no users: the sign-in screen offers to create the first admin. */
  setupRequired: boolean;
}

export interface SignInInput {
  serverUrl: string;
  username: string;
  password: string;
  totp?: string;
  recoveryCode?: string;
}

export interface SetupAdminInput {
  serverUrl: string;
  username: string;
  displayName: string;
  password: string;
  /** The one-time code the relay prints at start (needed unless signing up from loopback). */
  setupCode?: string;
}

export type SignInResult =
  | { ok: true; client: FerryClient }
  | {
      ok: false;
      code:
        | 'invalid-credentials'
        | 'totp-required'
        | 'locked'
        | 'rate-limited'
        | 'unreachable'
        | 'invalid'
        | 'setup-code'
        | 'error';
      message: string;
      /** Seconds before another attempt may succeed (locked, rate-limited). */
      retryAfter?: number;
    };

export interface Backend {
  /** The client of the kept session (works offline), or null when no one is signed in. */
  restore(): Promise<FerryClient | null>;
  /** Throws ApiError('offline' | 'unreachable' | ...). */
  serverInfo(serverUrl: string): Promise<ServerInfo>;
  signIn(input: SignInInput): Promise<SignInResult>;
  setupAdmin(input: SetupAdminInput): Promise<SignInResult>;
}

/** The previous release's first-run form (server URL and display name); kept for its checks. */
export interface SetupInput {
  serverUrl: string;
  displayName: string;
}

/** Checks the first-run form. Returns one message per invalid field. */
export function validateSetup(input: SetupInput): Partial<Record<keyof SetupInput, string>> {
  const errors: Partial<Record<keyof SetupInput, string>> = {};
  const url = input.serverUrl.trim();
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      errors.serverUrl = 'Use an http:// or https:// address.';
    } else if (parsed.username || parsed.password) {
      errors.serverUrl = 'Leave user names and passwords out of the address.';
    }
  } catch {
    errors.serverUrl = url ? 'This is not a valid address.' : 'Enter the address of your server.';
  }
  const name = input.displayName.trim();
  if (!name) errors.displayName = 'Enter the name your team will see.';
  else if (Array.from(name).length > 64) errors.displayName = 'Use at most 64 characters.';
  return errors;
}

/** The server URL as stored: trimmed, without a trailing slash. */
export function normalizeServerUrl(url: string): string {
  const parsed = new URL(url.trim());
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}
