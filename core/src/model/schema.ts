// The schema of every room kind, as data and checks that the client runs before it writes
// and the relay runs before it applies an update (DESIGN.md, "Authorization of CRDT
// updates"). For each root it says what keys and values look like, who owns an entry, and
// whether an entry may be removed. Every entry has exactly one owner.
import * as Y from 'yjs';
import { isId } from '../ids';
import { MAX_DRIFT_MS, isHlc, isNodeId, wallOf } from '../hlc';
import { SCHEMA_VERSION } from '../version';
import { MAX_MESSAGE_CHARS, checkEmoji, checkLabel, isWellFormed } from './checks';
import { DIRECTORY_SHAPES, type DirectoryRoot } from './directory';
import { ModelError } from './errors';
import { TOMBSTONE_FIELDS, parseReactionKey } from './page';
import { parsePinKey } from './meta';
import {
  MAX_PERSONAL_ENTRIES,
  MAX_PERSONAL_JSON,
  MAX_REMIND_AHEAD_MS,
  PERSONAL_ROOTS,
  personalKeyProblem,
  personalTimes,
  personalValueProblem,
  type PersonalRoot,
} from './personal';
import { eventProblem, isEventKey } from './events';
import { PAGE_SPAN_MS, RELAY_USER, periodOfMessage, type RoomKind, type RoomRef } from './rooms';
import { avatarProblem, statusProblem } from './workspace';
import { FORWARD_VERSION, forwardProblem } from './forward';
import { FILES_VERSION, filesProblem } from './files';

/**
 * Which rule an entry breaks. `moderation` and `unpin` are the ones a policy may allow:
 * someone other than the author wrote exactly a deletion tombstone into a message, or
 * removed someone else's `pins` entry (see `judge` in authz/policy.ts: a moderator or owner
 * may). `final`: a change to a message deleted before the update (only a write made
 * concurrently with the deletion, offline, is taken). `transition`: a message field changed
 * in a way no honest writer changes it (an edit without `editedAt`, a `deletedBy` naming
 * someone else). `future`: a time or clock id later than the checking clock allows
 * (`MAX_DRIFT_MS`). `too-deep`: an entry nested deeper than `MAX_ENTRY_DEPTH`.
 */
export type ProblemRule =
  | 'unknown-root'
  | 'not-a-map'
  | 'bad-key'
  | 'bad-value'
  | 'immutable'
  | 'owner'
  | 'removal'
  | 'pending'
  | 'relay-only'
  | 'moderation'
  | 'unpin'
  | 'final'
  | 'transition'
  | 'future'
  | 'too-deep';

export interface Problem {
  rule: ProblemRule;
  /** `root`, `root/key` or `root/key/field`. */
  path: string;
  /** Who owns the entry, when known: the one user allowed to change it. */
  owner: string | null;
  message: string;
}

/**
 * Largest JSON size of one entry, whatever schema version wrote it (a message at the text
 * limit stays under it; so do read markers with hundreds of authors).
 */
export const MAX_ENTRY_JSON = 64 * 1024;

/** Largest JSON of one `members` entry in the directory: about 20,000 members. */
export const MAX_MEMBERS_JSON = 1024 * 1024;

/**
 * Deepest nesting of one entry (maps, arrays, objects and Yjs types inside it). Every entry
 * this schema version writes is at most 2 deep (a read marker's `counts`); the margin is for
 * newer versions' messages, which are kept unjudged otherwise.
 */
export const MAX_ENTRY_DEPTH = 16;

/** What the side that checks knows besides the update (see `UpdateChecker.inspect`). */
export interface CheckContext {
  /**
   * The checking side's clock (ms since the epoch; the relay passes `Date.now()`). Every time
   * and clock id the update writes must be at most `now + MAX_DRIFT_MS` (rule `future`).
   * Without it times are not bounded (e.g. a document loaded from disk).
   */
  now?: number;
}

/** Longest key, path or message quoted in a problem (a key may be a megabyte). */
const QUOTE_CHARS = 120;

function clip(text: string): string {
  return text.length > QUOTE_CHARS ? `${text.slice(0, QUOTE_CHARS)}… (${text.length} chars)` : text;
}

function pathOf(root: string, key: string, field?: string): string {
  return `${clip(root)}/${clip(key)}${field === undefined ? '' : `/${clip(field)}`}`;
}

interface RootRule {
  /** What keys look like, for people reading errors and docs. */
  keyShape: string;
  valueShape: string;
  /** Entries the owner may delete outright (others are kept, e.g. tombstoned). */
  removable: boolean;
  /** Largest JSON of one entry; MAX_ENTRY_JSON unless said. */
  maxJson?: number;
  checkKey(key: string, room: RoomRef): string | null;
  checkValue(key: string, value: unknown, root: Y.Map<unknown>): string | null;
  /**
   * The owner, from the entry before the change if it existed, else after. `room`: the
   * document's room (a `self` document's entries are all its user's).
   */
  owner(
    key: string,
    before: unknown,
    after: unknown,
    beforeRoot: Y.Map<unknown> | null,
    afterRoot: Y.Map<unknown>,
    room?: RoomRef,
  ): string | null;
}

function plain(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || value instanceof Y.AbstractType) return null;
  if (Array.isArray(value) || value instanceof Uint8Array) return null;
  return value as Record<string, unknown>;
}

function tooBig(value: unknown, max = MAX_ENTRY_JSON): boolean {
  try {
    return JSON.stringify(value).length > max;
  } catch {
    return true;
  }
}

/**
 * Why an entry's shape is refused before any rule reads it, or null: nested deeper than
 * `MAX_ENTRY_DEPTH`, larger than `max` characters of JSON (estimated), or holding content no
 * Ferry writes (a subdocument, binary, a bigint). Walks with its own stack and stops at the
 * first limit, so no entry can overflow the call stack or cost more than its size.
 */
