// The tables `ferry-relay migrate` copies (issue 14, docs/scale-out.md "Moving a single-node
// install"), in an order that satisfies the foreign keys (users before sessions and members,
// conversations before members, blobs before blob_owners), each with its primary key: rows are
// read in key order and the last key copied is what a resumed run continues after.
// schema_migrations is not copied: the target has its own, migrated by Store to the same schema.
import type { SqlDb } from '../db/sql';

export interface TableSpec {
  name: string;
  key: string[];
}

export const TABLES: TableSpec[] = [
  { name: 'users', key: ['id'] },
  { name: 'recovery_codes', key: ['user', 'hash'] },
  { name: 'sessions', key: ['id'] },
  { name: 'secrets', key: ['name'] },
  { name: 'audit', key: ['seq'] },
  { name: 'conversations', key: ['id'] },
  { name: 'members', key: ['conversation', 'user'] },
  { name: 'invites', key: ['id'] },
  { name: 'rooms', key: ['name'] },
  { name: 'updates', key: ['seq'] },
  { name: 'room_versions', key: ['room'] },
  { name: 'client_ids', key: ['room', 'client_id'] },
  { name: 'quarantine', key: ['room', 'client_id'] },
  { name: 'blobs', key: ['hash'] },
  { name: 'blob_owners', key: ['hash', 'user'] },
  { name: 'uploads', key: ['id'] },
  { name: 'blob_refs', key: ['hash', 'room', 'message_id'] },
];

/** The columns of a table in the source (SQLite), in their declared order. */
export function columnsOf(source: SqlDb, table: string): string[] {
  const cols = source
    .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${table}')`)
    .all()
    .map((c) => c.name);
  if (cols.length === 0) throw new Error(`the source database has no table ${table}`);
  return cols;
}

export type Row = Record<string, unknown>;

/**
 * One page of `table` in key order after `after` (a key, or null for the start). Row values
 * compare like ORDER BY in both engines. On PostgreSQL text keys compare by the database's
 * collation: consistent within one engine, which is all paging needs.
 */
export function page(
  db: SqlDb,
  spec: TableSpec,
  columns: string[],
  after: unknown[] | null,
  limit: number,
): Row[] {
  const key = spec.key.join(', ');
  const where = after ? `WHERE (${key}) > (${spec.key.map(() => '?').join(', ')})` : '';
  const sql = `SELECT ${columns.join(', ')} FROM ${spec.name} ${where} ORDER BY ${key} LIMIT ?`;
  return db.prepare<unknown[], Row>(sql).all(...(after ?? []), limit);
}

export const keyOf = (spec: TableSpec, row: Row): unknown[] => spec.key.map((k) => row[k]);

/** Bytes a row carries in its byte columns (snapshots, updates, secrets), to bound a batch. */
export function rowBytes(row: Row): number {
  let n = 0;
  for (const v of Object.values(row)) {
    if (v instanceof Uint8Array) n += v.byteLength;
    else if (typeof v === 'string') n += v.length;
  }
  return n;
}

export function count(db: SqlDb, table: string): number {
  return db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${table}`).get()?.n ?? 0;
}
