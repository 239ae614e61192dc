// @ts-check
// The PostgreSQL connection of a relay process, in a worker thread (db/postgres.ts waits for
// each answer with Atomics.wait, which keeps the relay's database calls synchronous).
// Plain JavaScript: a worker started by the relay (tsx) or by the tests (vitest) loads it
// without a TypeScript loader.
import { workerData, parentPort } from 'node:worker_threads';
import pg from 'pg';

/** @type {{ url: string, signal: SharedArrayBuffer, port: import('node:worker_threads').MessagePort, connectTimeoutMs: number, statementTimeoutMs: number, synchronousCommit: boolean }} */
const data = workerData;
const signal = new Int32Array(data.signal);
const port = data.port;

// BIGINT (and COUNT) as numbers, as SQLite gives them: every integer the relay keeps (times
// in ms, sequence numbers, sizes) is below 2^53. NUMERIC (SUM of integers) likewise.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

/** @type {pg.Client | null} */
let client = null;
/** @type {Promise<pg.Client> | null} */
let connecting = null;
let downUntil = 0;
/** @type {string} */
let lastError = '';

/** Index 0: answer ready (1) or not (0). Index 1: connected (1) or not (0). */
function answer(/** @type {unknown} */ message) {
  port.postMessage(message);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
}

async function connection() {
  if (client) return client;
  if (Date.now() < downUntil) {
    throw Object.assign(new Error(`PostgreSQL is unreachable: ${lastError}`), {
      code: 'FERRY_DB_DOWN',
    });
  }
  if (!connecting) {
    connecting = (async () => {
      const c = new pg.Client({
        connectionString: data.url,
        connectionTimeoutMillis: data.connectTimeoutMs,
        statement_timeout: data.statementTimeoutMs,
        query_timeout: data.statementTimeoutMs + 1_000,
        keepAlive: true,
        application_name: 'ferry-relay',
        // --durability process: commits return before the server's WAL reaches the disk.
        ...(data.synchronousCommit ? {} : { options: '-c synchronous_commit=off' }),
      });
      c.on('error', (err) => {
        // The server went away between queries: the next query reconnects.
        lastError = err.message;
        if (client === c) client = null;
        Atomics.store(signal, 1, 0);
        void c.end().catch(() => {});
      });
      try {
        await c.connect();
      } catch (err) {
        lastError = err instanceof Error ? err.message : String(err);
        // Fail fast for a moment, so a relay whose database is down answers at once.
        downUntil = Date.now() + 1_000;
        void c.end().catch(() => {});
        throw Object.assign(new Error(`PostgreSQL is unreachable: ${lastError}`), {
          code: 'FERRY_DB_DOWN',
        });
      }
      client = c;
      Atomics.store(signal, 1, 1);
      return c;
    })().finally(() => {
      connecting = null;
    });
  }
  return connecting;
}

/** The connection a transaction began on: its statements never run on another one. */
/** @type {pg.Client | null} */
let txClient = null;

port.on(
  'message',
  async (
    /** @type {{ id: number, text: string, params: unknown[], inTx: boolean, tx?: 'begin' | 'end' | 'close' }} */ req,
  ) => {
    if (req.tx === 'close') {
      const c = client;
      client = null;
      if (c) await c.end().catch(() => {});
      answer({ id: req.id, rows: [], rowCount: 0 });
      return;
    }
    try {
      if (req.inTx && (client === null || client !== txClient)) {
        throw Object.assign(
          new Error(
            'the connection to PostgreSQL was lost during a transaction; it was rolled back',
          ),
          { code: 'FERRY_DB_DOWN' },
        );
      }
      const c = await connection();
      if (req.tx === 'begin') txClient = c;
      const result = await c.query({ text: req.text, values: req.params });
      if (req.tx === 'end') txClient = null;
      const rows = Array.isArray(result) ? [] : result.rows;
      const rowCount = Array.isArray(result) ? 0 : (result.rowCount ?? 0);
      answer({ id: req.id, rows, rowCount });
    } catch (err) {
      if (req.tx === 'end') txClient = null;
      const e = /** @type {Error & { code?: string }} */ (err);
      if (client && /Connection terminated|ECONNRESET|EPIPE|not queryable/i.test(e.message)) {
        const c = client;
        client = null;
        Atomics.store(signal, 1, 0);
        void c.end().catch(() => {});
      }
      answer({ id: req.id, error: { message: e.message, code: e.code ?? null } });
    }
  },
);

parentPort?.postMessage('ready');