function shapeProblem(
  value: unknown,
  max: number,
): { rule: 'too-deep' | 'bad-value'; message: string } | null {
  // [value, depth]; an item's content (Y.Content*) stands at the depth of its values.
  const stack: Array<[unknown, number]> = [[value, 0]];
  let size = 0;
  const push = (x: unknown, depth: number) => {
    stack.push([x, depth]);
  };
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [x, depth] = next;
    if (typeof x === 'string') size += x.length + 2;
    else if (typeof x === 'bigint') return { rule: 'bad-value', message: 'holds a bigint' };
    else if (x === null || typeof x !== 'object') size += 8;
    else if (x instanceof Y.ContentString) size += x.str.length;
    else if (x instanceof Y.ContentAny || x instanceof Y.ContentJSON) {
      for (const v of x.arr as unknown[]) push(v, depth);
    } else if (x instanceof Y.ContentEmbed) push(x.embed, depth);
    else if (x instanceof Y.ContentFormat) {
      size += x.key.length;
      push(x.value, depth);
    } else if (x instanceof Y.ContentType) push(x.type, depth);
    else if (x instanceof Y.ContentBinary || x instanceof Uint8Array) {
      return { rule: 'bad-value', message: 'holds binary content' };
    } else if (x instanceof Y.ContentDoc || x instanceof Y.Doc) {
      return { rule: 'bad-value', message: 'holds a subdocument' };
    } else if (x instanceof Y.ContentDeleted) continue;
    else if (depth >= MAX_ENTRY_DEPTH) {
      return { rule: 'too-deep', message: `nested deeper than ${MAX_ENTRY_DEPTH} levels` };
    } else if (x instanceof Y.AbstractType) {
      const type = x as Y.AbstractType<unknown>;
      size += 2;
      for (const [key, item] of type._map) {
        if (item.deleted) continue;
        size += key.length + 3;
        push(item.content, depth + 1);
        if (size > max || stack.length > max) break;
      }
      for (let item = type._start; item !== null; item = item.right) {
        if (!item.deleted) push(item.content, depth + 1);
        if (size > max || stack.length > max) break;
      }
    } else if (Array.isArray(x)) {
      size += 2;
      for (const v of x as unknown[]) push(v, depth + 1);
    } else {
      size += 2;
      for (const [k, v] of Object.entries(x)) {
        size += k.length + 3;
        push(v, depth + 1);
      }
    }
    if (size > max || stack.length > max) {
      return { rule: 'bad-value', message: `larger than ${max} characters of JSON` };
    }
  }
  return null;
}

const isTime = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isCount = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 0;
const isVersion = (x: unknown): boolean => Number.isSafeInteger(x) && (x as number) >= 1;

function labelProblem(label: unknown, what: string): string | null {
  try {
    checkLabel(label, what, 'schema');
    return null;
  } catch (e) {
    return e instanceof ModelError ? e.message : String(e);
  }
}

const MESSAGE_FIELDS = new Set([
  'v',
  'id',
  'author',
  'text',
  'createdAt',
  'parent',
  'quote',
  'broadcast',
  'offline',
  'editedAt',
  'deleted',
  'deletedAt',
  'deletedBy',
  'forward',
  'files',
]);
/**
 * Fields of a message that never change once written (`v` decides which rules judge the
 * message; `offline` says how it was written).
 */
export const IMMUTABLE_MESSAGE_FIELDS = [
  'v',
  'id',
  'author',
  'createdAt',
  'parent',
  'quote',
  'broadcast',
  'offline',
];

/** Checks a stored message map: null if it is well-formed, else what is wrong. */
export function messageProblem(key: string, value: unknown): string | null {
  if (!(value instanceof Y.Map)) return 'a message must be a Y.Map';
  const m = value as Y.Map<unknown>;
  if (m._start !== null) return 'a message map holds list content';
  const v = m.get('v') ?? 1;
  if (!isVersion(v)) return 'v must be an integer >= 1';
  if (!isId(m.get('author'))) return 'author must be a 16-character user id';
  if (m.has('id') && m.get('id') !== key) return 'id must equal the key';
  // A newer Ferry wrote it: keep it, judge only what every version shares.
  if ((v as number) > SCHEMA_VERSION) return null;
  for (const field of m.keys()) {
    if (!MESSAGE_FIELDS.has(field)) return `unknown field ${field} for schema ${String(v)}`;
  }
  const text = m.get('text');
  const deleted = m.get('deleted');
  if (typeof text !== 'string') return 'text must be a string';
  if (text.length > MAX_MESSAGE_CHARS) return `text is longer than ${MAX_MESSAGE_CHARS}`;
  if (!isWellFormed(text)) return 'text holds a lone UTF-16 surrogate';
  const forward = m.get('forward');
  const files = m.get('files');
  if (deleted === undefined && text.trim() === '' && !((forward || files) && text === '')) {
    return 'text is empty';
  }
  if (m.has('files')) {
    // Schema 4: references to attached files; cleared (null) by the message's deletion.
    if ((v as number) < FILES_VERSION) return `files needs schema ${FILES_VERSION}`;
    if (files === null) {
      if (deleted !== true) return 'files is cleared only by a deletion';
    } else {
      const problem = filesProblem(files);
      if (problem) return problem;
    }
  }
  if (m.has('forward')) {
    // Schema 3: a forward's quoted origin; cleared (null) by the message's deletion.
    if ((v as number) < FORWARD_VERSION) return `forward needs schema ${FORWARD_VERSION}`;
    if (forward === null) {
      if (deleted !== true) return 'forward is cleared only by a deletion';
    } else {
      const problem = forwardProblem(forward, text);
      if (problem) return problem;
    }
  }
  if (deleted !== undefined && deleted !== true) return 'deleted must be true when present';
  if (!isTime(m.get('createdAt'))) return 'createdAt must be a time';
  if (m.has('parent') && !isHlc(m.get('parent'))) return 'parent must be a clock id';
  if (m.has('parent') && m.get('parent') === key) return 'a message cannot reply to itself';
  if (m.has('quote')) {
    // Schema 2: a Ferry 1 app would drop a quote it does not know, so only v >= 2 may carry one.
    if ((v as number) < 2) return 'quote needs schema 2 (v: 2)';
    if (!isHlc(m.get('quote'))) return 'quote must be a clock id';
    if (m.get('quote') === key) return 'a message cannot quote itself';
  }
  if (m.has('broadcast')) {
    // Schema 3: "also send to channel". A Ferry 2 app shows a v: 3 reply read-only in its thread.
    if ((v as number) < 3) return 'broadcast needs schema 3 (v: 3)';
    if (m.get('broadcast') !== true) return 'broadcast must be true when present';
    if (!m.has('parent')) return 'broadcast is only on a thread reply';
  }
  if (m.has('offline') && typeof m.get('offline') !== 'boolean') return 'offline must be a boolean';
  if (m.has('editedAt') && !isTime(m.get('editedAt'))) return 'editedAt must be a time';
  if (m.has('deletedAt') && !isTime(m.get('deletedAt'))) return 'deletedAt must be a time';
  if (m.has('deletedBy')) {
    if (!isId(m.get('deletedBy'))) return 'deletedBy must be a user id';
    if (deleted !== true) return 'deletedBy is only on a deleted message';
  }
  return null;
}

