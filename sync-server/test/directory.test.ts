// The directory document `inbox/<userId>` as the relay writes it (docs/accounts.md, "The
// directory document"), read by a stock client with core's readDirectory: it follows
// create/invite/remove/rename/archive and new messages (coalesced activity with versions).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClock, tick } from '../../core/src/hlc';
import { dmConversationId, newId } from '../../core/src/ids';
import { readDirectory } from '../../core/src/model/directory';
import { addMessage, react } from '../../core/src/model/page';
import { recordMessage } from '../../core/src/model/meta';
import { inboxRoom, metaRoom, pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { Fixture, newTestId, type TestUser } from './authz-fixture';
import { runCli } from './accounts-helpers';
import { stored, synced, until, type Client } from './helpers';

process.setMaxListeners(0);

describe('directory documents', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let ia: Client;
  let ib: Client;
  const dir = (c: Client) => readDirectory(c.doc);

  beforeAll(async () => {
    f = await Fixture.start();
    alice = await f.user('alice');
    bob = await f.user('bob');
    carol = await f.user('carol');
    ia = f.onMux(f.mux(alice), inboxRoom(alice.id));
    ib = f.onMux(f.mux(bob), inboxRoom(bob.id));
    await Promise.all([synced(ia), synced(ib)]);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('holds the user’s own profile as soon as the inbox is opened', async () => {
    await until(() => dir(ia).me !== null, 'me');
    expect(dir(ia).me).toEqual({
      id: alice.id,
      username: 'alice',
      displayName: 'Alice',
      role: 'member',
    });
  });

  it('follows create, rename, archive, invite and removal', async () => {
    const conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Plans', members: [bob.id] });
    await until(() => dir(ib).conversations.has(conv), 'bob sees the new channel');
    expect(dir(ib).conversations.get(conv)).toMatchObject({
      v: 1,
      kind: 'channel',
      visibility: 'private',
      title: 'Plans',
      archived: false,
      role: 'member',
      createdBy: alice.id,
    });
    await until(() => dir(ia).conversations.get(conv)?.role === 'owner', 'alice sees it as owner');
    expect(dir(ib).members.get(conv)).toEqual(
      [
        { id: alice.id, role: 'owner' },
        { id: bob.id, role: 'member' },
      ].sort((x, y) => (x.id < y.id ? -1 : 1)),
    );
    expect(dir(ib).people.get(alice.id)).toEqual({ username: 'alice', displayName: 'Alice' });

    await f.call('PATCH', `/conversations/${conv}`, alice, { title: 'Plans 2027' });
    await until(() => dir(ib).conversations.get(conv)?.title === 'Plans 2027', 'the rename');
    await f.call('PATCH', `/conversations/${conv}`, alice, { archived: true });
    await until(() => dir(ib).conversations.get(conv)?.archived === true, 'the archive');
    await f.call('PATCH', `/conversations/${conv}`, alice, { archived: false });
    await until(() => dir(ib).conversations.get(conv)?.archived === false, 'the unarchive');

    await f.call('POST', `/conversations/${conv}/members`, alice, { userIds: [carol.id] });
    await until(() => dir(ib).members.get(conv)?.length === 3, 'bob sees carol join');
    await until(() => dir(ib).people.has(carol.id), 'carol among bob’s people');
    // Carol opens her inbox for the first time: everything is there.
    const ic = f.onMux(f.mux(carol), inboxRoom(carol.id));
    await synced(ic);
    await until(() => dir(ic).conversations.get(conv)?.title === 'Plans 2027', 'carol’s directory');
    expect(dir(ic).me?.username).toBe('carol');

    await f.call('PATCH', `/conversations/${conv}/members/${bob.id}`, alice, { role: 'moderator' });
    await until(() => dir(ib).conversations.get(conv)?.role === 'moderator', 'bob’s new role');

    await f.call('DELETE', `/conversations/${conv}/members/${bob.id}`, alice);
    await until(() => !dir(ib).conversations.has(conv), 'removal deletes bob’s entry');
    expect(dir(ib).members.has(conv)).toBe(false);
    expect(dir(ib).activity.has(conv)).toBe(false);
    // Bob shares nothing with alice or carol any more.
    await until(() => !dir(ib).people.has(alice.id), 'alice leaves bob’s people');
    expect(dir(ib).people.has(carol.id)).toBe(false);
    expect(dir(ib).people.has(bob.id)).toBe(true);
    await until(() => dir(ia).members.get(conv)?.length === 2, 'alice sees bob gone');
  });

  it('follows a new display name or workspace role into everyone’s directory', async () => {
    const conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Names', members: [bob.id] });
    await until(() => dir(ib).people.has(alice.id), 'alice among bob’s people');
    expect((await f.call('PATCH', '/me', alice, { displayName: 'Alice Liddell' })).status).toBe(
      200,
    );
    await until(
      () => dir(ib).people.get(alice.id)?.displayName === 'Alice Liddell',
      'bob sees the new name',
    );
    await until(() => dir(ia).me?.displayName === 'Alice Liddell', 'alice’s own profile');
    const r = await f.call('PATCH', `/admin/users/${bob.id}`, f.admin, { role: 'guest' });
    expect(r.status).toBe(200);
    await until(() => dir(ib).me?.role === 'guest', 'bob’s new workspace role');
    await f.call('PATCH', `/admin/users/${bob.id}`, f.admin, { role: 'member' });
    await until(() => dir(ib).me?.role === 'member', 'bob is a member again');
  });

  it('follows a change made by `ferry-relay admin` in another process, while running', async () => {
    const conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'CLI', members: [bob.id] });
    await until(() => dir(ia).people.has(bob.id), 'bob among alice’s people');
    // The CLI opens the same database file; the relay learns of it from the audit log.
    const r = await runCli(['admin', 'users', 'set-role', 'bob', 'guest', '--data', f.dir]);
    expect(r.code, r.stderr).toBe(0);
    await until(() => dir(ib).me?.role === 'guest', 'bob’s role set by the CLI');
    // The relay's own changes meanwhile are not replayed or lost.
    await f.call('PATCH', '/me', alice, { displayName: 'Alice L.' });
    await until(() => dir(ib).people.get(alice.id)?.displayName === 'Alice L.', 'alice renamed');
    expect(
      (await runCli(['admin', 'users', 'set-role', 'bob', 'member', '--data', f.dir])).code,
    ).toBe(0);
    await until(() => dir(ib).me?.role === 'member', 'bob is a member again');
  });

  it('lists a DM without a title, for both members', async () => {
    const id = dmConversationId(alice.id, bob.id);
    await f.conversation(bob, { id, kind: 'dm', members: [alice.id] });
    await until(() => dir(ia).conversations.has(id) && dir(ib).conversations.has(id), 'the DM');
    expect(dir(ia).conversations.get(id)).toMatchObject({
      kind: 'dm',
      title: null,
      role: 'member',
    });
  });

  it('writes activity after new messages: preview and room versions, at most once a second', async () => {
    const conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Chatter', members: [bob.id] });
    const clock = createClock(newId((n) => crypto.getRandomValues(new Uint8Array(n))));
    const first = tick(clock, Date.now());
    const period = periodOfMessage(first);
    const m = f.mux(alice);
    const page = f.onMux(m, pageRoom(conv, period));
    const meta = f.onMux(m, metaRoom(conv));
    await Promise.all([synced(page), synced(meta)]);

    // Joining wrote bob's (empty) activity entry; count only what the messages cause.
    await until(() => dir(ib).activity.has(conv), 'bob’s first activity entry');
    let writes = 0;
    ib.doc.getMap('activity').observe((e) => {
      if (e.keysChanged.has(conv)) writes++;
    });
    const started = Date.now();
    let last = first;
    for (let i = 0; i < 10; i++) {
      const id = i === 0 ? first : tick(clock, Date.now());
      last = id;
      addMessage(page.doc, { id, author: alice.id, text: `message ${i}`, createdAt: Date.now() });
      recordMessage(meta.doc, {
        period,
        author: alice.id,
        id,
        text: `message ${i}`,
        at: Date.now(),
      });
      await new Promise((r) => setTimeout(r, 50));
    }
    await until(() => stored(page) && stored(meta), 'messages stored');
    await until(
      () => dir(ib).activity.get(conv)?.preview?.id === last,
      'bob’s preview is the last message',
    );
    const act = dir(ib).activity.get(conv);
    expect(act?.preview).toEqual({ id: last, author: alice.id, text: 'message 9' });
    const versions = act?.versions ?? {};
    expect(versions[`p${period}`]).toBeGreaterThanOrEqual(1);
    expect(versions.meta).toBeGreaterThanOrEqual(1);
    // Ten stored updates over ~0.5 s: coalesced to at most one write a second (plus the first).
    const elapsed = (Date.now() - started) / 1000;
    expect(writes).toBeLessThanOrEqual(Math.ceil(elapsed) + 1);

    // The version only grows, and the preview follows the newest message.
    const before = versions[`p${period}`] ?? 0;
    const next = tick(clock, Date.now());
    addMessage(page.doc, { id: next, author: alice.id, text: 'one more', createdAt: Date.now() });
    await until(
      () =>
        dir(ib).activity.get(conv)?.preview?.text === 'one more' &&
        dir(ia).activity.get(conv)?.preview?.text === 'one more',
      'both previews show the new message',
    );
    expect(dir(ib).activity.get(conv)?.versions[`p${period}`]).toBeGreaterThan(before);

    // A reaction is stored (the page's version grows) but is not news: `at`, which orders the
    // app's conversation list, stays; the next message moves it.
    const atBefore = dir(ib).activity.get(conv)?.at;
    const versionBefore = dir(ib).activity.get(conv)?.versions[`p${period}`] ?? 0;
    react(page.doc, next, '👍', alice.id, true, Date.now());
    await until(
      () => (dir(ib).activity.get(conv)?.versions[`p${period}`] ?? 0) > versionBefore,
      'the reaction reaches the activity entry',
    );
    expect(dir(ib).activity.get(conv)?.at).toBe(atBefore);
    const newer = tick(clock, Date.now() + 5);
    addMessage(page.doc, { id: newer, author: alice.id, text: 'news', createdAt: Date.now() });
    await until(() => dir(ib).activity.get(conv)?.preview?.id === newer, 'the new message');
    expect(dir(ib).activity.get(conv)?.at).toBeGreaterThan(atBefore ?? Infinity);
  });

  it('survives a restart: the inbox is stored like any room', async () => {
    const before = dir(ia);
    const port = f.relay.port;
    await f.relay.stop('SIGTERM');
    const { startRelayProcess } = await import('./helpers');
    f.relay = await startRelayProcess(f.dir, ['--port', String(port)], { auth: true });
    const fresh = f.onMux(f.mux(await f.relogin(alice)), inboxRoom(alice.id));
    await synced(fresh);
    expect([...dir(fresh).conversations.keys()].sort()).toEqual(
      [...before.conversations.keys()].sort(),
    );
  });
});
