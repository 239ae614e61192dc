// How the UI obtains a FerryClient. main.ts builds this from the data layer's factory; the
// screenshot harness (renderer/test/ui/harness) builds it from an in-memory fake. The UI
// itself never knows which.

import type { FerryClient } from '../data/api';

export interface SetupInput {
  serverUrl: string;
  displayName: string;
}

export interface Backend {
  /** The client of the session kept from an earlier run, or null on first run. */
  restore(): Promise<FerryClient | null>;
  /** First run: stores the session and returns its client. */
  start(input: SetupInput): Promise<FerryClient>;
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
