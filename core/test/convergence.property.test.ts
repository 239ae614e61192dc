// Property: replicas that work offline and exchange updates in any order, with duplicates and
// gaps, converge once fully merged: identical content and identical rendered order, every
// message counted once, nothing an honest replica wrote breaks the schema, and a moderator's
// deletion of someone else's message is exactly what the policy lets a moderator do.
import * as Y from 'yjs';
import { describe, it, expect, fc } from './harness';
import {
  type Clock,
  type RoomRef,
  addMessage,
  authorCounts,
  checkUpdate,
  createClock,
  deleteMessage,
  editMessage,
  initConversation,
  judge,
  createUpdateChecker,
  lastMessage,
  listAllReactions,
  listMessages,
  listPeriods,
  listPins,
  markRead,
  pageRoom,
  metaRoom,
  parseRoom,
  periodOfMessage,
  pin,
  react,
  readInfo,
  readMarker,
  receive,
  recordMessage,
  tick,
  unpin,
  unreadCount,
  validateDoc,
} from '../src/index';

const USERS = ['ANNANNANNANNANN0', 'B0BB0BB0BB0BB0B0', 'CATCATCATCATCAT0'];
const CONV = '0123456789ABCDEF';
const T0 = Date.UTC(2026, 10, 20);
const DAY = 24 * 3600 * 1000;
const EMOJI = ['👍', '🎉', ':ship:'];

type Op =
  | { kind: 'send'; r: number; dt: number; text: string; reply: boolean }
  | { kind: 'edit'; r: number; dt: number; pick: number; text: string }
  | { kind: 'delete'; r: number; dt: number; pick: number }
  | { kind: 'moderate'; r: number; dt: number; pick: number }
  | { kind: 'react'; r: number; dt: number; pick: number; emoji: number; on: boolean }
  | { kind: 'read'; r: number; dt: number }
  | { kind: 'pin'; r: number; dt: number; pick: number; on: boolean }
  | { kind: 'sync'; from: number; to: number; picks: number[] };

interface Replica {
  user: string;
  clock: Clock;
  now: number;
  docs: Map<string, Y.Doc>;
  /** Every update this replica has (its own and received), per room, in arrival order. */
  log: Map<string, Uint8Array[]>;
}

function docOf(rep: Replica, room: string): Y.Doc {
  let doc = rep.docs.get(room);
  if (!doc) {
    doc = new Y.Doc();
    const log: Uint8Array[] = [];
    rep.log.set(room, log);
    doc.on('update', (u: Uint8Array) => log.push(u));
    rep.docs.set(room, doc);
  }
  return doc;
}

function hasPending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null;
}

/** Runs a write and checks that the relay rules accept the update it produced. */
function honestWrite(rep: Replica, room: string, write: (doc: Y.Doc) => void): void {
  const doc = docOf(rep, room);
  const ref = parseRoom(room) as RoomRef;
  const before = hasPending(doc) ? null : new Y.Doc();
  if (before) Y.applyUpdate(before, Y.encodeStateAsUpdate(doc));
  const updates: Uint8Array[] = [];
  const collect = (u: Uint8Array) => updates.push(u);
  doc.on('update', collect);
  try {
    write(doc);
  } finally {
    doc.off('update', collect);
  }
  if (before && updates.length > 0) {
    const update = Y.mergeUpdates(updates);
    expect(checkUpdate(ref, before, update, rep.user)).toEqual([]);
    // The same bytes sent by anyone else are refused: every write is attributable (removing
    // someone's pin is `unpin`, which only a moderator's policy lets through).
    const other = USERS.find((u) => u !== rep.user) as string;
    const rules = checkUpdate(ref, before, update, other).map((p) => p.rule);
    expect(rules.includes('owner') || rules.includes('unpin')).toBe(true);
  }
}

/**
 * A moderator's deletion of someone else's message: the checker reports exactly one
 * `moderation` problem, which the policy accepts from a moderator and refuses from a member.
 */
function moderatorWrite(rep: Replica, room: string, id: string): void {
  const doc = docOf(rep, room);
  if (hasPending(doc)) return; // the relay would ask for what is missing first
  const before = new Y.Doc();
  Y.applyUpdate(before, Y.encodeStateAsUpdate(doc));
  const updates: Uint8Array[] = [];
  const collect = (u: Uint8Array) => updates.push(u);
  doc.on('update', collect);
  try {
    deleteMessage(doc, id, rep.user, rep.now, { moderator: true });
  } finally {
    doc.off('update', collect);
  }
  if (updates.length === 0) return;
  const update = Y.mergeUpdates(updates);
  const ref = parseRoom(room) as RoomRef;
  const judged = (role: 'moderator' | 'member') => {
    const checker = createUpdateChecker(ref, before);
    try {
      const checked = checker.inspect(update, rep.user);
      expect(checked.problems.map((p) => p.rule)).toEqual(['moderation']);
      return judge(checked, {
        room: ref,
        sender: rep.user,
        convRole: role,
        kind: 'channel',
        archived: false,
      });
    } finally {
      checker.destroy();
    }
  };
  expect(judged('moderator')).toEqual({ ok: true, moderated: [id] });
  expect(judged('member').ok).toBe(false);
}

