// The workspace document: the conversation catalogue and people's profiles, until accounts
// and the relay-written directory document take these over (issue 4).
//
// Roots:
// - `conversations`: convId -> { v, title, createdBy, createdAt }, written by the creator.
// - `people`: userId -> { name, updatedAt, status?, avatar? }, written by that user only
//   (docs/messaging.md, "Profiles"; status and avatar since schema 2).
import type * as Y from 'yjs';
import { isId } from '../ids';
import { BASE_VERSION, SCHEMA_VERSION } from '../version';
import { ModelError, check, show } from './errors';
import { checkLabel, checkTime, checkUser, isWellFormed } from './checks';

export interface CatalogueEntry {
  v: number;
  title: string;
  createdBy: string;
  createdAt: number;
}

export interface Conversation extends CatalogueEntry {
  id: string;
  readOnly: boolean;
}

export interface Profile {
  user: string;
  name: string;
  updatedAt: number;
  /** One line, at most MAX_STATUS_CHARS; absent when cleared. */
  status?: string;
  /** A `data:image/(png|jpeg|webp);base64,` URL of at most MAX_AVATAR_CHARS; absent when none. */
  avatar?: string;
}

/** What a `people` entry stores. */
export interface ProfileEntry {
  name: string;
  updatedAt: number;
  status?: string;
  avatar?: string;
}

/**
 * Why a guest cannot set a status or picture (docs/accounts.md, "Guests and the workspace"):
 * both live in the workspace document, which the relay does not open to guests.
 */
export const GUEST_PROFILE_REASON =
  'Guests cannot set a status or picture: profiles are shared through the workspace, which only members open.';

/** The relay's reason when it refuses a guest the workspace room (4403). */
export const GUEST_WORKSPACE_REFUSAL = 'guests do not open the workspace';

/** Longest status text, in UTF-16 code units. */
export const MAX_STATUS_CHARS = 100;
/** Longest avatar data URL (the app scales pictures to 128×128 first). */
export const MAX_AVATAR_CHARS = 48_000;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const STATUS_FORBIDDEN = /[\u0000-\u001f\u007f\u2028\u2029]/;
const AVATAR = /^data:image\/(?:png|jpeg|webp);base64,([A-Za-z0-9+/]*={0,2})$/;

/** Null if `status` may be stored, else why not (one line, 1..100 characters, well-formed). */
export function statusProblem(status: unknown): string | null {
  if (typeof status !== 'string') return `status must be a string, got ${show(status)}`;
  if (status.trim().length === 0) return 'status is empty (clear it instead)';
  if (status.length > MAX_STATUS_CHARS) {
    return `status is ${status.length} characters, the limit is ${MAX_STATUS_CHARS}`;
  }
  if (STATUS_FORBIDDEN.test(status)) return 'status must be one line without control characters';
  if (!isWellFormed(status)) return 'status contains a broken character (lone UTF-16 surrogate)';
  return null;
}

/**
 * Null if `avatar` may be stored, else why not: only an inline PNG, JPEG or WebP picture in
 * base64, never a remote URL (it would tell its owner who looks at the profile, and when).
 */
export function avatarProblem(avatar: unknown): string | null {
  if (typeof avatar !== 'string') return `avatar must be a string, got ${show(avatar)}`;
  if (avatar.length > MAX_AVATAR_CHARS) {
    return `avatar is ${avatar.length} characters, the limit is ${MAX_AVATAR_CHARS} (scale it down)`;
  }
  const m = AVATAR.exec(avatar);
  if (!m) {
    return `avatar must be a data:image/png, image/jpeg or image/webp base64 URL, got ${show(avatar.slice(0, 40))}`;
  }
  const body = m[1] ?? '';
  if (body.length === 0 || body.length % 4 !== 0) return 'avatar is not valid base64';
  return null;
}

/** True for a status or avatar value that `statusProblem` / `avatarProblem` accept. */
export const isStatus = (s: unknown): s is string => statusProblem(s) === null;
export const isAvatar = (a: unknown): a is string => avatarProblem(a) === null;

export function conversationsOf(doc: Y.Doc): Y.Map<CatalogueEntry> {
  return doc.getMap<CatalogueEntry>('conversations');
}

export function peopleOf(doc: Y.Doc): Y.Map<ProfileEntry> {
  return doc.getMap<ProfileEntry>('people');
}

export function readCatalogueEntry(id: string, value: unknown): Conversation | null {
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (typeof e.title !== 'string' || typeof e.createdBy !== 'string') return null;
  const v = typeof e.v === 'number' && Number.isInteger(e.v) && e.v >= 1 ? e.v : 1;
  return {
    id,
    v,
    title: e.title,
    createdBy: e.createdBy,
    createdAt: typeof e.createdAt === 'number' ? e.createdAt : 0,
    readOnly: v > SCHEMA_VERSION,
  };
}