/**
 * A reply's parent must be a thread root (one level). Only a parent on this page can be
 * judged: a reply to a reply on another page is read as a reply to its root (`rootOf`).
 */
function replyProblem(value: unknown, messages: Y.Map<unknown>): string | null {
  const m = value as Y.Map<unknown>;
  if (((m.get('v') as number | undefined) ?? 1) > SCHEMA_VERSION) return null;
  const parent = m.get('parent');
  if (typeof parent !== 'string') return null;
  const p = messages.get(parent);
  if (!(p instanceof Y.Map) || !p.has('parent')) return null;
  return `parent ${parent} is a reply; reply to its root ${String(p.get('parent'))}`;
}

function authorOf(value: unknown): string | null {
  if (!(value instanceof Y.Map)) return null;
  const a = (value as Y.Map<unknown>).get('author');
  return typeof a === 'string' ? a : null;
}

function fieldOf(value: unknown, field: string): string | null {
  const p = plain(value);
  const x = p?.[field];
  return typeof x === 'string' ? x : null;
}

const INFO_FIELDS = ['v', 'title', 'createdBy', 'createdAt'];

/** Roots whose entries are never rewritten once written (`immutable`). */
const WRITTEN_ONCE: Record<RoomKind, readonly string[]> = {
  page: [],
  meta: ['info', 'pages'],
  workspace: ['conversations'],
  inbox: [],
  self: [],
};
const PAGE_KEY = /^p(0|[1-9][0-9]{0,14})\|([^|]+)\|([^|]+)$/;

function ownerBeforeKey(key: string): string | null {
  const bar = key.indexOf('|');
  return bar < 0 ? null : key.slice(0, bar);
}

