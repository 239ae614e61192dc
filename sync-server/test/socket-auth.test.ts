// Socket authentication and per-room authorization (docs/accounts.md, "Sockets"), against a
// real relay with accounts: tokens on both endpoints, 4401 with the reason, 4403 per room,
// the mux AUTH refresh, expiry, revocation, removal, and connection rate limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { authText } from '../../core/src/protocol/mux-frames';
import { dmConversationId } from '../../core/src/ids';
import { inboxRoom, metaRoom, pageRoom } from '../../core/src/model/rooms';
import { peopleOf, setProfile } from '../../core/src/model/workspace';
import { runCli } from './accounts-helpers';
import { Fixture, newTestId, nextClose, rawClose, type TestUser } from './authz-fixture';
import { getJson, stored, synced, until } from './helpers';

process.setMaxListeners(0);

describe('socket authentication', () => {
  let f: Fixture;
  let alice: TestUser;
  let bob: TestUser;
  let conv: string;

  beforeAll(async () => {
    f = await Fixture.start([], { FERRY_TEST_AUTH_GRACE_MS: '1500' });
    alice = await f.user('alice');
    bob = await f.user('bob');
    conv = newTestId();
    await f.conversation(alice, { id: conv, kind: 'channel', title: 'Team' });
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('accepts, then closes 4401 with the reason, without a valid token (both endpoints)', async () => {
    expect(await rawClose(`${f.relay.url}/workspace`)).toEqual({
      code: 4401,
      reason: 'not authenticated',
    });
    expect(await rawClose(`${f.relay.url}/_mux?token=garbage`)).toEqual({
      code: 4401,
      reason: 'not authenticated',
    });
    // Authorization: Bearer works for non-browser clients; the token never reaches the log.
    const ok = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${f.relay.url}/workspace`, {
        headers: { Authorization: `Bearer ${alice.accessToken}` },
      });
      ws.on('message', () => {
        ws.close();
        resolve(1);
      });
      ws.on('close', (code) => resolve(code));
    });
    expect(ok).toBe(1);
    expect(JSON.stringify(f.relay.logs)).not.toContain(alice.accessToken);
  });

  it('authorizes each room: workspace for all, own inbox only, conversations for members', async () => {
    const ws = f.plain('workspace', bob);
    await synced(ws);
    const inbox = f.plain(inboxRoom(bob.id), bob);
    await synced(inbox);
    const other = f.plain(inboxRoom(alice.id), bob);
    expect(await nextClose(other)).toEqual({ code: 4403, reason: 'not your inbox' });
    const notMember = f.plain(metaRoom(conv), bob);
    expect(await nextClose(notMember)).toEqual({ code: 4403, reason: 'not a member' });
    const bogus = f.plain('conv/whatever', bob);
    expect(await nextClose(bogus)).toEqual({ code: 4403, reason: 'no such room' });

    // On the mux: a CLOSE for that room, the socket and its other rooms stay.
    const m = f.mux(bob);
    const fine = f.onMux(m, 'workspace');
    const page = f.onMux(m, pageRoom(conv, 2900));
    expect(await nextClose(page)).toEqual({ code: 4403, reason: 'not a member' });
    await synced(fine);
    expect(m.status).toBe('connected');
    // Members (archived conversations included) may open it.
    const member = f.onMux(f.mux(alice), pageRoom(conv, 2900));
    await synced(member);
  });

  it('closes the room at once when its member is removed (4403), other rooms stay', async () => {
    const id = newTestId();
    await f.conversation(alice, { id, kind: 'channel', title: 'Removal', members: [bob.id] });
    const m = f.mux(bob);
    const meta = f.onMux(m, metaRoom(id));
    const page = f.onMux(m, pageRoom(id, 2901));
    const ws = f.onMux(m, 'workspace');
    await Promise.all([synced(meta), synced(page), synced(ws)]);
    const closes = Promise.all([nextClose(meta), nextClose(page)]);
    const r = await f.call('DELETE', `/conversations/${id}/members/${bob.id}`, alice);
    expect(r.status).toBe(200);
    expect(await closes).toEqual([
      { code: 4403, reason: 'removed from conversation' },
      { code: 4403, reason: 'removed from conversation' },
    ]);
    expect(m.status).toBe('connected');
    // Re-opening is refused now.
    const again = f.onMux(m, metaRoom(id));
    expect(await nextClose(again)).toEqual({ code: 4403, reason: 'not a member' });
  });

  it('closes the sockets of a revoked session at once with 4401 session ended', async () => {
    const carol = await f.user('carol');
    const plain = f.plain('workspace', carol);
    const m = f.mux(carol);
    const onMux = f.onMux(m, inboxRoom(carol.id));
    await Promise.all([synced(plain), synced(onMux)]);
    const muxClosed = new Promise<{ code: number; reason: string }>((resolve) => {
      const off = m.onClose((e) => {
        off();
        resolve(e);
      });
    });
    const plainClosed = nextClose(plain);
    const r = await f.call('POST', '/auth/logout', carol);
    expect(r.status).toBeLessThan(300);
    const out = { code: 4401, reason: 'session ended: you signed out of this session' };
    expect(await plainClosed).toEqual(out);
    expect(await muxClosed).toEqual(out);
    // The refresh token says why too.
    const refreshed = await f.call('POST', '/auth/refresh', null, {
      refreshToken: carol.refreshToken,
    });
    expect(refreshed.body).toMatchObject({
      error: { code: 'session-ended', message: 'you signed out of this session; sign in again' },
    });
  });

  it('closes every socket of a disabled user, and those of a session revoked by the admin CLI', async () => {
    const dora = await f.user('dora');
    const one = f.plain('workspace', dora);
    const second = await f.relogin({ ...dora });
    const two = f.plain('workspace', second);
    await Promise.all([synced(one), synced(two)]);
    const closes = Promise.all([nextClose(one), nextClose(two)]);
    expect(
      (await f.call('PATCH', `/admin/users/${dora.id}`, f.admin, { disabled: true })).status,
    ).toBe(200);
    const disabled = { code: 4401, reason: 'session ended: your account was disabled' };
    expect(await closes).toEqual([disabled, disabled]);

    // Another process (the admin CLI) revokes: the relay notices (it watches the database's data_version).
    const ed = await f.user('ed');
    const socket = f.plain('workspace', ed);
    await synced(socket);
    const closed = nextClose(socket);
    const cli = await runCli(['admin', 'sessions', 'revoke', '--user', 'ed', '--data', f.dir]);
    expect(cli.code, cli.stderr).toBe(0);
    expect(await closed).toEqual({ code: 4401, reason: 'session ended: your session was revoked' });
  });

  it('DMs work end to end over the plain endpoint', async () => {
    const id = dmConversationId(alice.id, bob.id);
    await f.conversation(alice, { id, kind: 'dm', members: [bob.id] });
    const a = f.plain(metaRoom(id), alice);
    const b = f.plain(metaRoom(id), bob);
    await Promise.all([synced(a), synced(b)]);
  });
});

describe('token expiry on open sockets', () => {
  let f: Fixture;
  let alice: TestUser;

  beforeAll(async () => {
    // Tokens live 3 s; a mux socket lives 1.5 s past exp without a refresh (30 s in production).
    f = await Fixture.start(['--access-token-ttl', '3'], { FERRY_TEST_AUTH_GRACE_MS: '1500' });
    alice = await f.user('alice');
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('mux: an AUTH refresh keeps the socket and is answered with expiresAt', async () => {
    const u = await f.relogin(alice);
    const m = f.mux(u);
    const c = f.onMux(m, 'workspace');
    await synced(c);
    const answers: string[] = [];
    m.onAuth((payload) => answers.push(authText({ kind: 'auth', message: payload })));
    let closed = false;
    m.onClose(() => (closed = true));
    // Refresh twice, each before exp + grace: the socket outlives two token lifetimes.
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      const fresh = await f.relogin(u);
      expect(m.sendAuth(fresh.accessToken)).toBe(true);
      await until(() => answers.length === i + 1, 'the AUTH answer');
      const { expiresAt } = JSON.parse(answers[i] ?? '{}') as { expiresAt: number };
      expect(expiresAt).toBe(fresh.accessExpiresAt);
    }
    await new Promise((r) => setTimeout(r, 1500));
    expect(closed).toBe(false);
    setProfile(c.doc, { user: u.id, name: 'Still here', at: Date.now() });
    await until(() => stored(c), 'a write after two refreshes is stored');
  });

  it('mux: an AUTH frame with a bad token or another user closes 4401', async () => {
    const bob = await f.user('bob');
    const u = await f.relogin(alice);
    const m = f.mux(u);
    const c = f.onMux(m, 'workspace');
    await synced(c);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      const off = m.onClose((e) => {
        off();
        resolve(e);
      });
    });
    m.sendAuth((await f.relogin(bob)).accessToken);
    expect(await closed).toEqual({ code: 4401, reason: 'token belongs to another user' });
    m.destroy();
  });

  it('mux: without a refresh the socket closes 4401 token expired; pending writes arrive after reconnect', async () => {
    const u = await f.relogin(alice);
    const m = f.mux(u);
    const c = f.onMux(m, 'workspace');
    await synced(c);
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      const off = m.onClose((e) => {
        off();
        resolve(e);
      });
    });
    const started = Date.now();
    expect(await closed).toEqual({ code: 4401, reason: 'token expired' });
    // exp (3 s after login) + the grace
    expect(Date.now() - started).toBeGreaterThan(1000);
    m.goOffline();
    // Written while the socket is gone: kept locally, sent after the reconnect.
    setProfile(c.doc, { user: u.id, name: 'Written offline', at: Date.now() });
    const fresh = await f.relogin(u);
    m.setUrl(`${f.relay.url}/_mux?token=${fresh.accessToken}`);
    m.goOnline();
    c.provider.connect();
    await until(() => stored(c), 'the pending write is stored after the reconnect');
    const reader = f.onMux(f.mux(await f.relogin(alice)), 'workspace');
    await until(
      () => peopleOf(reader.doc).get(u.id)?.name === 'Written offline',
      'another client sees it',
    );
  });

  it('plain: the socket closes 4401 token expired at exp; the stock client reconnects with a new token', async () => {
    const u = await f.relogin(alice);
    const c = f.plain('workspace', u);
    await synced(c);
    const closed = await nextClose(c);
    expect(closed).toEqual({ code: 4401, reason: 'token expired' });
    setProfile(c.doc, { user: u.id, name: 'Pending on plain', at: Date.now() });
    const fresh = await f.relogin(u);
    c.provider.params = { token: fresh.accessToken };
    c.provider.connect();
    await until(() => stored(c), 'the pending write is stored after the reconnect');
  });

  it('answers an expired token with 4401 token expired', async () => {
    const u = await f.relogin(alice);
    await new Promise((r) => setTimeout(r, 3200));
    expect(await rawClose(`${f.relay.url}/workspace?token=${u.accessToken}`)).toEqual({
      code: 4401,
      reason: 'token expired',
    });
  });
});

describe('connection rate limits', () => {
  let f: Fixture;

  beforeAll(async () => {
    f = await Fixture.start(['--limit-upgrades-user', '2/1/min']);
  });
  afterAll(async () => {
    await f?.stop();
  });

  it('refuses upgrades beyond the per-user bucket with HTTP 429 and counts them', async () => {
    const dana = await f.user('dana');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        await new Promise<number>((resolve) => {
          const ws = new WebSocket(`${f.relay.url}/workspace?token=${dana.accessToken}`);
          ws.on('open', () => {
            ws.close();
            resolve(101);
          });
          ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.on('error', () => {});
        }),
      );
    }
    expect(statuses).toEqual([101, 101, 429]);
    const metrics = (await getJson(`${f.http}/metrics`)).text;
    expect(metrics).toMatch(/ferry_rate_limited_total\{what="upgrade_user"\} 1\b/);
  });
});