type Seen = { id: string; author: string; deleted: boolean; room: string; parent: string | null };
function visible(rep: Replica): Seen[] {
  const out: Seen[] = [];
  for (const [room, doc] of rep.docs) {
    const ref = parseRoom(room);
    if (ref?.kind !== 'page') continue;
    for (const m of listMessages(doc))
      out.push({ id: m.id, author: m.author, deleted: m.deleted, room, parent: m.parent });
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : 1));
}

function apply(reps: Replica[], op: Op): void {
  if (op.kind === 'sync') {
    const from = reps[op.from % reps.length] as Replica;
    const to = reps[op.to % reps.length] as Replica;
    if (from === to) return;
    for (const [room, log] of from.log) {
      if (log.length === 0) continue;
      const doc = docOf(to, room);
      // A random selection of the sender's updates: out of order, duplicated, with gaps.
      for (const p of op.picks) Y.applyUpdate(doc, log[p % log.length] as Uint8Array, 'remote');
      for (const m of room.includes('/p') ? listMessages(doc) : []) receive(to.clock, m.id, to.now);
    }
    return;
  }
  const rep = reps[op.r % reps.length] as Replica;
  rep.now += op.dt;
  const meta = metaRoom(CONV);
  const mine = visible(rep).filter((m) => m.author === rep.user && !m.deleted);
  const all = visible(rep);
  switch (op.kind) {
    case 'send': {
      const id = tick(rep.clock, rep.now);
      const period = periodOfMessage(id);
      // A reply goes to a thread root (addMessage refuses a reply to a reply on its page).
      const roots = all.filter((m) => m.parent === null);
      const parent = op.reply && roots.length > 0 ? roots[roots.length - 1]?.id : undefined;
      honestWrite(rep, pageRoom(CONV, period), (d) =>
        addMessage(d, {
          id,
          author: rep.user,
          text: op.text,
          createdAt: rep.now,
          parent,
          offline: true,
        }),
      );
      honestWrite(rep, meta, (d) =>
        recordMessage(d, { period, author: rep.user, id, text: op.text, at: rep.now }),
      );
      return;
    }
    case 'edit': {
      const m = mine[op.pick % Math.max(1, mine.length)];
      if (!m) return;
      honestWrite(rep, m.room, (d) => editMessage(d, m.id, rep.user, op.text, rep.now));
      return;
    }
    case 'delete': {
      const m = mine[op.pick % Math.max(1, mine.length)];
      if (!m) return;
      honestWrite(rep, m.room, (d) => deleteMessage(d, m.id, rep.user, rep.now));
      return;
    }
    case 'moderate': {
      const others = all.filter((x) => x.author !== rep.user && !x.deleted);
      const m = others[op.pick % Math.max(1, others.length)];
      if (!m) return;
      moderatorWrite(rep, m.room, m.id);
      return;
    }
    case 'react': {
      const m = all[op.pick % Math.max(1, all.length)];
      if (!m || (m.deleted && op.on)) return;
      honestWrite(rep, m.room, (d) =>
        react(d, m.id, EMOJI[op.emoji] as string, rep.user, op.on, rep.now),
      );
      return;
    }
    case 'pin': {
      // Pins live in the meta document: my own key, pinned or removed.
      const m = all[op.pick % Math.max(1, all.length)];
      if (!m || (m.deleted && op.on)) return;
      honestWrite(rep, meta, (d) =>
        op.on
          ? pin(d, { message: m.id, user: rep.user, at: rep.now })
          : unpin(d, { message: m.id, user: rep.user }),
      );
      return;
    }
    case 'read':
      // Read markers live on the pages: the reader marks each page it holds.
      for (const room of [...rep.docs.keys()].filter((r) => parseRoom(r)?.kind === 'page'))
        honestWrite(rep, room, (d) => markRead(d, rep.user, rep.now));
      return;
  }
}

/** Everything a user sees, as JSON: must be identical on every replica. */
function view(rep: Replica, rooms: string[]): string {
  const meta = docOf(rep, metaRoom(CONV));
  const pages = rooms
    .filter((r) => parseRoom(r)?.kind === 'page')
    .sort()
    .map((room) => {
      const doc = docOf(rep, room);
      return {
        room,
        messages: listMessages(doc),
        reactions: [...listAllReactions(doc)].sort(),
        last: lastMessage(doc),
        counts: Object.entries(authorCounts(doc)).sort(),
        unread: USERS.map((u) => unreadCount(doc, u)),
        reads: USERS.map((u) => readMarker(doc, u)),
      };
    });
  return JSON.stringify({
    info: readInfo(meta),
    periods: listPeriods(meta),
    pins: listPins(meta),
    pages,
  });
}

