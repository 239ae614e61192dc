// A hostile member or guest with a valid token, raw Yjs and raw frames, against a real relay
// (issue 10; docs/threat-model.md). Each case says what the relay does: what it refuses, that
// the refusal is audited, that nothing is bound or stored for it, and that honest people in
// the same room are not affected.
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { addMessage, getMessage, messagesOf } from '../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { encodeAuth, encodeData, encodeOpen } from '../../core/src/protocol/mux-frames';
import { Fixture, denials, newTestId, type TestUser } from './authz-fixture';
import { getJson, stored, synced, until, type Client } from './helpers';
import { RawSocket, closeCode } from './raw-socket';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));
/** A random clientID, as a fresh Y.Doc draws one. */
const freshClientId = () => crypto.getRandomValues(new Uint32Array(1))[0] as number;

/** A y-websocket sync "update" message carrying `update`. */
function syncUpdate(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 0);
  encoding.writeVarUint(e, 2);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

/** A y-websocket awareness message with these states. */
function awarenessMessage(
  states: Array<{ id: number; clock: number; state: unknown }>,
): Uint8Array {
  const inner = encoding.createEncoder();
  encoding.writeVarUint(inner, states.length);
  for (const s of states) {
    encoding.writeVarUint(inner, s.id);
    encoding.writeVarUint(inner, s.clock);
    encoding.writeVarString(inner, JSON.stringify(s.state));
  }
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, 1);
  encoding.writeVarUint8Array(e, encoding.toUint8Array(inner));
  return encoding.toUint8Array(e);
}

/**
 * A Yjs v1 update whose only structs are Skips (one per clientID): it names the clientIDs and
 * changes nothing, as a merged update's gap does.
 */
function skipsOnly(clientIds: number[]): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, clientIds.length);
  for (const id of clientIds) {
    encoding.writeVarUint(e, 1); // one struct
    encoding.writeVarUint(e, id); // client
    encoding.writeVarUint(e, 0); // clock
    encoding.writeUint8(e, 10); // Skip
    encoding.writeVarUint(e, 1); // length
  }
  encoding.writeVarUint(e, 0); // empty delete set
  return encoding.toUint8Array(e);
}

/** A binary mux frame about a room: not the relay's BATCH announcement (kind 4) it starts with. */
const roomFrame = (fr: { opcode: number; payload: Buffer }) =>
  fr.opcode === 2 && fr.payload[0] !== 4;

/** Sends a raw y-websocket message on a stock provider's socket (plain or mux). */
function sendRaw(c: Client, message: Uint8Array): void {
  const ws = c.provider.ws;
  if (!ws) throw new Error('provider has no socket');
  ws.send(message);
}

