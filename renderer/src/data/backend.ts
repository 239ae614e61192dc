// The contract between the data layer and the UI's sign-in screens: what a Backend does and
// answers. It lives below both (renderer/src/ui/backend.ts re-exports it), so the data layer
// never imports from the UI folder.

import type { AuthReturn, FerryClient, Providers } from './api';

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
        | 'password-change-required'
        | 'error';
      message: string;
      /** Seconds before another attempt may succeed (locked, rate-limited). */
      retryAfter?: number;
      /**
       * `password-change-required` (an admin chose the password): signed in, but the relay
       * allows nothing until the person chooses their own; this finishes the sign-in.
       */
      changePassword?: (newPassword: string) => Promise<SignInResult>;
    };

/** An invite link's token and what the relay says about it before the sign-up form. */
export interface InviteInfo {
  role: 'member' | 'guest';
  expiresAt: number;
}

export interface AcceptInviteInput {
  serverUrl: string;
  token: string;
  username: string;
  displayName: string;
  password: string;
}

export interface Backend {
  /** The client of the kept session (works offline), or null when no one is signed in. */
  restore(): Promise<FerryClient | null>;
  /** Throws ApiError('offline' | 'unreachable' | ...). */
  serverInfo(serverUrl: string): Promise<ServerInfo>;
  signIn(input: SignInInput): Promise<SignInResult>;
  setupAdmin(input: SetupAdminInput): Promise<SignInResult>;
  /** Throws ApiError: 'not-found' / 'gone' (expired, used up, withdrawn) with plain words. */
  lookupInvite(serverUrl: string, token: string): Promise<InviteInfo>;
  /** Makes the account the invite allows and signs in. */
  acceptInvite(input: AcceptInviteInput): Promise<SignInResult>;
  /**
   * Which sign-ins the relay offers (docs/identity.md): an old relay answers local only.
   * Throws ApiError ('offline', 'unreachable', ...). Absent on backends without it.
   */
  providers?(serverUrl: string): Promise<Providers>;
  /**
   * Starts single sign-on: keeps a fresh verifier and sends the person to the issuer (the web
   * build leaves the page; the desktop app opens the system browser). Resolves with a failure
   * in words when it could not start.
   */
  startSso?(serverUrl: string): Promise<{ ok: true } | Extract<SignInResult, { ok: false }>>;
  /** Finishes it with what the relay sent back (`#/auth?…` or `ferry://auth?…`). */
  finishSso?(ret: AuthReturn): Promise<SignInResult>;
}

/** The server URL as stored: trimmed, without a trailing slash. */
export function normalizeServerUrl(url: string): string {
  const parsed = new URL(url.trim());
  return parsed.origin + parsed.pathname.replace(/\/+$/, '');
}
