// The conversation policy over forged and honest raw Yjs updates: the checker says what an
// update does, judge() decides with the sender's role and the conversation's state.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import { change } from './replica';
import {
  ModelError,
  RELAY_USER,
  addMessage,
  createUpdateChecker,
  deleteMessage,
  editMessage,
  encodeHlc,
  getMessage,
  inboxRoom,
  initConversation,
  judge,
  markRead,
  messagesOf,
  parseRoom,
  periodOfMessage,
  react,
  recordMessage,
  validateDoc,
  writePerson,
  type ConversationKind,
  type ConversationRole,
  type PolicyContext,
  type RoomRef,
  type Verdict,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0'; // author
const MOD = 'M0DM0DM0DM0DM0D0'; // moderator
const BOB = 'B0BB0BB0BB0BB0B0'; // plain member
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 10, 27, 9);
const id = (wall: number, node = 'DEV1') => encodeHlc({ wall, counter: 0, node });
const PAGE: RoomRef = { kind: 'page', convId: CONV, period: periodOfMessage(id(T)) };
const META: RoomRef = { kind: 'meta', convId: CONV };

function page(): Y.Doc {
  const doc = new Y.Doc();
  addMessage(doc, { id: id(T), author: ANN, text: 'hello', createdAt: T });
  return doc;
}

interface Ctx {
  room?: RoomRef;
  role?: ConversationRole | null;
  kind?: ConversationKind;
  archived?: boolean;
}

/** Checks `update` from `sender` against `live` and judges it. */
function verdict(live: Y.Doc, update: Uint8Array, sender: string, ctx: Ctx = {}): Verdict {
  const room = ctx.room ?? PAGE;
  const checker = createUpdateChecker(room, live);
  try {
    const context: PolicyContext = {
      room,
      sender,
      convRole: ctx.role === undefined ? 'member' : ctx.role,
      kind: ctx.kind ?? 'channel',
      archived: ctx.archived ?? false,
    };
    return judge(checker.inspect(update, sender), context);
  } finally {
    checker.destroy();
  }
}

const refusedBy = (v: Verdict) => (v.ok ? 'accepted' : `${v.rule} ${v.path}`);
const MSG = `messages/${id(T)}`;

