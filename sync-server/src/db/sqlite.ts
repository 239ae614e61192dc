// SQLite in the data directory: the embedded default (better-sqlite3, WAL, synchronous=FULL).
import Database from 'better-sqlite3';
import type { SqlDb, SqlStatement } from './sql';

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

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R> {
    return this.raw.prepare<P, R>(sql);
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
