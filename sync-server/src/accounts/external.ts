// Accounts that come from the company's directory (LDAP) or issuer (OIDC), docs/identity.md:
// made on first sign-in, kept in step with what the source says, never given a password here.
// An account is found by (source, external_id), so a person renamed in the directory keeps
// their account, history and sessions; the username follows the directory when it is free.
import type { ExternalPerson, IdentitySource } from '../identity/types';
import { CONTROL, USERNAME_PATTERN, type Role } from './validation';
import { AccountsPart, newUserId, toUser, type AccountsContext, type UserRow } from './rows';
import type { Actor, User } from './types';

/** Stored as a directory account's password hash: not a hash, so no password ever matches. */
export const DIRECTORY_PASSWORD = '!directory';

export type ExternalSource = Exclude<IdentitySource, 'local'>;

/** What `link` changed on an account (for the audit log and the sync's counts). */
export interface LinkResult {
  user: User;
  created: boolean;
  /** Fields the directory changed: username, displayName, email (not role: see setRole). */
  changed: string[];
}

/** A username from a directory name: lower case, the part before '@', only a-z 0-9 . _ -. */
export function usernameFrom(name: string): string {
  let s = name.trim().toLowerCase();
  const at = s.indexOf('@');
  if (at > 0) s = s.slice(0, at);
  s = s
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 32);
  return USERNAME_PATTERN.test(s) ? s : 'user';
}

/** A display name Ferry accepts: control characters dropped, at most 64 characters. */
function displayNameFrom(name: string, fallback: string): string {
  const s = [...name]
    .filter((c) => !CONTROL.test(c))
    .join('')
    .trim();
  return ([...s].slice(0, 64).join('') || fallback).trim();
}

export class ExternalAccounts extends AccountsPart {
  constructor(ctx: AccountsContext) {
    super(ctx);
  }

  byExternal(source: ExternalSource, externalId: string): UserRow | undefined {
    return this.db
      .prepare<[string, string], UserRow>(
        'SELECT * FROM users WHERE source = ? AND external_id = ?',
      )
      .get(source, externalId);
  }

  /** Every account of a source: what a sync compares the directory with. */
  listLinked(source: ExternalSource): UserRow[] {
    return this.db
      .prepare<[string], UserRow>('SELECT * FROM users WHERE source = ? ORDER BY id')
      .all(source);
  }

  countBySource(): Record<IdentitySource, number> {
    const counts: Record<IdentitySource, number> = { local: 0, ldap: 0, oidc: 0 };
    const rows = this.db
      .prepare<[], { source: IdentitySource; n: number }>(
        'SELECT source, COUNT(*) AS n FROM users GROUP BY source',
      )
      .all();
    for (const r of rows) counts[r.source] = r.n;
    return counts;
  }

  /**
   * Creates the account of `person` (with `role`) or brings an existing one in step with the
   * directory: username (when free), display name, email. Does not change the role, nor
   * enable or disable: those go through `Users.updateUser`, which guards the last admin and
   * ends sessions.
   */
  link(source: ExternalSource, person: ExternalPerson, role: Role, by: Actor): LinkResult {
    const now = this.now();
    const wanted = usernameFrom(person.username);
    const email = person.email ? person.email.slice(0, 254) : null;
    return this.db.transaction((): LinkResult => {
      const existing = this.byExternal(source, person.externalId);
      if (!existing) {
        const username = this.freeUsername(wanted, null);
        const id = newUserId();
        this.db
          .prepare(
            `INSERT INTO users (id, username, display_name, role, password_hash, created_at,
               password_changed_at, must_change_password, source, external_id, email, synced_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)`,
          )
          .run(
            id,
            username,
            displayNameFrom(person.displayName, username),
            role,
            DIRECTORY_PASSWORD,
            now,
            now,
            source,
            person.externalId,
            email,
            now,
          );
        this.audit.append({
          actor: by.actor,
          action: 'user.created',
          target: id,
          ip: by.ip ?? null,
          detail: { username, role, source },
        });
        return { user: toUser(this.row(id) as UserRow), created: true, changed: [] };
      }
      const patch: Record<string, string | null> = {};
      if (existing.username !== wanted) {
        const username = this.freeUsername(wanted, existing.id);
        if (username !== existing.username) patch.username = username;
      }
      const displayName = displayNameFrom(person.displayName, existing.username);
      if (displayName !== existing.display_name) patch.display_name = displayName;
      if (email !== existing.email) patch.email = email;
      const columns = Object.keys(patch);
      this.db
        .prepare(
          `UPDATE users SET ${columns.map((c) => `${c} = ?, `).join('')}synced_at = ? WHERE id = ?`,
        )
        .run(...columns.map((c) => patch[c] ?? null), now, existing.id);
      const changed = columns.map((c) => (c === 'display_name' ? 'displayName' : c));
      if (changed.length > 0) {
        this.audit.append({
          actor: by.actor,
          action: 'user.updated',
          target: existing.id,
          ip: by.ip ?? null,
          detail: { source, ...Object.fromEntries(changed.map((c, i) => [c, patch[columns[i]!]])) },
        });
      }
      return { user: toUser(this.row(existing.id) as UserRow), created: false, changed };
    })();
  }

  /**
   * `wanted` if no other account has it, else `wanted-2`, `wanted-3`… (a local account or
   * another source's person already holds the name; the directory never takes it over).
   */
  private freeUsername(wanted: string, self: string | null): string {
    const taken = (name: string) => {
      const r = this.rowByName(name);
      return r !== undefined && r.id !== self;
    };
    if (!taken(wanted)) return wanted;
    for (let n = 2; ; n++) {
      const suffix = `-${n}`;
      const name = wanted.slice(0, 32 - suffix.length) + suffix;
      if (!taken(name)) return name;
    }
  }
}