describe('judge: authorship', () => {
  it('refuses an edit of someone else’s message, even from a moderator or owner', () => {
    const live = page();
    const forged = change(live, (d) => editMessage(d, id(T), ANN, 'I never said that', T + 1));
    expect(refusedBy(verdict(live, forged, BOB))).toBe(`owner ${MSG}`);
    expect(refusedBy(verdict(live, forged, MOD, { role: 'moderator' }))).toBe(`owner ${MSG}`);
    expect(refusedBy(verdict(live, forged, MOD, { role: 'owner' }))).toBe(`owner ${MSG}`);
    expect(verdict(live, forged, ANN)).toEqual({ ok: true, moderated: [] });
  });

  it('accepts a moderator’s tombstone (written with raw Yjs) and names the message; refuses it from a member', () => {
    const live = page();
    const tombstone = change(live, (d) => {
      const m = messagesOf(d).get(id(T)) as Y.Map<unknown>;
      d.transact(() => {
        m.set('deleted', true);
        m.set('deletedAt', T + 5);
        m.set('text', '');
        m.set('deletedBy', MOD);
      });
    });
    expect(verdict(live, tombstone, MOD, { role: 'moderator' })).toEqual({
      ok: true,
      moderated: [id(T)],
    });
    expect(verdict(live, tombstone, MOD, { role: 'owner' })).toEqual({
      ok: true,
      moderated: [id(T)],
    });
    const asMember = verdict(live, tombstone, MOD, { role: 'member' });
    expect(refusedBy(asMember)).toBe(`owner ${MSG}`);
    expect(asMember.ok ? '' : asMember.message).toMatch(/only moderators and owners/);
  });

  it('accepts the tombstone deleteMessage writes with { moderator: true }, which records deletedBy', () => {
    const live = page();
    const update = change(live, (d) => deleteMessage(d, id(T), MOD, T + 5, { moderator: true }));
    expect(verdict(live, update, MOD, { role: 'moderator' })).toEqual({
      ok: true,
      moderated: [id(T)],
    });
    Y.applyUpdate(live, update);
    expect(getMessage(live, id(T))).toMatchObject({
      deleted: true,
      text: '',
      deletedAt: T + 5,
      deletedBy: MOD,
      author: ANN,
    });
    expect(validateDoc(PAGE, live)).toEqual([]);
    // Without the option only the author deletes, as before.
    expect(() => deleteMessage(page(), id(T), MOD, T)).toThrow(ModelError);
    // The author's own deletion records no deletedBy.
    const own = page();
    expect(deleteMessage(own, id(T), ANN, T + 1, { moderator: true }).deletedBy).toBeNull();
  });

  it('refuses a moderator who changes the text instead of deleting, or signs as someone else', () => {
    const live = page();
    const rewrite = change(live, (d) => {
      const m = messagesOf(d).get(id(T)) as Y.Map<unknown>;
      m.set('deleted', true);
      m.set('deletedAt', T + 5);
      m.set('text', 'edited by a moderator');
      m.set('deletedBy', MOD);
    });
    expect(refusedBy(verdict(live, rewrite, MOD, { role: 'moderator' }))).toBe(`owner ${MSG}`);
    const plainEdit = change(live, (d) => messagesOf(d).get(id(T))?.set('text', 'x'));
    expect(refusedBy(verdict(live, plainEdit, MOD, { role: 'owner' }))).toBe(`owner ${MSG}`);
    const alias = change(live, (d) => deleteMessage(d, id(T), BOB, T + 5, { moderator: true }));
    expect(refusedBy(verdict(live, alias, MOD, { role: 'moderator' }))).toBe(`owner ${MSG}`);
    // The author's own deletion replayed by a moderator is not signed: not a moderation.
    const unsigned = change(live, (d) => deleteMessage(d, id(T), ANN, T + 5));
    expect(refusedBy(verdict(live, unsigned, MOD, { role: 'moderator' }))).toBe(`owner ${MSG}`);
    const extra = change(live, (d) => {
      deleteMessage(d, id(T), MOD, T + 5, { moderator: true });
      messagesOf(d)
        .get(id(T))
        ?.set('editedAt', T + 5);
    });
    expect(refusedBy(verdict(live, extra, MOD, { role: 'moderator' }))).toBe(`owner ${MSG}`);
    const unset = change(live, (d) => {
      deleteMessage(d, id(T), MOD, T + 5, { moderator: true });
      messagesOf(d).get(id(T))?.delete('createdAt');
    });
    expect(verdict(live, unset, MOD, { role: 'moderator' }).ok).toBe(false);
  });

  it('refuses a hidden write that loses to a concurrent one inside a tombstone', () => {
    const live = page();
    // The moderator's replica writes text twice in one update: the first value is
    // overwritten at once and never shows.
    const sneaky = change(live, (d) => {
      const m = messagesOf(d).get(id(T)) as Y.Map<unknown>;
      d.transact(() => {
        m.set('text', 'sneaky');
        m.set('deleted', true);
        m.set('deletedAt', T + 5);
        m.set('text', '');
        m.set('deletedBy', MOD);
      });
    });
    // Only the last value shows, but the update carries the first one too: not a tombstone.
    expect(refusedBy(verdict(live, sneaky, MOD, { role: 'moderator' }))).toBe(`owner ${MSG}`);
  });

  it('accepts a moderator’s tombstone concurrent with the author’s edit, whichever write wins', () => {
    for (const [modClient, annClient] of [
      [1, 2],
      [2, 1],
    ] as const) {
      const live = new Y.Doc();
      live.clientID = 100;
      addMessage(live, { id: id(T), author: ANN, text: 'hello', createdAt: T });
      const edit = change(live, (d) => editMessage(d, id(T), ANN, 'hello!', T + 1), annClient);
      const del = change(
        live,
        (d) => deleteMessage(d, id(T), MOD, T + 2, { moderator: true }),
        modClient,
      );
      Y.applyUpdate(live, edit);
      expect(verdict(live, del, MOD, { role: 'moderator' })).toEqual({
        ok: true,
        moderated: [id(T)],
      });
      Y.applyUpdate(live, del);
      expect(getMessage(live, id(T))).toMatchObject({ deleted: true, text: '' });
    }
  });

  it('accepts two moderators deleting the same message concurrently', () => {
    const live = page();
    const first = change(live, (d) => deleteMessage(d, id(T), MOD, T + 1, { moderator: true }), 9);
    const second = change(live, (d) => deleteMessage(d, id(T), BOB, T + 2, { moderator: true }), 1);
    Y.applyUpdate(live, first);
    expect(verdict(live, second, BOB, { role: 'owner' })).toEqual({
      ok: true,
      moderated: [id(T)],
    });
  });
});

