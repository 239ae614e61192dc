// "Also send to channel" (schema 3, docs/messaging.md) against a real relay with accounts,
// through stock y-websocket clients: an honest reply with `broadcast` reaches the others; a
// top-level message carrying it, a v: 2 message carrying it, and adding it later (by the author
// or someone else) are refused (permission-denied, audited), and the room keeps flowing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { addMessage, getMessage, messagesOf } from '../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { Fixture, denials, newTestId, type TestUser } from './authz-fixture';
import { stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));

describe('also send to channel on the relay', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let room: string;
  let clock: Clock;
  let a: Client;
  let root: string;
  let reply: string;

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    const conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Loud', members: [bob.id] });
    clock = createClock(node());
    root = tick(clock, Date.now());
    reply = tick(clock, Date.now());
    room = pageRoom(conv, periodOfMessage(root));
    expect(periodOfMessage(reply)).toBe(periodOfMessage(root));
    a = f.plain(room, alice);
    await synced(a);
    addMessage(a.doc, { id: root, author: alice.id, text: 'a root', createdAt: Date.now() });
    await until(() => stored(a), 'the root stored');
  });
  afterAll(async () => {
    await f?.stop();
  });

  function raw(doc: Y.Doc, id: string, fields: Record<string, unknown>): void {
    doc.transact(() => {
      const m = new Y.Map<unknown>();
      messagesOf(doc).set(id, m as never);
      for (const [k, v] of Object.entries({ id, createdAt: Date.now(), ...fields })) m.set(k, v);
    });
  }

  async function refused(
    user: TestUser,
    write: (doc: Y.Doc) => void,
    expected: { rule: string; path: string; reason: RegExp },
    /** A removal adds no item, so the state vector says nothing about it being stored. */
    deletion = false,
  ): Promise<void> {
    const client = await f.joined(room, user);
    const denied = denials(client);
    const before = f.audit('update.refused').length;
    write(client.doc);
    await until(() => denied.length > 0, `permission denied (${expected.rule})`);
    expect(denied[0]).toMatch(expected.reason);
    await until(() => f.audit('update.refused').length > before, 'the audit row');
    expect(f.audit('update.refused').at(-1)).toMatchObject({
      actor: user.id,
      target: room,
      detail: { rule: expected.rule, path: expected.path, user: user.id },
    });
    if (!deletion) expect(stored(client)).toBe(false);
  }

  it('accepts an honest reply sent to the channel and brings it to the others', async () => {
    const c = await f.joined(room, bob);
    const denied = denials(c);
    const m = addMessage(c.doc, {
      id: reply,
      author: bob.id,
      text: 'to everyone',
      createdAt: Date.now(),
      parent: root,
      broadcast: true,
    });
    expect(m.v).toBe(3);
    await until(() => stored(c), 'the reply stored');
    await until(() => getMessage(a.doc, reply) !== undefined, 'alice has it');
    expect(getMessage(a.doc, reply)).toMatchObject({ v: 3, broadcast: true, parent: root });
    expect(denied).toEqual([]);
  });

  it('refuses it on a top-level message and below schema 3', async () => {
    const top = tick(clock, Date.now());
    await refused(
      bob,
      (doc) => raw(doc, top, { v: 3, author: bob.id, text: 'x', broadcast: true }),
      {
        rule: 'bad-value',
        path: `messages/${top}`,
        reason: /broadcast is only on a thread reply/,
      },
    );
    const old = tick(clock, Date.now());
    await refused(
      bob,
      (doc) => raw(doc, old, { v: 2, author: bob.id, text: 'x', parent: root, broadcast: true }),
      { rule: 'bad-value', path: `messages/${old}`, reason: /broadcast needs schema 3/ },
    );
  });

  it('refuses adding or removing it later, by the author or anyone else', async () => {
    const plain = tick(clock, Date.now());
    const c = await f.joined(room, bob);
    addMessage(c.doc, {
      id: plain,
      author: bob.id,
      text: 'quiet',
      createdAt: Date.now(),
      parent: root,
    });
    await until(() => stored(c), 'the plain reply stored');
    const field = (doc: Y.Doc, id: string) => messagesOf(doc).get(id) as unknown as Y.Map<unknown>;
    await refused(bob, (doc) => field(doc, plain).set('broadcast', true), {
      rule: 'immutable',
      path: `messages/${plain}/broadcast`,
      reason: /broadcast never changes/,
    });
    await refused(
      bob,
      (doc) => field(doc, reply).delete('broadcast'),
      {
        rule: 'immutable',
        path: `messages/${reply}/broadcast`,
        reason: /broadcast never changes/,
      },
      true,
    );
    // Someone else: not theirs to change at all.
    await refused(alice, (doc) => field(doc, plain).set('broadcast', true), {
      rule: 'owner',
      path: `messages/${plain}`,
      reason: /./,
    });
    const late = await f.joined(room, alice);
    expect(getMessage(late.doc, plain)?.broadcast).toBe(false);
    expect(getMessage(late.doc, reply)?.broadcast).toBe(true);
  });
});
