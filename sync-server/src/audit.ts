// The audit log: an append-only, hash-chained table (docs/accounts.md, Audit log). Each entry's
// hash covers the previous entry's hash and the entry's canonical JSON, so an edited, removed
// or reordered entry breaks the chain at that point. Entries cut from the end leave a valid
// (shorter) chain: compare the head with an earlier export (`verify --head`).
import { createHash } from 'node:crypto';
import type { SqlDb, SqlStatement } from './db/sql';

export const GENESIS = '0'.repeat(64);

export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.locked'
  | 'auth.logout'
  | 'auth.refresh_reused'
  // Company sign-in (docs/identity.md): an account brought in step with the directory or
  // issuer, a refused OIDC step, a back-channel logout, an admin's test of the directory.
  | 'identity.synced'
  | 'identity.refused'
  | 'identity.logout'
  | 'identity.tested'
  | 'metrics.refused'
  | 'session.revoked'
  | 'user.created'
  | 'user.updated'
  | 'user.disabled'
  | 'user.enabled'
  | 'user.password_reset'
  | 'user.totp_enabled'
  | 'user.totp_disabled'
  | 'user.unlocked'
  | 'invite.created'
  | 'invite.revoked'
  | 'invite.accepted'
  | 'invite.refused'
  | 'admin.token_issued'
  | 'conv.created'
  | 'conv.updated'
  | 'conv.member_added'
  | 'conv.member_removed'
  | 'conv.member_left'
  | 'conv.role_changed'
  | 'update.refused'
  | 'file.refused'
  | 'awareness.refused'
  | 'frame.refused'
  | 'room.refused'
  | 'socket.refused'
  | 'message.moderated'
  | 'pin.removed';

export interface AuditInput {
  /** User id, `cli` for the admin CLI, `relay` for the relay itself, null when unknown. */
  actor: string | null;
  action: AuditAction;
  target?: string | null;
  ip?: string | null;
  /** Plain JSON; never secrets (passwords, tokens, TOTP secrets or codes). */
  detail?: Record<string, unknown> | null;
}

export interface AuditEntry {
  seq: number;
  at: number;
  actor: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  detail: Record<string, unknown> | null;
  prev: string;
  hash: string;
}

interface Row {
  seq: number;
  at: number;
  actor: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  detail: string | null;
  prev: string;
  hash: string;
}

/** JSON with object keys sorted at every level: the same entry always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(obj[k])).join(',') + '}';
}

/** The hash of one entry: SHA-256 over `prev` and the canonical JSON of the entry. */
export function entryHash(prev: string, entry: Omit<AuditEntry, 'prev' | 'hash'>): string {
  const body = canonicalJson({
    seq: entry.seq,
    at: entry.at,
    actor: entry.actor,
    action: entry.action,
    target: entry.target,
    ip: entry.ip,
    detail: entry.detail,
  });
  return createHash('sha256').update(prev).update('\n').update(body).digest('hex');
}

function fromRow(row: Row): AuditEntry {
  let detail: Record<string, unknown> | null = null;
  if (row.detail !== null) {
    try {
      detail = JSON.parse(row.detail) as Record<string, unknown>;
    } catch {
      detail = { unparseable: row.detail };
    }
  }
  return { ...row, detail };
}

export class Audit {
  private readonly appendTx: (input: AuditInput, at: number) => AuditEntry;
  private readonly listeners = new Set<(entry: AuditEntry) => void>();
  private readonly otherListeners = new Set<(entry: AuditEntry) => void>();
  /** The highest seq this process has appended or read back; entries above are new to it. */
  private seen: number;
  /** Seqs this process appended above `seen` (another process wrote in between). */
  private readonly own = new Set<number>();
  private readonly after: SqlStatement<[number], Row>;

