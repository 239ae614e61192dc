// What a person's record in the company directory (or from the issuer) does to their Ferry
// account, docs/identity.md "Sync and deprovisioning": names and email follow the source, the
// role comes from the first matching group, channel memberships a group gave follow the group,
// and a person disabled or gone is disabled in Ferry (every session ended, every socket
// closed, on every node) — never deleted. Each account's changes make one `identity.synced`
// entry in the audit log; the disabling itself is `user.disabled`, as for an admin's.
import type { DirectorySyncCounts } from '../../../core/src/protocol/identity';
import type { Accounts } from '../accounts/service';
import type { UserRow } from '../accounts/rows';
import type { ExternalSource } from '../accounts/external';
import type { Role } from '../accounts/validation';
import type { Audit } from '../audit';
import type { SqlDb } from '../db/sql';
import { ApiError } from '../http/errors';
import type { ExternalPerson, GroupMaps } from './types';

/** Who the directory's changes are made by, in the audit log and in conversation events. */
export const DIRECTORY_ACTOR = { actor: 'directory' } as const;

/** Channel membership as the directory changes it (conversations/service.ts underneath). */
export interface ChannelMembership {
  exists(channelId: string): boolean;
  isMember(channelId: string, userId: string): boolean;
  add(channelId: string, userId: string): void;
  remove(channelId: string, userId: string): void;
}

export interface SyncCounts extends DirectorySyncCounts {
  /** Problems that did not stop the sync (a mapped channel that does not exist…), in words. */
  warnings: string[];
}

export const emptyCounts = (): SyncCounts => ({
  seen: 0,
  created: 0,
  updated: 0,
  disabled: 0,
  enabled: 0,
  roleChanges: 0,
  channelChanges: 0,
  warnings: [],
});

/** The role the person's groups give: the first group of `roles` they are in, else the default. */
export function roleFor(person: ExternalPerson, maps: GroupMaps): Role | null {
  const groups = new Set(person.groups);
  for (const [group, role] of maps.roles) if (groups.has(group)) return role;
  return maps.defaultRole;
}

/** The channels the person's groups give, each with the first group that gives it. */
export function channelsFor(person: ExternalPerson, maps: GroupMaps): Map<string, string> {
  const groups = new Set(person.groups);
  const out = new Map<string, string>();
  for (const [group, channel] of maps.channels) {
    if (groups.has(group) && !out.has(channel)) out.set(channel, group);
  }
  return out;
}

interface GrantRow {
  kind: 'channel' | 'disabled';
  target: string;
  grp: string;
}

export class AccountSync {
  constructor(
    private readonly deps: {
      db: SqlDb;
      accounts: Accounts;
      audit: Audit;
      channels: () => ChannelMembership | null;
      now: () => number;
    },
  ) {}

  /**
   * Brings the account of `person` in step with the source. Without an account, makes one
   * when `create` and the person may use Ferry. Returns the account's id, or null when there
   * is none (not made, or the person may not use Ferry and never had an account).
   */
  apply(
    source: ExternalSource,
    person: ExternalPerson,
    maps: GroupMaps,
    create: boolean,
    counts: SyncCounts,
  ): string | null {
    const { accounts } = this.deps;
    const role = roleFor(person, maps);
    const allowed = !person.disabled && role !== null;
    const before = accounts.external.byExternal(source, person.externalId);
    if (!before && (!create || !allowed)) return null;
    const linked = accounts.external.link(source, person, before?.role ?? role ?? 'member', {
      actor: 'directory',
    });
    const id = linked.user.id;
    const summary: Record<string, unknown> = {};
    if (linked.created) counts.created++;
    if (linked.changed.length > 0) {
      counts.updated++;
      summary.changed = linked.changed;
    }
    if (!allowed) {
      const why = person.disabled ? 'disabled in the directory' : 'in no group given a role';
      if (this.disable(id, why, counts)) summary.disabled = why;
    } else {
      if (this.enableIfDirectoryDisabled(id, counts)) summary.enabled = true;
      if (role !== null && role !== linked.user.role) {
        try {
          accounts.updateUser(id, { role }, DIRECTORY_ACTOR);
          counts.roleChanges++;
          const group = maps.roles.find(([g, r]) => r === role && person.groups.includes(g));
          summary.role = { from: linked.user.role, to: role, group: group?.[0] ?? null };
        } catch (error) {
          if (!(error instanceof ApiError)) throw error;
          counts.warnings.push(`${linked.user.username}: role not changed (${error.message})`);
        }
      }
      const channels = this.followChannels(id, person, maps, counts);
      if (channels.added.length + channels.removed.length > 0) summary.channels = channels;
    }
    if (Object.keys(summary).length > 0 || linked.created) {
      this.deps.audit.append({
        actor: 'directory',
        action: 'identity.synced',
        target: id,
        detail: { source, created: linked.created, ...summary },
      });
    }
    return id;
  }

