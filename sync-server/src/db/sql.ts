// The SQL the relay speaks, behind one interface with two implementations: SQLite in the data
// directory (better-sqlite3, the embedded default) and PostgreSQL (shared by several nodes,
// docs/scale-out.md). Both are synchronous on purpose: the relay checks an update against
// the database and the room's document and stores it without another event interleaving,
// on one node as on many. Statements are written in SQLite's dialect; the PostgreSQL side
// translates them (db/dialect.ts) and the few that differ in meaning have a dialect branch.

export type Dialect = 'sqlite' | 'postgres';

export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  get(...params: P): R | undefined;
  all(...params: P): R[];
  run(...params: P): RunResult;
  iterate(...params: P): IterableIterator<R>;
}

export interface SqlDb {
  readonly dialect: Dialect;
  /** Where it is, for messages: a file path, or a URL without its password. */
  readonly location: string;
  readonly open: boolean;
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R>;
  /** Runs statements without parameters (schema changes). */
  exec(sql: string): void;
  /**
   * Wraps `fn` in a transaction: all of its writes commit or none do; a nested call is a
   * savepoint. Write transactions of different nodes never interleave (docs/scale-out.md).
   */
  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T;
  /**
   * A number that changes when another process or node commits something this one must
   * notice: a session ended, a membership changed, an admin acted (each of which is audited).
   * SQLite: `PRAGMA data_version`; PostgreSQL: the newest audit entry's seq.
   */
  changeCounter(): number;
  close(): void;
}

/** A statement PostgreSQL refused or could not run; `code` is its SQLSTATE or FERRY_DB_*. */
export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = 'DatabaseError';
  }
}

/**
 * Whether `error` says the database is away (down, restarting, unreachable, too slow) rather
 * than that a statement was wrong: the operation is abandoned and retried later (by the client
 * or the relay's own timers), and the relay keeps serving what needs no database.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  const code = error.code ?? '';
  return (
    code === 'FERRY_DB_DOWN' ||
    code === 'FERRY_DB_TIMEOUT' ||
    code.startsWith('08') || // connection exceptions
    code === '57P01' || // admin shutdown
    code === '57P02' || // crash shutdown
    code === '57P03' || // cannot connect now (starting up, shutting down)
    code === '57014' // statement timeout
  );
}

/** The database URL a relay was given, without its password (for logs and errors). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable database URL)';
  }
}

export function isPostgresUrl(target: string): boolean {
  return /^postgres(ql)?:\/\//i.test(target);
}