const text = fc
  .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
  .filter((s) => s.trim().length > 0);
const dt = fc.integer({ min: 0, max: 2 * DAY });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      r: fc.nat(),
      dt,
      text,
      reply: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      r: fc.nat(),
      dt,
      pick: fc.nat(),
      text,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('delete' as const), r: fc.nat(), dt, pick: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('moderate' as const),
      r: fc.nat(),
      dt,
      pick: fc.nat(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('react' as const),
      r: fc.nat(),
      dt,
      pick: fc.nat(),
      emoji: fc.integer({ min: 0, max: EMOJI.length - 1 }),
      on: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('read' as const), r: fc.nat(), dt }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('pin' as const),
      r: fc.nat(),
      dt,
      pick: fc.nat(),
      on: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      from: fc.nat(),
      to: fc.nat(),
      picks: fc.array(fc.nat(), { maxLength: 8 }),
    }),
  },
);

describe('convergence (property)', () => {
  it('N replicas offline, partial out-of-order exchanges, then a full merge: same view everywhere', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }),
        fc.array(fc.integer({ min: -60_000, max: 60_000 }), { minLength: 5, maxLength: 5 }),
        fc.array(op, { maxLength: 40 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 25 }),
        (n, skews, ops, mergeOrder) => {
          const reps: Replica[] = Array.from({ length: n }, (_, i) => ({
            // replicas 0 and 3 are the same person on two devices
            user: USERS[i % USERS.length] as string,
            clock: createClock(`R${i}`),
            now: T0 + (skews[i] ?? 0),
            docs: new Map(),
            log: new Map(),
          }));
          const creator = reps[0] as Replica;
          honestWrite(creator, metaRoom(CONV), (d) =>
            initConversation(d, { title: 'Deck', createdBy: creator.user, createdAt: creator.now }),
          );
          let sends = 0;
          for (const o of ops) {
            if (o.kind === 'send') sends++;
            apply(reps, o);
          }
          // Full merge, pairs taken in a random order, each update possibly twice.
          const rooms = [...new Set(reps.flatMap((r) => [...r.docs.keys()]))];
          for (const k of mergeOrder) {
            const a = reps[k % n] as Replica;
            const b = reps[(k >> 3) % n] as Replica;
            for (const room of rooms)
              Y.applyUpdate(docOf(b, room), Y.encodeStateAsUpdate(docOf(a, room)));
          }
          for (const a of reps)
            for (const b of reps)
              for (const room of rooms)
                Y.applyUpdate(docOf(b, room), Y.encodeStateAsUpdate(docOf(a, room)));

          const first = view(reps[0] as Replica, rooms);
          for (const r of reps) expect(view(r, rooms)).toBe(first);

          // Rendered order: pages oldest first, each by id, gives one ascending list of ids.
          const ids = visible(reps[0] as Replica).map((m) => m.id);
          expect(ids).toHaveLength(sends);
          expect(new Set(ids).size).toBe(sends);
          for (const m of visible(reps[0] as Replica))
            expect(m.room).toBe(pageRoom(CONV, periodOfMessage(m.id)));
          // Every message counted exactly once, even from one person's two devices.
          const pageDocs = rooms
            .filter((r) => parseRoom(r)?.kind === 'page')
            .map((r) => docOf(reps[0] as Replica, r));
          const perAuthor: Record<string, number> = {};
          for (const m of visible(reps[0] as Replica))
            perAuthor[m.author] = (perAuthor[m.author] ?? 0) + 1;
          const counted: Record<string, number> = {};
          for (const d of pageDocs)
            for (const [a, n] of Object.entries(authorCounts(d)))
              counted[a] = (counted[a] ?? 0) + n;
          expect(counted).toEqual(perAuthor);
          // The page index names exactly the pages that hold messages.
          const meta = docOf(reps[0] as Replica, metaRoom(CONV));
          expect(listPeriods(meta)).toEqual(
            [...new Set(visible(reps[0] as Replica).map((m) => periodOfMessage(m.id)))].sort(
              (a, b) => b - a,
            ),
          );
          // Honest writes only: the merged documents obey the schema.
          for (const room of rooms) {
            expect(
              validateDoc(parseRoom(room) as RoomRef, docOf(reps[0] as Replica, room)),
            ).toEqual([]);
          }
          // And reading everything leaves nothing unread.
          for (const u of USERS) {
            for (const d of pageDocs) {
              markRead(d, u, T0 + 100 * DAY);
              expect(unreadCount(d, u)).toBe(0);
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
