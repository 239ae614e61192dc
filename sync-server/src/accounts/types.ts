// The accounts service's public shapes and options: what other code and tests see
// (re-exported by service.ts).
import type { IdentitySource } from '../identity/types';
import type { BucketSpec, LimiterFactory } from '../limits';
import { OWASP_ARGON2, type Argon2Cost } from './passwords';
import type { Role } from './validation';

export type { Role };

export interface User {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  disabled: boolean;
  totp: boolean;
  createdAt: number;
  /** When the sign-in lock ends (ms); may lie in the past (the lock is over). */
  lockedUntil: number | null;
  /** An admin chose the password: the user must choose their own before anything else. */
  mustChangePassword: boolean;
  /** Where the person signs in: a local password, or the company directory or issuer. */
  source: IdentitySource;
  email: string | null;
}

/** What a valid access token (with a live session) says. `exp` is in ms. */
export interface AccessInfo {
  userId: string;
  sessionId: string;
  role: Role;
  exp: number;
  /** The user must change the password an admin gave them: nothing else is allowed. */
  mustChangePassword: boolean;
}

export type AccessError = 'token expired' | 'session ended' | 'not authenticated';

export interface SessionEnded {
  sessionId: string;
  userId: string;
  /** e.g. 'logout', 'revoked', 'user disabled', 'password changed', 'refresh reused', 'expired'. */
  reason: string;
}

export interface SessionInfo {
  id: string;
  userId: string;
  createdAt: number;
  lastUsedAt: number;
  /** When it ends without use: the earlier of 30 days idle and 90 days after login. */
  expiresAt: number;
  device: string | null;
  ip: string | null;
  revokedAt: number | null;
  revokedReason: string | null;
}

export interface LoginResult {
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  user: User;
  /** Present (true) when the session may do nothing but change the password. */
  passwordChangeRequired?: true;
}

export interface LockoutPolicy {
  /** Failures after which each attempt waits 2^(n - backoffAfter) s. */
  backoffAfter: number;
  maxBackoffMs: number;
  /** Failures at which the account locks. */
  lockAfter: number;
  lockMs: number;
}

export interface AccountsOptions {
  accessTokenTtlSeconds: number;
  sessionIdleMs: number;
  sessionMaxMs: number;
  argon2: Argon2Cost;
  lockout: LockoutPolicy;
  /** The first backoff wait (ms); it doubles with each further failure. */
  backoffBaseMs: number;
  loginPerUsername: BucketSpec;
  /** Where the per-username buckets live: this process (default) or Redis, shared by nodes. */
  limiters?: LimiterFactory;
  /**
   * Names that are no account whose failed sign-ins are counted (a capped LRU), so they wait
   * and lock exactly like real accounts do: the backoff tells no one which names exist.
   */
  unknownNamesTracked: number;
  /** Repeated refusals of one (subject, reason) within this window make one audit entry. */
  refusalAuditWindowMs: number;
  /** Name shown by authenticator apps. */
  issuer: string;
  now: () => number;
  /** Called for every login attempt's outcome (metrics). */
  onLogin?: (result: 'success' | 'failure' | 'totp-required' | 'locked' | 'rate-limited') => void;
  onRateLimited?: (what: string) => void;
}

export const DAY_MS = 24 * 3600 * 1000;

export const DEFAULT_ACCOUNTS_OPTIONS: AccountsOptions = {
  accessTokenTtlSeconds: 600,
  sessionIdleMs: 30 * DAY_MS,
  sessionMaxMs: 90 * DAY_MS,
  argon2: OWASP_ARGON2,
  lockout: { backoffAfter: 5, maxBackoffMs: 15 * 60_000, lockAfter: 10, lockMs: 15 * 60_000 },
  backoffBaseMs: 1000,
  loginPerUsername: { burst: 10, perSecond: 5 / 60 },
  unknownNamesTracked: 50_000,
  refusalAuditWindowMs: 60_000,
  issuer: 'Ferry',
  now: () => Date.now(),
};

/** Who did something: a user id, 'cli' (admin CLI), 'setup', or null. */
export interface Actor {
  actor: string | null;
  ip?: string | null;
}
