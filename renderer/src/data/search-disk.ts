// What the search's start-up pass knows without decoding a page (issue 16): for each page room,
// the stored rows it last read from disk (their keys, as a fingerprint) and the mark the page had
// then. Rows are append-only and a key is never reused (a compaction writes a new row and deletes
// the old ones), so the same keys mean the same bytes: when a room's keys and the index's mark
// are both what they were, the index already holds that page and nothing is read or decoded.
// Before this, every start read, inflated and decoded every page on the device (120,000 messages
// in the client bench) on the main thread, while the person was opening their first conversation.
// Kept in the store's `meta` under `search:disk`: this device's, never synced, versioned, read
// defensively (anything malformed is ignored and the pages are read as before).
import { isRecord } from './records';
import type { LocalStore } from './store';

export const SEARCH_DISK_KEY = 'search:disk';
export const SEARCH_DISK_VERSION = 1;

export interface DiskMark {
  /** Fingerprint of the stored rows' keys (rowsFingerprint). */
  rows: string;
  /** The page's mark (stateMark) decoded from exactly those rows. */
  mark: string;
}

/**
 * A fingerprint of a room's stored row keys: two 32-bit FNV-1a hashes (different offsets) of the
 * keys in order, 16 hex digits. Fixed length, so rewriting the record for the same rooms never
 * changes its size; two different key lists agreeing on both hashes is not a risk worth more.
 */
export function rowsFingerprint(seqs: readonly number[]): string {
  const sorted = [...seqs].sort((a, b) => a - b);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ sorted.length;
  const mix = (code: number) => {
    h1 = Math.imul(h1 ^ code, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ code, 0x01000193) >>> 0;
    h2 = ((h2 << 13) | (h2 >>> 19)) >>> 0;
  };
  for (const s of sorted) {
    const text = String(s);
    for (let i = 0; i < text.length; i++) mix(text.charCodeAt(i));
    mix(44); // ','
  }
  return h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0');
}

/** The stored marks; an empty map when none are stored or the record is not one we wrote. */
export async function readDiskMarks(store: LocalStore): Promise<Map<string, DiskMark>> {
  const out = new Map<string, DiskMark>();
  let v: unknown;
  try {
    v = await store.getMeta(SEARCH_DISK_KEY);
  } catch {
    return out;
  }
  if (!isRecord(v) || v.v !== SEARCH_DISK_VERSION || !isRecord(v.rooms)) return out;
  for (const [room, m] of Object.entries(v.rooms)) {
    if (isRecord(m) && typeof m.rows === 'string' && typeof m.mark === 'string') {
      out.set(room, { rows: m.rows, mark: m.mark });
    }
  }
  return out;
}

/** Stores the marks of the rooms still on disk (a forgotten room's entry goes with it). */
export function writeDiskMarks(store: LocalStore, marks: ReadonlyMap<string, DiskMark>): Promise<void> {
  const rooms: Record<string, DiskMark> = {};
  for (const [room, m] of marks) rooms[room] = m;
  return store.putMeta(SEARCH_DISK_KEY, { v: SEARCH_DISK_VERSION, rooms });
}
