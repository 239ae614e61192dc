// How the UI obtains a FerryClient. main.ts builds this from the data layer's factory; the
// screenshot harness (renderer/test/ui/harness) builds it from an in-memory fake. The UI
// itself never knows which.

export type {
  Backend,
  ServerInfo,
  SetupAdminInput,
  SignInInput,
  SignInResult,
} from '../data/backend';
export { normalizeServerUrl } from '../data/backend';

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
