// Forwarded messages against a real relay (issue 12, docs/messaging.md "Forwarded messages"):
// an honest forward is stored and reaches the others; a forward forged as someone else's, an
// oversized or malformed one, and a rewrite of a forward's origin are refused with
// permission-denied, audited and quarantined, and never reach the others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { MAX_MESSAGE_CHARS } from '../../core/src/model/checks';
import type { ForwardRef } from '../../core/src/model/forward';
import { addMessage, deleteMessage, getMessage, messagesOf } from '../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { Fixture, denials, newTestId, type TestUser } from './authz-fixture';
import { stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));

describe('forwarded messages on the relay', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let conv: string;
  let room: string;
  let clock: Clock;
  let b: Client;
  let origin: ForwardRef;

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    eve = await f.user('eve');
    conv = newTestId();
    await f.conversation(alice, {
      id: conv,
      kind: 'channel',
      title: 'Forwards',
      members: [bob.id, eve.id],
    });
    clock = createClock(node());
    room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
    b = f.onMux(f.mux(bob), room);
    await synced(b);
    origin = {
      conv: newTestId(),
      msg: tick(clock, Date.now() - 1000),
      author: alice.id,
      authorName: 'Alice',
      title: 'general',
      text: 'The release is on Friday',
      at: Date.now() - 1000,
    };
  });
  afterAll(async () => {
    await f?.stop();
  });

  async function join(user: TestUser): Promise<Client> {
    const c = f.onMux(f.mux(user), room);
    await synced(c);
    return c;
  }

  async function refused(user: TestUser, write: (doc: Y.Doc) => string, what: string) {
    const c = await join(user);
    const denied = denials(c);
    const before = f.audit('update.refused').length;
    const id = write(c.doc);
    await until(() => denied.length > 0, `permission denied for ${what}`);
    await until(() => f.audit('update.refused').length > before, `the audit row for ${what}`);
    expect(f.audit('update.refused').at(-1)).toMatchObject({ actor: user.id, target: room });
    expect(stored(c)).toBe(false);
    expect(getMessage(b.doc, id), what).toBeUndefined();
  }

  /** A raw message map, as a hostile client writes it. */
  const raw = (author: string, fields: Record<string, unknown>) => (doc: Y.Doc) => {
    const id = tick(clock, Date.now());
    const entries = { v: 3, id, author, text: '', createdAt: Date.now(), ...fields };
    messagesOf(doc).set(id, new Y.Map<unknown>(Object.entries(entries)));
    return id;
  };

  it('stores an honest forward (the forwarder is its author) and bob reads it', async () => {
    const e = await join(eve);
    const id = tick(clock, Date.now());
    addMessage(e.doc, { id, author: eve.id, text: 'FYI', createdAt: Date.now(), forward: origin });
    await until(() => stored(e) && getMessage(b.doc, id) !== undefined, 'the forward at bob');
    expect(getMessage(b.doc, id)).toMatchObject({ author: eve.id, text: 'FYI', forward: origin });
    // Deleting it clears the copied text for everyone.
    deleteMessage(e.doc, id, eve.id, Date.now());
    await until(() => getMessage(b.doc, id)?.deleted === true, 'bob sees it deleted');
    expect((messagesOf(b.doc).get(id) as Y.Map<unknown>).get('forward')).toBeNull();
  });

  it('refuses a forward written as someone else, oversized or malformed', async () => {
    await refused(eve, raw(alice.id, { forward: origin }), 'a forward authored as alice');
    await refused(
      eve,
      raw(eve.id, {
        text: 'x'.repeat(5000),
        forward: { ...origin, text: 'y'.repeat(MAX_MESSAGE_CHARS) },
      }),
      'an oversized forward',
    );
    await refused(eve, raw(eve.id, { forward: { ...origin, html: '<script>' } }), 'an extra key');
    await refused(eve, raw(eve.id, { v: 2, forward: origin }), 'a forward on schema 2');
    await refused(eve, raw(eve.id, { forward: 'alice said so' }), 'a forward that is text');
  });

  it('refuses rewriting the origin of a stored forward', async () => {
    const e = await join(eve);
    const id = tick(clock, Date.now());
    addMessage(e.doc, { id, author: eve.id, text: '', createdAt: Date.now(), forward: origin });
    await until(() => stored(e) && getMessage(b.doc, id) !== undefined, 'the forward at bob');
    await refused(
      eve,
      (doc) => {
        (messagesOf(doc).get(id) as Y.Map<unknown>).set('forward', { ...origin, text: 'I quit' });
        return tick(clock, Date.now()); // not a new message: checked below
      },
      'a rewritten origin',
    );
    expect(getMessage(b.doc, id)?.forward?.text).toBe(origin.text);
  });
});
