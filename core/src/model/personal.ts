// A person's own document `self/<userId>` (schema 3; docs/messaging.md, "Personal state"):
// saved messages, conversations marked unread, reminders. Only its owner opens, reads and
// writes it (the relay says so); every entry is one the owner created, so the whole document
// has one owner and merges between their devices like any other.
//
// Roots (all maps, keys bounded, values plain objects with `v: 3`):
// - `saved`: `<convId>|<messageId>` -> { v, at }: saved at `at`.
// - `unread`: `<convId>` -> { v, at, from, n }: marked unread at `at`, from message `from`
//   (null: the conversation as a whole), `n` messages from there on when marked.
// - `reminders`: `<convId>|<messageId>` -> { v, at, due, done? }: set at `at`, fires at
//   `due`; `done` is when it was marked done. Cancelling removes the entry.
import * as Y from 'yjs';
import { isHlc } from '../hlc';
import { isId } from '../ids';
import { check, show } from './errors';
import { checkMessageId, checkTime } from './checks';

/** The schema version of every entry here (the first that has this document). */
export const PERSONAL_VERSION = 3;

/** Most entries one root may hold: the relay refuses an update that would go past it. */
export const MAX_PERSONAL_ENTRIES: Readonly<Record<PersonalRoot, number>> = {
  saved: 2000,
  unread: 1000,
  reminders: 500,
};

/** Latest a reminder may be due: a year (and a day) after the checking clock. */
export const MAX_REMIND_AHEAD_MS = 366 * 24 * 60 * 60 * 1000;

/** Largest JSON of one entry (they hold a few numbers and ids). */
export const MAX_PERSONAL_JSON = 256;

/** Most messages counted in an `unread` mark. */
export const MAX_UNREAD_COUNT = 10_000;

export type PersonalRoot = 'saved' | 'unread' | 'reminders';
export const PERSONAL_ROOTS: readonly PersonalRoot[] = ['saved', 'unread', 'reminders'];

export interface MessageRef {
  convId: string;
  messageId: string;
}

export interface SavedEntry extends MessageRef {
  at: number;
}

export interface UnreadMark {
  convId: string;
  /** The first message unread, or null: the conversation as a whole. */
  from: string | null;
  /** Messages from `from` on when it was marked (at least 1). */
  n: number;
  at: number;
}

export interface Reminder extends MessageRef {
  at: number;
  due: number;
  /** When it was marked done; null while pending. */
  done: number | null;
}

export function refKey(ref: MessageRef): string {
  return `${ref.convId}|${ref.messageId}`;
}

/** The parts of a `<convId>|<messageId>` key, or null. */
export function parseRefKey(key: string): MessageRef | null {
  const bar = key.indexOf('|');
  if (bar < 0) return null;
  const convId = key.slice(0, bar);
  const messageId = key.slice(bar + 1);
  return isId(convId) && isHlc(messageId) ? { convId, messageId } : null;
}

const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;

function plain(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (value instanceof Y.AbstractType || value instanceof Uint8Array) return null;
  return value as Record<string, unknown>;
}

const FIELDS: Record<PersonalRoot, readonly string[]> = {
  saved: ['v', 'at'],
  unread: ['v', 'at', 'from', 'n'],
  reminders: ['v', 'at', 'due', 'done'],
};

/** Why a key of `root` is refused, or null. */
export function personalKeyProblem(root: PersonalRoot, key: string): string | null {
  if (root === 'unread') return isId(key) ? null : 'key must be a conversation id';
  return parseRefKey(key) ? null : 'key must be <convId>|<messageId>';
}

