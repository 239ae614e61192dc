// The accounts tables' rows, and what every part of the accounts service shares: the
// database, the audit log, the options and clock, and the row lookups.
import { randomBytes } from 'node:crypto';
import type { SqlDb } from '../db/sql';
import { newId } from '../../../core/src/ids';
import type { Audit } from '../audit';
import type { IdentitySource } from '../identity/types';
import type { AccountsOptions, User } from './types';
import type { Role } from './validation';

export interface UserRow {
  id: string;
  username: string;
  display_name: string;
  role: Role;
  password_hash: string;
  disabled_at: number | null;
  totp_secret: string | null;
  totp_pending: string | null;
  totp_last_step: number | null;
  failed_logins: number;
  last_failed_at: number | null;
  locked_until: number | null;
  created_at: number;
  password_changed_at: number;
  /** 1: an admin chose this password; the user must change it before anything else (migration 5). */
  must_change_password: number;
  /** Where the person signs in (migration 9): 'local', or the company directory or issuer. */
  source: IdentitySource;
  /** The directory's stable id (LDAP entryUUID/objectGUID, OIDC sub); null for local accounts. */
  external_id: string | null;
  email: string | null;
  /** When the directory last confirmed this account (ms); null for local accounts. */
  synced_at: number | null;
}

export interface SessionRow {
  id: string;
  user: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
  refresh_hash: string | null;
  previous_refresh_hash: string | null;
  /** The generation of the current refresh token; 0 for a token from before generations. */
  refresh_generation: number;
  device: string | null;
  ip: string | null;
  revoked_at: number | null;
  revoked_reason: string | null;
}

/** What decides whether a sign-in attempt may be checked now (a user row, or an unknown name). */
export interface FailureState {
  failures: number;
  lastFailedAt: number | null;
  lockedUntil: number | null;
}

export const rowFailures = (r: UserRow): FailureState => ({
  failures: r.failed_logins,
  lastFailedAt: r.last_failed_at,
  lockedUntil: r.locked_until,
});

export const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled_at !== null,
  totp: r.totp_secret !== null,
  createdAt: r.created_at,
  lockedUntil: r.locked_until,
  mustChangePassword: r.must_change_password === 1,
  source: r.source,
  email: r.email,
});

export const newUserId = () => newId((n) => new Uint8Array(randomBytes(n)));

export interface AccountsContext {
  db: SqlDb;
  audit: Audit;
  options: AccountsOptions;
}

/** The base of each part of the accounts service (users, sessions, sign-in…). */
export abstract class AccountsPart {
  protected readonly db: SqlDb;
  protected readonly audit: Audit;
  protected readonly options: AccountsOptions;

  constructor(ctx: AccountsContext) {
    this.db = ctx.db;
    this.audit = ctx.audit;
    this.options = ctx.options;
  }

  protected now(): number {
    return this.options.now();
  }

  protected row(id: string): UserRow | undefined {
    return this.db.prepare<[string], UserRow>('SELECT * FROM users WHERE id = ?').get(id);
  }

  protected rowByName(username: string): UserRow | undefined {
    return this.db
      .prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?')
      .get(username.trim().toLowerCase());
  }

  protected sessionRow(id: string): SessionRow | undefined {
    return this.db.prepare<[string], SessionRow>('SELECT * FROM sessions WHERE id = ?').get(id);
  }
}
