// The scheduled directory sync (docs/identity.md, "Sync and deprovisioning"): every
// `syncEverySeconds`, on one node of several (the `identity_syncs` table is the lease: a row
// started and not finished within the lease time means another node is at it), read everyone
// from the directory and bring each account in step; an account the directory no longer
// holds is disabled. A sync that fails changes nothing and is recorded with the reason in
// words; a directory that answers with nobody at all is taken as a failure, not as everyone
// leaving.
import type { DirectorySyncRecord } from '../../../core/src/protocol/identity';
import type { Accounts } from '../accounts/service';
import type { SqlDb } from '../db/sql';
import type { Logger } from '../log';
import type { AccountSync } from './apply';
import { emptyCounts, missingAccounts, type SyncCounts } from './apply';
import { IdentityError, type ExternalPerson, type GroupMaps, type PersonDirectory } from './types';

/** One sync as the admin page shows it (shared with the app). */
export type SyncRecord = DirectorySyncRecord;

interface SyncRow {
  id: number;
  source: 'ldap';
  node: string;
  started_at: number;
  finished_at: number | null;
  ok: number | null;
  seen: number;
  created: number;
  updated: number;
  disabled: number;
  enabled: number;
  role_changes: number;
  channel_changes: number;
  error: string | null;
}

const toRecord = (r: SyncRow): SyncRecord => ({
  id: r.id,
  source: r.source,
  node: r.node,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  ok: r.ok === null ? null : r.ok === 1,
  seen: r.seen,
  created: r.created,
  updated: r.updated,
  disabled: r.disabled,
  enabled: r.enabled,
  roleChanges: r.role_changes,
  channelChanges: r.channel_changes,
  error: r.error,
});

/**
 * Accounts a sync brings in step between two pauses: each is a few synchronous database
 * writes (and for a leaver, sessions ended and sockets closed), so a sync of thousands pauses
 * often enough that sockets and sign-ins go on meanwhile (bench/identity: 1,000 leavers held
 * the relay for 1.8 s in one go before).
 */
const YIELD_EVERY = 25;
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Syncs kept per source for the admin page. */
export const SYNCS_KEPT = 100;

export interface DirectorySyncOptions {
  db: SqlDb;
  accounts: Accounts;
  apply: AccountSync;
  directory: PersonDirectory;
  maps: GroupMaps;
  everyMs: number;
  /** A started sync older than this is taken as dead (its node stopped mid-way). */
  leaseMs: number;
  node: string;
  log: Logger;
  now: () => number;
  /** Called after each sync this node ran (metrics). */
  onSynced?: (record: SyncRecord, ms: number) => void;
}

export class DirectorySync {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SyncRecord | null> | null = null;

  constructor(private readonly o: DirectorySyncOptions) {}

  start(): void {
    if (this.timer) return;
    // Checked more often than the interval: with several nodes, whichever is first once the
    // interval has passed takes the lease; the others find the fresh row and wait.
    const tick = Math.max(250, Math.min(this.o.everyMs / 4, 30_000));
    this.timer = setInterval(() => void this.runIfDue(), tick);
    this.timer.unref();
    void this.runIfDue();
  }

  stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.running ? this.running.then(() => undefined) : Promise.resolve();
  }

  /** The newest syncs, newest first. */
  recent(limit = 20): SyncRecord[] {
    return this.o.db
      .prepare<[number], SyncRow>(
        "SELECT * FROM identity_syncs WHERE source = 'ldap' ORDER BY id DESC LIMIT ?",
      )
      .all(limit)
      .map(toRecord);
  }

  /** Runs a sync when the interval has passed since the last one (on any node). */
  runIfDue(): Promise<SyncRecord | null> {
    return this.run(false);
  }

  /** "Sync now": runs unless a sync is under way (here or on another node). */
  runNow(): Promise<SyncRecord | null> {
    return this.run(true);
  }

  private run(force: boolean): Promise<SyncRecord | null> {
    if (this.running) return force ? this.running : Promise.resolve(null);
    const id = this.claim(force);
    if (id === null) return Promise.resolve(null);
    const started = performance.now();
    this.running = this.sync(id)
      .then((record) => {
        this.o.onSynced?.(record, performance.now() - started);
        return record;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Takes the lease: inserts a started row unless a live or recent one says not to. */
  private claim(force: boolean): number | null {
    const { db, now } = this.o;
    return db.transaction((): number | null => {
      const t = now();
      const last = db
        .prepare<[], SyncRow>(
          "SELECT * FROM identity_syncs WHERE source = 'ldap' ORDER BY id DESC LIMIT 1",
        )
        .get();
      if (last) {
        const live = last.finished_at === null && t - last.started_at < this.o.leaseMs;
        if (live) return null;
        if (!force && t - last.started_at < this.o.everyMs) return null;
      }
      const row = db
        .prepare<[string, number], { id: number }>(
          "INSERT INTO identity_syncs (source, node, started_at) VALUES ('ldap', ?, ?) RETURNING id",
        )
        .get(this.o.node, t);
      db.prepare(
        `DELETE FROM identity_syncs WHERE source = 'ldap' AND id <= (
           SELECT id FROM identity_syncs WHERE source = 'ldap' ORDER BY id DESC LIMIT 1 OFFSET ?)`,
      ).run(SYNCS_KEPT);
      return (row as { id: number }).id;
    })();
  }

  private async sync(id: number): Promise<SyncRecord> {
    const counts = emptyCounts();
    let error: string | null = null;
    try {
      const people = await this.o.directory.listPeople();
      const linked = this.o.accounts.external.listLinked('ldap');
      if (people.length === 0 && linked.length > 0) {
        throw new IdentityError(
          'misconfigured',
          `the directory returned nobody for the user filter under userBase, yet ${linked.length} ` +
            'accounts come from it: nothing was disabled (check userBase and userFilter)',
        );
      }
      await this.bringInStep(people, counts);
      let n = 0;
      for (const gone of missingAccounts(linked, people)) {
        if (this.o.apply.disable(gone.id, 'no longer in the directory', counts)) {
          this.o.log.info({ user: gone.username }, 'directory sync: account disabled (gone)');
        }
        if (++n % YIELD_EVERY === 0) await breathe();
      }
    } catch (e) {
      error = e instanceof IdentityError ? e.message : 'the sync failed: ' + (e as Error).message;
      this.o.log.warn({ error }, 'directory sync failed');
    }
    const ok = error === null;
    if (ok && counts.warnings.length > 0) error = counts.warnings.slice(0, 5).join('; ');
    this.o.db
      .prepare(
        `UPDATE identity_syncs SET finished_at = ?, ok = ?, seen = ?, created = ?, updated = ?, disabled = ?,
           enabled = ?, role_changes = ?, channel_changes = ?, error = ? WHERE id = ?`,
      )
      .run(
        this.o.now(),
        ok ? 1 : 0,
        counts.seen,
        counts.created,
        counts.updated,
        counts.disabled,
        counts.enabled,
        counts.roleChanges,
        counts.channelChanges,
        error,
        id,
      );
    const row = this.o.db
      .prepare<[number], SyncRow>('SELECT * FROM identity_syncs WHERE id = ?')
      .get(id) as SyncRow;
    return toRecord(row);
  }

  /** Applies each listed person who has an account (accounts are made at first sign-in). */
  private async bringInStep(people: ExternalPerson[], counts: SyncCounts): Promise<void> {
    for (const person of people) {
      counts.seen++;
      this.o.apply.apply('ldap', person, this.o.maps, false, counts);
      if (counts.seen % YIELD_EVERY === 0) await breathe();
    }
  }
}
