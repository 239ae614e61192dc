// A person's own document `self/<userId>` (schema 3, docs/messaging.md "Personal state")
// against a real relay with accounts, through stock y-websocket clients: its owner (a guest
// too) opens and writes it and two of their connections converge; anyone else is refused the
// room (4403, audited); a malformed or future entry from its owner is refused and audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, tick } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { listSaved, saveMessage, setReminder, listReminders } from '../../core/src/model/personal';
import { selfRoom } from '../../core/src/model/rooms';
import { Fixture, denials, newTestId, nextClose, type TestUser } from './authz-fixture';
import { stored, until } from './helpers';

process.setMaxListeners(0);

const node = () => newId((n) => crypto.getRandomValues(new Uint8Array(n)));

describe('self documents on the relay', () => {
  let f: Fixture;
  let ann: TestUser;
  let bob: TestUser;
  let gus: TestUser;
  const conv = newTestId();
  const message = tick(createClock(node()), Date.now());

  beforeAll(async () => {
    f = await Fixture.start();
    ann = await f.user('ann');
    bob = await f.user('bob');
    gus = await f.user('gus', 'guest');
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('lets its owner write it from two connections, which converge and are stored', async () => {
    const room = selfRoom(ann.id);
    const one = await f.joined(room, ann);
    const two = await f.joined(room, ann);
    saveMessage(one.doc, { convId: conv, messageId: message }, Date.now());
    await until(() => stored(one), 'the save stored');
    const due = Date.now() + 60_000;
    setReminder(two.doc, { convId: conv, messageId: message }, { at: Date.now(), due });
    await until(() => stored(two), 'the reminder stored');
    await until(
      () => listSaved(two.doc).length === 1 && listReminders(one.doc).length === 1,
      'both devices see both entries',
    );
    // A fresh connection reads it from the relay's storage.
    const three = await f.joined(room, ann);
    expect(listSaved(three.doc).map((s) => s.messageId)).toEqual([message]);
  });

  it('lets a guest open and write their own', async () => {
    const c = await f.joined(selfRoom(gus.id), gus);
    saveMessage(c.doc, { convId: conv, messageId: message }, Date.now());
    await until(() => stored(c), 'the guest’s save stored');
  });

  it('refuses anyone else the room: closed 4403 and audited', async () => {
    const before = f.audit('room.refused').length;
    const c = f.plain(selfRoom(ann.id), bob);
    const closed = await nextClose(c);
    c.provider.shouldConnect = false;
    expect(closed.code).toBe(4403);
    await until(() => f.audit('room.refused').length > before, 'the audit row');
    expect(f.audit('room.refused').at(-1)).toMatchObject({
      actor: bob.id,
      target: selfRoom(ann.id),
    });
  });

  it('refuses its owner’s malformed or future entries: denied and audited', async () => {
    const c = await f.joined(selfRoom(ann.id), ann);
    const denied = denials(c);
    const before = f.audit('update.refused').length;
    c.doc.getMap('saved').set(`${conv}|${message}`, { v: 3, at: Date.now() + 3_600_000 });
    await until(() => denied.length > 0, 'permission denied');
    expect(denied[0]).toMatch(/ahead of the server's clock/);
    await until(() => f.audit('update.refused').length > before, 'the audit row');
    expect(f.audit('update.refused').at(-1)).toMatchObject({
      actor: ann.id,
      target: selfRoom(ann.id),
      detail: expect.objectContaining({ rule: 'future' }) as unknown,
    });
  });
});
