// The PostgreSQL test engine itself: it starts, keeps committed data across a crash (fsync on),
// stops and starts on the same port, and leaves nothing behind.
import { existsSync, statSync } from 'node:fs';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { liveEngines } from './common';
import { startPostgres, usePostgres } from './postgres';

const engine = usePostgres();

async function withClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('PostgreSQL test engine', () => {
  it('serves its database on 127.0.0.1 with fsync on, not as root', async () => {
    const pgUrl = engine().url;
    expect(pgUrl).toMatch(/^postgres:\/\/ferry@127\.0\.0\.1:\d+\/ferry$/);
    const row = await withClient(pgUrl, async (c) => {
      const r = await c.query(
        "SELECT current_database() AS db, current_setting('fsync') AS fsync, current_setting('listen_addresses') AS listen",
      );
      return r.rows[0] as { db: string; fsync: string; listen: string };
    });
    expect(row).toEqual({ db: 'ferry', fsync: 'on', listen: '127.0.0.1' });
    // The data directory belongs to the user the server runs as: never root.
    expect(statSync(`${engine().dir}/data`).uid).not.toBe(0);
  });

  it('keeps committed rows across kill -9 and comes back on the same port', async () => {
    const e = engine();
    await withClient(e.url, async (c) => {
      await c.query('CREATE TABLE crash_test (n int)');
      await c.query('INSERT INTO crash_test SELECT generate_series(1, 1000)');
    });
    await e.kill();
    expect(e.running()).toBe(false);
    await expect(withClient(e.url, (c) => c.query('SELECT 1'))).rejects.toThrow(/ECONNREFUSED/);
    await e.start();
    const count = await withClient(e.url, (c) =>
      c.query('SELECT count(*)::int AS n FROM crash_test'),
    );
    expect(count.rows[0]).toEqual({ n: 1000 });
  });

  it('stops (clients refused) and starts again with its data', async () => {
    const e = engine();
    const port = e.port;
    await e.stop();
    await expect(withClient(e.url, (c) => c.query('SELECT 1'))).rejects.toThrow(/ECONNREFUSED/);
    await e.start();
    expect(e.port).toBe(port);
    const count = await withClient(e.url, (c) =>
      c.query('SELECT count(*)::int AS n FROM crash_test'),
    );
    expect(count.rows[0]).toEqual({ n: 1000 });
    await e.restart();
    const other = await e.createDatabase('other');
    await withClient(other, (c) => c.query('SELECT 1'));
  });

  it('dispose() ends every process and removes the directory', async () => {
    const before = liveEngines();
    const own = await startPostgres({ database: 'disposable' });
    expect(liveEngines()).toBe(before + 1);
    await own.dispose();
    expect(liveEngines()).toBe(before);
    expect(existsSync(own.dir)).toBe(false);
  });
});