/** The rules, room kind by room kind, root by root. */
export const SCHEMA: Record<RoomKind, Record<string, RootRule>> = {
  page: {
    messages: {
      keyShape: 'message id (clock id) on this page’s period',
      valueShape:
        'Y.Map: v, id, author, text, createdAt, parent?, quote? (v >= 2), broadcast? (v >= 3, with parent), offline?, editedAt?, deleted?, deletedAt?, deletedBy?, forward? (v >= 3), files? (v >= 4)',
      removable: false,
      checkKey(key, room) {
        if (!isHlc(key)) return 'key must be a clock id';
        if (room.kind === 'page' && periodOfMessage(key) !== room.period) {
          return `message belongs on page p${periodOfMessage(key)}, not p${room.period}`;
        }
        return null;
      },
      checkValue: (key, value, root) => messageProblem(key, value) ?? replyProblem(value, root),
      owner: (_key, before, after) => authorOf(before) ?? authorOf(after),
    },
    reactions: {
      keyShape: '<messageId>|<emoji>|<userId>',
      valueShape: 'time reacted (ms)',
      removable: true,
      checkKey(key) {
        const k = parseReactionKey(key);
        if (!k) return 'key must be <messageId>|<emoji>|<userId>';
        try {
          checkEmoji(k.emoji, 'schema');
        } catch (e) {
          return e instanceof ModelError ? e.message : String(e);
        }
        return null;
      },
      checkValue: (_key, value) => (isTime(value) ? null : 'a reaction holds the time it was made'),
      owner: (key) => parseReactionKey(key)?.user ?? null,
    },
    reads: {
      keyShape: '<userId>',
      valueShape: "{ id, at, counts: { '<userId>|<node>': n } }",
      removable: false,
      checkKey: (key) => (isId(key) ? null : 'key must be a user id'),
      checkValue(_key, value) {
        const e = plain(value);
        if (!e) return 'a read marker must be an object';
        if (e.id !== null && !isHlc(e.id)) return 'reads.id must be a clock id or null';
        if (!isTime(e.at)) return 'reads.at must be a time';
        const counts = plain(e.counts);
        if (!counts) return 'reads.counts must be an object';
        for (const [k, n] of Object.entries(counts)) {
          const bar = k.indexOf('|');
          if (bar < 0 || !isId(k.slice(0, bar)) || !isNodeId(k.slice(bar + 1)) || !isCount(n)) {
            return 'reads.counts maps <userId>|<node> to counts';
          }
        }
        return tooBig(value) ? 'entry too large' : null;
      },
      owner: (key) => key,
    },
  },
  meta: {
    info: {
      keyShape: 'v | title | createdBy | createdAt',
      valueShape: 'per key: version, title, user id, time',
      removable: false,
      checkKey: (key) => (INFO_FIELDS.includes(key) ? null : `info has no field ${key}`),
      checkValue(key, value, root) {
        if (key === 'v') return isVersion(value) ? null : 'v must be an integer >= 1';
        if (key === 'title') return labelProblem(value, 'title');
        if (key === 'createdBy') return isId(value) ? null : 'createdBy must be a user id';
        if (key === 'createdAt') return isTime(value) ? null : 'createdAt must be a time';
        const v = root.get('v');
        return isVersion(v) && (v as number) > SCHEMA_VERSION ? null : `info has no field ${key}`;
      },
      owner(_key, _before, _after, beforeRoot, afterRoot) {
        const b = beforeRoot?.get('createdBy');
        if (typeof b === 'string') return b;
        const a = afterRoot.get('createdBy');
        return typeof a === 'string' ? a : null;
      },
    },
    pages: {
      keyShape: 'p<period>|<userId>|<node>',
      valueShape: '1, written once (older drafts: a count >= 0); never rewritten',
      removable: false,
      checkKey(key) {
        const m = PAGE_KEY.exec(key);
        return m && isId(m[2]) && isNodeId(m[3]) ? null : 'key must be p<period>|<userId>|<node>';
      },
      checkValue: (_key, value) => (isCount(value) ? null : 'a page count is an integer >= 0'),
      owner: (key) => ownerBeforeKey(key.slice(key.indexOf('|') + 1)),
    },
    // Schema 2 (docs/messaging.md, "Pins"). A moderator's removal of someone else's entry
    // is reported as `unpin`, which the policy allows to moderators and owners.
    pins: {
      keyShape: '<messageId>|<userId>',
      valueShape: 'time pinned (ms)',
      removable: true,
      checkKey: (key) => (parsePinKey(key) ? null : 'key must be <messageId>|<userId>'),
      checkValue: (_key, value) => (isTime(value) ? null : 'a pin holds the time it was made'),
      owner: (key) => parsePinKey(key)?.user ?? null,
    },
    // Schema 3 (docs/messaging.md, "Topic, description and system lines"): written by the
    // relay alone. Every entry is the relay's, so a member's write breaks the owner rule.
    events: {
      keyShape: '<time, 15 digits>-<suffix>',
      valueShape: '{ v: 3, kind, actor, user?, text?, at }',
      removable: true,
      checkKey: (key) => (isEventKey(key) ? null : 'key must be <time, 15 digits>-<suffix>'),
      checkValue: (_key, value) => eventProblem(value),
      owner: () => RELAY_USER,
    },
  },
  workspace: {
    conversations: {
      keyShape: '<convId>',
      valueShape: '{ v, title, createdBy, createdAt }',
      removable: false,
      checkKey: (key) => (isId(key) ? null : 'key must be a conversation id'),
      checkValue(_key, value) {
        const e = plain(value);
        if (!e) return 'a conversation entry must be an object';
        if (!isVersion(e.v)) return 'v must be an integer >= 1';
        if (!isId(e.createdBy)) return 'createdBy must be a user id';
        if (!isTime(e.createdAt)) return 'createdAt must be a time';
        return labelProblem(e.title, 'title') ?? (tooBig(value) ? 'entry too large' : null);
      },
      owner: (_key, before, after) => fieldOf(before, 'createdBy') ?? fieldOf(after, 'createdBy'),
    },
    people: {
      keyShape: '<userId>',
      valueShape: '{ name, updatedAt, status?, avatar? }',
      removable: true,
      checkKey: (key) => (isId(key) ? null : 'key must be a user id'),
      checkValue(_key, value) {
        const e = plain(value);
        if (!e) return 'a profile must be an object';
        if (!isTime(e.updatedAt)) return 'updatedAt must be a time';
        // Schema 2 (docs/messaging.md, "Profiles"): never a remote URL in an avatar.
        if (e.status !== undefined) {
          const p = statusProblem(e.status);
          if (p) return p;
        }
        if (e.avatar !== undefined) {
          const p = avatarProblem(e.avatar);
          if (p) return p;
        }
        return labelProblem(e.name, 'name') ?? (tooBig(value) ? 'entry too large' : null);
      },
      owner: (key) => key,
    },
  },
  // The directory document: the relay alone writes it (docs/accounts.md).
  inbox: {
    me: relayRoot('me', '{ id, username, displayName, role }'),
    conversations: relayRoot(
      'conversations',
      '{ v: 1, kind, visibility, title, archived, role, createdBy, createdAt }',
    ),
    members: relayRoot('members', '[{ id, role }] sorted by id'),
    activity: relayRoot('activity', '{ at, preview: { id, author, text } | null, versions }'),
    people: relayRoot('people', '{ username, displayName, status?, avatar? }'),
  },
  // The user's own document (schema 3; docs/messaging.md, "Personal state"): every entry is
  // its user's, bounded in size, count (`MAX_PERSONAL_ENTRIES`) and time.
  self: {
    saved: personalRoot('saved', '<convId>|<messageId>', '{ v: 3, at }'),
    unread: personalRoot('unread', '<convId>', '{ v: 3, at, from: messageId | null, n }'),
    reminders: personalRoot('reminders', '<convId>|<messageId>', '{ v: 3, at, due, done? }'),
  },
};

/** A root of a `self/<userId>` document: its user owns every entry. */
function personalRoot(root: PersonalRoot, keyShape: string, valueShape: string): RootRule {
  return {
    keyShape,
    valueShape,
    removable: true,
    maxJson: MAX_PERSONAL_JSON,
    checkKey: (key) => (key.length > 64 ? 'key is too long' : personalKeyProblem(root, key)),
    checkValue: (_key, value) => personalValueProblem(root, value),
    owner: (_key, _before, _after, _beforeRoot, _afterRoot, room) =>
      room?.kind === 'self' ? room.userId : null,
  };
}

/**
 * A `self` document's time rules: `at`/`done` no later than the clock allows (`future`), a
 * reminder's `due` at most `MAX_REMIND_AHEAD_MS` ahead.
 */
function personalFuture(
  root: string,
  path: string,
  owner: string | null,
  value: unknown,
  now: number,
): Problem | null {
  const { past, due } = personalTimes(root, value);
  for (const d of past) {
    const p = futureProblem(path, owner, d, now);
    if (p) return p;
  }
  if (due !== null && due > now + MAX_REMIND_AHEAD_MS) {
    return {
      rule: 'future',
      path,
      owner,
      message: `a reminder is due at most ${MAX_REMIND_AHEAD_MS / 86_400_000} days ahead`,
    };
  }
  return null;
}

