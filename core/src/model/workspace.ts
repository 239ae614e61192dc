// The workspace document: the conversation catalogue and people's profiles, until accounts
// and the relay-written directory document take these over (issue 4).
//
// Roots:
// - `conversations`: convId -> { v, title, createdBy, createdAt }, written by the creator.
// - `people`: userId -> { name, updatedAt }, written by that user only.
import type * as Y from 'yjs';
import { isId } from '../ids';
import { SCHEMA_VERSION } from '../version';
import { ModelError, check, show } from './errors';
import { checkLabel, checkTime, checkUser } from './checks';

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
}

export function conversationsOf(doc: Y.Doc): Y.Map<CatalogueEntry> {
  return doc.getMap<CatalogueEntry>('conversations');
}

export function peopleOf(doc: Y.Doc): Y.Map<{ name: string; updatedAt: number }> {
  return doc.getMap<{ name: string; updatedAt: number }>('people');
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
  const entry: CatalogueEntry = {
    v: SCHEMA_VERSION,
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

/** Sets the user's own display name. */
export function setProfile(doc: Y.Doc, input: { user: string; name: string; at: number }): Profile {
  const fn = 'setProfile';
  check(typeof input === 'object' && input !== null, `${fn}: expected a profile`);
  checkUser(input.user, 'user', fn);
  checkLabel(input.name, 'name', fn);
  checkTime(input.at, 'at', fn);
  const people = peopleOf(doc);
  const prev = people.get(input.user);
  if (!prev || prev.name !== input.name) {
    doc.transact(() => people.set(input.user, { name: input.name, updatedAt: input.at }));
  }
  return {
    user: input.user,
    name: input.name,
    updatedAt: prev?.name === input.name ? prev.updatedAt : input.at,
  };
}

export function readProfile(user: string, value: unknown): Profile | null {
  if (typeof value !== 'object' || value === null) return null;
  const e = value as Record<string, unknown>;
  if (typeof e.name !== 'string') return null;
  return { user, name: e.name, updatedAt: typeof e.updatedAt === 'number' ? e.updatedAt : 0 };
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