/** Why a value of `root` is refused, or null (times are bounded apart, with the clock). */
export function personalValueProblem(root: PersonalRoot, value: unknown): string | null {
  const e = plain(value);
  if (!e) return `a ${root} entry must be an object`;
  if (!Number.isSafeInteger(e.v) || (e.v as number) < PERSONAL_VERSION) {
    return `v must be an integer >= ${PERSONAL_VERSION}`;
  }
  if (!isTime(e.at)) return 'at must be a time';
  // A newer Ferry wrote it: kept, judged by what every version shares (and its size).
  if ((e.v as number) > PERSONAL_VERSION) return null;
  for (const field of Object.keys(e)) {
    if (!FIELDS[root].includes(field)) return `unknown field ${field.slice(0, 40)} in ${root}`;
  }
  if (root === 'unread') {
    if (e.from !== null && !isHlc(e.from)) return 'from must be a message id or null';
    if (!Number.isSafeInteger(e.n) || (e.n as number) < 1 || (e.n as number) > MAX_UNREAD_COUNT) {
      return `n must be an integer from 1 to ${MAX_UNREAD_COUNT}`;
    }
  }
  if (root === 'reminders') {
    if (!isTime(e.due)) return 'due must be a time';
    if (e.done !== undefined && !isTime(e.done)) return 'done must be a time when present';
  }
  return null;
}

/**
 * The times an entry holds that must not be ahead of the checking clock (`at`, `done`), and
 * a reminder's `due`, which may be ahead but at most `MAX_REMIND_AHEAD_MS`.
 */
export function personalTimes(
  root: string,
  value: unknown,
): { past: Array<{ what: string; at: number }>; due: number | null } {
  const e = plain(value);
  const past: Array<{ what: string; at: number }> = [];
  if (!e) return { past, due: null };
  if (isTime(e.at)) past.push({ what: `${root}.at`, at: e.at });
  if (isTime(e.done)) past.push({ what: `${root}.done`, at: e.done });
  return { past, due: root === 'reminders' && isTime(e.due) ? e.due : null };
}

// ---- writers (the owner's device) ----

function rootOf(doc: Y.Doc, root: PersonalRoot): Y.Map<unknown> {
  return doc.getMap<unknown>(root);
}

function checkRef(ref: MessageRef, fn: string): void {
  check(typeof ref === 'object' && ref !== null, `${fn}: expected { convId, messageId }`);
  check(isId(ref.convId), `${fn}: convId must be a 16-character id, got ${show(ref.convId)}`);
  checkMessageId(ref.messageId, 'messageId', fn);
}

function room(doc: Y.Doc, root: PersonalRoot, key: string, fn: string): void {
  const map = rootOf(doc, root);
  check(
    map.has(key) || map.size < MAX_PERSONAL_ENTRIES[root],
    `${fn}: at most ${MAX_PERSONAL_ENTRIES[root]} ${root} entries`,
  );
}

/** Saves a message (idempotent: saving again keeps the first time). */
export function saveMessage(doc: Y.Doc, ref: MessageRef, at: number): void {
  checkRef(ref, 'saveMessage');
  checkTime(at, 'at', 'saveMessage');
  const key = refKey(ref);
  const map = rootOf(doc, 'saved');
  if (map.has(key)) return;
  room(doc, 'saved', key, 'saveMessage');
  doc.transact(() => map.set(key, { v: PERSONAL_VERSION, at }));
}

export function unsaveMessage(doc: Y.Doc, ref: MessageRef): boolean {
  checkRef(ref, 'unsaveMessage');
  const map = rootOf(doc, 'saved');
  const key = refKey(ref);
  if (!map.has(key)) return false;
  doc.transact(() => map.delete(key));
  return true;
}

/** Marks a conversation unread from `from` (null: as a whole), `n` messages from there on. */
export function markUnread(
  doc: Y.Doc,
  input: { convId: string; from: string | null; n: number; at: number },
): void {
  const fn = 'markUnread';
  check(isId(input.convId), `${fn}: convId must be a 16-character id, got ${show(input.convId)}`);
  if (input.from !== null) checkMessageId(input.from, 'from', fn);
  checkTime(input.at, 'at', fn);
  const n = Math.min(MAX_UNREAD_COUNT, Math.max(1, Math.floor(input.n)));
  room(doc, 'unread', input.convId, fn);
  doc.transact(() =>
    rootOf(doc, 'unread').set(input.convId, {
      v: PERSONAL_VERSION,
      at: input.at,
      from: input.from,
      n,
    }),
  );
}