/** Roots of a `self` document past their entry limit after an update. */
function personalCountProblems(doc: Y.Doc, touched: Map<string, Set<string>>): Problem[] {
  const out: Problem[] = [];
  for (const root of PERSONAL_ROOTS) {
    if (!touched.has(root) || !doc.share.has(root)) continue;
    const size = doc.getMap<unknown>(root).size;
    const max = MAX_PERSONAL_ENTRIES[root];
    if (size > max) {
      out.push({
        rule: 'bad-value',
        path: root,
        owner: null,
        message: `${root} holds ${size} entries, at most ${max}`,
      });
    }
  }
  return out;
}

/** A directory root: its shapes from directory.ts, written by the relay only. */
function relayRoot(root: DirectoryRoot, valueShape: string): RootRule {
  const shape = DIRECTORY_SHAPES[root];
  return {
    keyShape: shape.keyShape,
    valueShape,
    removable: true,
    maxJson: root === 'members' ? MAX_MEMBERS_JSON : MAX_ENTRY_JSON,
    checkKey: (key) => (shape.key(key) ? null : `key must be ${shape.keyShape}`),
    checkValue(_key, value) {
      const parsed = shape.parse(value);
      return parsed.ok ? null : parsed.reason;
    },
    owner: () => RELAY_USER,
  };
}

/** Root names allowed in a room kind. */
export function rootsOf(kind: RoomKind): string[] {
  return Object.keys(SCHEMA[kind]);
}

/** Checks one entry's key and value. */
export function validateEntry(
  room: RoomRef,
  root: string,
  key: string,
  value: unknown,
  rootMap: Y.Map<unknown>,
): Problem | null {
  const rule = SCHEMA[room.kind][root];
  const path = pathOf(root, key);
  if (!rule)
    return { rule: 'unknown-root', path: clip(root), owner: null, message: 'unknown root' };
  const badKey = rule.checkKey(key, room);
  if (badKey) return { rule: 'bad-key', path, owner: null, message: clip(badKey) };
  // The shape first: no rule below walks a value nested without bound.
  const shape = shapeProblem(value, rule.maxJson ?? MAX_ENTRY_JSON);
  const owner = rule.owner(key, undefined, value, null, rootMap, room);
  if (shape) return { ...shape, path, owner };
  const badValue = rule.checkValue(key, value, rootMap);
  if (badValue) return { rule: 'bad-value', path, owner, message: clip(badValue) };
  return null;
}

function rootProblems(doc: Y.Doc, room: RoomRef, names: Iterable<string>): Problem[] {
  const out: Problem[] = [];
  for (const name of names) {
    if (!SCHEMA[room.kind][name]) {
      out.push({
        rule: 'unknown-root',
        path: clip(name),
        owner: null,
        message: `${room.kind} documents have no root ${clip(name)}`,
      });
      continue;
    }
    const type = doc.share.get(name);
    if (type && type._start !== null) {
      out.push({
        rule: 'not-a-map',
        path: name,
        owner: null,
        message: `${name} must be a map, it holds list content`,
      });
    }
  }
  return out;
}

/** Every problem in a whole document (e.g. one loaded from disk or received from a peer). */
export function validateDoc(room: RoomRef, doc: Y.Doc): Problem[] {
  const out = rootProblems(doc, room, doc.share.keys());
  for (const root of rootsOf(room.kind)) {
    if (!doc.share.has(root)) continue;
    const map = doc.getMap<unknown>(root);
    map.forEach((value, key) => {
      const p = validateEntry(room, root, key, value, map);
      if (p) out.push(p);
    });
  }
  return out;
}

/** One entry an update changes: what a policy needs beyond the problems (authz/policy.ts). */
export interface EntryChange {
  root: string;
  key: string;
  /** `add`: a new key; `update`: a key rewritten or a field inside its value changed; `delete`. */
  action: 'add' | 'update' | 'delete';
  /** Who owns the entry (as it was before the change, when it existed). */
  owner: string | null;
}

export interface CheckResult {
  problems: Problem[];
  /** Every entry the update changes, in the order Yjs reports them. */
  changes: EntryChange[];
  /**
   * Call when the update will not be applied although it had no problems (a policy refused
   * it): the checker's shadow already holds it and is rebuilt at the next check. `judge`
   * calls it on every refusal.
   */
  discard?: () => void;
}

/** Checks updates against one live document (see `createUpdateChecker`). */
export interface UpdateChecker {
  /** The problems `update` from `sender` would bring; none means: apply it to the live doc. */
  check(update: Uint8Array, sender: string, context?: CheckContext): Problem[];
  /** `check`, plus the entries the update changes: hand it to `judge` (authz/policy.ts). */
  inspect(update: Uint8Array, sender: string, context?: CheckContext): CheckResult;
  /** Frees the shadow copy. */
  destroy(): void;
}

/**
 * An update checker for a document the relay keeps live. It keeps a shadow copy of the
 * document and tries each update on it, so a check costs about the size of the update, not
 * of the document. The live document is never touched: apply an accepted update to it
 * yourself (the shadow already has it). Other changes to the live document are picked up
 * at the next check; after a refused update the shadow is rebuilt from the live document.
 * Binding Yjs clientIDs to users is the relay's part: this checks ownership by the
 * author fields the schema defines.
 */