describe('judge: announcements', () => {
  it('refuses a new message from a plain member; owners and moderators post', () => {
    const live = page();
    const post = change(live, (d) =>
      addMessage(d, { id: id(T + 1), author: BOB, text: 'hi all', createdAt: T }),
    );
    const member = verdict(live, post, BOB, { kind: 'announcement' });
    expect(refusedBy(member)).toBe(`announcement messages/${id(T + 1)}`);
    expect(member.ok ? '' : member.message).toMatch(/only owners and moderators post/);
    expect(verdict(live, post, BOB, { kind: 'announcement', role: 'moderator' }).ok).toBe(true);
    expect(verdict(live, post, BOB, { kind: 'announcement', role: 'owner' }).ok).toBe(true);
    expect(verdict(live, post, BOB, { kind: 'channel' }).ok).toBe(true);
  });

  it('refuses a plain member’s page-index entry there, since it only comes with a post', () => {
    const meta = new Y.Doc();
    initConversation(meta, { title: 'News', createdBy: ANN, createdAt: T });
    const index = change(meta, (d) =>
      recordMessage(d, {
        period: periodOfMessage(id(T)),
        author: BOB,
        id: id(T),
        text: 'x',
        at: T,
      }),
    );
    expect(refusedBy(verdict(meta, index, BOB, { room: META, kind: 'announcement' }))).toMatch(
      /^announcement pages\//,
    );
  });

  it('lets a plain member react, mark read, and edit their own older message', () => {
    const live = page();
    addMessage(live, { id: id(T + 1), author: BOB, text: 'from before', createdAt: T });
    const reaction = change(live, (d) => react(d, id(T), '👍', BOB, true, T + 1));
    const read = change(live, (d) => markRead(d, BOB, T + 1));
    const edit = change(live, (d) => editMessage(d, id(T + 1), BOB, 'edited', T + 2));
    for (const u of [reaction, read, edit]) {
      expect(verdict(live, u, BOB, { kind: 'announcement' })).toEqual({ ok: true, moderated: [] });
    }
  });
});

