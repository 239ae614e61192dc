// Invite links (docs/accounts.md, Onboarding; issue 12): an admin makes a link with a role
// (member or guest), an expiry and a number of uses; whoever opens it picks a username, a
// display name and a password and is signed in. The token is 32 random bytes shown once; the
// relay keeps its SHA-256 only. Expired, used-up and revoked invites are refused in plain words
// and stay listed for the admin until they are a month old.
import { createHash, randomBytes } from 'node:crypto';
import { ApiError, conflict, notFound } from '../http/errors';
import { AccountsPart, newUserId, type AccountsContext } from './rows';
import type { Actor, User } from './types';
import type { Users } from './users';

export type InviteRole = 'member' | 'guest';

export interface Invite {
  id: string;
  role: InviteRole;
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  uses: number;
  revokedAt: number | null;
  /** 'active', or why it no longer lets anyone in. */
  state: 'active' | 'expired' | 'used-up' | 'revoked';
}

interface InviteRow {
  id: string;
  token_hash: string;
  role: InviteRole;
  created_by: string;
  created_at: number;
  expires_at: number;
  max_uses: number;
  uses: number;
  revoked_at: number | null;
  revoked_by: string | null;
}

export const INVITE_LIMITS = {
  /** Live (active) invites one admin may hold at once. */
  activePerAdmin: 20,
  /** Links one admin may make in 24 hours (withdrawn ones count: rows stay bounded). */
  createdPerDay: 100,
  maxUses: 100,
  minHours: 1,
  maxHours: 30 * 24,
  /** Ended invites older than this drop out of the list (the audit keeps their history). */
  keepEndedMs: 30 * 24 * 3600_000,
};

/** A token as the link carries it: 32 bytes, base64url (43 characters). */
export const INVITE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Plain words for an invite that lets no one in (the app shows them as they are). */
export const INVITE_REFUSALS: Record<Exclude<Invite['state'], 'active'> | 'unknown', string> = {
  unknown: 'this invite link is not valid; check that it was copied whole, or ask for a new one',
  expired: 'this invite link has expired; ask whoever sent it for a new one',
  'used-up': 'this invite link has been used as many times as it allows; ask for a new one',
  revoked: 'this invite link was withdrawn; ask whoever sent it for a new one',
};

export class Invites extends AccountsPart {
  constructor(
    ctx: AccountsContext,
    private readonly users: Users,
  ) {
    super(ctx);
  }

  private view(r: InviteRow): Invite {
    const now = this.now();
    const state: Invite['state'] =
      r.revoked_at !== null
        ? 'revoked'
        : r.uses >= r.max_uses
          ? 'used-up'
          : r.expires_at <= now
            ? 'expired'
            : 'active';
    return {
      id: r.id,
      role: r.role,
      createdBy: r.created_by,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      maxUses: r.max_uses,
      uses: r.uses,
      revokedAt: r.revoked_at,
      state,
    };
  }

