// SQLite in the data directory: the embedded default (better-sqlite3, WAL, synchronous=FULL).
import Database from 'better-sqlite3';
import type { SqlDb, SqlStatement } from './sql';

/** Prepared statements kept (the relay's are a few dozen; `IN (?, …)` lists vary in length). */
const STATEMENTS = 256;

export class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite' as const;
  readonly raw: Database.Database;

  constructor(
    readonly location: string,
    options: Database.Options = {},
  ) {
    this.raw = new Database(location, options);
  }

  get open(): boolean {
    return this.raw.open;
  }

  /**
   * Prepared statements by their SQL, most recently used last, at most STATEMENTS: compiling
   * the same statement again at every room load was a cost per join (issue 16: 0.2 s of a
   * 10,000-room join). A statement still being iterated is busy: that call gets a fresh one.
   */
  private readonly statements = new Map<string, Database.Statement>();

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R> {
    const cached = this.statements.get(sql);
    if (cached && !cached.busy) {
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached as unknown as SqlStatement<P, R>;
    }
    const made = this.raw.prepare<P, R>(sql);
    if (!cached) {
      this.statements.set(sql, made as unknown as Database.Statement);
      if (this.statements.size > STATEMENTS) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
    }
    return made;
  }

  exec(sql: string): void {
    this.raw.exec(sql);
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    // IMMEDIATE: the write lock is taken before the first read, so a transaction of the admin
    // CLI (another process) and one of the relay never interleave (the audit chain's head).
    const tx = this.raw.transaction(fn);
    return (...args: A) => tx.immediate(...args);
  }

  changeCounter(): number {
    return this.raw.pragma('data_version', { simple: true }) as number;
  }

  close(): void {
    if (this.raw.open) this.raw.close();
  }
}
