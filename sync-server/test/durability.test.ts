// --durability (issue 16): 'full' (the default) acknowledges an update once it is on disk;
// 'process' once it is in the database's log, without waiting for the disk. Each setting must
// reach the engine itself: SQLite's synchronous pragma, PostgreSQL's synchronous_commit.
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/config';
import { Store } from '../src/store';
import { usePostgres } from './engines/postgres';
import { removeDir, tempDir } from './helpers';

const pg = usePostgres();
const stores: Store[] = [];
const dirs: string[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});

function open(options: ConstructorParameters<typeof Store>[1]): Store {
  const dir = tempDir();
  dirs.push(dir);
  const store = new Store(dir, options);
  stores.push(store);
  return store;
}

describe('--durability', () => {
  it('is full unless told otherwise, and refuses anything but full or process', () => {
    expect(parseArgs([], {}).config.durability).toBe('full');
    expect(parseArgs(['--durability', 'process'], {}).config.durability).toBe('process');
    expect(parseArgs([], { FERRY_DURABILITY: 'process' }).config.durability).toBe('process');
    expect(() => parseArgs(['--durability', 'fast'], {})).toThrow(
      '--durability: "fast" is not full or process',
    );
  });

  it('SQLite: synchronous=FULL by default, NORMAL (in WAL) for process', () => {
    const pragma = (s: Store) =>
      (s.db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    expect(pragma(open({}))).toBe(2); // FULL
    const fast = open({ durability: 'process' });
    expect(pragma(fast)).toBe(1); // NORMAL
    expect(
      (fast.db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode,
    ).toBe('wal');
  });

  it('PostgreSQL: synchronous_commit on by default, off for process', async () => {
    const setting = (s: Store) =>
      (s.db.prepare('SHOW synchronous_commit').get() as { synchronous_commit: string })
        .synchronous_commit;
    const full = open({ database: await pg().createDatabase('durability_full') });
    expect(setting(full)).toBe('on');
    const fast = open({
      database: await pg().createDatabase('durability_process'),
      durability: 'process',
    });
    expect(setting(fast)).toBe('off');
  });
});
