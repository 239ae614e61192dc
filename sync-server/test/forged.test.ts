// Forged updates crafted with raw Yjs against a real relay with accounts (docs/accounts.md,
// "Enforced authorship"): each is refused with permission-denied, audited, its clientID
// quarantined (the sender's later updates are refused at once, not held as pending), and the
// honest clients in the room keep syncing and never see it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { markRead } from '../../core/src/model/meta';
import {
  addMessage,
  deleteMessage,
  getMessage,
  messagesOf,
  react,
} from '../../core/src/model/page';
import { inboxRoom, pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import {
  Fixture,
  denials,
  newTestId,
  type TestUser,
  forge as forgeAs,
  joinRoom,
} from './authz-fixture';
import { getJson, startRelayProcess, stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));

describe('forged updates', () => {
  let f: Fixture;
  let alice: TestUser; // owner
  let bob: TestUser; // member
  let eve: TestUser; // member, forging
  let mo: TestUser; // moderator
  let conv: string;
  let room: string;
  let clock: Clock;
  let a: Client;
  let b: Client;
  let bobMessage: string;

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
      title: 'Forgery',
      members: [bob.id, eve.id, mo.id],
    });
    expect(
      (
        await f.call('PATCH', `/conversations/${conv}/members/${mo.id}`, alice, {
          role: 'moderator',
        })
      ).status,
    ).toBe(200);
    clock = createClock(node());
    const now = Date.now();
    bobMessage = tick(clock, now);
    room = pageRoom(conv, periodOfMessage(bobMessage));
    a = f.onMux(f.mux(alice), room);
    b = f.onMux(f.mux(bob), room);
    await Promise.all([synced(a), synced(b)]);
    addMessage(b.doc, { id: bobMessage, author: bob.id, text: 'bob says hi', createdAt: now });
    await until(() => stored(b) && getMessage(a.doc, bobMessage) !== undefined, 'bob’s message');
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

  /** The honest clients still sync with each other, and hold no trace of forged content. */
  async function honestStillSync(): Promise<void> {
    const id = tick(clock, Date.now());
    addMessage(a.doc, { id, author: alice.id, text: `still fine ${id}`, createdAt: Date.now() });
    await until(() => getMessage(b.doc, id) !== undefined, 'an honest message after the forgery');
    const texts = [...messagesOf(b.doc).keys()].map((k) => getMessage(b.doc, k)?.text ?? '');
    expect(texts.join(' ')).not.toContain('FORGED');
    expect(getMessage(b.doc, bobMessage)?.author).toBe(bob.id);
    expect(messagesOf(b.doc).has(bobMessage)).toBe(true);
  }

  it('refuses a message in someone else’s name (author field)', async () => {
    await forge(eve, 'owner', (doc) => {
      addMessage(doc, {
        id: tick(clock, Date.now()),
        author: bob.id,
        text: 'FORGED as bob',
        createdAt: Date.now(),
      });
    });
    await honestStillSync();
  });

  it('refuses writing into another author’s message (edit and field insert)', async () => {
    await forge(eve, 'owner', (doc) => {
      (messagesOf(doc).get(bobMessage) as Y.Map<unknown>).set('text', 'FORGED edit');
    });
    await forge(eve, 'owner', (doc) => {
      (messagesOf(doc).get(bobMessage) as Y.Map<unknown>).set('editedAt', Date.now());
    });
    await honestStillSync();
  });

  it('refuses deleting someone else’s items: the message key, their reaction', async () => {
    await forge(eve, 'owner', (doc) => messagesOf(doc).delete(bobMessage), room, true);
    react(b.doc, bobMessage, '👍', bob.id, true, Date.now());
    await until(() => stored(b), 'bob’s reaction stored');
    await forge(
      eve,
      'owner',
      (doc) => doc.getMap('reactions').delete(`${bobMessage}|👍|${bob.id}`),
      room,
      true,
    );
    await honestStillSync();
    expect(b.doc.getMap('reactions').has(`${bobMessage}|👍|${bob.id}`)).toBe(true);
  });

  it('refuses a plain member’s tombstone; accepts a moderator’s, audited as message.moderated', async () => {
    await forge(eve, 'owner', (doc) =>
      deleteMessage(doc, bobMessage, eve.id, Date.now(), { moderator: true }),
    );
    // A moderator may change exactly the tombstone fields, nothing else.
    await forge(mo, 'owner', (doc) => {
      (messagesOf(doc).get(bobMessage) as Y.Map<unknown>).set('text', 'FORGED by moderator');
    });
    const m = await join(mo);
    deleteMessage(m.doc, bobMessage, mo.id, Date.now(), { moderator: true });
    await until(() => stored(m), 'the moderator’s tombstone is stored');
    await until(() => getMessage(b.doc, bobMessage)?.deleted === true, 'bob sees it deleted');
    expect(getMessage(b.doc, bobMessage)).toMatchObject({
      deleted: true,
      deletedBy: mo.id,
      text: '',
    });
    const moderated = f.audit('message.moderated').at(-1);
    expect(moderated).toMatchObject({
      actor: mo.id,
      target: room,
      detail: { message: bobMessage },
    });
  });

  it('refuses a clientID bound to someone else', async () => {
    const c = await join(eve);
    const denied = denials(c);
    // Eve writes with Bob's clientID (continuing Bob's clock, as a thief would).
    const thief = new Y.Doc();
    Y.applyUpdate(thief, Y.encodeStateAsUpdate(c.doc));
    // Set after loading: Yjs gives a doc a new clientID when it receives items of its own.
    thief.clientID = b.doc.clientID;
    const before = Y.encodeStateVector(thief);
    addMessage(thief, {
      id: tick(clock, Date.now()),
      author: eve.id,
      text: 'FORGED clientID',
      createdAt: Date.now(),
    });
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(thief, before));
    thief.destroy();
    await until(() => denied.length > 0, 'permission denied');
    // Eve's copy now contradicts Bob's items: it must not receive them.
    c.destroy();
    expect(denied[0]).toBe(`clientID ${b.doc.clientID} belongs to another user`);
    expect(f.audit('update.refused').at(-1)?.detail).toMatchObject({ rule: 'client-id' });
    // Bob's clientID is not quarantined: Bob keeps writing.
    expect(f.rows(`SELECT * FROM quarantine WHERE client_id = ${b.doc.clientID}`)).toEqual([]);
    const id = tick(clock, Date.now());
    addMessage(b.doc, { id, author: bob.id, text: 'bob again', createdAt: Date.now() });
    await until(() => getMessage(a.doc, id) !== undefined, 'bob still writes');
    await honestStillSync();
  });

  it('refuses a client write to the directory document (even one’s own inbox)', async () => {
    const { client } = await forge(
      eve,
      'relay-only',
      (doc) => doc.getMap('conversations').set(newTestId(), { v: 1, kind: 'channel' }),
      inboxRoom(eve.id),
    );
    expect(client.doc.getMap('conversations').size).toBeGreaterThan(0);
  });

  it('after a refusal, the sender’s later updates are refused at once, not held back', async () => {
    const { client, denied } = await forge(eve, 'owner', (doc) => {
      (messagesOf(doc).get(bobMessage) as Y.Map<unknown>).set('text', 'FORGED again');
    });
    // An otherwise honest message from the same (quarantined) clientID.
    const id = tick(clock, Date.now());
    addMessage(client.doc, { id, author: eve.id, text: 'honest?', createdAt: Date.now() });
    await until(() => denied.length > 1, 'the second answer');
    expect(denied[1]).toBe(`clientID ${client.doc.clientID} is quarantined`);
    // A new session (new clientID) of the same user writes normally.
    const fresh = await join(eve);
    const ok = tick(clock, Date.now());
    addMessage(fresh.doc, { id: ok, author: eve.id, text: 'eve, honest', createdAt: Date.now() });
    await until(() => getMessage(a.doc, ok) !== undefined, 'eve’s honest message');
    expect(getMessage(a.doc, id)).toBeUndefined();
  });

  it('refuses posting into an announcement channel as a member; owners post', async () => {
    const news = newTestId();
    await f.conversation(alice, {
      id: news,
      kind: 'announcement',
      title: 'News',
      members: [eve.id],
    });
    const id = tick(clock, Date.now());
    const newsRoom = pageRoom(news, periodOfMessage(id));
    await forge(
      eve,
      'announcement',
      (doc) => {
        addMessage(doc, { id, author: eve.id, text: 'FORGED news', createdAt: Date.now() });
      },
      newsRoom,
    );
    const owner = await join(alice, newsRoom);
    const ok = tick(clock, Date.now());
    addMessage(owner.doc, { id: ok, author: alice.id, text: 'real news', createdAt: Date.now() });
    await until(() => stored(owner), 'the owner’s post is stored');
    // The member reacts and marks read.
    const reader = await join(eve, newsRoom);
    const denied = denials(reader);
    react(reader.doc, ok, '🎉', eve.id, true, Date.now());
    await until(() => stored(reader), 'the member’s reaction is stored');
    expect(denied).toEqual([]);
  });

  it('in an archived conversation only read markers change', async () => {
    const old = newTestId();
    await f.conversation(alice, { id: old, kind: 'channel', title: 'Old', members: [bob.id] });
    const id = tick(clock, Date.now());
    const oldRoom = pageRoom(old, periodOfMessage(id));
    const writer = await join(alice, oldRoom);
    addMessage(writer.doc, {
      id,
      author: alice.id,
      text: 'before archiving',
      createdAt: Date.now(),
    });
    await until(() => stored(writer), 'stored before archiving');
    expect((await f.call('PATCH', `/conversations/${old}`, alice, { archived: true })).status).toBe(
      200,
    );
    await forge(
      bob,
      'archived',
      (doc) => {
        addMessage(doc, {
          id: tick(clock, Date.now()),
          author: bob.id,
          text: 'FORGED late',
          createdAt: Date.now(),
        });
      },
      oldRoom,
    );
    const reader = await join(bob, oldRoom);
    const denied = denials(reader);
    expect(markRead(reader.doc, bob.id, Date.now())).not.toBeNull();
    await until(() => stored(reader), 'the read marker is stored');
    expect(denied).toEqual([]);
  });

  it('counts refusals by rule', async () => {
    const metrics = (await getJson(`${f.http}/metrics`)).text;
    for (const rule of [
      'owner',
      'client-id',
      'relay-only',
      'quarantined',
      'announcement',
      'archived',
    ]) {
      expect(metrics).toMatch(new RegExp(`ferry_updates_refused_total\\{rule="${rule}"\\} [1-9]`));
    }
  });

  it('refuses awareness states that speak for another user; relays the sender’s own', async () => {
    const seen: unknown[] = [];
    a.provider.awareness.on('change', () => {
      for (const [id, state] of a.provider.awareness.getStates()) {
        if (id !== a.doc.clientID) seen.push(state);
      }
    });
    const forger = await join(eve);
    const refused = f.relay.waitForLog((l) => l.msg === 'awareness update refused');
    forger.provider.awareness.setLocalState({ u: bob.id, p: 'online', t: Date.now() });
    await refused;
    // Then eve's own state from another connection: relayed in order after anything the
    // relay had taken from the forger, so once alice has it the forged state would be there.
    const own = await join(eve);
    own.provider.awareness.setLocalState({ u: eve.id, p: 'online' });
    await until(
      () => seen.some((s) => (s as { u?: string } | null)?.u === eve.id),
      'eve’s own presence',
    );
    expect(seen.some((s) => (s as { u?: string } | null)?.u === bob.id)).toBe(false);
    forger.destroy();
    own.destroy();
  });

  it('binds clientIDs per room: one bound to bob here is free for eve in another room', async () => {
    // A clientID only names items inside one document, so two devices that drew the same
    // random clientID for different documents must both be able to write.
    const other = newTestId();
    await f.conversation(eve, { id: other, kind: 'channel', title: 'Eve’s own' });
    const id = tick(clock, Date.now());
    const name = pageRoom(other, periodOfMessage(id));
    const c = await join(eve, name);
    const denied = denials(c);
    const doc = new Y.Doc();
    doc.clientID = b.doc.clientID;
    addMessage(doc, {
      id,
      author: eve.id,
      text: 'same clientID, other room',
      createdAt: Date.now(),
    });
    Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(doc));
    doc.destroy();
    await until(() => stored(c), 'stored under bob’s clientID in eve’s room');
    expect(denied).toEqual([]);
    c.destroy();
  });

  it('keeps bindings and the quarantine across a restart', async () => {
    const quarantined = f.rows<{ client_id: number; user: string }>(
      `SELECT client_id, user FROM quarantine WHERE user = '${eve.id}' AND room = '${room}' LIMIT 1`,
    )[0];
    if (!quarantined) throw new Error('no quarantined clientID of eve');
    const port = f.relay.port;
    await f.relay.stop('SIGTERM');
    f.relay = await startRelayProcess(f.dir, ['--port', String(port)], { auth: true });
    const u = await f.relogin(eve);

    /** A client of eve that writes one message with `clientID` (set after loading). */
    const writeAs = async (clientID: number) => {
      const c = await join(u);
      const denied = denials(c);
      const doc = new Y.Doc();
      Y.applyUpdate(doc, Y.encodeStateAsUpdate(c.doc));
      doc.clientID = clientID;
      const before = Y.encodeStateVector(doc);
      addMessage(doc, {
        id: tick(clock, Date.now()),
        author: eve.id,
        text: 'after restart',
        createdAt: Date.now(),
      });
      Y.applyUpdate(c.doc, Y.encodeStateAsUpdate(doc, before));
      doc.destroy();
      await until(() => denied.length > 0, 'permission denied after the restart');
      c.destroy();
      return denied[0];
    };
    expect(await writeAs(quarantined.client_id)).toBe(
      `clientID ${quarantined.client_id} is quarantined`,
    );
    expect(await writeAs(b.doc.clientID)).toBe(
      `clientID ${b.doc.clientID} belongs to another user`,
    );
  });
});

