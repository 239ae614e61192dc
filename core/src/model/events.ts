// Channel topic and description, and the conversation's system events (schema 3,
// docs/messaging.md "Topic, description and system lines").
//
// - Topic and description are server-authoritative metadata like the title: the relay keeps
//   them in its database, changes them through its API (owners and admins, the `rename`
//   permission) and copies them into each member's directory entry.
// - System events (joined, left, added, removed, renamed, topic changed) live in the meta
//   document's `events` root. The relay alone writes them: every entry's owner is the relay
//   user, so an entry written by any member is refused by the schema's owner rule.
import * as Y from 'yjs';
import { isId } from '../ids';
import { isWellFormed } from './checks';
import { ModelError, show } from './errors';

/** Longest topic: one line. */
export const MAX_TOPIC_CHARS = 250;
/** Longest description: plain text, line breaks allowed. */
export const MAX_DESCRIPTION_CHARS = 1000;
/** Events the relay keeps per conversation; older ones are deleted as new ones arrive. */
export const MAX_EVENTS = 200;
/** The meta document's root of system events. */
export const EVENTS_ROOT = 'events';
/** Schema version of an event entry. */
export const EVENT_VERSION = 3;

export const EVENT_KINDS = ['joined', 'left', 'added', 'removed', 'renamed', 'topic'] as const;
export type SystemEventKind = (typeof EVENT_KINDS)[number];

export interface SystemEvent {
  /** The entry's key: `<time, 15 digits>-<suffix>`, so keys sort by time. */
  id: string;
  kind: SystemEventKind;
  /** Who did it. */
  actor: string;
  /** Whom it was done to (`added`, `removed`). */
  user?: string;
  /** The new title (`renamed`) or topic (`topic`, '' when cleared). */
  text?: string;
  at: number;
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const ONE_LINE_FORBIDDEN = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- everything but a line break is refused
const TEXT_FORBIDDEN = /[\u0000-\u0009\u000b-\u001f\u007f]/;

/** Why a topic is refused, or null. '' (no topic) is fine. */
export function topicProblem(topic: unknown): string | null {
  if (typeof topic !== 'string') return 'topic must be a string';
  if (topic.length > MAX_TOPIC_CHARS) return `topic is longer than ${MAX_TOPIC_CHARS} characters`;
  if (ONE_LINE_FORBIDDEN.test(topic) || !isWellFormed(topic)) {
    return 'topic may not contain line breaks or control characters';
  }
  return null;
}

/** Why a description is refused, or null. '' (no description) is fine. */
export function descriptionProblem(text: unknown): string | null {
  if (typeof text !== 'string') return 'description must be a string';
  if (text.length > MAX_DESCRIPTION_CHARS) {
    return `description is longer than ${MAX_DESCRIPTION_CHARS} characters`;
  }
  if (TEXT_FORBIDDEN.test(text) || !isWellFormed(text)) {
    return 'description may not contain control characters';
  }
  return null;
}

/** The canonical stored form: trimmed; a description's line ends as \n, at most two in a row. */
export function normalizeTopic(topic: string): string {
  return topic.trim();
}
export function normalizeDescription(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const EVENT_KEY = /^[0-9]{15}-[0-9a-z]{1,12}$/;

export function isEventKey(key: string): boolean {
  return EVENT_KEY.test(key);
}

export function eventKey(at: number, suffix: string): string {
  return `${String(Math.max(0, Math.floor(at))).padStart(15, '0')}-${suffix}`;
}

function record(value: unknown): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  if (value instanceof Y.AbstractType || value instanceof Uint8Array) return null;
  return value as Record<string, unknown>;
}

/** Why a stored event value is refused, or null. */
export function eventProblem(value: unknown): string | null {
  const e = record(value);
  if (!e) return 'an event is an object';
  for (const k of Object.keys(e)) {
    if (!['v', 'kind', 'actor', 'user', 'text', 'at'].includes(k)) return `unknown field ${k}`;
  }
  if (e.v !== EVENT_VERSION) return `v must be ${EVENT_VERSION}`;
  if (typeof e.kind !== 'string' || !(EVENT_KINDS as readonly string[]).includes(e.kind)) {
    return `kind must be one of ${EVENT_KINDS.join(', ')}`;
  }
  if (!isId(e.actor)) return 'actor must be a user id';
  if (typeof e.at !== 'number' || !Number.isFinite(e.at) || e.at < 0) return 'at must be a time';
  const needsUser = e.kind === 'added' || e.kind === 'removed';
  if (needsUser ? !isId(e.user) : e.user !== undefined) {
    return needsUser ? 'user must be a user id' : `a ${e.kind} event has no user`;
  }
  if (e.kind === 'renamed') {
    if (typeof e.text !== 'string' || e.text.trim() === '') return 'a rename names the title';
    if (e.text.length > 200 || ONE_LINE_FORBIDDEN.test(e.text) || !isWellFormed(e.text)) {
      return 'the title is one line of at most 200 characters';
    }
  } else if (e.kind === 'topic') {
    const p = topicProblem(e.text);
    if (p) return p;
  } else if (e.text !== undefined) {
    return `a ${e.kind} event has no text`;
  }
  return null;
}

/** Reads one event, or null when it is malformed (never trusted). */
export function readEvent(key: string, value: unknown): SystemEvent | null {
  if (!isEventKey(key) || eventProblem(value) !== null) return null;
  const e = value as Record<string, unknown>;
  const out: SystemEvent = {
    id: key,
    kind: e.kind as SystemEventKind,
    actor: e.actor as string,
    at: e.at as number,
  };
  if (typeof e.user === 'string') out.user = e.user;
  if (typeof e.text === 'string') out.text = e.text;
  return out;
}

/** The conversation's events, oldest first. */
export function readEvents(doc: Y.Doc): SystemEvent[] {
  if (!doc.share.has(EVENTS_ROOT)) return [];
  let map: Y.Map<unknown>;
  try {
    map = doc.getMap<unknown>(EVENTS_ROOT);
  } catch {
    return [];
  }
  const out: SystemEvent[] = [];
  map.forEach((value, key) => {
    const e = readEvent(key, value);
    if (e) out.push(e);
  });
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The relay's writer: adds an event (validated first; throws `ModelError` `invalid`, writing
 * nothing) and deletes the oldest beyond MAX_EVENTS. Returns the entry's key.
 */
export function writeEvent(
  doc: Y.Doc,
  event: Omit<SystemEvent, 'id'>,
  suffix: string,
  max = MAX_EVENTS,
): string {
  const value: Record<string, unknown> = {
    v: EVENT_VERSION,
    kind: event.kind,
    actor: event.actor,
  };
  if (event.user !== undefined) value.user = event.user;
  if (event.text !== undefined) value.text = event.text;
  value.at = event.at;
  const problem = eventProblem(value);
  if (problem) throw new ModelError('invalid', `writeEvent: ${problem}: ${show(event)}`);
  const key = eventKey(event.at, suffix);
  if (!isEventKey(key)) throw new ModelError('invalid', `writeEvent: bad suffix ${show(suffix)}`);
  const map = doc.getMap<unknown>(EVENTS_ROOT);
  doc.transact(() => {
    map.set(key, value);
    if (map.size > max) {
      const keys = [...map.keys()].sort();
      for (const k of keys.slice(0, map.size - max)) map.delete(k);
    }
  });
  return key;
}
