// Hostile updates that go around the authorship check rather than through it (issue 10,
// items 5, 6, 7 and 10a), crafted with raw Yjs against a real relay with accounts: each is
// refused with permission-denied, audited with its rule, its clientID quarantined, and the
// honest clients in the room keep syncing and never see it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { MAX_DRIFT_MS, createClock, tick, type Clock } from '../../core/src/hlc';
import { dmConversationId, newId } from '../../core/src/ids';
import { initConversation, listPeriods, readInfo, recordMessage } from '../../core/src/model/meta';
import { addMessage, deleteMessage, getMessage, messagesOf } from '../../core/src/model/page';
import { metaRoom, pageRoom, periodOf, periodOfMessage } from '../../core/src/model/rooms';
import {
  Fixture,
  denials,
  newTestId,
  type TestUser,
  forge as forgeAs,
  joinRoom,
} from './authz-fixture';
import { stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));
const DAY = 24 * 60 * 60_000;

describe('hostile schema: deletions, info, future times, shapes', () => {
  let f: Fixture;
  let alice: TestUser; // owner
  let bob: TestUser; // member
  let eve: TestUser; // member, hostile
  let mo: TestUser; // moderator
  let conv: string;
  let room: string;
  let clock: Clock;
  let a: Client;
  let b: Client;

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    eve = await f.user('eve');
    mo = await f.user('mo');
    conv = newTestId();
    await f.conversation(alice, {
      id: conv,
      kind: 'channel',
      title: 'Hostile',
      members: [bob.id, eve.id, mo.id],
    });
    const r = await f.call('PATCH', `/conversations/${conv}/members/${mo.id}`, alice, {
      role: 'moderator',
    });
    expect(r.status).toBe(200);
    clock = createClock(node());
    room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
    a = f.onMux(f.mux(alice), room);
    b = f.onMux(f.mux(bob), room);
    await Promise.all([synced(a), synced(b)]);
  });
  afterAll(async () => {
    await f?.stop();
  });

  /** A fresh client of `user` in the room, synced. */
  const join = (user: TestUser, name = room): Promise<Client> => joinRoom(f, user, name);

  /** Runs a hostile write from a fresh client of `user` and checks the whole refusal. */
  const forge = (
    user: TestUser,
    rule: string,
    write: (doc: Y.Doc) => void,
    name = room,
    deletesOnly = false,
  ) => forgeAs(f, user, rule, write, name, deletesOnly);

  /** The honest clients still sync with each other after the refusal. */
  async function honestStillSync(): Promise<void> {
    const id = tick(clock, Date.now());
    addMessage(a.doc, { id, author: alice.id, text: `still fine ${id}`, createdAt: Date.now() });
    await until(() => getMessage(b.doc, id) !== undefined, 'an honest message after the forgery');
  }

  /** A message by `by` from a fresh client, stored and seen by bob. */
  async function written(by: TestUser, text: string): Promise<string> {
    const c = await join(by);
    const id = tick(clock, Date.now());
    addMessage(c.doc, { id, author: by.id, text, createdAt: Date.now() });
    await until(() => stored(c) && getMessage(b.doc, id) !== undefined, `${text} stored`);
    return id;
  }

  const msg = (doc: Y.Doc, id: string) => messagesOf(doc).get(id) as Y.Map<unknown>;

  it('refuses the author undoing a moderator’s deletion; the tombstone stays for everyone', async () => {
    const id = await written(eve, 'eve says something bad');
    const m = await join(mo);
    deleteMessage(m.doc, id, mo.id, Date.now(), { moderator: true });
    await until(() => getMessage(b.doc, id)?.deleted === true, 'bob sees it deleted');
    await forge(eve, 'removal', (doc) => {
      const x = msg(doc, id);
      doc.transact(() => {
        x.delete('deleted');
        x.delete('deletedAt');
        x.delete('deletedBy');
        x.set('text', 'FORGED: back from the dead');
        x.set('editedAt', Date.now());
      });
    });
    // The same without removing a field: an edit written after the deletion.
    await forge(eve, 'final', (doc) => {
      const x = msg(doc, id);
      doc.transact(() => {
        x.set('text', 'FORGED: back again');
        x.set('editedAt', Date.now());
      });
    });
    await honestStillSync();
    expect(getMessage(b.doc, id)).toMatchObject({ deleted: true, deletedBy: mo.id, text: '' });
    expect(String(msg(b.doc, id).get('text'))).not.toContain('FORGED');
  });

  it('refuses deletedBy naming a moderator on the author’s own deletion, and a silent edit', async () => {
    const id = await written(eve, 'eve again');
    await forge(eve, 'transition', (doc) => {
      doc.transact(() => {
        deleteMessage(doc, id, eve.id, Date.now());
        msg(doc, id).set('deletedBy', mo.id);
      });
    });
    await forge(eve, 'transition', (doc) => msg(doc, id).set('text', 'FORGED: unmarked edit'));
    await honestStillSync();
    expect(getMessage(b.doc, id)).toMatchObject({ deleted: false, text: 'eve again' });
  });

  it('refuses a message from the future and its page-index entry', async () => {
    const far = Date.now() + 400 * DAY;
    const farRoom = pageRoom(conv, periodOf(far));
    const farClock = createClock(node());
    const id = tick(farClock, far);
    const { denied } = await forge(
      eve,
      'future',
      (doc) => addMessage(doc, { id, author: eve.id, text: 'FORGED future', createdAt: far }),
      farRoom,
    );
    expect(denied[0]).toMatch(/ahead of the server's clock/);
    const metaA = await join(alice, metaRoom(conv));
    await forge(
      eve,
      'future',
      (doc) =>
        recordMessage(doc, { period: periodOf(far), author: eve.id, id, text: 'x', at: far }),
      metaRoom(conv),
    );
    // Within the drift is fine (a clock a little ahead).
    const near = Date.now() + MAX_DRIFT_MS / 2;
    const nearId = tick(createClock(node()), near);
    const c = await join(eve, pageRoom(conv, periodOf(near)));
    const ok = denials(c);
    addMessage(c.doc, { id: nearId, author: eve.id, text: 'a bit early', createdAt: near });
    await until(() => stored(c), 'the near-future message is stored');
    expect(ok).toEqual([]);
    expect(listPeriods(metaA.doc)).not.toContain(periodOf(far));
    await honestStillSync();
  });

  it('refuses an entry nested 5,000 deep as too-deep, audited, without closing anything', async () => {
    await forge(eve, 'too-deep', (doc) => {
      doc.transact(() => {
        const m = new Y.Map<unknown>();
        messagesOf(doc).set(tick(clock, Date.now()), m);
        m.set('v', 99);
        m.set('author', eve.id);
        m.set('text', 'FORGED deep');
        m.set('createdAt', Date.now());
        let cur = m;
        for (let i = 0; i < 5_000; i++) {
          const next = new Y.Map<unknown>();
          cur.set('x', next);
          cur = next;
        }
      });
    });
    await forge(eve, 'bad-value', (doc) => {
      doc.transact(() => {
        const m = new Y.Map<unknown>();
        messagesOf(doc).set(tick(clock, Date.now()), m);
        m.set('v', 99);
        m.set('author', eve.id);
        m.set('text', 'FORGED subdocument');
        m.set('createdAt', Date.now());
        m.set('x', new Y.Doc());
      });
    });
    expect(a.provider.wsconnected && b.provider.wsconnected).toBe(true);
    await honestStillSync();
  });

  it('refuses info claimed by a member who syncs before the creator; the creator’s write is taken', async () => {
    const fresh = newTestId();
    await f.conversation(alice, {
      id: fresh,
      kind: 'channel',
      title: 'Launch',
      members: [bob.id, eve.id],
    });
    const name = metaRoom(fresh);
    await forge(
      eve,
      'creator',
      (doc) =>
        initConversation(doc, { title: 'FORGED mine', createdBy: eve.id, createdAt: Date.now() }),
      name,
    );
    const reader = await join(bob, name);
    const creator = await join(alice, name);
    const denied = denials(creator);
    initConversation(creator.doc, { title: 'Launch', createdBy: alice.id, createdAt: Date.now() });
    await until(() => stored(creator), 'the creator’s info is stored');
    await until(() => readInfo(reader.doc) !== null, 'bob gets the info');
    expect(denied).toEqual([]);
    expect(readInfo(reader.doc)).toMatchObject({ createdBy: alice.id, title: 'Launch' });
    expect(f.rows(`SELECT * FROM quarantine WHERE client_id = ${creator.doc.clientID}`)).toEqual(
      [],
    );
    expect(
      f.audit('update.refused').filter((r) => r.actor === alice.id && r.target === name),
    ).toEqual([]);
  });

  it('a DM both people started offline takes both sides’ messages and page entries', async () => {
    const dm = dmConversationId(alice.id, bob.id);
    const now = Date.now();
    const ids = [tick(createClock(node()), now), tick(createClock(node()), now)] as const;
    // Written before either registered the DM (offline), then both register and connect.
    const docs = [alice, bob].map((u, i) => {
      const p = new Y.Doc();
      const m = new Y.Doc();
      const id = ids[i] as string;
      addMessage(p, { id, author: u.id, text: `hi from ${u.username}`, createdAt: now });
      recordMessage(m, { period: periodOfMessage(id), author: u.id, id, text: 'x', at: now });
      return { p, m };
    });
    await f.conversation(alice, { id: dm, kind: 'dm', members: [bob.id] });
    await f.conversation(bob, { id: dm, kind: 'dm', members: [alice.id] });
    const clients = [alice, bob].flatMap((u, i) => {
      const mux = f.mux(u);
      const d = docs[i] as { p: Y.Doc; m: Y.Doc };
      return [
        f.onMux(mux, pageRoom(dm, periodOfMessage(ids[0])), d.p),
        f.onMux(mux, metaRoom(dm), d.m),
      ];
    });
    const refused = clients.map((c) => denials(c));
    // Accepted means forwarded: each side receives the other's writes.
    const [ap, am, bp, bm] = clients as [Client, Client, Client, Client];
    await until(
      () => getMessage(ap.doc, ids[1]) !== undefined && getMessage(bp.doc, ids[0]) !== undefined,
      'each sees the other’s message',
    );
    await until(
      () => am.doc.getMap('pages').size === 2 && bm.doc.getMap('pages').size === 2,
      'both page entries',
    );
    expect(refused.flat()).toEqual([]);
  });
});
