// Durable storage: an append-only update log per room and one snapshot per room that
// compaction folds the log into, beside accounts, membership, audit and files. In one SQLite
// file (better-sqlite3, WAL, synchronous=FULL) by default, or in PostgreSQL shared by several
// relay nodes (--database postgres://…; docs/scale-out.md). One schema, one migration list.
import {
  closeSync,
  existsSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
} from 'node:fs';
import path from 'node:path';
import * as Y from 'yjs';
import { importLegacyConversations } from './conversations/legacy';
import { PostgresDb } from './db/postgres';
import { type SqlDb, isPostgresUrl } from './db/sql';
import { SqliteDb } from './db/sqlite';

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
  after?: (db: SqlDb) => void;
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
  {
    version: 8,
    name: 'update log: the room version of each update',
    // docs/scale-out.md, "Updates between nodes": a node that missed a published commit re-reads
    // the log after the room version it has. NULL for updates stored before this version (a
    // node that needs those reloads the whole room).
    sql: `ALTER TABLE updates ADD COLUMN version INTEGER;`,
  },
  {
    version: 9,
    name: 'company sign-in: account sources, directory syncs, group grants, OIDC flows',
    // docs/identity.md, "Data kept". Existing accounts are local. A directory account's
    // (source, external_id) is its identity: a rename in the directory keeps the account.
    sql: `
      ALTER TABLE users ADD COLUMN source TEXT NOT NULL DEFAULT 'local'
        CHECK (source IN ('local', 'ldap', 'oidc'));
      ALTER TABLE users ADD COLUMN external_id TEXT;
      ALTER TABLE users ADD COLUMN email TEXT;
      ALTER TABLE users ADD COLUMN synced_at INTEGER;
      CREATE UNIQUE INDEX users_by_external ON users (source, external_id)
        WHERE external_id IS NOT NULL;
      ALTER TABLE sessions ADD COLUMN idp_session TEXT;
      CREATE INDEX sessions_by_idp ON sessions (idp_session) WHERE idp_session IS NOT NULL;
      CREATE TABLE identity_syncs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source TEXT NOT NULL,
        node TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        ok INTEGER,
        seen INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL DEFAULT 0,
        updated INTEGER NOT NULL DEFAULT 0,
        disabled INTEGER NOT NULL DEFAULT 0,
        enabled INTEGER NOT NULL DEFAULT 0,
        role_changes INTEGER NOT NULL DEFAULT 0,
        channel_changes INTEGER NOT NULL DEFAULT 0,
        error TEXT
      ) STRICT;
      CREATE INDEX identity_syncs_by_source ON identity_syncs (source, id);
      CREATE TABLE group_grants (
        user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('channel', 'disabled')),
        target TEXT NOT NULL,
        grp TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (user, kind, target)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE oidc_flows (
        state_hash TEXT PRIMARY KEY,
        nonce TEXT NOT NULL,
        verifier TEXT NOT NULL,
        app TEXT NOT NULL,
        challenge TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) STRICT;
      CREATE TABLE oidc_codes (
        code_hash TEXT PRIMARY KEY,
        user TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        challenge TEXT NOT NULL,
        idp_session TEXT,
        expires_at INTEGER NOT NULL
      ) STRICT;
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
  /**
   * The room version the updates hold at least (read before them: they may hold more, never
   * less). A node forwards published commits of later versions only.
   */
  version: number;
}

export interface AppendEntry {
  room: string;
  update: Uint8Array;
}

export interface StoreOptions {
  /** SQLite: the most pages the file may grow to (tests of a full disk). */
  maxPages?: number;
  /** A PostgreSQL URL: the shared database of several nodes. Default: SQLite in dataDir. */
  database?: string;
  /**
   * 'full' (default): a commit is on disk when it returns (SQLite synchronous=FULL, PostgreSQL
   * synchronous_commit=on). 'process': in the database's log without waiting for the disk
   * (synchronous=NORMAL in WAL, synchronous_commit=off): a relay crash loses nothing, a power
   * cut or OS crash may lose the last commits (never corrupts).
   */
  durability?: 'full' | 'process';
  /**
   * SQLite, durability 'full': commit with synchronous=FULL on the calling thread (the fsync on
   * the event loop) instead of deferring the WAL sync to `syncLog`. Default false.
   */
  syncInline?: boolean;
}

export interface CompactResult {
  entries: number;
  bytesBefore: number;
  bytesAfter: number;
  /** Another node holds the room's compaction lease: nothing was done. */
  busy?: boolean;
}

export class Store {
  readonly db: SqlDb;
  /** Where the database is, for messages (a file path, or the URL without its password). */
  readonly file: string;
  private readonly sqlite: SqliteDb | null;
  private readonly appendMany: (entries: AppendEntry[]) => Map<string, number>;
  /**
   * SQLite with durability 'full' only: `appendDeferred` commits to the WAL without waiting for
   * the disk and `syncLog` flushes the WAL off the event loop (issue 16, item 4). Else false:
   * `append` is durable when it returns.
   */
  readonly deferredSync: boolean;
  private readonly syncNormal: (() => void) | null = null;
  private readonly syncFull: (() => void) | null = null;
  private walFd: number | null = null;
  private syncsInFlight = 0;
  private closed = false;
  private readonly commitHooks = new Set<(entries: AppendEntry[]) => void>();
  private readonly compactTx: (room: string) => CompactResult;

  constructor(dataDir: string, options: StoreOptions = {}) {
    mkdirSync(dataDir, { recursive: true });
    if (options.database && isPostgresUrl(options.database)) {
      this.sqlite = null;
      this.db = new PostgresDb(options.database, { durability: options.durability ?? 'full' });
    } else {
      this.sqlite = new SqliteDb(path.join(dataDir, DB_FILE));
      this.db = this.sqlite;
      // First: the admin CLI opens this file while the relay writes; every statement below
      // (even setting WAL mode again) may need to wait for its lock.
      this.sqlite.raw.pragma('busy_timeout = 5000');
      this.sqlite.raw.pragma('journal_mode = WAL');
      this.sqlite.raw.pragma(
        options.durability === 'process' ? 'synchronous = NORMAL' : 'synchronous = FULL',
      );
      this.sqlite.raw.pragma('foreign_keys = ON');
    }
    this.file = this.db.location;
    this.migrate();
    if (options.maxPages && this.sqlite) {
      this.sqlite.raw.pragma(`max_page_count = ${Math.floor(options.maxPages)}`);
    }

    const db = this.db;
    const pg = db instanceof PostgresDb ? db : null;
    const bumpVersion = db.prepare<[string], { version: number }>(
      `INSERT INTO room_versions (room, version) VALUES (?, 1)
       ON CONFLICT (room) DO UPDATE SET version = room_versions.version + 1 RETURNING version`,
    );
    const insert = db.prepare<[string, Uint8Array, number, number]>(
      'INSERT INTO updates (room, data, at, version) VALUES (?, ?, ?, ?)',
    );
    // PostgreSQL: a batch in four round trips whatever its size (BEGIN, the versions, the
    // rows, COMMIT) instead of one per room and one per update.
    const bumpVersions = pg?.prepare<[string[]], { room: string; version: number }>(
      `INSERT INTO room_versions (room, version)
         SELECT r, 1 FROM unnest(?::text[]) WITH ORDINALITY AS t(r, i) ORDER BY i
       ON CONFLICT (room) DO UPDATE SET version = room_versions.version + 1
       RETURNING room, version`,
    );
    const insertAll = pg?.prepare<[string[], Uint8Array[], number[], number[]]>(
      `INSERT INTO updates (room, data, at, version)
         SELECT * FROM unnest(?::text[], ?::bytea[], ?::bigint[], ?::bigint[])`,
    );
    const append = (entries: AppendEntry[]) => {
      const now = Date.now();
      // Each room's version grows with every commit that stores an update to it, in the same
      // transaction (a version never names an update that is not durable). Taken first and in
      // order of room: on PostgreSQL it locks the room's row, so commits to one room from
      // several nodes queue there, and two batches never wait on each other in a cycle.
      const rooms = [...new Set(entries.map((e) => e.room))].sort();
      const versions = new Map<string, number>();
      if (bumpVersions && insertAll) {
        for (const r of bumpVersions.all(rooms)) versions.set(r.room, r.version);
        insertAll.run(
          entries.map((e) => e.room),
          entries.map((e) => e.update),
          entries.map(() => now),
          entries.map((e) => versions.get(e.room) ?? 0),
        );
      } else {
        for (const room of rooms) versions.set(room, bumpVersion.get(room)?.version ?? 0);
        for (const e of entries) insert.run(e.room, e.update, now, versions.get(e.room) ?? 0);
      }
      // What is derived from the updates (the files reference index) commits with them.
      for (const hook of this.commitHooks) hook(entries);
      return versions;
    };
    this.appendMany = pg ? pg.sharedTransaction(append) : db.transaction(append);
    this.deferredSync =
      this.sqlite !== null && (options.durability ?? 'full') === 'full' && !options.syncInline;
    if (this.deferredSync && this.sqlite) {
      const normal = this.sqlite.raw.prepare('PRAGMA synchronous = NORMAL');
      const full = this.sqlite.raw.prepare('PRAGMA synchronous = FULL');
      this.syncNormal = () => void normal.run();
      this.syncFull = () => void full.run();
    }

    const selectSnapshot = db.prepare<[string], { snapshot: Uint8Array | null }>(
      'SELECT snapshot FROM rooms WHERE name = ?',
    );
    const selectLog = db.prepare<[string], { seq: number; data: Uint8Array }>(
      'SELECT seq, data FROM updates WHERE room = ? ORDER BY seq',
    );
    const upsertSnapshot = db.prepare<[string, Uint8Array, number]>(
      `INSERT INTO rooms (name, snapshot, compacted_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot, compacted_at = excluded.compacted_at`,
    );
    // Exactly the entries folded in: on PostgreSQL a commit of another node may hold a lower
    // seq than the last one read and become visible only now; it stays in the log.
    const deleteLog = pg
      ? db.prepare<[string, number[]]>('DELETE FROM updates WHERE room = ? AND seq = ANY(?)')
      : db.prepare<[string, number]>('DELETE FROM updates WHERE room = ? AND seq <= ?');
    // The compaction lease: one node at a time folds a room (released with the transaction,
    // so a node that dies mid-way holds nothing).
    const lease = pg
      ? db.prepare<[string], { ok: boolean }>(
          "SELECT pg_try_advisory_xact_lock(hashtext('ferry-compact:' || ?)) AS ok",
        )
      : null;
    this.compactTx = (pg ? pg.sharedTransaction.bind(pg) : db.transaction.bind(db))(
      (room: string): CompactResult => {
        if (lease && !lease.get(room)?.ok) {
          return { entries: 0, bytesBefore: 0, bytesAfter: 0, busy: true };
        }
        const snapshot = selectSnapshot.get(room)?.snapshot ?? null;
        const log = selectLog.all(room);
        const last = log[log.length - 1];
        if (!last) return { entries: 0, bytesBefore: 0, bytesAfter: 0 };
        const parts = snapshot ? [snapshot, ...log.map((r) => r.data)] : log.map((r) => r.data);
        const merged = Y.mergeUpdates(parts);
        upsertSnapshot.run(room, merged, Date.now());
        if (pg) deleteLog.run(room, log.map((r) => r.seq) as never);
        else deleteLog.run(room, last.seq as never);
        const bytesBefore = parts.reduce((n, p) => n + p.byteLength, 0);
        return { entries: log.length, bytesBefore, bytesAfter: merged.byteLength };
      },
    );
  }

  private migrate(): void {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
    const current = this.schemaVersion();
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
        // Several nodes may start at once: the transaction's write lock queues them, and the
        // ones after the first find the migration applied.
        if (this.schemaVersion() >= m.version) return;
        this.db.exec(m.sql);
        m.after?.(this.db);
        record.run(m.version, m.name, new Date().toISOString());
      })();
    }
  }

  schemaVersion(): number {
    const row = this.db
      .prepare<[], { v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations')
      .get();
    return row?.v ?? 0;
  }

  load(room: string): StoredRoom {
    const version = this.roomVersion(room);
    // One statement: on PostgreSQL it sees one state, so a compaction by another node between
    // reading the snapshot and reading the log cannot hide the entries it folded.
    const rows = this.db
      .prepare<[string, string], { kind: number; data: Uint8Array | null }>(
        `SELECT 0 AS kind, snapshot AS data, 0 AS seq FROM rooms WHERE name = ?
         UNION ALL SELECT 1 AS kind, data, seq FROM updates WHERE room = ?
         ORDER BY kind, seq`,
      )
      .all(room, room);
    const snapshot = rows[0]?.kind === 0 ? rows[0].data : null;
    const log = rows.filter((r) => r.kind === 1).map((r) => r.data!);
    return {
      updates: snapshot ? [snapshot, ...log] : log,
      logCount: log.length,
      logBytes: log.reduce((n, u) => n + u.byteLength, 0),
      snapshotBytes: snapshot?.byteLength ?? 0,
      version,
    };
  }

  /**
   * The updates of the room's commits after version `after`, in order, or null when the log
   * no longer holds all of them (compacted, or stored before versions were kept): the caller
   * reloads the room.
   */
  readSince(room: string, after: number): { updates: Uint8Array[]; version: number } | null {
    const version = this.roomVersion(room);
    if (version <= after) return { updates: [], version };
    const rows = this.db
      .prepare<[string, number], { version: number; data: Uint8Array }>(
        'SELECT version, data FROM updates WHERE room = ? AND version > ? ORDER BY seq',
      )
      .all(room, after);
    const seen = new Set(rows.map((r) => r.version));
    for (let v = after + 1; v <= version; v++) if (!seen.has(v)) return null;
    return { updates: rows.map((r) => r.data), version };
  }

  /**
   * Commits all entries in one transaction (one fsync) or none of them; throws on failure.
   * Returns each room's new version (`room_versions`).
   */
  append(entries: AppendEntry[]): Map<string, number> {
    return this.appendMany(entries);
  }

  /**
   * Like `append`, but on SQLite with durability 'full' the commit returns once it is in the WAL
   * (synchronous=NORMAL for this one transaction: no fsync on the event loop); it is durable
   * once a `syncLog()` begun after it resolves. Every other write on the connection keeps
   * synchronous=FULL. Where `deferredSync` is false this is `append`.
   */
  appendDeferred(entries: AppendEntry[]): Map<string, number> {
    if (!this.syncNormal || !this.syncFull) return this.appendMany(entries);
    this.syncNormal();
    try {
      return this.appendMany(entries);
    } finally {
      this.syncFull();
    }
  }

  /**
   * Makes every commit so far durable: fdatasync of the WAL file in libuv's thread pool, what
   * SQLite's synchronous=FULL does after each commit in WAL mode, without blocking the event
   * loop. The first call also syncs the data directory (the WAL file's entry in it).
   */
  syncLog(): Promise<void> {
    return new Promise((resolve, reject) => {
      let fd: number;
      try {
        fd = this.openWal();
      } catch (error) {
        reject(error as Error);
        return;
      }
      this.syncsInFlight++;
      fdatasync(fd, (error) => {
        // close() leaves the descriptor to the last sync in flight (never reused under it).
        if (--this.syncsInFlight === 0 && this.closed) this.closeWal();
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /** `syncLog` on the calling thread (shutdown). */
  syncLogNow(): void {
    fdatasyncSync(this.openWal());
  }

  private openWal(): number {
    if (this.walFd !== null) return this.walFd;
    if (this.closed) throw new Error('the store is closed');
    if (!this.sqlite) throw new Error('no SQLite write-ahead log to sync');
    // The relay's connection keeps the WAL file in place (SQLite removes it only when the last
    // connection closes), so one descriptor serves for the relay's life.
    const fd = openSync(`${this.sqlite.location}-wal`, 'r');
    const dir = openSync(path.dirname(this.sqlite.location), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.walFd = fd;
    return fd;
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

  /** The versions of these rooms (those with none are left out). */
  roomVersions(rooms: string[]): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < rooms.length; i += 500) {
      const chunk = rooms.slice(i, i + 500);
      const rows = this.db
        .prepare<string[], { room: string; version: number }>(
          `SELECT room, version FROM room_versions WHERE room IN (${chunk.map(() => '?').join(', ')})`,
        )
        .all(...chunk);
      for (const r of rows) out.set(r.room, r.version);
    }
    return out;
  }

  /** Folds the room's log into its snapshot (Y.mergeUpdates) in one transaction. */
  compact(room: string): CompactResult {
    return this.compactTx(room);
  }

  /** Whether the database answers (for /readyz). */
  reachable(): boolean {
    try {
      this.db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  /** Online backup (SQLite backup API) to `file`; safe while the relay writes. */
  async backup(file: string): Promise<void> {
    if (!this.sqlite) {
      throw new Error(
        `the relay keeps its data in PostgreSQL (${this.file}): back it up with pg_dump ` +
          'or your database backups, not ferry-relay backup',
      );
    }
    await this.sqlite.raw.backup(file);
  }

  private closeWal(): void {
    if (this.walFd !== null) closeSync(this.walFd);
    this.walFd = null;
  }

  close(): void {
    this.closed = true;
    if (this.syncsInFlight === 0) this.closeWal();
    this.db.close();
  }
}
