// The files tables of migration 7 (store.ts; docs/attachments.md "On the relay"): complete
// blobs and their owners, uploads in progress, and the reference index that decides who may
// read a file. All SQL of the files feature is here.
import type { SqlDb } from '../db/sql';

export interface UploadRow {
  id: string;
  hash: string;
  size: number;
  conv: string;
  type: string;
  user: string;
  created_at: number;
  updated_at: number;
}

export interface BlobRow {
  hash: string;
  size: number;
  type: string;
  uploader: string;
  stored_at: number;
  orphaned_at: number | null;
}

export class FilesDb {
  private readonly s;

  constructor(readonly db: SqlDb) {
    const p = <R = unknown>(sql: string) => db.prepare<unknown[], R>(sql);
    this.s = {
      owner: p('SELECT 1 AS x FROM blob_owners WHERE hash = ? AND user = ?'),
      // A granting reference in a conversation the user is a member of now.
      granted: p(
        `SELECT 1 AS x FROM blob_refs r JOIN members m ON m.conversation = r.conv AND m.user = ?
         WHERE r.hash = ? AND r.grants = 1 LIMIT 1`,
      ),
      blob: p<BlobRow>('SELECT * FROM blobs WHERE hash = ?'),
      member: p('SELECT 1 AS x FROM members WHERE conversation = ? AND user = ?'),
      usage: p<{ n: number }>(
        `SELECT COALESCE((SELECT SUM(b.size) FROM blob_owners o JOIN blobs b ON b.hash = o.hash
           WHERE o.user = @user), 0)
         + COALESCE((SELECT SUM(size) FROM uploads WHERE user = @user), 0) AS n`,
      ),
      total: p<{ n: number }>(
        `SELECT COALESCE((SELECT SUM(size) FROM blobs), 0)
         + COALESCE((SELECT SUM(size) FROM uploads), 0) AS n`,
      ),
      stored: p<{ files: number; bytes: number }>(
        'SELECT COUNT(*) AS files, COALESCE(SUM(size), 0) AS bytes FROM blobs',
      ),
      uploadCount: p<{ n: number }>('SELECT COUNT(*) AS n FROM uploads WHERE user = ?'),
      activeCount: p<{ n: number }>(
        'SELECT COUNT(*) AS n FROM uploads WHERE user = ? AND updated_at >= ?',
      ),
      oldestUpload: p<UploadRow>(
        'SELECT * FROM uploads WHERE user = ? ORDER BY updated_at LIMIT 1',
      ),
      allUploads: p<{ n: number }>('SELECT COUNT(*) AS n FROM uploads'),
      insertUpload: p(
        `INSERT INTO uploads (id, hash, size, conv, type, user, created_at, updated_at)
         VALUES (@id, @hash, @size, @conv, @type, @user, @created_at, @updated_at)`,
      ),
      upload: p<UploadRow>('SELECT * FROM uploads WHERE id = ?'),
      touchUpload: p('UPDATE uploads SET updated_at = ? WHERE id = ?'),
      deleteUpload: p('DELETE FROM uploads WHERE id = ?'),
      uploadIds: p<{ id: string }>('SELECT id FROM uploads'),
      staleUploads: p<UploadRow>('SELECT * FROM uploads WHERE updated_at < ? LIMIT 100'),
      insertBlob: p(
        `INSERT INTO blobs (hash, size, type, uploader, stored_at, orphaned_at)
         VALUES (@hash, @size, @type, @user, @now,
           CASE WHEN EXISTS (SELECT 1 FROM blob_refs WHERE hash = @hash) THEN NULL ELSE CAST(@now AS INTEGER) END)
         ON CONFLICT (hash) DO NOTHING`,
      ),
      insertOwner: p(
        'INSERT INTO blob_owners (hash, user, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      grantAuthor: p('UPDATE blob_refs SET grants = 1 WHERE hash = ? AND author = ?'),
      refsOf: p<{ hash: string }>('SELECT hash FROM blob_refs WHERE room = ? AND message_id = ?'),
      insertRef: p(
        `INSERT INTO blob_refs (hash, room, message_id, conv, author, grants, at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ),
      deleteRef: p('DELETE FROM blob_refs WHERE hash = ? AND room = ? AND message_id = ?'),
      referenced: p('UPDATE blobs SET orphaned_at = NULL WHERE hash = ?'),
      maybeOrphan: p(
        `UPDATE blobs SET orphaned_at = @now WHERE hash = @hash AND orphaned_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM blob_refs WHERE hash = @hash)`,
      ),
      orphans: p<{ hash: string }>(
        `SELECT hash FROM blobs WHERE orphaned_at IS NOT NULL AND orphaned_at < ?
         AND NOT EXISTS (SELECT 1 FROM blob_refs r WHERE r.hash = blobs.hash) LIMIT 100`,
      ),
      deleteBlob: p('DELETE FROM blobs WHERE hash = ?'),
    };
  }

  /** Whether `user` may read `hash` (docs/attachments.md): they uploaded it, or a granting reference is in a conversation they are a member of now. */
  mayRead(user: string, hash: string): boolean {
    return (
      this.s.owner.get(hash, user) !== undefined || this.s.granted.get(user, hash) !== undefined
    );
  }

  blob(hash: string): BlobRow | null {
    return this.s.blob.get(hash) ?? null;
  }

  isMember(conv: string, user: string): boolean {
    return this.s.member.get(conv, user) !== undefined;
  }

  /** Bytes charged to `user`: files they completed plus uploads they have in progress. */
  usage(user: string): number {
    return this.s.usage.get({ user })?.n ?? 0;
  }

  /** Bytes of every stored file plus every upload in progress. */
  totalBytes(): number {
    return this.s.total.get()?.n ?? 0;
  }

  stored(): { files: number; bytes: number } {
    return this.s.stored.get() ?? { files: 0, bytes: 0 };
  }

  uploadsOf(user: string): number {
    return this.s.uploadCount.get(user)?.n ?? 0;
  }

  /** Uploads of `user` that received a request since `since`. */
  activeUploadsOf(user: string, since: number): number {
    return this.s.activeCount.get(user, since)?.n ?? 0;
  }

  /** The upload of `user` idle the longest. */
  oldestUploadOf(user: string): UploadRow | null {
    return this.s.oldestUpload.get(user) ?? null;
  }

  uploadsInProgress(): number {
    return this.s.allUploads.get()?.n ?? 0;
  }

  addUpload(row: UploadRow): void {
    this.s.insertUpload.run(row);
  }

  upload(id: string): UploadRow | null {
    return this.s.upload.get(id) ?? null;
  }

  touchUpload(id: string, now = Date.now()): void {
    this.s.touchUpload.run(now, id);
  }

  deleteUpload(id: string): void {
    this.s.deleteUpload.run(id);
  }

  uploadIds(): string[] {
    return this.s.uploadIds.all().map((r) => r.id);
  }

  staleUploads(before: number): UploadRow[] {
    return this.s.staleUploads.all(before);
  }

  /**
   * Records a verified, stored file: the blob (once), `user` as an owner, and every reference
   * `user` wrote to it before it arrived now grants access (their own upload completed).
   */
  completed(hash: string, size: number, type: string, user: string, now = Date.now()): void {
    this.db.transaction(() => {
      this.s.insertBlob.run({ hash, size, type, user, now });
      this.s.insertOwner.run(hash, user, now);
      this.s.grantAuthor.run(hash, user);
    })();
  }

  /**
   * Sets the hashes one stored message references (its `files`; none once deleted). A new
   * reference grants access only if its author may read the hash now. Run inside the
   * transaction that stores the update (Store.onCommit).
   */
  setMessageRefs(
    room: string,
    conv: string,
    messageId: string,
    author: string,
    hashes: readonly string[],
    now = Date.now(),
  ): void {
    const before = new Set(this.s.refsOf.all(room, messageId).map((r) => r.hash));
    const after = new Set(hashes);
    for (const hash of before) {
      if (after.has(hash)) continue;
      this.s.deleteRef.run(hash, room, messageId);
      this.s.maybeOrphan.run({ hash, now });
    }
    for (const hash of after) {
      if (before.has(hash)) continue;
      const grants = this.mayRead(author, hash) ? 1 : 0;
      this.s.insertRef.run(hash, room, messageId, conv, author, grants, now);
      this.s.referenced.run(hash);
    }
  }

  /** Blobs no reference has named since before `before` (GC). */
  orphans(before: number): string[] {
    return this.s.orphans.all(before).map((r) => r.hash);
  }

  deleteBlob(hash: string): void {
    this.s.deleteBlob.run(hash);
  }
}