/** Clears a conversation's unread mark (read again). Returns whether there was one. */
export function clearUnread(doc: Y.Doc, convId: string): boolean {
  const map = rootOf(doc, 'unread');
  if (!map.has(convId)) return false;
  doc.transact(() => map.delete(convId));
  return true;
}

/** Sets (or moves) the reminder on a message. */
export function setReminder(doc: Y.Doc, ref: MessageRef, input: { at: number; due: number }): void {
  const fn = 'setReminder';
  checkRef(ref, fn);
  checkTime(input.at, 'at', fn);
  checkTime(input.due, 'due', fn);
  check(input.due <= input.at + MAX_REMIND_AHEAD_MS, `${fn}: a reminder is due within a year`);
  const key = refKey(ref);
  room(doc, 'reminders', key, fn);
  doc.transact(() =>
    rootOf(doc, 'reminders').set(key, { v: PERSONAL_VERSION, at: input.at, due: input.due }),
  );
}

/** Marks a reminder done (kept in the list as done until removed). */
export function finishReminder(doc: Y.Doc, ref: MessageRef, at: number): boolean {
  checkRef(ref, 'finishReminder');
  checkTime(at, 'at', 'finishReminder');
  const map = rootOf(doc, 'reminders');
  const key = refKey(ref);
  const r = readReminder(key, map.get(key));
  if (!r || r.done !== null) return false;
  doc.transact(() => map.set(key, { v: PERSONAL_VERSION, at: r.at, due: r.due, done: at }));
  return true;
}

/** Cancels (removes) a reminder. */
export function cancelReminder(doc: Y.Doc, ref: MessageRef): boolean {
  checkRef(ref, 'cancelReminder');
  const map = rootOf(doc, 'reminders');
  const key = refKey(ref);
  if (!map.has(key)) return false;
  doc.transact(() => map.delete(key));
  return true;
}

// ---- readers (malformed entries, e.g. from a newer Ferry's fields, are skipped) ----

function readReminder(key: string, value: unknown): Reminder | null {
  const ref = parseRefKey(key);
  const e = plain(value);
  if (!ref || !e || !isTime(e.at) || !isTime(e.due)) return null;
  return { ...ref, at: e.at, due: e.due, done: isTime(e.done) ? e.done : null };
}

/** Saved messages, the most recently saved first. */
export function listSaved(doc: Y.Doc): SavedEntry[] {
  const out: SavedEntry[] = [];
  rootOf(doc, 'saved').forEach((value, key) => {
    const ref = parseRefKey(key);
    const e = plain(value);
    if (ref && e && isTime(e.at)) out.push({ ...ref, at: e.at });
  });
  return out.sort((a, b) => b.at - a.at || (a.messageId < b.messageId ? 1 : -1));
}

/** Conversations marked unread, by conversation id. */
export function listUnread(doc: Y.Doc): Map<string, UnreadMark> {
  const out = new Map<string, UnreadMark>();
  rootOf(doc, 'unread').forEach((value, convId) => {
    const e = plain(value);
    if (!isId(convId) || !e || !isTime(e.at)) return;
    const from = isHlc(e.from) ? e.from : null;
    const n = Number.isSafeInteger(e.n) && (e.n as number) >= 1 ? (e.n as number) : 1;
    out.set(convId, { convId, from, n, at: e.at });
  });
  return out;
}

/** Reminders: pending ones first, soonest due first; then done ones, latest done first. */
export function listReminders(doc: Y.Doc): Reminder[] {
  const out: Reminder[] = [];
  rootOf(doc, 'reminders').forEach((value, key) => {
    const r = readReminder(key, value);
    if (r) out.push(r);
  });
  return out.sort((a, b) => {
    if ((a.done === null) !== (b.done === null)) return a.done === null ? -1 : 1;
    if (a.done !== null && b.done !== null) return b.done - a.done;
    return a.due - b.due;
  });
}