/** Adds a conversation (minted offline with `newId`) to the catalogue. Once per id. */
export function registerConversation(
  doc: Y.Doc,
  input: { id: string; title: string; createdBy: string; createdAt: number },
): Conversation {
  const fn = 'registerConversation';
  check(typeof input === 'object' && input !== null, `${fn}: expected a conversation`);
  check(isId(input.id), `${fn}: id must be a 16-character id, got ${show(input.id)}`);
  checkLabel(input.title, 'title', fn);
  checkUser(input.createdBy, 'createdBy', fn);
  checkTime(input.createdAt, 'createdAt', fn);
  const conversations = conversationsOf(doc);
  if (conversations.has(input.id)) {
    throw new ModelError('exists', `${fn}: conversation ${input.id} is already registered`);
  }
  // The lowest version whose shape fits (docs/messaging.md): the catalogue entry is unchanged
  // since version 1, so an app of that version does not take it for a newer one's.
  const entry: CatalogueEntry = {
    v: BASE_VERSION,
    title: input.title,
    createdBy: input.createdBy,
    createdAt: input.createdAt,
  };
  doc.transact(() => conversations.set(input.id, entry));
  return readCatalogueEntry(input.id, entry) as Conversation;
}

/** The catalogue, newest first (then by id, so every replica lists the same order). */
export function listConversations(doc: Y.Doc): Conversation[] {
  const out: Conversation[] = [];
  conversationsOf(doc).forEach((value, id) => {
    const c = readCatalogueEntry(id, value);
    if (c) out.push(c);
  });
  return out.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Sets the user's own profile. `name` is always given; `status` and `avatar` are kept when not
 * given (undefined) and cleared with null. A status is trimmed; a blank one clears it. Writes
 * nothing when nothing changes. Throws ModelError('invalid') before writing on bad input.
 */
export function setProfile(
  doc: Y.Doc,
  input: { user: string; name: string; at: number; status?: string | null; avatar?: string | null },
): Profile {
  const fn = 'setProfile';
  check(typeof input === 'object' && input !== null, `${fn}: expected a profile`);
  checkUser(input.user, 'user', fn);
  checkLabel(input.name, 'name', fn);
  checkTime(input.at, 'at', fn);
  let status = input.status;
  if (typeof status === 'string') status = status.trim() || null;
  if (status !== undefined && status !== null) {
    const p = statusProblem(status);
    check(p === null, `${fn}: ${p ?? ''}`);
  }
  const avatar = input.avatar;
  if (avatar !== undefined && avatar !== null) {
    const p = avatarProblem(avatar);
    check(p === null, `${fn}: ${p ?? ''}`);
  }
  const people = peopleOf(doc);
  const prev = readProfile(input.user, people.get(input.user));
  const next: ProfileEntry = { name: input.name, updatedAt: input.at };
  const keptStatus = status === undefined ? prev?.status : (status ?? undefined);
  const keptAvatar = avatar === undefined ? prev?.avatar : (avatar ?? undefined);
  if (keptStatus !== undefined) next.status = keptStatus;
  if (keptAvatar !== undefined) next.avatar = keptAvatar;
  const same =
    prev !== null &&
    prev.name === next.name &&
    prev.status === next.status &&
    prev.avatar === next.avatar;
  if (same) return prev;
  doc.transact(() => people.set(input.user, next));
  return { user: input.user, ...next };
}

/** The name to keep when only status or avatar change: the stored one, else `fallback`. */
function nameFor(doc: Y.Doc, user: string, fallback: string | undefined, fn: string): string {
  const name = readProfile(user, peopleOf(doc).get(user))?.name ?? fallback;
  if (name === undefined) {
    throw new ModelError('not-found', `${fn}: ${user} has no profile yet; give a name`);
  }
  return name;
}

/** Sets (or with null or a blank text, clears) the user's status; keeps name and avatar. */
export function setStatus(
  doc: Y.Doc,
  input: { user: string; status: string | null; at: number; name?: string },
): Profile {
  checkUser(input.user, 'user', 'setStatus');
  check(
    input.status === null || typeof input.status === 'string',
    `setStatus: status must be a string or null, got ${show(input.status)}`,
  );
  const name = nameFor(doc, input.user, input.name, 'setStatus');
  return setProfile(doc, { user: input.user, name, at: input.at, status: input.status });
}

/** Sets (or with null clears) the user's avatar; keeps name and status. */
export function setAvatar(
  doc: Y.Doc,
  input: { user: string; avatar: string | null; at: number; name?: string },
): Profile {
  checkUser(input.user, 'user', 'setAvatar');
  check(
    input.avatar === null || typeof input.avatar === 'string',
    `setAvatar: avatar must be a data URL or null, got ${show(input.avatar)}`,
  );
  const name = nameFor(doc, input.user, input.name, 'setAvatar');
  return setProfile(doc, { user: input.user, name, at: input.at, avatar: input.avatar });
}

/**
 * Reads a stored entry. A status or avatar that breaks the rules (written past an older relay)
 * is left out, so nothing hostile reaches the screen from here.
 */
export function readProfile(user: string, value: unknown): Profile | null {
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (typeof e.name !== 'string') return null;
  const p: Profile = {
    user,
    name: e.name,
    updatedAt: typeof e.updatedAt === 'number' ? e.updatedAt : 0,
  };
  if (isStatus(e.status)) p.status = e.status;
  if (isAvatar(e.avatar)) p.avatar = e.avatar;
  return p;
}

/** Everyone's profile, by user id. */
export function listProfiles(doc: Y.Doc): Profile[] {
  const out: Profile[] = [];
  peopleOf(doc).forEach((value, user) => {
    const p = readProfile(user, value);
    if (p) out.push(p);
  });
  return out.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
}

/** One user's display name, or undefined if they have not set one (yet, on this replica). */
export function profileName(doc: Y.Doc, user: string): string | undefined {
  return readProfile(user, peopleOf(doc).get(user))?.name;
}
