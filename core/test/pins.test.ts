// Pins (schema 2, docs/messaging.md "Pins"): the model's writers and reader, the schema's
// `pins` root, and the policy over raw updates (a moderator's unpin of someone else's pin is
// the `unpin` rule, allowed to moderators and owners only).
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import { change } from './replica';
import {
  ModelError,
  createUpdateChecker,
  encodeHlc,
  initConversation,
  judge,
  listPins,
  parsePinKey,
  pin,
  pinsOf,
  unpin,
  unpinAll,
  validateDoc,
  type ConversationKind,
  type ConversationRole,
  type RoomRef,
  type Verdict,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const MOD = 'M0DM0DM0DM0DM0D0';
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 10, 27, 9);
const id = (wall: number, node = 'DEV1') => encodeHlc({ wall, counter: 0, node });
const META: RoomRef = { kind: 'meta', convId: CONV };
const M1 = id(T);
const M2 = id(T + 1000);

function meta(): Y.Doc {
  const doc = new Y.Doc();
  initConversation(doc, { title: 'General', createdBy: ANN, createdAt: T });
  return doc;
}

function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)));
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)));
}

function verdict(
  live: Y.Doc,
  update: Uint8Array,
  sender: string,
  ctx: { role?: ConversationRole | null; kind?: ConversationKind; archived?: boolean } = {},
): Verdict {
  const checker = createUpdateChecker(META, live);
  try {
    return judge(checker.inspect(update, sender), {
      room: META,
      sender,
      convRole: ctx.role === undefined ? 'member' : ctx.role,
      kind: ctx.kind ?? 'channel',
      archived: ctx.archived ?? false,
    });
  } finally {
    checker.destroy();
  }
}
const refusedBy = (v: Verdict) => (v.ok ? 'accepted' : `${v.rule} ${v.path}`);

describe('pins: model', () => {
  it('pins, lists newest first with who pinned, unpins one’s own', () => {
    const doc = meta();
    pin(doc, { message: M1, user: ANN, at: T + 10 });
    pin(doc, { message: M2, user: BOB, at: T + 20 });
    pin(doc, { message: M1, user: BOB, at: T + 30 });
    expect(listPins(doc)).toEqual([
      { messageId: M1, by: [ANN, BOB], at: T + 30 },
      { messageId: M2, by: [BOB], at: T + 20 },
    ]);
    // Idempotent: pinning again keeps the first time and writes nothing.
    const before = Y.encodeStateVector(doc);
    pin(doc, { message: M1, user: ANN, at: T + 99 });
    expect(Y.encodeStateVector(doc)).toEqual(before);
    expect(unpin(doc, { message: M1, user: BOB })).toBe(true);
    expect(unpin(doc, { message: M1, user: BOB })).toBe(false);
    expect(listPins(doc).map((p) => [p.messageId, p.by])).toEqual([
      [M2, [BOB]],
      [M1, [ANN]],
    ]);
    expect(validateDoc(META, doc)).toEqual([]);
  });

  it('unpinAll removes every entry for the message and says whose', () => {
    const doc = meta();
    pin(doc, { message: M1, user: ANN, at: T });
    pin(doc, { message: M1, user: BOB, at: T + 1 });
    pin(doc, { message: M2, user: BOB, at: T + 2 });
    expect(unpinAll(doc, M1)).toEqual([ANN, BOB]);
    expect(listPins(doc).map((p) => p.messageId)).toEqual([M2]);
    expect(unpinAll(doc, M1)).toEqual([]);
  });

  it('refuses bad input with a ModelError and writes nothing', () => {
    const doc = meta();
    const before = Y.encodeStateAsUpdate(doc);
    expect(() => pin(doc, { message: 'nope', user: ANN, at: T })).toThrow(ModelError);
    expect(() => pin(doc, { message: M1, user: 'x', at: T })).toThrow(/user/);
    expect(() => pin(doc, { message: M1, user: ANN, at: -1 })).toThrow(ModelError);
    expect(() => unpin(doc, { message: M1, user: '' })).toThrow(ModelError);
    expect(() => unpinAll(doc, '')).toThrow(ModelError);
    expect(Y.encodeStateAsUpdate(doc)).toEqual(before);
  });

  it('merges: pins made on two offline replicas both show; an unpin removes only its entry', () => {
    const a = meta();
    const b = new Y.Doc();
    sync(a, b);
    pin(a, { message: M1, user: ANN, at: T + 1 });
    sync(a, b);
    // Offline: Bob pins M1 and M2, Ann unpins M1 at the same time.
    pin(b, { message: M1, user: BOB, at: T + 5 });
    pin(b, { message: M2, user: BOB, at: T + 6 });
    unpin(a, { message: M1, user: ANN });
    sync(a, b);
    expect(listPins(a)).toEqual(listPins(b));
    expect(listPins(a)).toEqual([
      { messageId: M2, by: [BOB], at: T + 6 },
      { messageId: M1, by: [BOB], at: T + 5 },
    ]);
  });

  it('parsePinKey reads <messageId>|<userId> only', () => {
    expect(parsePinKey(`${M1}|${ANN}`)).toEqual({ messageId: M1, user: ANN });
    expect(parsePinKey(`${M1}|${ANN}|x`)).toBeNull();
    expect(parsePinKey(`x|${ANN}`)).toBeNull();
    expect(parsePinKey(M1)).toBeNull();
  });

  it('listPins skips malformed entries a peer wrote; the schema names them', () => {
    const doc = meta();
    pin(doc, { message: M1, user: ANN, at: T });
    pinsOf(doc).set('junk', T);
    pinsOf(doc).set(`${M2}|${BOB}`, 'yesterday' as unknown as number);
    expect(listPins(doc).map((p) => p.messageId)).toEqual([M1]);
    expect(validateDoc(META, doc).map((p) => `${p.rule} ${p.path}`)).toEqual([
      'bad-key pins/junk',
      `bad-value pins/${M2}|${BOB}`,
    ]);
  });
});

