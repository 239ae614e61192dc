// What `ferry-relay migrate` checks once the rows are copied (docs/scale-out.md "Moving a
// single-node install"): every table holds as many rows with the same content (a digest of
// every row), every room's Yjs state vector is the same when loaded from either side, and the
// audit chain verifies on the target with the source's head. Each difference is one line.
import { createHash } from 'node:crypto';
import * as Y from 'yjs';
import { Audit, verifyChain } from '../audit';
import type { SqlDb } from '../db/sql';
import type { Store } from '../store';
import { type Row, type TableSpec, TABLES, columnsOf, keyOf, page } from './tables';

const MOD = 1n << 256n;

export interface TableCheck {
  rows: number;
  /** Sum of the SHA-256 of every row modulo 2^256: independent of the order rows come in. */
  digest: bigint;
}

const plain = (v: unknown): unknown =>
  v instanceof Uint8Array ? { bytes: Buffer.from(v).toString('hex') } : (v ?? null);

export function tableCheck(db: SqlDb, spec: TableSpec, columns: string[]): TableCheck {
  let rows = 0;
  let digest = 0n;
  let after: unknown[] | null = null;
  for (;;) {
    const batch: Row[] = page(db, spec, columns, after, 1_000);
    for (const row of batch) {
      const text = JSON.stringify(columns.map((c) => plain(row[c])));
      digest = (digest + BigInt('0x' + createHash('sha256').update(text).digest('hex'))) % MOD;
    }
    rows += batch.length;
    const last = batch[batch.length - 1];
    if (!last) return { rows, digest };
    after = keyOf(spec, last);
  }
}

export interface Verification {
  problems: string[];
  rows: Map<string, number>;
  rooms: number;
  auditEntries: number;
  auditHead: string | null;
}

/** `skipped`: tables deliberately not copied (their target count must be 0). */
export function verify(source: Store, target: Store, skipped: Set<string>): Verification {
  const problems: string[] = [];
  const rows = new Map<string, number>();
  for (const spec of TABLES) {
    const columns = columnsOf(source.db, spec.name);
    const s = tableCheck(source.db, spec, columns);
    const t = tableCheck(target.db, spec, columns);
    rows.set(spec.name, t.rows);
    if (skipped.has(spec.name)) {
      if (t.rows !== 0) problems.push(`${spec.name}: ${t.rows} rows in the target, expected none`);
    } else if (s.rows !== t.rows) {
      problems.push(`${spec.name}: ${s.rows} rows in the source, ${t.rows} in the target`);
    } else if (s.digest !== t.digest) {
      problems.push(`${spec.name}: the same number of rows (${s.rows}) but different content`);
    }
  }

  const rooms = source.db
    .prepare<[], { name: string }>('SELECT name FROM rooms UNION SELECT room AS name FROM updates')
    .all()
    .map((r) => r.name);
  let roomProblems = 0;
  for (const room of rooms) {
    const a = stateVector(source, room);
    const b = stateVector(target, room);
    if (!a.equals(b)) {
      roomProblems++;
      if (roomProblems <= 10) problems.push(`room ${room}: the state vectors differ`);
    }
  }
  if (roomProblems > 10) problems.push(`… and ${roomProblems - 10} more rooms differ`);

  const src = verifyChain(() => new Audit(source.db).entries());
  const dst = verifyChain(() => new Audit(target.db).entries());
  if (!dst.ok) problems.push(`the audit chain does not verify on the target: ${dst.message}`);
  if (src.ok && dst.ok && src.head !== dst.head) {
    problems.push(`the audit heads differ: source ${src.head}, target ${dst.head}`);
  }
  if (!src.ok) problems.push(`the audit chain of the source does not verify: ${src.message}`);
  return {
    problems,
    rows,
    rooms: rooms.length,
    auditEntries: dst.entries,
    auditHead: dst.ok && dst.entries > 0 ? dst.head : null,
  };
}

function stateVector(store: Store, room: string): Buffer {
  const doc = new Y.Doc();
  try {
    for (const u of store.load(room).updates) Y.applyUpdate(doc, u);
    return Buffer.from(Y.encodeStateVector(doc));
  } finally {
    doc.destroy();
  }
}