export function createUpdateChecker(room: RoomRef, live: Y.Doc): UpdateChecker {
  const rules = SCHEMA[room.kind];
  const schemaRoots = rootsOf(room.kind);
  let shadow: Y.Doc | null = null;
  let dirty = true;
  /** Set while a checked update is applied to the shadow: where its problems go. */
  let current: {
    sender: string;
    out: Problem[];
    touched: Map<string, Set<string>>;
    changes: EntryChange[];
    now: number | undefined;
  } | null = null;

  const liveRoot = (root: string): Y.Map<unknown> | null =>
    live.share.has(root) ? live.getMap<unknown>(root) : null;

  function observe(doc: Y.Doc, root: string, rule: RootRule): void {
    const map = doc.getMap<unknown>(root);
    map.observeDeep((events) => {
      if (!current) return;
      const { sender, out, touched, changes: seen, now } = current;
      const touch = (key: string) => {
        let keys = touched.get(root);
        if (!keys) touched.set(root, (keys = new Set()));
        keys.add(key);
      };
      const ownerCheck = (path: string, owner: string | null) => {
        if (owner !== sender) {
          out.push({
            rule: 'owner',
            path,
            owner,
            message: `${path} belongs to ${owner ?? 'nobody known'}, not ${sender}`,
          });
        }
      };
      for (const event of events) {
        const changes = event.changes;
        if (event.target === map) {
          if (changes.delta.length > 0) {
            out.push({
              rule: 'not-a-map',
              path: root,
              owner: null,
              message: `${root} must be a map`,
            });
          }
          for (const [key, change] of changes.keys) {
            const path = pathOf(root, key);
            const pre = liveRoot(root)?.get(key);
            const owner = rule.owner(key, pre, map.get(key), liveRoot(root), map, room);
            seen.push({ root, key, action: change.action, owner });
            if (root === 'pins' && change.action === 'delete' && owner !== sender) {
              out.push({
                rule: 'unpin',
                path,
                owner,
                message: `${sender} removed ${path}, a pin by ${owner ?? 'nobody known'}`,
              });
            } else ownerCheck(path, owner);
            if (change.action === 'delete' && !rule.removable) {
              out.push({ rule: 'removal', path, owner, message: `${path} may not be removed` });
            } else if (change.action === 'update' && root === 'messages') {
              out.push({ rule: 'removal', path, owner, message: `${path} may not be replaced` });
            } else if (change.action === 'update' && WRITTEN_ONCE[room.kind].includes(root)) {
              // Written once: a rewrite would make the meta document grow per message, or
              // change who created the conversation (its `createdBy` names the owner).
              out.push({ rule: 'immutable', path, owner, message: `${path} is written once` });
            }
            if (change.action !== 'delete') {
              touch(key);
              const value = map.get(key);
              const latest =
                now === undefined ? null : latestOf(root, key, value, map, liveRoot(root));
              const late =
                now === undefined
                  ? null
                  : room.kind === 'self'
                    ? personalFuture(root, path, owner, value, now)
                    : latest
                      ? futureProblem(path, owner, latest, now)
                      : null;
              if (late) out.push(late);
              if (root === 'messages' && value instanceof Y.Map && value.has('deletedBy')) {
                if (value.get('deletedBy') !== sender) {
                  out.push({
                    rule: 'transition',
                    path,
                    owner,
                    message: `deletedBy names who deletes the message (${sender}), nobody else`,
                  });
                }
              }
            }
          }
        } else {
          // A change inside an entry (a message's fields): owned by the entry's owner.
          const key = String(event.path[0]);
          const path = pathOf(root, key);
          const pre = liveRoot(root)?.get(key);
          const after = map.get(key);
          const owner = rule.owner(key, pre, after, liveRoot(root), map, room);
          seen.push({ root, key, action: 'update', owner });
          if (
            owner !== sender &&
            root === 'messages' &&
            event.path.length === 1 &&
            isTombstone(event, pre, after, sender)
          ) {
            out.push({
              rule: 'moderation',
              path,
              owner,
              message: `${sender} deleted ${path}, a message by ${owner ?? 'nobody known'}`,
            });
          } else ownerCheck(path, owner);
          if (event.path.length === 1 && pre instanceof Y.Map) {
            for (const field of changes.keys.keys()) {
              if (IMMUTABLE_MESSAGE_FIELDS.includes(field)) {
                out.push({
                  rule: 'immutable',
                  path: pathOf(root, key, field),
                  owner: authorOf(pre),
                  message: `${clip(field)} never changes`,
                });
              }
            }
            if (root === 'messages' && after instanceof Y.Map) {
              out.push(...fieldTransitions(event, path, pre, after, sender, now));
            }
          }
          touch(key);
        }
      }
    });
  }

  // Deleted lengths each document's transactions added since the shadow was built: with
  // equal state vectors, equal counts mean the shadow already holds everything live has.
  let liveDeleted = 0;
  let shadowDeleted = 0;
  const deletedIn = (tr: Y.Transaction): number => {
    let n = 0;
    for (const items of tr.deleteSet.clients.values()) for (const i of items) n += i.len;
    return n;
  };
  const onLive = (tr: Y.Transaction) => {
    liveDeleted += deletedIn(tr);
  };
  live.on('afterTransaction', onLive);

  function freshShadow(): Y.Doc {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(live));
    liveDeleted = 0;
    shadowDeleted = 0;
    doc.on('afterTransaction', (tr: Y.Transaction) => {
      shadowDeleted += deletedIn(tr);
    });
    for (const root of schemaRoots) observe(doc, root, rules[root] as RootRule);
    return doc;
  }

  /** Brings the shadow level with the live document, or rebuilds it. */
  function shadowDoc(): Y.Doc {
    if (shadow && !dirty) {
      const liveSv = Y.decodeStateVector(Y.encodeStateVector(live));
      // The usual case: every change reached live through this checker. Skip the catch-up,
      // whose encoding walks every struct of the live document to build its delete set.
      if (
        liveDeleted === shadowDeleted &&
        sameState(liveSv, Y.decodeStateVector(Y.encodeStateVector(shadow)))
      ) {
        return shadow;
      }
      const ahead = [...Y.decodeStateVector(Y.encodeStateVector(shadow))].some(
        ([client, clock]) => clock > (liveSv.get(client) ?? 0),
      );
      if (!ahead) {
        Y.applyUpdate(shadow, Y.encodeStateAsUpdate(live, Y.encodeStateVector(shadow)));
        return shadow;
      }
    }
    shadow?.destroy();
    shadow = freshShadow();
    dirty = false;
    return shadow;
  }

  function inspect(update: Uint8Array, sender: string, context: CheckContext = {}): CheckResult {
    const doc = shadowDoc();
    const rootsBefore = new Set(doc.share.keys());
    const out: Problem[] = [];
    const touched = new Map<string, Set<string>>();
    const changes: EntryChange[] = [];
    current = { sender, out, touched, changes, now: context.now };
    let changed = false;
    const onTransaction = (tr: Y.Transaction) => {
      if (tr.deleteSet.clients.size > 0 || !sameState(tr.beforeState, tr.afterState)) {
        changed = true;
      }
    };
    doc.on('afterTransaction', onTransaction);
    try {
      Y.applyUpdate(doc, update);
    } catch (e) {
      dirty = true;
      return {
        problems: [
          { rule: 'bad-value', path: '', owner: null, message: `malformed update: ${String(e)}` },
        ],
        changes,
      };
    } finally {
      current = null;
      doc.off('afterTransaction', onTransaction);
    }
    for (const [root, keys] of touched) {
      const map = doc.getMap<unknown>(root);
      for (const key of keys) {
        if (!map.has(key)) continue;
        const p = validateEntry(room, root, key, map.get(key), map);
        if (p) out.push(p);
      }
    }
    if (doc.store.pendingStructs !== null || doc.store.pendingDs !== null) {
      out.push({
        rule: 'pending',
        path: '',
        owner: null,
        message: 'the update depends on changes this document does not have',
      });
    }
    const newRoots = [...doc.share.keys()].filter(
      (r) => !rootsBefore.has(r) && !schemaRoots.includes(r),
    );
    out.push(...rootProblems(doc, room, newRoots));
    if (room.kind === 'self') out.push(...personalCountProblems(doc, touched));
    const result = room.kind === 'inbox' && sender !== RELAY_USER ? relayOnly(out, changed) : out;
    if (result.length > 0) dirty = true;
    return {
      problems: result,
      changes,
      discard: () => {
        dirty = true;
      },
    };
  }

  return {
    inspect,
    check: (update, sender, context) => inspect(update, sender, context).problems,
    destroy() {
      live.off('afterTransaction', onLive);
      shadow?.destroy();
      shadow = null;
    },
  };
}

