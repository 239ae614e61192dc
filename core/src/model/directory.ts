// The directory document, room `inbox/<userId>` (docs/accounts.md, "The directory
// document"): what the relay tells one user about themself, their conversations, their
// members and activity, and the people they may see. Only the relay writes it (the schema
// refuses anyone else's changes as `relay-only`); clients read it, also offline.
//
// Roots, all `Y.Map` of plain JSON values, each entry rewritten whole when it changes:
// - `me`: `profile` → DirectoryProfile
// - `conversations`: convId → DirectoryConversation (`v: 1`)
// - `members`: convId → DirectoryMember[] sorted by id
// - `activity`: convId → DirectoryActivity
// - `people`: userId → DirectoryPerson (`status` and `avatar` in a guest's directory only:
//   guests do not open the workspace, docs/accounts.md "Guests and the workspace")
import * as Y from 'yjs';
import { isId } from '../ids';
import { isHlc } from '../hlc';
import {
  CONVERSATION_KINDS,
  CONVERSATION_ROLES,
  VISIBILITIES,
  WORKSPACE_ROLES,
  type ConversationKind,
  type ConversationRole,
  type Visibility,
  type WorkspaceRole,
} from '../authz/permissions';
import { MAX_LABEL_CHARS, MAX_MESSAGE_CHARS, isWellFormed } from './checks';
import { ModelError, show } from './errors';
import { avatarProblem, statusProblem } from './workspace';
import { descriptionProblem, topicProblem } from './events';

/** Version of the directory's conversation entries. */
export const DIRECTORY_VERSION = 1;
/** The one key of the `me` root. */
export const PROFILE_KEY = 'profile';
/** Roots of an inbox document. */
export const DIRECTORY_ROOTS = ['me', 'conversations', 'members', 'activity', 'people'] as const;
export type DirectoryRoot = (typeof DIRECTORY_ROOTS)[number];

/** `^[a-z0-9][a-z0-9._-]{0,31}$`: lower case, as stored (login is case-insensitive). */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
/** Longest display name. */
export const MAX_DISPLAY_NAME_CHARS = 64;

export interface DirectoryProfile {
  id: string;
  username: string;
  displayName: string;
  role: WorkspaceRole;
}

export interface DirectoryConversation {
  v: number;
  kind: ConversationKind;
  visibility: Visibility;
  /** Null for a DM (the app names it after the other member). */
  title: string | null;
  archived: boolean;
  /** The user's own role in it. */
  role: ConversationRole;
  /** Null for a conversation imported from before accounts whose creator is unknown. */
  createdBy: string | null;
  createdAt: number;
  /**
   * Schema 3 (docs/messaging.md, "Topic, description and system lines"): absent when empty.
   * Optional keys: an older reader ignores them, an older relay writes neither.
   */
  topic?: string;
  description?: string;
}

export interface DirectoryMember {
  id: string;
  role: ConversationRole;
}

export interface DirectoryPreview {
  /** The message id (clock id). */
  id: string;
  author: string;
  text: string;
}

export interface DirectoryActivity {
  /** When the newest stored change happened (ms). */
  at: number;
  preview: DirectoryPreview | null;
  /** Each room's version: `meta` for the meta document, `p<period>` for pages. */
  versions: Record<string, number>;
}

export interface DirectoryPerson {
  username: string;
  displayName: string;
  /**
   * Their status and picture from the workspace, as the relay copies them into a guest's
   * directory (the workspace's rules: `statusProblem`, `avatarProblem`). Optional keys: an
   * older reader ignores them, an older relay writes neither.
   */
  status?: string;
  avatar?: string;
}

/** Everything a client reads from its inbox; malformed entries are left out. */
export interface Directory {
  me: DirectoryProfile | null;
  conversations: Map<string, DirectoryConversation>;
  members: Map<string, DirectoryMember[]>;
  activity: Map<string, DirectoryActivity>;
  people: Map<string, DirectoryPerson>;
}

// --- shape checks: each returns the value in canonical form (fixed key order) or a reason ---

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const fail = <T>(reason: string): Parsed<T> => ({ ok: false, reason });
const good = <T>(value: T): Parsed<T> => ({ ok: true, value });

