// PostgreSQL for several relay nodes (docs/scale-out.md), behind the same synchronous SqlDb
// the relay uses with SQLite. One connection per relay process lives in a worker thread
// (pg-worker.mjs); each call posts the statement to it and waits on a shared flag
// (Atomics.wait) for the answer, so a statement costs one round trip and the relay's code
// stays the code that runs on SQLite. The wait is bounded: a database that does not answer
// is an error (writes refused loudly), never a relay frozen for good.
import {
  MessageChannel,
  type MessagePort,
  Worker,
  receiveMessageOnPort,
} from 'node:worker_threads';
import { toPostgres } from './dialect';
import { DatabaseError, type RunResult, type SqlDb, type SqlStatement, redactUrl } from './sql';

/** Every write transaction takes this advisory lock unless it says it locks what it needs. */
const WRITE_LOCK = 0x6665_7272; // "ferr"

export interface PostgresOptions {
  /** How long connecting may take (ms). */
  connectTimeoutMs?: number;
  /** How long one statement may take on the server (ms). */
  statementTimeoutMs?: number;
  /** 'process': synchronous_commit=off for this connection (store.ts, StoreOptions). */
  durability?: 'full' | 'process';
}

interface Answer {
  id: number;
  rows?: Record<string, unknown>[];
  rowCount?: number;
  error?: { message: string; code: string | null };
}

export class PostgresDb implements SqlDb {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private readonly waitMs: number;
  private nextId = 1;
  private depth = 0;
  private closed = false;

  constructor(url: string, options: PostgresOptions = {}) {
    this.location = redactUrl(url);
    const connectTimeoutMs = options.connectTimeoutMs ?? 2_000;
    const statementTimeoutMs = options.statementTimeoutMs ?? 10_000;
    this.waitMs = connectTimeoutMs + statementTimeoutMs + 2_000;
    const shared = new SharedArrayBuffer(8);
    this.signal = new Int32Array(shared);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(new URL('./pg-worker.mjs', import.meta.url), {
      workerData: {
        url,
        signal: shared,
        port: port2,
        connectTimeoutMs,
        statementTimeoutMs,
        synchronousCommit: (options.durability ?? 'full') === 'full',
      },
      transferList: [port2],
      // Plain JavaScript: none of the parent's loaders (tsx, a benchmark's probe). A loader
      // whose hooks wait on the main thread would deadlock with the main thread's first wait.
      execArgv: [],
    });
    this.worker.unref();
    this.port.unref();
    // A first statement: a wrong URL, password or database is said now, not at the first write.
    this.query('SELECT 1', [], false);
  }

  get open(): boolean {
    return !this.closed;
  }

  /** Whether the worker's connection is up (false after the server went away). */
  connected(): boolean {
    return Atomics.load(this.signal, 1) === 1;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R> {
    const { text, names } = toPostgres(sql);
    const values = (params: unknown[]): unknown[] => {
      if (names) {
        const bag = (params[0] ?? {}) as Record<string, unknown>;
        return names.map((n) => bag[n] ?? null);
      }
      return params.map((p) => (p === undefined ? null : p));
    };
    const run = (params: unknown[]) => this.query(text, values(params), this.depth > 0);
    return {
      get: (...params: P) => run(params).rows?.[0] as R | undefined,
      all: (...params: P) => (run(params).rows ?? []) as R[],
      run: (...params: P): RunResult => ({ changes: run(params).rowCount ?? 0 }),
      iterate: (...params: P) => ((run(params).rows ?? []) as R[])[Symbol.iterator](),
    };
  }

  exec(sql: string): void {
    this.query(toPostgres(sql).text, [], this.depth > 0);
  }

  changeCounter(): number {
    const row = this.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM audit').get();
    return row?.seq ?? 0;
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    return this.wrap(fn, true);
  }

  /**
   * A transaction without the write lock: the caller locks the rows it needs (the update log
   * locks each room's version row), so appends to different rooms from different nodes run
   * at the same time.
   */
  sharedTransaction<A extends unknown[], T>(fn: (...args: A) => T): (...args: A) => T {
    return this.wrap(fn, false);
  }

  private wrap<A extends unknown[], T>(fn: (...args: A) => T, lock: boolean): (...args: A) => T {
    return (...args: A): T => {
      const outer = this.depth === 0;
      const savepoint = `sp${this.depth}`;
      if (outer) {
        this.query('BEGIN', [], false, 'begin');
        if (lock) this.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK], true);
      } else {
        this.query(`SAVEPOINT ${savepoint}`, [], true);
      }
      this.depth++;
      let result: T;
      try {
        result = fn(...args);
      } catch (error) {
        this.depth--;
        try {
          this.query(
            outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${savepoint}`,
            [],
            !outer,
            outer ? 'end' : undefined,
          );
        } catch {
          // The connection is gone: the server rolled the transaction back itself.
        }
        throw error;
      }
      this.depth--;
      if (outer) this.query('COMMIT', [], true, 'end');
      else this.query(`RELEASE SAVEPOINT ${savepoint}`, [], true);
      return result;
    };
  }

  /** Runs one statement and waits for its answer (bounded). */
  private query(
    text: string,
    params: unknown[],
    inTx: boolean,
    tx?: 'begin' | 'end' | 'close',
  ): { rows?: Record<string, unknown>[]; rowCount?: number } {
    if (this.closed) throw new DatabaseError(`the database ${this.location} is closed`, null);
    const id = this.nextId++;
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage({ id, text, params, inTx, tx });
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      Atomics.store(this.signal, 0, 0);
      const received = receiveMessageOnPort(this.port) as { message: Answer } | undefined;
      if (received) {
        const a = received.message;
        if (a.id !== id) continue; // the late answer of a statement that timed out
        if (a.error) throw new DatabaseError(a.error.message, a.error.code);
        for (const row of a.rows ?? []) asBuffers(row);
        return a;
      }
      const left = deadline - Date.now();
      if (left <= 0 || Atomics.wait(this.signal, 0, 0, left) === 'timed-out') {
        throw new DatabaseError(
          `PostgreSQL at ${this.location} did not answer within ${this.waitMs} ms`,
          'FERRY_DB_TIMEOUT',
        );
      }
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      this.query('', [], false, 'close');
    } catch {
      // Closing anyway.
    }
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

/** Byte columns come back from the worker as Uint8Array; the relay's code expects Buffers. */
function asBuffers(row: Record<string, unknown>): void {
  for (const key of Object.keys(row)) {
    const v = row[key];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v)) {
      row[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    }
  }
}