const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** A time or clock id an entry holds, named for a problem's message. */
interface Dated {
  what: string;
  at: number;
}

/**
 * The latest time an entry written whole (a new key, or a key rewritten) holds: clock ids
 * of new messages and page-index periods count as times. A read marker's `id` names a
 * message someone else wrote (on this page, or the reader's previous marker), so it is
 * bounded only when it names neither.
 */
function latestOf(
  root: string,
  key: string,
  value: unknown,
  rootMap: Y.Map<unknown>,
  liveRootMap: Y.Map<unknown> | null,
): Dated | null {
  const dates: Dated[] = [];
  const add = (what: string, x: unknown) => {
    const at = num(x);
    if (at !== null) dates.push({ what, at });
  };
  const e = plain(value);
  switch (root) {
    case 'messages':
      if (isHlc(key)) add('the message id', wallOf(key));
      if (value instanceof Y.Map) {
        for (const f of ['createdAt', 'editedAt', 'deletedAt']) add(f, value.get(f));
      }
      break;
    case 'reactions':
    case 'pins':
      add('the time', value);
      break;
    case 'reads': {
      add('reads.at', e?.at);
      const id = e?.id;
      const known =
        rootMap.doc?.getMap('messages').has(String(id)) === true ||
        plain(liveRootMap?.get(key))?.id === id;
      if (isHlc(id) && !known) add('reads.id', wallOf(id));
      break;
    }
    case 'info':
      if (key === 'createdAt') add('createdAt', value);
      break;
    case 'pages': {
      const m = PAGE_KEY.exec(key);
      if (m) add(`page p${m[1]}`, Number(m[1]) * PAGE_SPAN_MS);
      break;
    }
    case 'conversations':
      add('createdAt', e?.createdAt);
      break;
    case 'people':
      add('updatedAt', e?.updatedAt);
      break;
  }
  let latest: Dated | null = null;
  for (const d of dates) if (latest === null || d.at > latest.at) latest = d;
  return latest;
}

function futureProblem(path: string, owner: string | null, d: Dated, now: number): Problem | null {
  if (d.at <= now + MAX_DRIFT_MS) return null;
  const minutes = Math.round((d.at - now) / 60_000);
  return {
    rule: 'future',
    path,
    owner,
    message:
      `${d.what} is ${minutes} min ahead of the server's clock (at most ` +
      `${MAX_DRIFT_MS / 60_000} min): check this device's date and time`,
  };
}

const idKey = (id: { client: number; clock: number }): string => `${id.client}:${id.clock}`;

/** The writes of one field of a message that this transaction made, left to right. */
function newWrites(msg: Y.Map<unknown>, field: string, before: Map<number, number>): Y.Item[] {
  const out: Y.Item[] = [];
  for (let item = msg._map.get(field) ?? null; item !== null; item = item.left as Y.Item | null) {
    if (item.id.clock >= (before.get(item.id.client) ?? 0)) out.push(item);
  }
  return out.reverse();
}

const written = (item: Y.Item): unknown => item.content.getContent()[0];

/**
 * What an update may do to an existing message's fields, whoever sends it (ownership is
 * checked apart). Honest writers (core's `editMessage`, `deleteMessage`) only ever:
 * - edit: write `text` (not empty) and `editedAt` together;
 * - delete: write `deleted: true`, `deletedAt`, `text: ''`, and `deletedBy` only as themselves;
 * and never remove a field. A message deleted before the update is final: nothing is written
 * into it, except a write made concurrently with the deletion (offline: an edit or another
 * deletion that had not seen it), which the message's readers never show (deleted wins).
 * Such a write cannot build on the deletion: its `deleted`, `deletedAt` and `deletedBy`
 * have no earlier value to replace, and its text does not replace the tombstone's ''.
 */