function record(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (value instanceof Y.AbstractType || value instanceof Uint8Array) return null;
  return value as Record<string, unknown>;
}

const isTime = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const oneOf = <T extends string>(list: readonly T[], x: unknown): x is T =>
  typeof x === 'string' && (list as readonly string[]).includes(x);
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

function isLabel(x: unknown, max: number): x is string {
  return (
    typeof x === 'string' &&
    x.trim().length > 0 &&
    x.length <= max &&
    !CONTROL.test(x) &&
    isWellFormed(x)
  );
}

export function parseProfile(value: unknown): Parsed<DirectoryProfile> {
  const e = record(value);
  if (!e) return fail('a profile is an object');
  if (!isId(e.id)) return fail('profile.id must be a user id');
  if (typeof e.username !== 'string' || !USERNAME_PATTERN.test(e.username)) {
    return fail('profile.username must match ' + String(USERNAME_PATTERN));
  }
  if (!isLabel(e.displayName, MAX_DISPLAY_NAME_CHARS)) {
    return fail(`profile.displayName must be 1-${MAX_DISPLAY_NAME_CHARS} characters, one line`);
  }
  if (!oneOf(WORKSPACE_ROLES, e.role)) return fail('profile.role must be a workspace role');
  return good({ id: e.id, username: e.username, displayName: e.displayName, role: e.role });
}

export function parseConversation(value: unknown): Parsed<DirectoryConversation> {
  const e = record(value);
  if (!e) return fail('a conversation entry is an object');
  if (!Number.isSafeInteger(e.v) || (e.v as number) < 1) return fail('v must be an integer >= 1');
  if (!oneOf(CONVERSATION_KINDS, e.kind)) return fail('kind must be dm, channel or announcement');
  if (!oneOf(VISIBILITIES, e.visibility)) return fail('visibility must be open or private');
  if (e.title !== null && !isLabel(e.title, MAX_LABEL_CHARS)) {
    return fail(`title must be null or 1-${MAX_LABEL_CHARS} characters, one line`);
  }
  if (typeof e.archived !== 'boolean') return fail('archived must be a boolean');
  if (!oneOf(CONVERSATION_ROLES, e.role)) return fail('role must be a conversation role');
  if (e.createdBy !== null && !isId(e.createdBy))
    return fail('createdBy must be a user id or null');
  if (!isTime(e.createdAt)) return fail('createdAt must be a time');
  const out: DirectoryConversation = {
    v: e.v as number,
    kind: e.kind,
    visibility: e.visibility,
    title: e.title as string | null,
    archived: e.archived,
    role: e.role,
    createdBy: e.createdBy as string | null,
    createdAt: e.createdAt,
  };
  if (e.topic !== undefined) {
    const p = topicProblem(e.topic);
    if (p) return fail(p);
    if (e.topic !== '') out.topic = e.topic as string;
  }
  if (e.description !== undefined) {
    const p = descriptionProblem(e.description);
    if (p) return fail(p);
    if (e.description !== '') out.description = e.description as string;
  }
  return good(out);
}

export function parseMembers(value: unknown): Parsed<DirectoryMember[]> {
  if (!Array.isArray(value)) return fail('members is an array');
  const out: DirectoryMember[] = [];
  for (const m of value as unknown[]) {
    const e = record(m);
    if (!e || !isId(e.id) || !oneOf(CONVERSATION_ROLES, e.role)) {
      return fail('each member is { id: user id, role }');
    }
    if (out.length > 0 && (out[out.length - 1] as DirectoryMember).id >= e.id) {
      return fail('members must be sorted by id, each once');
    }
    out.push({ id: e.id, role: e.role });
  }
  return good(out);
}

const VERSION_KEY = /^(meta|p(0|[1-9][0-9]{0,14}))$/;

