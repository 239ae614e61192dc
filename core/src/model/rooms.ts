// Names of the documents (y-websocket rooms) that make up a workspace and its conversations.
// The charset and length rules for any room name live in `protocol/rooms.ts`; this module
// knows which names the conversation model uses and what they mean.
import { isId } from '../ids';
import { wallOf } from '../hlc';
import { check, show } from './errors';

/** A history page spans one 7-day period of message-id time. */
export const PAGE_SPAN_MS = 7 * 24 * 60 * 60 * 1000;

/** The workspace catalogue: conversations and profiles. */
export const workspaceRoom = 'workspace';

/**
 * The reserved user id of the relay itself. It is not an `isId` id, so no account can have
 * it: the only sender whose changes an inbox (directory) document accepts.
 */
export const RELAY_USER = 'relay';

export type RoomRef =
  | { kind: 'workspace' }
  | { kind: 'meta'; convId: string }
  | { kind: 'page'; convId: string; period: number }
  | { kind: 'inbox'; userId: string }
  | { kind: 'self'; userId: string };

export type RoomKind = RoomRef['kind'];

/** The period (page number) of a time in ms since the epoch. */
export function periodOf(ms: number): number {
  check(Number.isFinite(ms) && ms >= 0, `periodOf: ms must be a time since the epoch, got ${ms}`);
  return Math.floor(ms / PAGE_SPAN_MS);
}

/** The first ms of a period. */
export function periodStart(period: number): number {
  checkPeriod(period, 'periodStart');
  return period * PAGE_SPAN_MS;
}

/** The period of the page a message belongs on: that of its own id's wall time. */
export function periodOfMessage(messageId: string): number {
  return periodOf(wallOf(messageId));
}

// The messages are built only when a check fails: a catch-up names thousands of rooms, and
// building each message up front was most of what naming a room cost.
function checkPeriod(period: number, fn: string): void {
  if (!(Number.isSafeInteger(period) && period >= 0)) {
    check(false, `${fn}: period must be an integer >= 0, got ${show(period)}`);
  }
}

function checkConvId(convId: string, fn: string): void {
  if (!isId(convId)) {
    check(false, `${fn}: conversation id must be a 16-character id, got ${show(convId)}`);
  }
}

/** `inbox/<userId>`: the user's directory document, written by the relay only. */
export function inboxRoom(userId: string): string {
  check(isId(userId), `inboxRoom: user id must be a 16-character id, got ${show(userId)}`);
  return `inbox/${userId}`;
}

/**
 * `self/<userId>`: the user's own document (schema 3: saved messages, unread marks,
 * reminders; core/src/model/personal.ts). Only that user opens and writes it.
 */
export function selfRoom(userId: string): string {
  check(isId(userId), `selfRoom: user id must be a 16-character id, got ${show(userId)}`);
  return `self/${userId}`;
}

/** `conv/<convId>`: the conversation's meta document. */
export function metaRoom(convId: string): string {
  checkConvId(convId, 'metaRoom');
  return `conv/${convId}`;
}

/** `conv/<convId>/p<period>`: one history page. */
export function pageRoom(convId: string, period: number): string {
  checkConvId(convId, 'pageRoom');
  checkPeriod(period, 'pageRoom');
  return `conv/${convId}/p${period}`;
}

const META = /^conv\/([0-9A-HJKMNP-TV-Z]{16})$/;
const INBOX = /^inbox\/([0-9A-HJKMNP-TV-Z]{16})$/;
const SELF = /^self\/([0-9A-HJKMNP-TV-Z]{16})$/;
const PAGE = /^conv\/([0-9A-HJKMNP-TV-Z]{16})\/p(0|[1-9][0-9]{0,14})$/;

/**
 * What a room name means, or null if it is not one of the model's rooms (e.g. a relay
 * endpoint or a room kind a later version adds). Only canonical names parse: `p007` does
 * not, so one document never has two names.
 */
export function parseRoom(name: string): RoomRef | null {
  if (name === workspaceRoom) return { kind: 'workspace' };
  let m = META.exec(name);
  if (m) return { kind: 'meta', convId: m[1] as string };
  m = INBOX.exec(name);
  if (m) return { kind: 'inbox', userId: m[1] as string };
  m = SELF.exec(name);
  if (m) return { kind: 'self', userId: m[1] as string };
  m = PAGE.exec(name);
  if (m) {
    const period = Number(m[2]);
    if (!Number.isSafeInteger(period)) return null;
    return { kind: 'page', convId: m[1] as string, period };
  }
  return null;
}