describe('pins: policy over raw updates', () => {
  it('accepts a member’s own pin and unpin; refuses a pin written in someone else’s name', () => {
    const live = meta();
    const own = change(live, (d) => pin(d, { message: M1, user: BOB, at: T }));
    expect(verdict(live, own, BOB)).toEqual({ ok: true, moderated: [] });
    Y.applyUpdate(live, own);
    const unpinOwn = change(live, (d) => unpin(d, { message: M1, user: BOB }));
    expect(verdict(live, unpinOwn, BOB)).toEqual({ ok: true, moderated: [] });
    const forged = change(live, (d) => pin(d, { message: M2, user: ANN, at: T }));
    expect(refusedBy(verdict(live, forged, BOB))).toBe(`owner pins/${M2}|${ANN}`);
    // Not even a moderator pins in someone else's name.
    expect(refusedBy(verdict(live, forged, MOD, { role: 'moderator' }))).toBe(
      `owner pins/${M2}|${ANN}`,
    );
    const retime = change(live, (d) => pinsOf(d).set(`${M1}|${BOB}`, T + 9));
    expect(refusedBy(verdict(live, retime, ANN))).toBe(`owner pins/${M1}|${BOB}`);
  });

  it('refuses a member’s removal of someone else’s pin as `unpin`; accepts a moderator’s and an owner’s, naming it', () => {
    const live = meta();
    pin(live, { message: M1, user: ANN, at: T });
    pin(live, { message: M1, user: BOB, at: T + 1 });
    const all = change(live, (d) => unpinAll(d, M1));
    const asMember = verdict(live, all, BOB);
    expect(refusedBy(asMember)).toBe(`unpin pins/${M1}|${ANN}`);
    expect(asMember.ok ? '' : asMember.message).toMatch(/only moderators and owners/);
    expect(verdict(live, all, MOD, { role: 'moderator' })).toEqual({
      ok: true,
      moderated: [],
      unpinned: [`${M1}|${ANN}`, `${M1}|${BOB}`],
    });
    // Bob's own key in the same update is not a moderation.
    expect(verdict(live, all, BOB, { role: 'owner' })).toEqual({
      ok: true,
      moderated: [],
      unpinned: [`${M1}|${ANN}`],
    });
  });

  it('announcement: only those who may post pin; archived: nothing changes', () => {
    const live = meta();
    const bobPins = change(live, (d) => pin(d, { message: M1, user: BOB, at: T }));
    expect(refusedBy(verdict(live, bobPins, BOB, { kind: 'announcement' }))).toBe(
      `announcement pins/${M1}|${BOB}`,
    );
    expect(verdict(live, bobPins, BOB, { kind: 'announcement', role: 'moderator' }).ok).toBe(true);
    expect(refusedBy(verdict(live, bobPins, BOB, { archived: true, role: 'owner' }))).toBe(
      `archived pins/${M1}|${BOB}`,
    );
    expect(refusedBy(verdict(live, bobPins, BOB, { role: null }))).toBe(
      `not-a-member pins/${M1}|${BOB}`,
    );
    // A member removes their own old pin even where they may no longer pin.
    Y.applyUpdate(live, bobPins);
    const unpinOwn = change(live, (d) => unpin(d, { message: M1, user: BOB }));
    expect(verdict(live, unpinOwn, BOB, { kind: 'announcement' }).ok).toBe(true);
  });
});