describe('update rate limit', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await Fixture.start(['--limit-updates-user', '3/1/min']);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('answers permission-denied "rate limited", drops without quarantine, and takes the update later', async () => {
    const ann = await f.user('ann');
    const conv = newTestId();
    await f.conversation(ann, { id: conv, kind: 'channel', title: 'Busy' });
    const clock = createClock(node());
    const first = tick(clock, Date.now());
    const c = f.onMux(f.mux(ann), pageRoom(conv, periodOfMessage(first)));
    await synced(c);
    const denied = denials(c);
    for (let i = 0; i < 5; i++) {
      addMessage(c.doc, {
        id: tick(clock, Date.now()),
        author: ann.id,
        text: `m${i}`,
        createdAt: Date.now(),
      });
    }
    await until(() => denied.includes('rate limited'), 'rate limited');
    expect(f.rows('SELECT * FROM quarantine')).toEqual([]);
    // Audited like every refusal (issue 10), as a limit, not as a forgery.
    const refused = f.audit('update.refused');
    expect(refused.length).toBeGreaterThan(0);
    for (const row of refused) {
      expect(row).toMatchObject({ actor: ann.id, detail: { rule: 'rate-limited' } });
    }
    const metrics = (await getJson(`${f.http}/metrics`)).text;
    expect(metrics).toMatch(/ferry_rate_limited_total\{what="updates"\} [1-9]/);
  });
});
