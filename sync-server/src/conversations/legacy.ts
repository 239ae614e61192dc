// Upgrade from the release without accounts (docs/accounts.md, "What the relay keeps"): the
// conversations its `workspace` document lists become open channels with no owner, so any
// member can join them and an admin can set owners. Run inside migration 3's transaction, so
// it happens exactly once, whichever command opens the upgraded database first.
import type { SqlDb } from '../db/sql';
import * as Y from 'yjs';
import { listConversations } from '../../../core/src/model/workspace';

/** Imports the legacy catalogue; returns how many conversations were added. */
export function importLegacyConversations(db: SqlDb): number {
  const snapshot = db
    .prepare<[string], { snapshot: Uint8Array | null }>('SELECT snapshot FROM rooms WHERE name = ?')
    .get('workspace')?.snapshot;
  const log = db
    .prepare<[string], { data: Uint8Array }>('SELECT data FROM updates WHERE room = ? ORDER BY seq')
    .all('workspace');
  if (!snapshot && log.length === 0) return 0;
  const doc = new Y.Doc();
  try {
    if (snapshot) Y.applyUpdate(doc, snapshot);
    for (const row of log) Y.applyUpdate(doc, row.data);
    const insert = db.prepare(
      `INSERT OR IGNORE INTO conversations (id, kind, visibility, title, created_by, created_at, archived_at)
       VALUES (?, 'channel', 'open', ?, ?, ?, NULL)`,
    );
    let n = 0;
    for (const c of listConversations(doc)) {
      n += insert.run(c.id, c.title, c.createdBy, c.createdAt).changes;
    }
    return n;
  } finally {
    doc.destroy();
  }
}
