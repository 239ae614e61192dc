// Pins against a real relay with accounts, through stock y-websocket clients
// (docs/messaging.md, "Pins"): a member's pin is stored and reaches the others; another
// member's removal of it is refused (permission-denied, audited, never applied or forwarded);
// a moderator's unpin is applied and audited as `pin.removed`. GET /server says the schema.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, tick } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { listPins, pin, pinKey, pinsOf, unpinAll } from '../../core/src/model/meta';
import { metaRoom } from '../../core/src/model/rooms';
import { SCHEMA_VERSION } from '../../core/src/version';
import { Fixture, denials, newTestId, type TestUser } from './authz-fixture';
import { stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));

describe('pins on the relay', () => {
  let f: Fixture;
  let alice: TestUser; // owner
  let bob: TestUser; // member, pins
  let eve: TestUser; // member, tries to unpin Bob's pin
  let mo: TestUser; // moderator
  let room: string;
  let a: Client;
  let b: Client;
  const message = tick(createClock(node()), Date.now());

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    eve = await f.user('eve');
    mo = await f.user('mo');
    const conv = newTestId();
    await f.conversation(alice, {
      id: conv,
      kind: 'channel',
      title: 'Pins',
      members: [bob.id, eve.id, mo.id],
    });
    const r = await f.call('PATCH', `/conversations/${conv}/members/${mo.id}`, alice, {
      role: 'moderator',
    });
    expect(r.status).toBe(200);
    room = metaRoom(conv);
    a = f.plain(room, alice);
    b = f.plain(room, bob);
    await Promise.all([synced(a), synced(b)]);
  });
  afterAll(async () => {
    await f?.stop();
  });

  const join = (user: TestUser): Promise<Client> => f.joined(room, user);

  it('GET /server says the document schema it checks', async () => {
    const r = await f.call('GET', '/server', null);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: 'Ferry', schema: SCHEMA_VERSION });
  });

  it('stores a member’s pin and brings it to the others', async () => {
    pin(b.doc, { message, user: bob.id, at: Date.now() });
    await until(() => stored(b), 'bob’s pin stored');
    await until(() => listPins(a.doc).length === 1, 'alice sees the pin');
    expect(listPins(a.doc)[0]).toMatchObject({ messageId: message, by: [bob.id] });
  });

  it('refuses another member’s removal of that pin: denied, audited, not applied or forwarded', async () => {
    const e = await join(eve);
    const denied = denials(e);
    const before = f.audit('update.refused').length;
    expect(unpinAll(e.doc, message)).toEqual([bob.id]);
    await until(() => denied.length > 0, 'permission denied');
    expect(denied[0]).toMatch(/only moderators and owners may remove others' pins/);
    await until(() => f.audit('update.refused').length > before, 'the audit row');
    expect(f.audit('update.refused').at(-1)).toMatchObject({
      actor: eve.id,
      target: room,
      detail: { rule: 'unpin', path: `pins/${pinKey(message, bob.id)}`, user: eve.id },
    });
    // A later write proves the room still flows: the removal never reached Alice or a newcomer.
    pin(b.doc, { message: tick(createClock(node()), Date.now()), user: bob.id, at: Date.now() });
    await until(() => listPins(a.doc).length === 2, 'alice sees bob’s second pin');
    expect(pinsOf(a.doc).has(pinKey(message, bob.id))).toBe(true);
    const late = await join(alice);
    expect(pinsOf(late.doc).has(pinKey(message, bob.id))).toBe(true);
  });

  it('applies a moderator’s unpin of everyone’s pins, audited as pin.removed', async () => {
    pin(a.doc, { message, user: alice.id, at: Date.now() });
    await until(() => stored(a), 'alice’s pin stored');
    const m = await join(mo);
    const denied = denials(m);
    expect(unpinAll(m.doc, message).sort()).toEqual([alice.id, bob.id].sort());
    await until(() => stored(m), 'the moderator’s unpin stored');
    await until(
      () => !listPins(b.doc).some((p) => p.messageId === message),
      'bob sees the message unpinned',
    );
    expect(listPins(a.doc).some((p) => p.messageId === message)).toBe(false);
    expect(denied).toEqual([]);
    const rows = f.audit('pin.removed').filter((r) => r.actor === mo.id);
    expect(
      rows
        .map((r) => r.detail)
        .sort((x, y) => String(x?.pinnedBy).localeCompare(String(y?.pinnedBy))),
    ).toEqual([alice.id, bob.id].sort().map((u) => ({ message, pinnedBy: u })));
    expect(rows.every((r) => r.target === room)).toBe(true);
  });
});