function fieldTransitions(
  event: Y.YEvent<Y.AbstractType<unknown>>,
  path: string,
  pre: Y.Map<unknown>,
  after: Y.Map<unknown>,
  sender: string,
  now: number | undefined,
): Problem[] {
  const out: Problem[] = [];
  const owner = authorOf(pre);
  const fail = (rule: ProblemRule, message: string) => {
    out.push({ rule, path, owner, message });
  };
  for (const [field, change] of event.changes.keys) {
    if (change.action === 'delete')
      fail('removal', `${clip(field)}: a message field is never removed`);
  }
  const before = event.transaction.beforeState;
  const writes = (field: string) => newWrites(after, field, before);
  const text = writes('text');
  const editedAt = writes('editedAt');
  const deleted = writes('deleted');
  const deletedAt = writes('deletedAt');
  const deletedBy = writes('deletedBy');
  if (pre.get('deleted') === true) {
    let late = [...deleted, ...deletedAt, ...deletedBy].some((item) => item.origin !== null);
    const tombText = pre.get('text') === '' ? pre._map.get('text') : undefined;
    const seen = new Set<string>(tombText ? [idKey(tombText.id)] : []);
    for (const item of text) {
      if (item.origin !== null && seen.has(idKey(item.origin))) {
        seen.add(idKey(item.id));
        late = true;
      }
    }
    // The author's own deletion never signs; signing now would hide who deleted it.
    if (deletedBy.length > 0 && sender === owner) late = true;
    if (late) fail('final', `${path} was deleted: a deleted message is final`);
  }
  if (deletedBy.some((item) => written(item) !== sender)) {
    fail('transition', `deletedBy names who deletes the message (${sender}), nobody else`);
  }
  // A forward is written with its message; afterwards only its deletion clears it (null).
  const forward = writes('forward');
  if (
    forward.some((item) => written(item) !== null) ||
    (forward.length > 0 && after.get('deleted') !== true)
  ) {
    fail('transition', 'forward is written with the message and only cleared by its deletion');
  }
  // So are files: never swapped under readers.
  const files = writes('files');
  if (
    files.some((item) => written(item) !== null) ||
    (files.length > 0 && after.get('deleted') !== true)
  ) {
    fail('transition', 'files are written with the message and only cleared by its deletion');
  }
  if (deleted.some((item) => written(item) !== true)) {
    fail('transition', 'deleted is only ever set to true');
  }
  const edits = text.filter((item) => written(item) !== '');
  if (edits.length > 0 && editedAt.length === 0) {
    fail('transition', 'an edit of the text writes editedAt with it');
  }
  if (editedAt.length > 0 && edits.length === 0) {
    fail('transition', 'editedAt changes only with an edit of the text');
  }
  if (pre.get('deleted') !== true && after.get('deleted') === true) {
    if (deletedAt.length === 0 || !text.some((item) => written(item) === '')) {
      fail('transition', 'a deletion writes deletedAt and clears the text');
    }
  }
  if (now !== undefined) {
    for (const [field, items] of [
      ['editedAt', editedAt],
      ['deletedAt', deletedAt],
    ] as const) {
      for (const item of items) {
        const at = num(written(item));
        const p = at === null ? null : futureProblem(path, owner, { what: field, at }, now);
        if (p) out.push(p);
      }
    }
  }
  return out;
}

/**
 * Whether a change by `sender` inside someone else's message is exactly a deletion tombstone:
 * every value the update writes into the message (including ones that lose to a concurrent
 * write) is `deleted: true`, `deletedAt`: a time, `text: ''` or `deletedBy`: the sender; it
 * writes `deletedBy`, removes no field, and the message ends deleted.
 */
function isTombstone(
  event: Y.YEvent<Y.AbstractType<unknown>>,
  pre: unknown,
  after: unknown,
  sender: string,
): boolean {
  if (!(pre instanceof Y.Map) || !(after instanceof Y.Map)) return false;
  for (const change of event.changes.keys.values()) if (change.action === 'delete') return false;
  const msg = after as Y.Map<unknown>;
  if (msg.get('deleted') !== true) return false;
  const before = event.transaction.beforeState;
  const fields: readonly string[] = TOMBSTONE_FIELDS;
  let signed = false;
  for (const [field, last] of msg._map) {
    // Every write of this field, newest first; the ones this update made are new clocks.
    for (let item: Y.Item | null = last; item !== null; item = item.left as Y.Item | null) {
      if (item.id.clock < (before.get(item.id.client) ?? 0)) continue;
      if (!fields.includes(field)) return false;
      const value: unknown = item.content.getContent()[0];
      const ok =
        field === 'deleted'
          ? value === true
          : field === 'text' || field === 'forward' || field === 'files'
            ? value === (field === 'text' ? '' : null)
            : field === 'deletedAt'
              ? isTime(value)
              : value === sender;
      if (!ok) return false;
      if (field === 'deletedBy') signed = true;
    }
  }
  return signed;
}

function sameState(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [client, clock] of a) if (b.get(client) !== clock) return false;
  return true;
}

/**
 * An inbox (directory) document accepts changes from the relay only: for anyone else every
 * change is one `relay-only` problem per path it touches. An update that changes nothing
 * (a stock client's empty sync step 2, a re-sent delete set) passes.
 */
function relayOnly(problems: Problem[], changed: boolean): Problem[] {
  const paths = new Set(problems.map((p) => p.path));
  if (paths.size === 0 && changed) paths.add('');
  return [...paths].map((path) => ({
    rule: 'relay-only' as const,
    path,
    owner: RELAY_USER,
    message: `inbox documents are written by the relay only${path ? ` (${path})` : ''}`,
  }));
}

/**
 * What would be wrong with applying `update` from `sender` to `before` (which is left
 * untouched). Returns no problems for an update an honest client made through this model.
 * The relay refuses the update if anything comes back (a moderator may pass `owner` and
 * `removal` problems; `pending` means the update builds on changes the document does not
 * have: refuse it, so it cannot later be attributed to someone else). One-off form of
 * `createUpdateChecker`, copying the document per call; a relay should keep a checker.
 */
export function checkUpdate(
  room: RoomRef,
  before: Y.Doc,
  update: Uint8Array,
  sender: string,
  context: CheckContext = {},
): Problem[] {
  const checker = createUpdateChecker(room, before);
  try {
    return checker.check(update, sender, context);
  } finally {
    checker.destroy();
  }
}
