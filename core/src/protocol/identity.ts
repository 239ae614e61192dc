// Company sign-in as the relay reports it to admins (`GET /api/v1/admin/identity`,
// docs/identity.md): what one directory sync did. Shared by the relay and the app.

/** What a sync changed (or, for a running one, has changed so far). */
export interface DirectorySyncCounts {
  /** People the directory listed. */
  seen: number;
  created: number;
  /** Accounts whose name, display name or e-mail followed the directory. */
  updated: number;
  /** Accounts disabled: gone from the directory, disabled there, or in no group given a role. */
  disabled: number;
  /** Accounts the directory had disabled and now lists as active again. */
  enabled: number;
  roleChanges: number;
  channelChanges: number;
}

/** One sync, as kept in `identity_syncs` (the newest 100 per source). Times in ms. */
export interface DirectorySyncRecord extends DirectorySyncCounts {
  id: number;
  source: 'ldap';
  /** The relay node that ran it. */
  node: string;
  startedAt: number;
  /** null: still running. */
  finishedAt: number | null;
  /** null: still running. */
  ok: boolean | null;
  /** The reason it failed, or what it could not do, in words; null when all went well. */
  error: string | null;
}