export function parseActivity(value: unknown): Parsed<DirectoryActivity> {
  const e = record(value);
  if (!e) return fail('an activity entry is an object');
  if (!isTime(e.at)) return fail('at must be a time');
  let preview: DirectoryPreview | null = null;
  if (e.preview !== null) {
    const p = record(e.preview);
    if (!p || !isHlc(p.id) || !isId(p.author) || typeof p.text !== 'string') {
      return fail('preview must be null or { id: clock id, author: user id, text }');
    }
    if (p.text.length > MAX_MESSAGE_CHARS || !isWellFormed(p.text)) {
      return fail('preview.text is too long or broken');
    }
    preview = { id: p.id, author: p.author, text: p.text };
  }
  const v = record(e.versions);
  if (!v) return fail('versions must be an object');
  const versions: Record<string, number> = {};
  for (const [k, n] of Object.entries(v)) {
    if (!VERSION_KEY.test(k) || !isCount(n)) {
      return fail('versions maps meta or p<period> to a count');
    }
    versions[k] = n;
  }
  return good({ at: e.at, preview, versions });
}

export function parsePerson(value: unknown): Parsed<DirectoryPerson> {
  const e = record(value);
  if (!e) return fail('a person is an object');
  if (typeof e.username !== 'string' || !USERNAME_PATTERN.test(e.username)) {
    return fail('username must match ' + String(USERNAME_PATTERN));
  }
  if (!isLabel(e.displayName, MAX_DISPLAY_NAME_CHARS)) {
    return fail(`displayName must be 1-${MAX_DISPLAY_NAME_CHARS} characters, one line`);
  }
  const out: DirectoryPerson = { username: e.username, displayName: e.displayName };
  if (e.status !== undefined) {
    const p = statusProblem(e.status);
    if (p) return fail(p);
    out.status = e.status as string;
  }
  if (e.avatar !== undefined) {
    const p = avatarProblem(e.avatar);
    if (p) return fail(p);
    out.avatar = e.avatar as string;
  }
  return good(out);
}

/**
 * A reader's person: a malformed status or avatar (never written by an honest relay) costs
 * only that field, not the person's name.
 */
function readPerson(value: unknown): Parsed<DirectoryPerson> {
  const full = parsePerson(value);
  if (full.ok) return full;
  const e = record(value);
  if (!e) return full;
  const bare = parsePerson({ username: e.username, displayName: e.displayName });
  if (!bare.ok) return bare;
  const out = bare.value;
  if (e.status !== undefined && statusProblem(e.status) === null) out.status = e.status as string;
  if (e.avatar !== undefined && avatarProblem(e.avatar) === null) out.avatar = e.avatar as string;
  return good(out);
}

/** Key and value checks per root, for the schema (model/schema.ts) and the writers. */
export const DIRECTORY_SHAPES: Record<
  DirectoryRoot,
  { key: (key: string) => boolean; keyShape: string; parse: (value: unknown) => Parsed<unknown> }
> = {
  me: { key: (k) => k === PROFILE_KEY, keyShape: PROFILE_KEY, parse: parseProfile },
  conversations: { key: isId, keyShape: '<convId>', parse: parseConversation },
  members: { key: isId, keyShape: '<convId>', parse: parseMembers },
  activity: { key: isId, keyShape: '<convId>', parse: parseActivity },
  people: { key: isId, keyShape: '<userId>', parse: parsePerson },
};

// --- writers (the relay) ---

function canonical<T>(parsed: Parsed<T>, fn: string): T {
  if (!parsed.ok) throw new ModelError('invalid', `${fn}: ${parsed.reason}`);
  return parsed.value;
}

function checkKey(ok: boolean, fn: string, what: string, key: unknown): void {
  if (!ok)
    throw new ModelError('invalid', `${fn}: ${what} must be a 16-character id, got ${show(key)}`);
}

/** Sets `key` unless it already holds the same JSON; true if it wrote. */
function put(doc: Y.Doc, root: DirectoryRoot, key: string, value: unknown): boolean {
  const map = doc.getMap<unknown>(root);
  const before = map.get(key);
  if (before !== undefined && !(before instanceof Y.AbstractType)) {
    if (JSON.stringify(before) === JSON.stringify(value)) return false;
  }
  doc.transact(() => map.set(key, value));
  return true;
}

/**
 * The user's own profile. Like every writer here: validates first (throws `ModelError`
 * `invalid`, writing nothing), writes only when the stored JSON differs, and returns whether
 * it wrote.
 */
