// Durable storage: one SQLite file (better-sqlite3, WAL, synchronous=FULL), an append-only
// update log per room and one snapshot per room that compaction folds the log into.
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import * as Y from 'yjs';
import { importLegacyConversations } from './conversations/legacy';

export const DB_FILE = 'ferry.db';
/** Written by a serving relay into its data directory; removed when it drains. */
export const PID_FILE = 'relay.pid';

/** The pid of a live relay serving `dataDir`, or null. */
export function relayRunning(dataDir: string): number | null {
  const pidFile = path.join(dataDir, PID_FILE);
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** Ordered, append-only. Never edit a shipped migration; add a new one. */
const MIGRATIONS: Array<{
  version: number;
  name: string;
  sql: string;
  /** Runs after `sql`, in the same transaction (data that SQL alone cannot move). */
  after?: (db: Database.Database) => void;
}> = [
  {
    version: 1,
    name: 'rooms, snapshots and the update log',
    sql: `
      CREATE TABLE rooms (
        name TEXT PRIMARY KEY,
        snapshot BLOB,
        compacted_at INTEGER
      ) STRICT;
      CREATE TABLE updates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        room TEXT NOT NULL,
        data BLOB NOT NULL,
        at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX updates_by_room ON updates (room, seq);
    `,
  },
  {
    version: 2,
    name: 'accounts: users, recovery codes, sessions, secrets, audit chain',
    // docs/accounts.md, "What the relay keeps". Times are ms since the epoch.
    sql: `
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'guest')),
        password_hash TEXT NOT NULL,
        disabled_at INTEGER,
        totp_secret TEXT,
        totp_pending TEXT,
        totp_last_step INTEGER,
        failed_logins INTEGER NOT NULL DEFAULT 0,
        last_failed_at INTEGER,
        locked_until INTEGER,
        created_at INTEGER NOT NULL,
        password_changed_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE recovery_codes (
        user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        hash TEXT NOT NULL,
        used_at INTEGER,
        PRIMARY KEY (user, hash)
      ) STRICT;
      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        refresh_hash TEXT,
        previous_refresh_hash TEXT,
        device TEXT,
        ip TEXT,
        revoked_at INTEGER,
        revoked_reason TEXT
      ) STRICT;
      CREATE INDEX sessions_by_user ON sessions (user);
      CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        target TEXT,
        ip TEXT,
        detail TEXT,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'membership: conversations, members, clientID bindings, quarantine, room versions',
    // docs/accounts.md, "What the relay keeps". Times are ms since the epoch. A conversation's
    // created_by may name a pre-accounts author (legacy import), so it has no foreign key.
    sql: `
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('dm', 'channel', 'announcement')),
        visibility TEXT NOT NULL CHECK (visibility IN ('open', 'private')),
        title TEXT,
        created_by TEXT,
        created_at INTEGER NOT NULL,
        archived_at INTEGER
      ) STRICT;
      CREATE TABLE members (
        conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('owner', 'moderator', 'member')),
        joined_at INTEGER NOT NULL,
        PRIMARY KEY (conversation, user)
      ) STRICT;
      CREATE INDEX members_by_user ON members (user);
      CREATE TABLE client_ids (
        room TEXT NOT NULL,
        client_id INTEGER NOT NULL,
        user TEXT NOT NULL,
        bound_at INTEGER NOT NULL,
        PRIMARY KEY (room, client_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE quarantine (
        room TEXT NOT NULL,
        client_id INTEGER NOT NULL,
        user TEXT NOT NULL,
        at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (room, client_id)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE room_versions (
        room TEXT PRIMARY KEY,
        version INTEGER NOT NULL
      ) STRICT;
    `,
    after: (db) => void importLegacyConversations(db),
  },
  {
    version: 4,
    name: 'sessions: refresh token generation',
    // docs/accounts.md, "Tokens and sessions": a refresh token names its generation, so a
    // token of any earlier generation is seen as reuse. 0 = a session from before (its current
    // token has no generation; the next rotation issues generation 1).
    sql: `ALTER TABLE sessions ADD COLUMN refresh_generation INTEGER NOT NULL DEFAULT 0;`,
  },
  {
    version: 5,
    name: 'onboarding: password change required, invite links',
    // docs/accounts.md, "Onboarding" (issue 12). must_change_password: 1 when an admin chose or
    // generated the password (People, the admin CLI's generated ones); the session may only
    // change it until then. invites: the token is kept as its SHA-256 only; uses count up to
    // max_uses; an expired, used-up or revoked invite is refused and kept for the admin's list.
    sql: `
      ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE invites (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('member', 'guest')),
        created_by TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        max_uses INTEGER NOT NULL CHECK (max_uses >= 1),
        uses INTEGER NOT NULL DEFAULT 0,
        revoked_at INTEGER,
        revoked_by TEXT
      ) STRICT;
      CREATE INDEX invites_by_creator ON invites (created_by, created_at);
    `,
  },
  {
    version: 6,
    name: 'conversations: topic and description',
    // docs/messaging.md, "Topic, description and system lines": plain text set by owners and
    // admins (the rename permission), bounded by core (model/events.ts). NULL: none.
    sql: `
      ALTER TABLE conversations ADD COLUMN topic TEXT;
      ALTER TABLE conversations ADD COLUMN description TEXT;
    `,
  },
  {
    version: 7,
    name: 'files: blobs, their owners, uploads in progress, the reference index',
    // docs/attachments.md, "On the relay" (issue 13). Times are ms since the epoch.
    // blobs: complete, verified files (bytes in the blob store); type is sniffed from the bytes;
    //   orphaned_at: since when no stored message references it (NULL: referenced), for GC.
    // blob_owners: who completed an upload of it (may read it; charged to their quota).
    // uploads: tus resources in progress (the bytes so far are in files/uploads/<id>), so an
    //   upload resumes after a restart or kill -9; bounded per user (--max-uploads-user).
    // blob_refs: one row per stored message that references a hash; grants = 1 when its author
    //   could read the hash when the relay accepted it (or once the author's own upload of it
    //   completed): only such a reference lets the conversation's members read the file.
    sql: `
      CREATE TABLE blobs (
        hash TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        type TEXT NOT NULL,
        uploader TEXT NOT NULL,
        stored_at INTEGER NOT NULL,
        orphaned_at INTEGER
      ) STRICT;
      CREATE INDEX blobs_orphaned ON blobs (orphaned_at) WHERE orphaned_at IS NOT NULL;
      CREATE TABLE blob_owners (
        hash TEXT NOT NULL REFERENCES blobs (hash) ON DELETE CASCADE,
        user TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (hash, user)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX blob_owners_by_user ON blob_owners (user);
      CREATE TABLE uploads (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL,
        size INTEGER NOT NULL,
        conv TEXT NOT NULL,
        type TEXT NOT NULL,
        user TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX uploads_by_user ON uploads (user);
      CREATE TABLE blob_refs (
        hash TEXT NOT NULL,
        room TEXT NOT NULL,
        message_id TEXT NOT NULL,
        conv TEXT NOT NULL,
        author TEXT NOT NULL,
        grants INTEGER NOT NULL CHECK (grants IN (0, 1)),
        at INTEGER NOT NULL,
        PRIMARY KEY (hash, room, message_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX blob_refs_by_message ON blob_refs (room, message_id);
      CREATE INDEX blob_refs_by_author ON blob_refs (author, hash);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface StoredRoom {
  /** Snapshot first (if any), then the log in order. Apply all to get the room's state. */
  updates: Uint8Array[];
  /** Number of log entries after the snapshot. */
  logCount: number;
  logBytes: number;
  snapshotBytes: number;
}

export interface AppendEntry {
  room: string;
  update: Uint8Array;
}

export class Store {
  readonly db: Database.Database;
  readonly file: string;
  private readonly insert: Database.Statement<[string, Uint8Array, number]>;
  private readonly selectSnapshot: Database.Statement<[string], { snapshot: Uint8Array | null }>;
  private readonly selectLog: Database.Statement<[string], { seq: number; data: Uint8Array }>;
  private readonly appendMany: (entries: AppendEntry[]) => Map<string, number>;
  private readonly commitHooks = new Set<(entries: AppendEntry[]) => void>();
  private readonly compactTx: (room: string) => {
    entries: number;
    bytesBefore: number;
    bytesAfter: number;
  };

  constructor(dataDir: string, options: { maxPages?: number } = {}) {
    mkdirSync(dataDir, { recursive: true });
    this.file = path.join(dataDir, DB_FILE);
    this.db = new Database(this.file);
    // First: the admin CLI opens this file while the relay writes; every statement below
    // (even setting WAL mode again) may need to wait for its lock.
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    if (options.maxPages) this.db.pragma(`max_page_count = ${Math.floor(options.maxPages)}`);

    this.insert = this.db.prepare('INSERT INTO updates (room, data, at) VALUES (?, ?, ?)');
    this.selectSnapshot = this.db.prepare('SELECT snapshot FROM rooms WHERE name = ?');
    this.selectLog = this.db.prepare('SELECT seq, data FROM updates WHERE room = ? ORDER BY seq');
    const upsertSnapshot = this.db.prepare<[string, Uint8Array, number]>(
      `INSERT INTO rooms (name, snapshot, compacted_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot, compacted_at = excluded.compacted_at`,
    );
    const deleteLog = this.db.prepare<[string, number]>(
      'DELETE FROM updates WHERE room = ? AND seq <= ?',
    );
    const bumpVersion = this.db.prepare<[string], { version: number }>(
      `INSERT INTO room_versions (room, version) VALUES (?, 1)
       ON CONFLICT (room) DO UPDATE SET version = version + 1 RETURNING version`,
    );
    this.appendMany = this.db.transaction((entries: AppendEntry[]) => {
      const now = Date.now();
      for (const e of entries) this.insert.run(e.room, e.update, now);
      // What is derived from the updates (the files reference index) commits with them.
      for (const hook of this.commitHooks) hook(entries);
      // Each room's version grows with every commit that stores an update to it (same
      // transaction: a version never names an update that is not durable).
      const versions = new Map<string, number>();
      for (const e of entries) {
        if (versions.has(e.room)) continue;
        versions.set(e.room, bumpVersion.get(e.room)?.version ?? 0);
      }
      return versions;
    });
    this.compactTx = this.db.transaction((room: string) => {
      const snapshot = this.selectSnapshot.get(room)?.snapshot ?? null;
      const log = this.selectLog.all(room);
      const last = log[log.length - 1];
      if (!last) return { entries: 0, bytesBefore: 0, bytesAfter: 0 };
      const parts = snapshot ? [snapshot, ...log.map((r) => r.data)] : log.map((r) => r.data);
      const merged = Y.mergeUpdates(parts);
      upsertSnapshot.run(room, merged, Date.now());
      deleteLog.run(room, last.seq);
      const bytesBefore = parts.reduce((n, p) => n + p.byteLength, 0);
      return { entries: log.length, bytesBefore, bytesAfter: merged.byteLength };
    });
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
      v: number | null;
    };
    const current = row.v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `database ${this.file} has schema version ${current}, newer than this relay knows ` +
          `(${SCHEMA_VERSION}); run a newer ferry-relay or restore an older backup`,
      );
    }
    const record = this.db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)');
    for (const m of MIGRATIONS) {
      if (m.version <= current) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        m.after?.(this.db);
        record.run(m.version, m.name, new Date().toISOString());
      })();
    }
  }

  schemaVersion(): number {
    const row = this.db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as {
      v: number | null;
    };
    return row.v ?? 0;
  }

  load(room: string): StoredRoom {
    const snapshot = this.selectSnapshot.get(room)?.snapshot ?? null;
    const log = this.selectLog.all(room).map((r) => r.data);
    return {
      updates: snapshot ? [snapshot, ...log] : log,
      logCount: log.length,
      logBytes: log.reduce((n, u) => n + u.byteLength, 0),
      snapshotBytes: snapshot?.byteLength ?? 0,
    };
  }

  /**
   * Commits all entries in one transaction (one fsync) or none of them; throws on failure.
   * Returns each room's new version (`room_versions`).
   */
  append(entries: AppendEntry[]): Map<string, number> {
    return this.appendMany(entries);
  }

  /**
   * Runs `hook` inside every `append` transaction, after the updates are inserted: what it
   * writes commits with them or not at all (a throw rolls the whole batch back).
   */
  onCommit(hook: (entries: AppendEntry[]) => void): () => void {
    this.commitHooks.add(hook);
    return () => this.commitHooks.delete(hook);
  }

  /** The room's version: how many commits stored updates to it (0 for none). */
  roomVersion(room: string): number {
    const row = this.db
      .prepare<[string], { version: number }>('SELECT version FROM room_versions WHERE room = ?')
      .get(room);
    return row?.version ?? 0;
  }

  /** Folds the room's log into its snapshot (Y.mergeUpdates) in one transaction. */
  compact(room: string): { entries: number; bytesBefore: number; bytesAfter: number } {
    return this.compactTx(room);
  }

  /** Online backup (SQLite backup API) to `file`; safe while the relay writes. */
  async backup(file: string): Promise<void> {
    await this.db.backup(file);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
