// What the local store keeps (README.md, Persistence): the shapes of its rows and records, how a
// stored record is read back (anything malformed is dropped, never trusted), and its errors.
// Imports nothing.

export interface UpdateRow {
  doc: string;
  seq: number;
  data: Uint8Array;
  /** Set on compacted snapshots: `data` is deflate-raw compressed. */
  z?: 1;
  /**
   * Set on the rows of a snapshot cut in pieces (pieces.ts): a document whose rows are all
   * pieces needs no compaction at load. Older versions ignore it and apply the rows as any.
   */
  p?: 1;
}

/** What the store knows about one document beside its updates (meta key `doc:<room>`). */
export interface DocRecord {
  /** The relay's last state vector for this document (encoded), null if never heard. */
  remoteSV: Uint8Array | null;
  /** Ends `[clientID, clock]` of local updates the relay has not confirmed yet. */
  pending: Array<[number, number]>;
  /** For page documents: the meta document's author counts for this page when last synced. */
  counts?: Record<string, number>;
  /** The room's version (the directory's `activity.versions`) when this device last synced it. */
  version?: number;
  /**
   * The relay refused an update of this document (permission-denied): its state is not sent as
   * it is again; the document is rebuilt on a new clientID before it syncs (doc-host.ts, rebuild.ts).
   * A previous release stored it meaning "never sync again": such a room is rebuilt on open.
   */
  denied?: string;
  /** Rebuilds since the relay last confirmed all of this device's changes here (bounded). */
  rebuilds?: number;
  /**
   * The relay refused this device's re-sent changes again (archived, announcement, removed):
   * they are kept here, not delivered, never sent; the room only receives.
   */
  held?: string;
}

export interface SummaryRecord {
  id: string;
  title: string;
  /** Schema 3: the channel's topic and description from the directory (absent: none). */
  topic?: string;
  description?: string;
  createdAt: number;
  /** `authorId` lets the list show the author's current name once the workspace has loaded. */
  lastMessage: {
    text: string;
    authorName: string;
    at: number;
    authorId?: string;
    /** The message's id (absent in records of earlier releases). */
    id?: string;
    /** A reply: its thread's root (docs/messaging.md "Threads"). */
    threadRootId?: string;
    /** A reply by someone else in a thread I started or replied in (as seen on its page). */
    threadWithMe?: boolean;
  } | null;
  unread: number;
  /** Unread messages that mention me (absent in records of earlier releases: 0). */
  mentions?: number;
  /**
   * Counts per page (period -> counts) as last seen loaded on this device, kept from the newest
   * page back to the newest one holding my read marker: `unread` and `mentions` are their sums
   * (README.md, "The conversation list"). Absent in records of earlier releases.
   */
  pageCounts?: Record<string, PageCounts>;
  /** Last activity (ms), for ordering the list. */
  activity: number;
  /**
   * The meta document's page index (periods, newest first) when last seen: opening the
   * conversation loads the newest pages at once, before the (larger) meta document.
   */
  periods?: number[];
  // From the directory document (accounts); absent in records of the previous release.
  kind?: 'dm' | 'channel' | 'announcement';
  visibility?: 'open' | 'private';
  role?: 'owner' | 'moderator' | 'member';
  archived?: boolean;
  createdBy?: string;
  /** Members as the directory lists them, sorted by id. */
  members?: Array<{ id: string; role: 'owner' | 'moderator' | 'member' }>;
  /** For a DM: the other person. */
  dmWith?: string | null;
  /** false: created on this device and not yet registered with the relay. */
  registered?: boolean;
  /** The directory has listed it (so its absence later means I was removed). */
  listed?: boolean;
  removed?: boolean;
  undelivered?: number;
  /** Why registering or syncing it failed (shown on the conversation). */
  error?: string;
  /** Left from this device with nothing undelivered: not listed (its local copy is kept). */
  hidden?: boolean;
}

/** One page's share of a conversation's unread count (SummaryRecord.pageCounts). */
export interface PageCounts {
  unread: number;
  mentions: number;
  /** I have a read marker on this page. */
  marked: boolean;
}

/** A record of a document that cannot be read. The row is kept; the document reports it. */
export class CorruptRecordError extends Error {
  constructor(
    readonly doc: string,
    readonly seqs: number[],
    detail: string,
  ) {
    super(`Local copy of "${doc}" has ${seqs.length} unreadable record(s) (${detail}); they are kept and skipped.`);
    this.name = 'CorruptRecordError';
  }
}

export class StoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface LoadedRows {
  rows: UpdateRow[];
  bad: Array<{ seq: number; reason: string }>;
  record: DocRecord | null;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

export function asDocRecord(v: unknown): DocRecord | null {
  if (!isRecord(v)) return null;
  const sv = v.remoteSV;
  const pending = Array.isArray(v.pending)
    ? (v.pending as unknown[]).filter(
        (p): p is [number, number] =>
          Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number',
      )
    : [];
  const rec: DocRecord = { remoteSV: sv instanceof Uint8Array ? sv : null, pending };
  if (isRecord(v.counts)) rec.counts = v.counts as Record<string, number>;
  if (typeof v.version === 'number') rec.version = v.version;
  if (typeof v.denied === 'string') rec.denied = v.denied;
  if (typeof v.rebuilds === 'number' && Number.isSafeInteger(v.rebuilds) && v.rebuilds > 0) rec.rebuilds = v.rebuilds;
  if (typeof v.held === 'string') rec.held = v.held;
  return rec;
}