describe('a hostile member against the relay', () => {
  let f: Fixture;
  let alice: TestUser; // owner, honest
  let bob: TestUser; // member, honest: the victim
  let eve: TestUser; // member, hostile
  let ivy: TestUser; // member, signs out mid-socket
  let kim: TestUser; // member, writes a lot
  let lea: TestUser; // member, opens many rooms
  let ned: TestUser; // member, floods frames
  let conv: string;
  let room: string;
  let clock: Clock;
  let a: Client;

  beforeAll(async () => {
    f = await Fixture.start([
      '--max-rooms-per-user',
      '6',
      '--max-sockets-per-user',
      '6',
      '--limit-update-bytes-user',
      '65536/64/s',
      '--limit-frames-user',
      '400/20/s',
    ]);
    alice = await f.user('alice');
    bob = await f.user('bob');
    eve = await f.user('eve');
    ivy = await f.user('ivy');
    kim = await f.user('kim');
    lea = await f.user('lea');
    ned = await f.user('ned');
    conv = newTestId();
    await f.conversation(alice, {
      id: conv,
      kind: 'channel',
      title: 'Hostile',
      members: [bob.id, eve.id, ivy.id, kim.id, lea.id, ned.id],
    });
    clock = createClock(node());
    room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
    a = f.onMux(f.mux(alice), room);
    await synced(a);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const bindings = (id: number) =>
    f.rows<{ user: string }>(
      `SELECT user FROM client_ids WHERE room = '${room}' AND client_id = ${id}`,
    );

  /** Bob writes a message from a document with clientID `id`; resolves once it is stored. */
  async function bobWritesWith(id: number, text: string): Promise<string[]> {
    const doc = new Y.Doc();
    doc.clientID = id;
    const c = f.onMux(f.mux(bob), room, doc);
    await synced(c);
    const denied = denials(c);
    const msg = tick(clock, Date.now());
    addMessage(c.doc, { id: msg, author: bob.id, text, createdAt: Date.now() });
    await until(() => stored(c) || denied.length > 0, 'bob’s write answered');
    await until(() => getMessage(a.doc, msg)?.text === text || denied.length > 0, 'alice sees it');
    c.destroy();
    return denied;
  }

  describe('clientID squatting (item 1): only an accepted, applied write binds', () => {
    it('a pending struct with the victim’s clientID binds nothing', async () => {
      const victim = freshClientId();
      const e = await f.joined(room, eve);
      // Two writes of the victim's clientID; eve sends only the second: it depends on the first.
      const d = new Y.Doc();
      d.clientID = victim;
      d.getMap('reactions').set('x', 1);
      const sv = Y.encodeStateVector(d);
      d.getMap('reactions').set('y', 2);
      sendRaw(e, syncUpdate(Y.encodeStateAsUpdate(d, sv)));
      await f.relay.waitForLog((l) => l.msg === 'update needs resync' && l.user === eve.id);
      expect(bindings(victim)).toEqual([]);
      expect(await bobWritesWith(victim, 'after a pending squat')).toEqual([]);
      expect(bindings(victim)).toEqual([{ user: bob.id }]);
    });

    it('a Skip with the victim’s clientID binds nothing', async () => {
      const victim = freshClientId();
      const e = await f.joined(room, eve);
      const denied = denials(e);
      sendRaw(e, syncUpdate(skipsOnly([victim])));
      // The skip is judged like any update; it changes nothing. A later honest write of eve's
      // is answered after it (frames of one socket are handled in order).
      const mine = tick(clock, Date.now());
      addMessage(e.doc, { id: mine, author: eve.id, text: 'eve, honest', createdAt: Date.now() });
      await until(() => stored(e), 'eve’s own write stored');
      expect(denied).toEqual([]);
      expect(bindings(victim)).toEqual([]);
      expect(await bobWritesWith(victim, 'after a skip squat')).toEqual([]);
    });

    it('a refused forgery with the victim’s clientID quarantines it for the forger only', async () => {
      const victim = freshClientId();
      const e = await f.joined(room, eve);
      const denied = denials(e);
      const d = new Y.Doc();
      d.clientID = victim;
      addMessage(d, {
        id: tick(clock, Date.now()),
        author: bob.id,
        text: 'FORGED as bob',
        createdAt: Date.now(),
      });
      sendRaw(e, syncUpdate(Y.encodeStateAsUpdate(d)));
      await until(() => denied.length > 0, 'the forgery refused');
      expect(bindings(victim)).toEqual([]);
      expect(
        f.rows(`SELECT user FROM quarantine WHERE room = '${room}' AND client_id = ${victim}`),
      ).toEqual([{ user: eve.id }]);
      expect(await bobWritesWith(victim, 'after a forged squat')).toEqual([]);
      expect(bindings(victim)).toEqual([{ user: bob.id }]);
      // And the forger stays refused with it.
      d.getMap('reactions').set('z', 1);
      const before = denied.length;
      sendRaw(e, syncUpdate(Y.encodeStateAsUpdate(d)));
      await until(() => denied.length > before, 'refused again');
      expect(denied.at(-1)).toMatch(/belongs to another user|quarantined/);
    });
  });

  describe('clientID floods (item 2)', () => {
    it('refuses an update naming thousands of clientIDs: nothing bound, audited, relay responsive', async () => {
      const e = await f.joined(room, eve);
      const denied = denials(e);
      const ids = Array.from({ length: 5000 }, freshClientId);
      const rowsBefore = f.rows<{ n: number }>('SELECT COUNT(*) AS n FROM client_ids')[0]?.n;
      const auditBefore = f.audit('update.refused').length;
      sendRaw(e, syncUpdate(skipsOnly(ids)));
      await until(() => denied.length > 0, 'refused');
      expect(denied[0]).toMatch(/clientIDs in one update \(at most 64\)/);
      expect(f.rows<{ n: number }>('SELECT COUNT(*) AS n FROM client_ids')[0]?.n).toBe(rowsBefore);
      expect(
        f.rows<{ n: number }>(
          `SELECT COUNT(*) AS n FROM quarantine WHERE client_id IN (${ids.slice(0, 50).join(',')})`,
        )[0]?.n,
      ).toBe(0);
      await until(() => f.audit('update.refused').length > auditBefore, 'audited');
      expect(f.audit('update.refused').at(-1)).toMatchObject({
        actor: eve.id,
        detail: { rule: 'client-ids' },
      });
      expect((await getJson(`${f.http}/healthz`)).status).toBe(200);
    });
  });

  describe('awareness floods (item 3)', () => {
    it('keeps a few states per connection; the room stays open to everyone else', async () => {
      const g = await f.joined(room, eve);
      const auditBefore = f.audit('awareness.refused').length;
      // 5,700 states of 4 KB in three frames, as reported.
      const big = 'x'.repeat(4000);
      for (let frame = 0; frame < 3; frame++) {
        sendRaw(
          g,
          awarenessMessage(
            Array.from({ length: 1900 }, (_, i) => ({
              id: 1_000_000 + frame * 1900 + i,
              clock: 1,
              state: { pad: big },
            })),
          ),
        );
      }
      await until(() => f.audit('awareness.refused').length > auditBefore, 'audited');
      expect(f.audit('awareness.refused').at(-1)).toMatchObject({ actor: eve.id, target: room });
      // A member who opens the room now is greeted and stays connected.
      const late = await f.joined(room, bob);
      late.provider.awareness.setLocalState({ u: bob.id, p: 'online' });
      const watcher = await f.joined(room, alice);
      await until(
        () =>
          [...watcher.provider.awareness.getStates().values()].some(
            (s) => (s as { u?: string }).u === bob.id,
          ),
        'bob’s presence reaches alice',
      );
      const flooded = [...watcher.provider.awareness.getStates().keys()].filter(
        (id) => id >= 1_000_000 && id < 1_000_000 + 5700,
      );
      expect(flooded.length).toBeLessThanOrEqual(4);
      expect(late.provider.wsconnected).toBe(true);
    });

    it('refuses a connection’s fifth awareness clientID', async () => {
      const e = await f.joined(room, eve);
      const auditBefore = f.audit('awareness.refused').length;
      sendRaw(
        e,
        awarenessMessage(
          Array.from({ length: 6 }, (_, i) => ({ id: 2_000_000 + i, clock: 1, state: { i } })),
        ),
      );
      await until(() => f.audit('awareness.refused').length > auditBefore, 'audited');
      expect(f.audit('awareness.refused').at(-1)?.detail).toMatchObject({
        rule: 'awareness-per-connection',
      });
      // The connection holds its own state already: three more fit.
      await until(
        () => [...a.provider.awareness.getStates().keys()].some((id) => id === 2_000_002),
        'the first three relayed',
      );
      expect(a.provider.awareness.getStates().has(2_000_003)).toBe(false);
    });
  });

  describe('writes after the session ended (item 4)', () => {
    it('a socket the relay is closing takes nothing more, even if it never answers the close', async () => {
      const raw = await RawSocket.connect(`${f.relay.url}/${room}?token=${ivy.accessToken}`);
      await raw.next((fr) => fr.opcode === 2); // the relay's sync step 1: joined
      const before = tick(clock, Date.now());
      const d = new Y.Doc();
      addMessage(d, { id: before, author: ivy.id, text: 'before', createdAt: Date.now() });
      raw.send(syncUpdate(Y.encodeStateAsUpdate(d)));
      await until(() => getMessage(a.doc, before) !== undefined, 'her write while signed in');
      // She signs out: the relay closes her socket with 4401; her client never answers.
      expect((await f.call('POST', '/auth/logout', ivy)).status).toBeLessThan(300);
      const close = await raw.next((fr) => fr.opcode === 8);
      expect(closeCode(close)).toBe(4401);
      const after = tick(clock, Date.now());
      const sv = Y.encodeStateVector(d);
      addMessage(d, { id: after, author: ivy.id, text: 'AFTER CLOSE', createdAt: Date.now() });
      raw.send(syncUpdate(Y.encodeStateAsUpdate(d, sv)));
      await f.relay.waitForLog((l) => l.msg === 'frame ignored: the socket is closing');
      // Nothing of it reached anyone, nor the database: a fresh client gets the stored room.
      const fresh = await f.joined(room, alice);
      expect(getMessage(fresh.doc, before)?.text).toBe('before');
      expect(getMessage(fresh.doc, after)).toBeUndefined();
      expect(getMessage(a.doc, after)).toBeUndefined();
      // And the relay drops the connection without waiting for her.
      await raw.ended;
    });

    it('a mux socket closed for a token of someone else takes no more frames', async () => {
      const raw = await RawSocket.connect(`${f.relay.url}/_mux?token=${kim.accessToken}`);
      raw.send(encodeOpen(room));
      await raw.next(roomFrame);
      raw.send(encodeAuth(alice.accessToken));
      const close = await raw.next((fr) => fr.opcode === 8);
      expect(closeCode(close)).toBe(4401);
      const msg = tick(clock, Date.now());
      const d = new Y.Doc();
      addMessage(d, { id: msg, author: kim.id, text: 'AFTER AUTH', createdAt: Date.now() });
      raw.send(encodeData(room, syncUpdate(Y.encodeStateAsUpdate(d))));
      await f.relay.waitForLog(
        (l) => l.msg === 'frame ignored: the socket is closing' && l.room === undefined,
      );
      const fresh = await f.joined(room, alice);
      expect(getMessage(fresh.doc, msg)).toBeUndefined();
      expect(f.audit('socket.refused').at(-1)).toMatchObject({
        actor: kim.id,
        detail: { rule: 'auth' },
      });
      await raw.ended;
    });
  });

  describe('per-user budgets (item 10)', () => {
    it('bytes: updates past the byte budget are refused as rate limited and audited', async () => {
      const k = await f.joined(room, kim);
      const denied = denials(k);
      const auditBefore = f.audit('update.refused').length;
      // About 40 KB each: the first fits the 64 KiB budget, the second does not.
      for (let round = 0; round < 2; round++) {
        k.doc.transact(() => {
          for (let i = 0; i < 4; i++) {
            addMessage(k.doc, {
              id: tick(clock, Date.now()),
              author: kim.id,
              text: 'k'.repeat(10_000),
              createdAt: Date.now(),
            });
          }
        });
      }
      await until(() => denied.includes('rate limited'), 'rate limited');
      await until(() => f.audit('update.refused').length > auditBefore, 'audited');
      expect(f.audit('update.refused').at(-1)).toMatchObject({
        actor: kim.id,
        detail: { rule: 'rate-limited' },
      });
      expect(f.rows('SELECT * FROM quarantine WHERE user = ' + `'${kim.id}'`)).toEqual([]);
    });

    it('rooms: one user may hold at most --max-rooms-per-user rooms over all sockets', async () => {
      const period = periodOfMessage(tick(clock, Date.now()));
      const m1 = f.mux(lea);
      const m2 = f.mux(lea);
      const opened: Client[] = [];
      for (let i = 0; i < 6; i++) {
        const c = f.onMux(i % 2 ? m1 : m2, pageRoom(conv, period - i));
        await synced(c);
        opened.push(c);
      }
      const raw = await RawSocket.connect(`${f.relay.url}/_mux?token=${lea.accessToken}`);
      raw.send(encodeOpen(pageRoom(conv, period - 6)));
      const refused = await raw.next(roomFrame);
      expect(refused.payload.toString()).toContain('too many rooms open for this user');
      expect(f.audit('room.refused').at(-1)).toMatchObject({
        actor: lea.id,
        detail: { rule: 'too-many-rooms' },
      });
      // Closing one makes room for another (same socket: the CLOSE is handled first).
      opened[0]?.destroy();
      const again = f.onMux(m2, pageRoom(conv, period - 7));
      await synced(again);
      raw.destroy();
    });

    it('sockets: past --max-sockets-per-user an upgrade is refused with 429', async () => {
      const max = await f.user('max');
      const raws: RawSocket[] = [];
      for (let i = 0; i < 6; i++) {
        raws.push(await RawSocket.connect(`${f.relay.url}/_mux?token=${max.accessToken}`));
      }
      await expect(
        RawSocket.connect(`${f.relay.url}/_mux?token=${max.accessToken}`),
      ).rejects.toThrow(/429/);
      expect(f.audit('socket.refused').at(-1)).toMatchObject({
        actor: max.id,
        detail: { rule: 'sockets-per-user' },
      });
      for (const r of raws) r.destroy();
      await Promise.all(raws.map((r) => r.ended));
      // Freed as the relay sees them close (it may not have yet when our side has).
      let back: RawSocket | null = null;
      for (let i = 0; i < 100 && !back; i++) {
        back = await RawSocket.connect(`${f.relay.url}/_mux?token=${max.accessToken}`).catch(
          () => new Promise<null>((resolve) => setTimeout(() => resolve(null), 50)),
        );
      }
      expect(back).not.toBeNull();
      back?.destroy();
    });
  });

  describe('frames of every kind (beyond the issue: amplification and churn)', () => {
    it('answers every awareness state at most once a second per subscription, then closes 1013 past the frame budget', async () => {
      // A state to amplify: alice's, in the room.
      a.provider.awareness.setLocalState({ u: alice.id, p: 'online', pad: 'p'.repeat(3000) });
      const raw = await RawSocket.connect(`${f.relay.url}/${room}?token=${ned.accessToken}`);
      await raw.next((fr) => fr.opcode === 2);
      const queries = 450;
      for (let i = 0; i < queries; i++) raw.send(new Uint8Array([3]));
      const close = await raw.next((fr) => fr.opcode === 8);
      expect(closeCode(close)).toBe(1013);
      // Awareness answers: the first carries every state (alice's 3 KB among them); after it,
      // one full answer a second at most, however fast the queries come. The relay handles the
      // 400 queries it takes in a fraction of a second on a quiet machine (one full answer);
      // the bound below holds even if a loaded machine spread them over ten seconds.
      const answers = raw.frames.filter((fr) => fr.opcode === 2 && fr.payload[0] === 1);
      const full = answers.filter((fr) => fr.payload.length > 1000);
      expect(answers.length).toBeGreaterThan(100);
      expect(answers[0]?.payload.length).toBeGreaterThan(1000);
      expect(full.length).toBeGreaterThanOrEqual(1);
      expect(full.length).toBeLessThanOrEqual(answers.length / 20);
      expect(answers.length).toBeLessThan(queries);
      expect(f.audit('frame.refused').at(-1)).toMatchObject({
        actor: ned.id,
        detail: { rule: 'frames' },
      });
      await raw.ended;
      a.provider.awareness.setLocalState({});
    });
  });

  it('the honest room survived all of it', async () => {
    const msg = tick(clock, Date.now());
    const b = await f.joined(room, bob);
    addMessage(a.doc, { id: msg, author: alice.id, text: 'still here', createdAt: Date.now() });
    await until(() => getMessage(b.doc, msg)?.text === 'still here', 'honest message');
    const texts = [...messagesOf(b.doc).keys()].map((k) => getMessage(b.doc, k)?.text ?? '');
    expect(texts.join(' ')).not.toMatch(/FORGED|AFTER/);
  });
});
