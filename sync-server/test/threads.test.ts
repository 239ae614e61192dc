// Threads and quotes against a real relay with accounts, through stock y-websocket clients
// (docs/messaging.md, "Schema version 2", "Threads"): a `quote` needs a `v: 2` message; a
// reply's parent must be a thread root when both are on the page the relay judges; `parent`
// and `quote` are written once. Every refusal is permission-denied, audited with its rule,
// and never applied or forwarded: the room keeps flowing and a newcomer never sees it.
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

describe('threads and quotes on the relay', () => {
  let f: Fixture;
  let alice: TestUser; // owner
  let bob: TestUser; // member
  let room: string;
  let clock: Clock;
  let a: Client;
  let b: Client;
  let root: string; // Alice's thread root
  let reply: string; // Bob's reply to it

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    const conv = newTestId();
    await f.conversation(alice, {
      id: conv,
      kind: 'channel',
      title: 'Threads',
      members: [bob.id],
    });
    clock = createClock(node());
    root = tick(clock, Date.now());
    reply = tick(clock, Date.now());
    room = pageRoom(conv, periodOfMessage(root));
    // Both ids fall in the same week unless the test starts on its last millisecond.
    expect(periodOfMessage(reply)).toBe(periodOfMessage(root));
    a = f.plain(room, alice);
    b = f.plain(room, bob);
    await Promise.all([synced(a), synced(b)]);
    addMessage(a.doc, { id: root, author: alice.id, text: 'a root', createdAt: Date.now() });
    await until(() => getMessage(b.doc, root) !== undefined, 'bob has the root');
    addMessage(b.doc, {
      id: reply,
      author: bob.id,
      text: 'a reply',
      createdAt: Date.now(),
      parent: root,
    });
    await until(() => getMessage(a.doc, reply)?.parent === root, 'alice has the reply');
  });
  afterAll(async () => {
    await f?.stop();
  });

  /** A fresh stock client of `user` in the page, synced. */
  const join = (user: TestUser): Promise<Client> => f.joined(room, user);

  /** A message map written field by field, as a client that skips the model would. */
  function raw(doc: Y.Doc, id: string, fields: Record<string, unknown>): void {
    doc.transact(() => {
      const m = new Y.Map<unknown>();
      messagesOf(doc).set(id, m as never);
      for (const [k, v] of Object.entries({ id, createdAt: Date.now(), ...fields })) m.set(k, v);
    });
  }

  /**
   * Runs `write` on a fresh client of `user` and checks the refusal: permission denied with
   * `reason`, one update.refused row naming `rule` and `path`, nothing stored.
   */
  async function refused(
    user: TestUser,
    write: (doc: Y.Doc) => void,
    expected: { rule: string; path: string; reason: RegExp },
    c?: Client,
  ): Promise<Client> {
    const client = c ?? (await join(user));
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
    expect(stored(client)).toBe(false);
    return client;
  }

  /** An honest message still reaches Alice, and a newcomer's copy shows `check`. */
  async function stillFlows(check: (doc: Y.Doc) => void): Promise<void> {
    const id = tick(clock, Date.now());
    addMessage(b.doc, { id, author: bob.id, text: 'still fine', createdAt: Date.now() });
    await until(() => getMessage(a.doc, id) !== undefined, 'an honest message after the refusal');
    check(a.doc);
    const late = await join(alice);
    check(late.doc);
  }

  it('refuses a v: 1 message carrying a quote (a Ferry 1 app would drop it)', async () => {
    const id = tick(clock, Date.now());
    await refused(
      bob,
      (doc) => raw(doc, id, { v: 1, author: bob.id, text: 'quoting', quote: root }),
      { rule: 'bad-value', path: `messages/${id}`, reason: /quote needs schema 2/ },
    );
    await stillFlows((doc) => expect(messagesOf(doc).has(id)).toBe(false));
  });

  it('accepts a v: 2 message with a quote and brings it to the others', async () => {
    const id = tick(clock, Date.now());
    const c = await join(bob);
    const denied = denials(c);
    const m = addMessage(c.doc, {
      id,
      author: bob.id,
      text: 'quoting the root',
      createdAt: Date.now(),
      quote: root,
    });
    expect(m.v).toBe(2);
    await until(() => stored(c), 'the quoting message stored');
    await until(() => getMessage(a.doc, id) !== undefined, 'alice has it');
    expect(getMessage(a.doc, id)).toMatchObject({ v: 2, quote: root, author: bob.id });
    expect(denied).toEqual([]);
  });

  it('refuses a reply whose parent is a reply on the same page', async () => {
    const id = tick(clock, Date.now());
    await refused(
      alice,
      (doc) => raw(doc, id, { v: 1, author: alice.id, text: 'nested', parent: reply }),
      { rule: 'bad-value', path: `messages/${id}`, reason: /is a reply; reply to its root/ },
    );
    await stillFlows((doc) => expect(messagesOf(doc).has(id)).toBe(false));
  });

  it('refuses changing a reply’s parent or a message’s quote after writing (immutable)', async () => {
    const other = tick(clock, Date.now());
    const quoting = tick(clock, Date.now());
    const c = await join(bob);
    addMessage(c.doc, { id: other, author: bob.id, text: 'another root', createdAt: Date.now() });
    addMessage(c.doc, {
      id: quoting,
      author: bob.id,
      text: 'quotes the root',
      createdAt: Date.now(),
      quote: root,
    });
    await until(() => stored(c), 'bob’s messages stored');
    const field = (doc: Y.Doc, id: string) => messagesOf(doc).get(id) as unknown as Y.Map<unknown>;
    await refused(bob, (doc) => field(doc, reply).set('parent', other), {
      rule: 'immutable',
      path: `messages/${reply}/parent`,
      reason: /parent never changes/,
    });
    await refused(bob, (doc) => field(doc, quoting).set('quote', other), {
      rule: 'immutable',
      path: `messages/${quoting}/quote`,
      reason: /quote never changes/,
    });
    // Adding a parent to a message written without one is a change too.
    await refused(bob, (doc) => field(doc, other).set('parent', root), {
      rule: 'immutable',
      path: `messages/${other}/parent`,
      reason: /parent never changes/,
    });
    await stillFlows((doc) => {
      expect(getMessage(doc, reply)?.parent).toBe(root);
      expect(getMessage(doc, quoting)?.quote).toBe(root);
      expect(getMessage(doc, other)?.parent).toBeNull();
    });
  });
});
