// The Activity / Threads logic without a relay: digests of page documents and the views built
// from them (renderer/src/data/activity-index.ts).
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import { addMessage, deleteMessage, react } from '../../../core/src/model/page';
import { markRead } from '../../../core/src/model/meta';
import { encodeHlc } from '../../../core/src/hlc';
import { periodOfMessage } from '../../../core/src/model/rooms';
import {
  buildActivity,
  digestPage,
  emptyState,
  putDigest,
  readState,
  threadReplyKeys,
  MAX_DIGEST_MESSAGES,
  type ActivityState,
} from '../../src/data/activity-index';

const ME = 'ANNANNANNANNANN0';
const BO = 'B0BB0BB0BB0BB0B0';
const CY = 'CYCYCYCYCYCYCYC0';
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 10, 27, 9);
const id = (n: number) => encodeHlc({ wall: T + n, counter: 0, node: 'DEV1' });
const P = periodOfMessage(id(0));

function add(doc: Y.Doc, n: number, author: string, text: string, parent?: number, broadcast?: boolean): void {
  addMessage(doc, {
    id: id(n),
    author,
    text,
    createdAt: T + n,
    ...(parent !== undefined ? { parent: id(parent) } : {}),
    ...(broadcast ? { broadcast } : {}),
  });
}

function stateOf(doc: Y.Doc, base: ActivityState = emptyState(T - 1)): ActivityState {
  return putDigest(base, `conv/${CONV}/p${P}`, digestPage(doc, CONV, P, ME, 'ann'));
}

