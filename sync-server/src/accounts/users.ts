// Users: create, look up, search, change (role, name, disabled), set and check passwords.
// Disabling a user or changing a password ends their sessions (sessions.ts).
import * as v from 'valibot';
import { ApiError, conflict, notFound } from '../http/errors';
import { passwordProblem, type PasswordHasher } from './passwords';
import { AccountsPart, newUserId, toUser, type AccountsContext, type UserRow } from './rows';
import type { Sessions } from './sessions';
import type { Actor, User } from './types';
import { DisplayName, USERNAME_PATTERN, type Role } from './validation';

/** The display name, trimmed, or 400 invalid (1-64 characters, no control characters). */
function displayNameOrThrow(name: string): string {
  const r = v.safeParse(DisplayName, name);
  if (!r.success) throw new ApiError(400, 'invalid', r.issues[0].message);
  return r.output;
}

export class Users extends AccountsPart {
  constructor(
    ctx: AccountsContext,
    private readonly passwords: PasswordHasher,
    private readonly sessions: Sessions,
  ) {
    super(ctx);
  }

  userCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM users').get() as { n: number }).n;
  }

  getUser(id: string): User | null {
    const r = this.row(id);
    return r ? toUser(r) : null;
  }

  getUserByUsername(username: string): User | null {
    const r = this.rowByName(username);
    return r ? toUser(r) : null;
  }

  listUsers(): User[] {
    return this.db.prepare<[], UserRow>('SELECT * FROM users ORDER BY username').all().map(toUser);
  }

  /** Users whose username or display name contains `q` (case-insensitive), enabled ones only. */
  searchUsers(q: string, limit = 50): User[] {
    const like = '%' + q.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
    return this.db
      .prepare<[string, string, number], UserRow>(
        `SELECT * FROM users WHERE disabled_at IS NULL
           AND (username LIKE ? ESCAPE '\\' OR lower(display_name) LIKE ? ESCAPE '\\')
         ORDER BY username LIMIT ?`,
      )
      .all(like, like, limit)
      .map(toUser);
  }

  /**
   * `mustChangePassword`: an admin chose or generated the password, so the user must choose
   * their own at first sign-in (docs/accounts.md, Onboarding).
   */
  async createUser(
    input: {
      username: string;
      displayName?: string | undefined;
      role: Role;
      password: string;
      mustChangePassword?: boolean;
    },
    by: Actor,
  ): Promise<User> {
    const username = input.username.trim().toLowerCase();
    if (!USERNAME_PATTERN.test(username)) {
      throw new ApiError(400, 'invalid', `"${input.username}" is not a valid username`);
    }
    const problem = passwordProblem(input.password);
    if (problem) throw new ApiError(400, 'invalid', problem);
    const displayName = displayNameOrThrow(input.displayName ?? username);
    if (this.rowByName(username))
      throw conflict(`the username ${username} is taken; choose another`);
    const hash = await this.passwords.hash(input.password);
    const id = newUserId();
    const now = this.now();
    try {
      this.db
        .prepare(
          `INSERT INTO users (id, username, display_name, role, password_hash, created_at, password_changed_at, must_change_password)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          username,
          displayName,
          input.role,
          hash,
          now,
          now,
          input.mustChangePassword ? 1 : 0,
        );
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
        throw conflict(`the username ${username} is taken; choose another`);
      }
      throw error;
    }
    this.audit.append({
      actor: by.actor,
      action: 'user.created',
      target: id,
      ip: by.ip ?? null,
      detail: {
        username,
        role: input.role,
        ...(input.mustChangePassword ? { mustChangePassword: true } : {}),
      },
    });
    return this.getUser(id) as User;
  }

  /** Changes role, display name or disabled state; disabling ends every session of the user. */
  updateUser(
    id: string,
    patch: { role?: Role; displayName?: string; disabled?: boolean },
    by: Actor,
  ): User {
    const before = this.row(id);
    if (!before) throw notFound('no such user');
    const demote = patch.role !== undefined && patch.role !== 'admin';
    if (before.role === 'admin' && before.disabled_at === null && (demote || patch.disabled)) {
      const admins = (
        this.db
          .prepare("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL")
          .get() as { n: number }
      ).n;
      if (admins <= 1) throw conflict('this is the last active admin; make another admin first');
    }
    if (patch.displayName !== undefined)
      patch = { ...patch, displayName: displayNameOrThrow(patch.displayName) };
    const now = this.now();
    const changed: Record<string, unknown> = {};
    this.db.transaction(() => {
      if (patch.role !== undefined && patch.role !== before.role) {
        this.db.prepare('UPDATE users SET role = ? WHERE id = ?').run(patch.role, id);
        changed.role = patch.role;
      }
      if (patch.displayName !== undefined && patch.displayName !== before.display_name) {
        this.db
          .prepare('UPDATE users SET display_name = ? WHERE id = ?')
          .run(patch.displayName, id);
        changed.displayName = patch.displayName;
      }
      if (patch.disabled !== undefined && patch.disabled !== (before.disabled_at !== null)) {
        this.db
          .prepare('UPDATE users SET disabled_at = ? WHERE id = ?')
          .run(patch.disabled ? now : null, id);
        changed.disabled = patch.disabled;
      }
    })();
    if ('role' in changed || 'displayName' in changed) {
      const detail: Record<string, unknown> = {};
      if ('role' in changed) detail.role = changed.role;
      if ('displayName' in changed) detail.displayName = changed.displayName;
      this.audit.append({
        actor: by.actor,
        action: 'user.updated',
        target: id,
        ip: by.ip ?? null,
        detail,
      });
    }
    if ('disabled' in changed) {
      this.audit.append({
        actor: by.actor,
        action: patch.disabled ? 'user.disabled' : 'user.enabled',
        target: id,
        ip: by.ip ?? null,
      });
      if (patch.disabled) this.sessions.revokeUserSessions(id, 'user disabled', by);
    }
    return this.getUser(id) as User;
  }

  /**
   * Sets a new password. Ends every session of the user except `keepSession` (the caller's own,
   * when a user changes their own password). `mustChange`: an admin chose it, the user must
   * change it at their next sign-in; a user's own change clears the flag.
   */
  async setPassword(
    id: string,
    password: string,
    by: Actor,
    keepSession: string | null = null,
    mustChange = false,
  ): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new ApiError(400, 'invalid', problem);
    if (!this.row(id)) throw notFound('no such user');
    const hash = await this.passwords.hash(password);
    this.db
      .prepare(
        `UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0,
           locked_until = NULL, must_change_password = ? WHERE id = ?`,
      )
      .run(hash, this.now(), mustChange ? 1 : 0, id);
    this.audit.append({
      actor: by.actor,
      action: 'user.password_reset',
      target: id,
      ip: by.ip ?? null,
      detail: { self: by.actor === id, ...(mustChange ? { mustChangePassword: true } : {}) },
    });
    this.sessions.revokeUserSessions(id, 'password changed', by, keepSession);
  }

  /**
   * Lifts a sign-in lock (and the backoff): the failure count starts from zero. Audited with
   * the lock it lifted; false when the account was neither locked nor backing off.
   */
  unlock(id: string, by: Actor): boolean {
    const r = this.row(id);
    if (!r) throw notFound('no such user');
    if (r.failed_logins === 0 && r.locked_until === null) return false;
    this.db
      .prepare(
        'UPDATE users SET failed_logins = 0, last_failed_at = NULL, locked_until = NULL WHERE id = ?',
      )
      .run(id);
    this.audit.append({
      actor: by.actor,
      action: 'user.unlocked',
      target: id,
      ip: by.ip ?? null,
      detail: { failures: r.failed_logins, lockedUntil: r.locked_until },
    });
    return true;
  }

  /** Checks a user's current password (for re-authentication); counts as a login attempt. */
  async checkPassword(id: string, password: string): Promise<boolean> {
    const r = this.row(id);
    if (!r) return false;
    return this.passwords.verify(r.password_hash, password);
  }
}