export function writeMe(doc: Y.Doc, profile: DirectoryProfile): boolean {
  return put(doc, 'me', PROFILE_KEY, canonical(parseProfile(profile), 'writeMe'));
}

/** A conversation the user is in; `v` defaults to DIRECTORY_VERSION. */
export function writeDirectoryEntry(
  doc: Y.Doc,
  convId: string,
  entry: Omit<DirectoryConversation, 'v'> & { v?: number },
): boolean {
  const fn = 'writeDirectoryEntry';
  checkKey(isId(convId), fn, 'convId', convId);
  const value = canonical(
    parseConversation({ ...(record(entry) ?? {}), v: entry?.v ?? DIRECTORY_VERSION }),
    fn,
  );
  return put(doc, 'conversations', convId, value);
}

/** A conversation's members, in any order: stored sorted by id. Duplicate ids are refused. */
export function writeMembers(doc: Y.Doc, convId: string, members: DirectoryMember[]): boolean {
  const fn = 'writeMembers';
  checkKey(isId(convId), fn, 'convId', convId);
  if (!Array.isArray(members)) throw new ModelError('invalid', `${fn}: members must be an array`);
  const sorted = [...members].sort((a, b) =>
    String(a?.id) < String(b?.id) ? -1 : String(a?.id) > String(b?.id) ? 1 : 0,
  );
  return put(doc, 'members', convId, canonical(parseMembers(sorted), fn));
}

export function writeActivity(doc: Y.Doc, convId: string, activity: DirectoryActivity): boolean {
  const fn = 'writeActivity';
  checkKey(isId(convId), fn, 'convId', convId);
  return put(doc, 'activity', convId, canonical(parseActivity(activity), fn));
}

/** A person I share a conversation with; `status` and `avatar` only in a guest's directory. */
export function writePerson(doc: Y.Doc, userId: string, person: DirectoryPerson): boolean {
  const fn = 'writePerson';
  checkKey(isId(userId), fn, 'userId', userId);
  return put(doc, 'people', userId, canonical(parsePerson(person), fn));
}

/** The user left or was removed: deletes the conversation's keys; true if any existed. */
export function removeDirectoryEntry(doc: Y.Doc, convId: string): boolean {
  let removed = false;
  doc.transact(() => {
    for (const root of ['conversations', 'members', 'activity'] as const) {
      const map = doc.getMap<unknown>(root);
      if (map.has(convId)) {
        map.delete(convId);
        removed = true;
      }
    }
  });
  return removed;
}

/** The user no longer shares a conversation with this person; true if they were listed. */
export function removePerson(doc: Y.Doc, userId: string): boolean {
  const map = doc.getMap<unknown>('people');
  if (!map.has(userId)) return false;
  doc.transact(() => map.delete(userId));
  return true;
}

// --- readers (the client): typed, skipping what is malformed, never throwing ---

function readRoot<T>(
  doc: Y.Doc,
  root: DirectoryRoot,
  parse: (value: unknown) => Parsed<T>,
): Map<string, T> {
  const out = new Map<string, T>();
  if (!doc.share.has(root)) return out;
  let map: Y.Map<unknown>;
  try {
    map = doc.getMap<unknown>(root);
  } catch {
    return out; // the root exists as another type: nothing readable
  }
  const key = DIRECTORY_SHAPES[root].key;
  map.forEach((value, k) => {
    if (!key(k)) return;
    try {
      const p = parse(value);
      if (p.ok) out.set(k, p.value);
    } catch {
      // junk a reader cannot even inspect (e.g. a getter that throws): skipped
    }
  });
  return out;
}

/** The whole directory, as far as it is well-formed. */
export function readDirectory(doc: Y.Doc): Directory {
  return {
    me: readRoot(doc, 'me', parseProfile).get(PROFILE_KEY) ?? null,
    conversations: readRoot(doc, 'conversations', parseConversation),
    members: readRoot(doc, 'members', parseMembers),
    activity: readRoot(doc, 'activity', parseActivity),
    people: readRoot(doc, 'people', readPerson),
  };
}