  constructor(private readonly db: SqlDb) {
    const last = db.prepare<[], { seq: number; hash: string }>(
      'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
    );
    this.seen = last.get()?.seq ?? 0;
    this.after = db.prepare<[number], Row>('SELECT * FROM audit WHERE seq > ? ORDER BY seq');
    const insert = db.prepare(
      'INSERT INTO audit (seq, at, actor, action, target, ip, detail, prev, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const tx = db.transaction((input: AuditInput, at: number): AuditEntry => {
      const head = last.get();
      const entry = {
        seq: (head?.seq ?? 0) + 1,
        at,
        actor: input.actor,
        action: input.action,
        target: input.target ?? null,
        ip: input.ip ?? null,
        detail: input.detail ?? null,
      };
      const prev = head?.hash ?? GENESIS;
      const hash = entryHash(prev, entry);
      insert.run(
        entry.seq,
        entry.at,
        entry.actor,
        entry.action,
        entry.target,
        entry.ip,
        entry.detail === null ? null : canonicalJson(entry.detail),
        prev,
        hash,
      );
      return { ...entry, prev, hash };
    });
    // The admin CLI and the relay (or several relay nodes) may append at the same time: a
    // transaction takes the write lock before the head is read (SqlDb.transaction), so each
    // chains onto the real head.
    this.appendTx = tx;
  }

  /** Appends one entry (one transaction) and returns it. */
  append(input: AuditInput): AuditEntry {
    const entry = this.appendTx(input, Date.now());
    if (entry.seq === this.seen + 1) this.seen = entry.seq;
    else this.own.add(entry.seq);
    for (const l of this.listeners) l(entry);
    return entry;
  }

  /** Called after each append made by this process (tests, metrics). */
  onAppend(listener: (entry: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Called for entries another process appended (`ferry-relay admin` on the same database),
   * in order, when `readOthers()` finds them.
   */
  onOtherAppend(listener: (entry: AuditEntry) => void): () => void {
    this.otherListeners.add(listener);
    return () => this.otherListeners.delete(listener);
  }

  /**
   * Reads the entries appended since this process last looked and reports those it did not
   * append itself. Cheap when nothing is new (one indexed lookup); the relay calls it when
   * SQLite's `data_version` says another connection committed.
   */
  readOthers(): number {
    let n = 0;
    // all(), not iterate(): listeners write to the database, which an open cursor forbids.
    for (const row of this.after.all(this.seen)) {
      this.seen = row.seq;
      if (this.own.delete(row.seq)) continue;
      n++;
      const entry = fromRow(row);
      for (const l of this.otherListeners) {
        try {
          l(entry);
        } catch {
          // one listener's failure must not stop the others
        }
      }
    }
    return n;
  }

  /** Every entry in order of seq. */
  *entries(): IterableIterator<AuditEntry> {
    const rows = this.db.prepare<[], Row>('SELECT * FROM audit ORDER BY seq').iterate();
    for (const row of rows) yield fromRow(row);
  }

  /** The latest entries first, for the admin API. */
  recent(limit: number): AuditEntry[] {
    return this.db
      .prepare<[number], Row>('SELECT * FROM audit ORDER BY seq DESC LIMIT ?')
      .all(limit)
      .map(fromRow);
  }

  head(): { seq: number; hash: string } | null {
    return (
      this.db
        .prepare<[], { seq: number; hash: string }>(
          'SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1',
        )
        .get() ?? null
    );
  }
}

export type VerifyProblem = 'edited' | 'removed' | 'reordered' | 'truncated';

export type VerifyResult =
  | { ok: true; entries: number; head: string }
  | { ok: false; entries: number; seq: number | null; problem: VerifyProblem; message: string };

/**
 * Recomputes the chain. The first entry that does not fit is named with what most likely
 * happened to it: its content changed (edited), entries before it are missing (removed), or it
 * stands where another entry should (reordered). With `head`, the chain must contain that hash
 * (an earlier export's head); otherwise entries were cut from the end (truncated).
 */
export function verifyChain(
  source: readonly AuditEntry[] | (() => Iterable<AuditEntry>),
  head?: string,
): VerifyResult {
  // One streaming pass checks the chain in constant memory; only the first bad entry is
  // explained, with a second pass over the entries.
  const open = typeof source === 'function' ? source : () => source;
  let expectedPrev = GENESIS;
  let expectedSeq = 1;
  let count = 0;
  let headSeen = head === undefined || head === GENESIS;
  let lastSeq: number | null = null;
  for (const e of open()) {
    count++;
    const fail = (problem: VerifyProblem, why: string): VerifyResult => ({
      ok: false,
      entries: count,
      seq: e.seq,
      problem,
      message: `entry ${e.seq} (${e.action}): ${problem}: ${why}`,
    });
    if (entryHash(e.prev, e) !== e.hash) {
      // A moved row keeps its content and hash but has another seq.
      let moved: number | undefined;
      for (const other of open()) {
        if (other.seq !== e.seq && entryHash(e.prev, { ...e, seq: other.seq }) === e.hash) {
          moved = other.seq;
          break;
        }
      }
      if (moved !== undefined) return fail('reordered', `this entry was written as entry ${moved}`);
      return fail('edited', 'its content does not match its hash');
    }
    if (e.prev !== expectedPrev) {
      let after: AuditEntry | undefined;
      for (const other of open()) {
        if (other.seq > e.seq && other.hash === e.prev) {
          after = other;
          break;
        }
      }
      if (after)
        return fail('reordered', `it follows entry ${after.seq}, which now comes after it`);
      const missing = e.seq - expectedSeq;
      return fail(
        'removed',
        missing > 0
          ? `${missing} entr${missing === 1 ? 'y' : 'ies'} before it ${missing === 1 ? 'is' : 'are'} missing`
          : 'the entry it chains onto is missing',
      );
    }
    if (e.hash === head) headSeen = true;
    expectedPrev = e.hash;
    expectedSeq = e.seq + 1;
    lastSeq = e.seq;
  }
  if (!headSeen) {
    return {
      ok: false,
      entries: count,
      seq: lastSeq,
      problem: 'truncated',
      message:
        `truncated: head ${head} is not in the chain: entries after entry ${lastSeq ?? 0} were removed ` +
        '(or the head belongs to another relay)',
    };
  }
  return { ok: true, entries: count, head: expectedPrev };
}