  /** Makes an invite; the token is returned once and never stored. */
  create(
    input: { role: InviteRole; hours: number; maxUses: number },
    by: Actor & { actor: string },
  ): { invite: Invite; token: string } {
    const now = this.now();
    const active = (
      this.db
        .prepare(
          `SELECT COUNT(*) AS n FROM invites WHERE created_by = ? AND revoked_at IS NULL
             AND uses < max_uses AND expires_at > ?`,
        )
        .get(by.actor, now) as { n: number }
    ).n;
    if (active >= INVITE_LIMITS.activePerAdmin) {
      throw conflict(
        `you have ${active} active invite links, the most allowed; withdraw one you no longer need`,
      );
    }
    const recent = (
      this.db
        .prepare('SELECT COUNT(*) AS n FROM invites WHERE created_by = ? AND created_at > ?')
        .get(by.actor, now - 24 * 3600_000) as { n: number }
    ).n;
    if (recent >= INVITE_LIMITS.createdPerDay) {
      throw new ApiError(
        429,
        'rate-limited',
        `you made ${recent} invite links in the last 24 hours, the most allowed; try again tomorrow`,
        undefined,
        3600,
      );
    }
    const token = randomBytes(32).toString('base64url');
    const id = newUserId();
    const expiresAt = now + Math.round(input.hours * 3600_000);
    this.db
      .prepare(
        `INSERT INTO invites (id, token_hash, role, created_by, created_at, expires_at, max_uses)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, hashToken(token), input.role, by.actor, now, expiresAt, input.maxUses);
    this.audit.append({
      actor: by.actor,
      action: 'invite.created',
      target: id,
      ip: by.ip ?? null,
      detail: { role: input.role, expiresAt, maxUses: input.maxUses },
    });
    return { invite: this.view(this.rowById(id) as InviteRow), token };
  }

  private rowById(id: string): InviteRow | undefined {
    return this.db.prepare<[string], InviteRow>('SELECT * FROM invites WHERE id = ?').get(id);
  }

  private rowByToken(token: string): InviteRow | undefined {
    if (!INVITE_TOKEN_PATTERN.test(token)) return undefined;
    return this.db
      .prepare<[string], InviteRow>('SELECT * FROM invites WHERE token_hash = ?')
      .get(hashToken(token));
  }

  /** Every admin's invites, newest first: the active ones and those that ended in the last month. */
  list(): Invite[] {
    const since = this.now() - INVITE_LIMITS.keepEndedMs;
    return this.db
      .prepare<[number, number], InviteRow>(
        'SELECT * FROM invites WHERE created_at > ? OR expires_at > ? ORDER BY created_at DESC LIMIT 500',
      )
      .all(since, since)
      .map((r) => this.view(r));
  }

  revoke(id: string, by: Actor): Invite {
    const r = this.rowById(id);
    if (!r) throw notFound('no such invite');
    if (r.revoked_at === null) {
      this.db
        .prepare('UPDATE invites SET revoked_at = ?, revoked_by = ? WHERE id = ?')
        .run(this.now(), by.actor, id);
      this.audit.append({
        actor: by.actor,
        action: 'invite.revoked',
        target: id,
        ip: by.ip ?? null,
      });
    }
    return this.view(this.rowById(id) as InviteRow);
  }

  /** What the link's page shows before the form: the role it gives, or a refusal (410/404). */
  inspect(token: string): { role: InviteRole; expiresAt: number } {
    const r = this.rowByToken(token);
    const refusal = this.refusal(r);
    if (refusal) throw refusal;
    const row = r as InviteRow;
    return { role: row.role, expiresAt: row.expires_at };
  }

  private refusal(r: InviteRow | undefined): ApiError | null {
    if (!r) return new ApiError(404, 'not-found', INVITE_REFUSALS.unknown);
    const state = this.view(r).state;
    if (state === 'active') return null;
    return new ApiError(410, 'gone', INVITE_REFUSALS[state], [{ reason: state }]);
  }

  /**
   * Creates the account the invite allows. A use is taken first (one conditional statement,
   * so concurrent sign-ups cannot exceed the count) and given back when the account cannot be
   * made (a taken username, say). The person chose their password: no change is required.
   */
  async accept(
    token: string,
    input: { username: string; displayName?: string | undefined; password: string },
    ip: string | null,
  ): Promise<User> {
    const r = this.rowByToken(token);
    const refusal = this.refusal(r);
    if (refusal || !r) {
      throw refusal ?? new ApiError(404, 'not-found', INVITE_REFUSALS.unknown);
    }
    const taken = this.db
      .prepare(
        `UPDATE invites SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL
           AND uses < max_uses AND expires_at > ?`,
      )
      .run(r.id, this.now());
    if (taken.changes !== 1) {
      throw this.refusal(this.rowById(r.id)) ?? new ApiError(410, 'gone', INVITE_REFUSALS.expired);
    }
    let user: User;
    try {
      user = await this.users.createUser(
        {
          username: input.username,
          displayName: input.displayName,
          role: r.role,
          password: input.password,
        },
        { actor: `invite:${r.id}`, ip },
      );
    } catch (error) {
      this.db.prepare('UPDATE invites SET uses = uses - 1 WHERE id = ? AND uses > 0').run(r.id);
      throw error;
    }
    this.audit.append({
      actor: user.id,
      action: 'invite.accepted',
      target: r.id,
      ip,
      detail: { username: user.username, role: r.role },
    });
    return user;
  }
}