  /**
   * Disables an account the source no longer vouches for (disabled, gone, in no group). The
   * grant row remembers the directory did it, so the directory may enable it again; an
   * account an admin disabled stays disabled. Returns whether anything changed.
   */
  disable(id: string, why: string, counts: SyncCounts): boolean {
    const user = this.deps.accounts.getUser(id);
    if (!user || user.disabled) return false;
    try {
      this.deps.accounts.updateUser(id, { disabled: true }, DIRECTORY_ACTOR);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      counts.warnings.push(`${user.username}: not disabled (${error.message})`);
      return false;
    }
    this.deps.db
      .prepare(
        `INSERT INTO group_grants (user, kind, target, grp, at) VALUES (?, 'disabled', '', ?, ?)
         ON CONFLICT (user, kind, target) DO UPDATE SET grp = excluded.grp, at = excluded.at`,
      )
      .run(id, why, this.deps.now());
    counts.disabled++;
    return true;
  }

  private enableIfDirectoryDisabled(id: string, counts: SyncCounts): boolean {
    const grant = this.deps.db
      .prepare<[string], { grp: string }>(
        "SELECT grp FROM group_grants WHERE user = ? AND kind = 'disabled'",
      )
      .get(id);
    if (!grant) return false;
    this.deps.db.prepare("DELETE FROM group_grants WHERE user = ? AND kind = 'disabled'").run(id);
    const user = this.deps.accounts.getUser(id);
    if (!user?.disabled) return false;
    this.deps.accounts.updateUser(id, { disabled: false }, DIRECTORY_ACTOR);
    counts.enabled++;
    return true;
  }

  /**
   * Adds the person to the channels their groups give and removes them from those a group
   * gave before and no longer does. A membership the directory did not give (an owner added
   * them by hand) is never removed.
   */
  private followChannels(
    id: string,
    person: ExternalPerson,
    maps: GroupMaps,
    counts: SyncCounts,
  ): { added: string[]; removed: string[] } {
    const out = { added: [] as string[], removed: [] as string[] };
    const channels = this.deps.channels();
    if (!channels || maps.channels.length === 0) return out;
    const { db } = this.deps;
    const wanted = channelsFor(person, maps);
    const grants = db
      .prepare<[string], GrantRow>(
        "SELECT kind, target, grp FROM group_grants WHERE user = ? AND kind = 'channel'",
      )
      .all(id);
    const granted = new Set(grants.map((g) => g.target));
    for (const [channel, group] of wanted) {
      if (!channels.exists(channel)) {
        counts.warnings.push(`channel ${channel} (for group ${group}) does not exist`);
        continue;
      }
      if (granted.has(channel) || channels.isMember(channel, id)) continue;
      channels.add(channel, id);
      db.prepare(
        `INSERT INTO group_grants (user, kind, target, grp, at) VALUES (?, 'channel', ?, ?, ?)
         ON CONFLICT (user, kind, target) DO NOTHING`,
      ).run(id, channel, group, this.deps.now());
      out.added.push(channel);
      counts.channelChanges++;
    }
    for (const grant of grants) {
      if (wanted.has(grant.target)) continue;
      db.prepare("DELETE FROM group_grants WHERE user = ? AND kind = 'channel' AND target = ?").run(
        id,
        grant.target,
      );
      if (channels.exists(grant.target) && channels.isMember(grant.target, id)) {
        channels.remove(grant.target, id);
        out.removed.push(grant.target);
        counts.channelChanges++;
      }
    }
    return out;
  }
}

/** The accounts of `source` the directory's list no longer holds (to be disabled). */
export function missingAccounts(
  linked: UserRow[],
  people: ExternalPerson[],
): Array<{ id: string; username: string }> {
  const present = new Set(people.map((p) => p.externalId));
  return linked
    .filter((r) => r.external_id !== null && !present.has(r.external_id))
    .map((r) => ({ id: r.id, username: r.username }));
}