describe('judge: archived conversations', () => {
  it('accepts read markers only', () => {
    const live = page();
    addMessage(live, { id: id(T + 1), author: BOB, text: 'mine', createdAt: T });
    const archived = { archived: true, role: 'owner' as const };
    const read = change(live, (d) => markRead(d, BOB, T + 1));
    expect(verdict(live, read, BOB, archived)).toEqual({ ok: true, moderated: [] });
    const post = change(live, (d) =>
      addMessage(d, { id: id(T + 2), author: BOB, text: 'late', createdAt: T }),
    );
    expect(refusedBy(verdict(live, post, BOB, archived))).toBe(`archived messages/${id(T + 2)}`);
    const reaction = change(live, (d) => react(d, id(T), '👍', BOB, true, T + 1));
    expect(refusedBy(verdict(live, reaction, BOB, archived))).toMatch(/^archived reactions\//);
    const edit = change(live, (d) => editMessage(d, id(T + 1), BOB, 'edited', T + 2));
    expect(refusedBy(verdict(live, edit, BOB, archived))).toBe(`archived messages/${id(T + 1)}`);
    const moderation = change(live, (d) =>
      deleteMessage(d, id(T), BOB, T + 2, { moderator: true }),
    );
    expect(refusedBy(verdict(live, moderation, BOB, archived))).toBe(`archived ${MSG}`);
    const meta = new Y.Doc();
    const info = change(meta, (d) =>
      initConversation(d, { title: 'Old', createdBy: BOB, createdAt: T }),
    );
    expect(refusedBy(verdict(meta, info, BOB, { ...archived, room: META }))).toMatch(
      /^archived info\//,
    );
  });
});

describe('judge: inbox documents and membership', () => {
  const INBOX = parseRoom(inboxRoom(BOB)) as RoomRef;

  it('refuses client writes to an inbox, the owner’s included, and accepts the relay’s', () => {
    const live = new Y.Doc();
    const write = change(live, (d) => writePerson(d, BOB, { username: 'bob', displayName: 'Bob' }));
    const ctx = { room: INBOX, kind: undefined, role: null };
    expect(refusedBy(verdict(live, write, BOB, ctx))).toBe(`relay-only people/${BOB}`);
    expect(refusedBy(verdict(live, write, ANN, ctx))).toBe(`relay-only people/${BOB}`);
    expect(verdict(live, write, RELAY_USER, ctx)).toEqual({ ok: true, moderated: [] });
    // An honest client's empty sync step 2 changes nothing and passes.
    expect(verdict(live, Y.encodeStateAsUpdate(new Y.Doc()), BOB, ctx).ok).toBe(true);
  });

  it('refuses writes from someone who is not a member; an empty update passes', () => {
    const live = page();
    const post = change(live, (d) =>
      addMessage(d, { id: id(T + 1), author: BOB, text: 'hi', createdAt: T }),
    );
    expect(refusedBy(verdict(live, post, BOB, { role: null }))).toBe(
      `not-a-member messages/${id(T + 1)}`,
    );
    expect(verdict(live, Y.encodeStateAsUpdate(new Y.Doc()), BOB, { role: null }).ok).toBe(true);
  });

  it('refuses any schema problem first, whatever the role', () => {
    const live = page();
    const junk = change(live, (d) => d.getMap('secrets').set('x', 1));
    expect(refusedBy(verdict(live, junk, MOD, { role: 'owner' }))).toBe('unknown-root secrets');
  });
});

describe('schema: deletedBy', () => {
  it('is a user id, and only on a deleted message', () => {
    const doc = page();
    messagesOf(doc).get(id(T))?.set('deletedBy', MOD);
    expect(validateDoc(PAGE, doc).map((p) => p.message)).toEqual([
      'deletedBy is only on a deleted message',
    ]);
    deleteMessage(doc, id(T), ANN, T + 1);
    expect(validateDoc(PAGE, doc)).toEqual([]);
    messagesOf(doc).get(id(T))?.set('deletedBy', 'relay');
    expect(validateDoc(PAGE, doc).map((p) => p.message)).toEqual(['deletedBy must be a user id']);
  });
});

describe('judge with a kept checker', () => {
  it('makes the checker forget an update the policy refused, deletions included', () => {
    const live = page();
    react(live, id(T), '👍', BOB, true, T);
    const checker = createUpdateChecker(PAGE, live);
    const unreact = change(live, (d) => react(d, id(T), '👍', BOB, false, T + 1));
    const ctx = (archived: boolean): PolicyContext => ({
      room: PAGE,
      sender: BOB,
      convRole: 'member',
      kind: 'channel',
      archived,
    });
    // Refused while archived: a delete-only update, so the state vectors alone would not
    // tell that the checker's copy went ahead of the live document.
    expect(refusedBy(judge(checker.inspect(unreact, BOB), ctx(true)))).toMatch(
      /^archived reactions\//,
    );
    // Unarchived, the same update is judged against the live document again, and applies.
    const again = checker.inspect(unreact, BOB);
    expect(again.changes.map((c) => `${c.action} ${c.root}`)).toEqual(['delete reactions']);
    expect(judge(again, ctx(false))).toEqual({ ok: true, moderated: [] });
    checker.destroy();
  });
});
