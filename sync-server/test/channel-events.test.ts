// Channel topic, description and system events against a real relay with accounts
// (docs/messaging.md, "Topic, description and system lines"): owners set the topic and
// description (the rename permission), bounded and plain; they reach members' directories and
// the channel browser; joins, leaves, additions, removals, renames and topic changes become
// relay-written events in the meta document; a member's forged event is refused and audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDirectory } from '../../core/src/model/directory';
import { EVENTS_ROOT, eventKey, readEvents } from '../../core/src/model/events';
import { inboxRoom, metaRoom } from '../../core/src/model/rooms';
import { Fixture, denials, newTestId, type TestUser } from './authz-fixture';
import { synced, until, type Client } from './helpers';

process.setMaxListeners(0);

describe('channel topic, description and system events', () => {
  let f: Fixture;
  let alice: TestUser; // owner
  let bob: TestUser; // member
  let carol: TestUser; // joins the open channel
  let conv: string;
  let meta: Client;

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
    conv = newTestId();
    const r = await f.call('POST', '/conversations', alice, {
      id: conv,
      kind: 'channel',
      title: 'Launch',
      visibility: 'open',
      members: [bob.id],
    });
    expect(r.status).toBe(201);
    meta = f.plain(metaRoom(conv), alice);
    await synced(meta);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('lets the owner set topic and description; members see them in their directory', async () => {
    const r = await f.call('PATCH', `/conversations/${conv}`, alice, {
      topic: '  Ship v2 by Friday ',
      description: 'Where the launch is planned.\r\n\r\n\r\nAsk Ada for access.',
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      topic: 'Ship v2 by Friday',
      description: 'Where the launch is planned.\n\nAsk Ada for access.',
    });
    const inbox = f.plain(inboxRoom(bob.id), bob);
    await synced(inbox);
    await until(
      () => readDirectory(inbox.doc).conversations.get(conv)?.topic === 'Ship v2 by Friday',
      'bob’s directory has the topic',
    );
    expect(readDirectory(inbox.doc).conversations.get(conv)?.description).toBe(
      'Where the launch is planned.\n\nAsk Ada for access.',
    );
    const browse = await f.call('GET', '/conversations?browse=open', carol);
    const listed = (browse.body as { conversations: Array<Record<string, unknown>> }).conversations;
    expect(listed.find((c) => c.id === conv)).toMatchObject({
      description: 'Where the launch is planned.\n\nAsk Ada for access.',
      topic: 'Ship v2 by Friday',
    });
  });

  it('refuses a member’s topic, oversized or control characters', async () => {
    expect((await f.call('PATCH', `/conversations/${conv}`, bob, { topic: 'mine' })).status).toBe(
      403,
    );
    const long = await f.call('PATCH', `/conversations/${conv}`, alice, { topic: 'x'.repeat(251) });
    expect(long.status).toBe(400);
    const line = await f.call('PATCH', `/conversations/${conv}`, alice, { topic: 'a\nb' });
    expect(line.status).toBe(400);
    const ctl = await f.call('PATCH', `/conversations/${conv}`, alice, {
      description: 'bell \u0007',
    });
    expect(ctl.status).toBe(400);
    const big = await f.call('PATCH', `/conversations/${conv}`, alice, {
      description: 'x'.repeat(1001),
    });
    expect(big.status).toBe(400);
  });

  it('writes join, leave, add, remove, rename and topic as relay events in the meta document', async () => {
    expect((await f.call('POST', `/conversations/${conv}/join`, carol, {})).status).toBe(200);
    expect((await f.call('POST', `/conversations/${conv}/leave`, carol, {})).status).toBe(200);
    expect(
      (await f.call('POST', `/conversations/${conv}/members`, alice, { userIds: [carol.id] }))
        .status,
    ).toBe(200);
    expect(
      (await f.call('DELETE', `/conversations/${conv}/members/${carol.id}`, alice)).status,
    ).toBe(200);
    expect(
      (await f.call('PATCH', `/conversations/${conv}`, alice, { title: 'Launch v2' })).status,
    ).toBe(200);
    await until(() => readEvents(meta.doc).length >= 6, 'six events reach alice');
    const events = readEvents(meta.doc).map((e) => ({
      kind: e.kind,
      actor: e.actor,
      user: e.user,
      text: e.text,
    }));
    expect(events).toEqual([
      { kind: 'topic', actor: alice.id, user: undefined, text: 'Ship v2 by Friday' },
      { kind: 'joined', actor: carol.id, user: undefined, text: undefined },
      { kind: 'left', actor: carol.id, user: undefined, text: undefined },
      { kind: 'added', actor: alice.id, user: carol.id, text: undefined },
      { kind: 'removed', actor: alice.id, user: carol.id, text: undefined },
      { kind: 'renamed', actor: alice.id, user: undefined, text: 'Launch v2' },
    ]);
  });

  it('refuses a member’s forged event: denied, audited, never applied or forwarded', async () => {
    const b = await f.joined(metaRoom(conv), bob);
    const denied = denials(b);
    const before = f.audit('update.refused').length;
    const key = eventKey(Date.now(), 'forged');
    b.doc.getMap(EVENTS_ROOT).set(key, {
      v: 3,
      kind: 'renamed',
      actor: alice.id,
      text: 'Pwned',
      at: Date.now(),
    });
    await until(() => denied.length > 0, 'permission denied');
    await until(() => f.audit('update.refused').length > before, 'the audit row');
    expect(f.audit('update.refused').at(-1)).toMatchObject({
      actor: bob.id,
      target: metaRoom(conv),
      detail: { rule: 'owner', path: `events/${key}` },
    });
    const fresh = await f.joined(metaRoom(conv), alice);
    expect(fresh.doc.getMap(EVENTS_ROOT).has(key)).toBe(false);
    expect(readEvents(fresh.doc).some((e) => e.text === 'Pwned')).toBe(false);
    expect(meta.doc.getMap(EVENTS_ROOT).has(key)).toBe(false);
  });
});