describe('activity index', () => {
  it('lists mentions of me, replies in threads I follow and reactions to mine, newest first', () => {
    const doc = new Y.Doc();
    add(doc, 1, ME, 'my root');
    add(doc, 2, BO, 'hey @ann look');
    add(doc, 3, BO, 'reply to you', 1);
    add(doc, 4, CY, 'someone else’s root');
    add(doc, 5, BO, 'reply there', 4); // a thread I do not follow
    add(doc, 6, BO, '`@ann` in code is no mention');
    react(doc, id(1), '🎉', BO, true, T + 7);
    react(doc, id(1), '👍', ME, true, T + 8); // my own: not activity
    const r = buildActivity(stateOf(doc), ME);
    expect(r.items.map((i) => [i.kind, i.messageId, i.rootId, i.actorId, i.emoji])).toEqual([
      ['reaction', id(1), null, BO, '🎉'],
      ['reply', id(3), id(1), BO, null],
      ['mention', id(2), null, BO, null],
    ]);
    expect(r.items.every((i) => i.unread)).toBe(true);
    expect(r.unread).toBe(3);
    expect(r.items[0]?.text).toBe('my root');
    expect(r.threads.map((t) => [t.rootId, t.reason, t.replies, t.unread, t.rootText])).toEqual([
      [id(1), 'started', 1, 1, 'my root'],
    ]);
  });

  it('follows a thread I replied in from my reply on; a mention in a thread follows it', () => {
    const doc = new Y.Doc();
    add(doc, 1, CY, 'cy root');
    add(doc, 2, BO, 'before me', 1);
    add(doc, 3, ME, 'me too', 1);
    add(doc, 4, BO, 'after me', 1);
    add(doc, 5, BO, 'bo root');
    add(doc, 6, CY, 'hi @ann', 5);
    add(doc, 7, BO, 'later in bo’s thread', 5);
    const r = buildActivity(stateOf(doc), ME);
    expect(r.items.map((i) => [i.kind, i.messageId])).toEqual([
      ['reply', id(7)],
      ['mention', id(6)],
      ['reply', id(4)],
    ]);
    expect(r.threads.map((t) => [t.rootId, t.reason, t.replies, t.unread])).toEqual([
      [id(5), 'mentioned', 2, 2],
      [id(1), 'replied', 3, 2],
    ]);
  });

  it('my read marker and opening items read them; deleted messages and removed reactions drop out', () => {
    const doc = new Y.Doc();
    add(doc, 1, ME, 'root');
    add(doc, 2, BO, 'r1', 1);
    markRead(doc, ME, T + 2);
    add(doc, 3, BO, 'r2', 1);
    add(doc, 4, BO, '@ann again');
    react(doc, id(1), '🎉', BO, true, T + 5);
    let s = stateOf(doc);
    let r = buildActivity(s, ME);
    expect(r.items.map((i) => [i.messageId, i.unread])).toEqual([
      [id(1), true],
      [id(4), true],
      [id(3), true],
      [id(2), false],
    ]);
    s = { ...s, read: [r.items[0]!.key, ...threadReplyKeys(s, CONV, id(1))] };
    r = buildActivity(s, ME);
    expect(r.unread).toBe(1);
    expect(r.threads[0]?.unread).toBe(0);
    deleteMessage(doc, id(4), BO, T + 9);
    react(doc, id(1), '🎉', BO, false, T + 9);
    r = buildActivity(stateOf(doc, s), ME);
    expect(r.items.map((i) => i.messageId)).toEqual([id(3), id(2)]);
  });

  it('reactions older than the index are not new; unfollow hides a thread, follow brings one', () => {
    const doc = new Y.Doc();
    add(doc, 1, ME, 'root');
    react(doc, id(1), '🎉', BO, true, T + 2);
    add(doc, 3, BO, 'reply', 1);
    add(doc, 4, CY, 'not mine');
    const s = stateOf(doc, emptyState(T + 10));
    expect(buildActivity(s, ME).items.find((i) => i.kind === 'reaction')?.unread).toBe(false);
    const off = buildActivity({ ...s, unfollow: [`${CONV}|${id(1)}`] }, ME);
    expect(off.threads).toEqual([]);
    expect(off.items.map((i) => i.kind)).toEqual(['reaction']);
    expect(off.following.has(`${CONV}|${id(1)}`)).toBe(false);
    const on = buildActivity({ ...s, follow: [`${CONV}|${id(4)}`] }, ME);
    expect(on.following.has(`${CONV}|${id(4)}`)).toBe(true);
    expect(on.threads.map((t) => [t.rootId, t.reason, t.replies])).toContainEqual([id(4), 'followed', 0]);
  });

  it('joins pages: a reply on a newer page to my root on an older one', () => {
    const older = new Y.Doc();
    add(older, 1, ME, 'old root');
    const newer = new Y.Doc();
    const later = encodeHlc({ wall: T + 30 * 86_400_000, counter: 0, node: 'DEV2' });
    addMessage(newer, { id: later, author: BO, text: 'late reply', createdAt: T, parent: id(1) });
    let s = putDigest(emptyState(T), `conv/${CONV}/p${P}`, digestPage(older, CONV, P, ME, 'ann'));
    const P2 = periodOfMessage(later);
    s = putDigest(s, `conv/${CONV}/p${P2}`, digestPage(newer, CONV, P2, ME, 'ann'));
    const r = buildActivity(s, ME);
    expect(r.items.map((i) => [i.kind, i.messageId, i.rootId])).toEqual([['reply', later, id(1)]]);
    expect(r.threads[0]).toMatchObject({ rootId: id(1), rootText: 'old root', replies: 1 });
  });

  it('is bounded per page and reads a damaged stored state as empty parts', () => {
    const doc = new Y.Doc();
    for (let i = 0; i < MAX_DIGEST_MESSAGES + 20; i++) add(doc, i, BO, `@ann ${i}`);
    const d = digestPage(doc, CONV, P, ME, 'ann');
    expect(d.messages.length).toBe(MAX_DIGEST_MESSAGES);
    expect(readState({ since: 'x', digests: { a: { convId: 1 } }, read: [1, 'k'] }, 5)).toEqual({
      since: 5,
      digests: {},
      read: ['k'],
      follow: [],
      unfollow: [],
    });
    expect(readState(null, 7).since).toBe(7);
  });
});
