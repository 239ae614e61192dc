// The data layer signed in to a REAL relay with accounts: sign-in, tokens, the directory
// document, conversations created offline, removal while offline, catch-up by versions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../src/data/api';
import { AccountsDb, refreshKey } from '../../src/data/accounts';
import { createBrowserApi } from '../../src/platform/browser';
import { Device, listWhere, removeDir, SharedLocks, startRelay, texts, viewWhere, type Relay } from './harness';
import type { Client } from '../../src/data/client';
import { LocalStore } from '../../src/data/store';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

describe('accounts: sign-in and session', () => {
  it('signs in (wrong password refused with a clear code), refreshes, signs out keeping local data', async () => {
    const ada = await relay.createUser('Ada');
    const dev = new Device('Ada', relay.url);
    const backend = dev.backend();
    expect(await backend.serverInfo(relay.url)).toMatchObject({ setupRequired: false });
    const bad = await backend.signIn({ serverUrl: relay.url, username: ada.username, password: 'not the password' });
    expect(bad).toMatchObject({ ok: false, code: 'invalid-credentials' });
    const unreachable = await backend.signIn({ serverUrl: 'http://127.0.0.1:1', username: 'x', password: 'y' });
    expect(unreachable).toMatchObject({ ok: false, code: 'unreachable' });
    expect(await backend.restore()).toBeNull(); // nobody signed in yet

    const a = await dev.signIn(ada);
    expect(a.session).toMatchObject({ userId: ada.id, username: ada.username, displayName: 'Ada', role: 'member' });
    const firstRefresh = await dev.secrets.get(refreshKey(ada.id));
    expect(firstRefresh).toMatch(/\./);
    await a.whenSettled(20_000);
    const id = await a.createConversation({ kind: 'channel', title: 'Notes', visibility: 'private', members: [] });
    const c = a.open(id);
    await c.loadRecent();
    await c.send('kept locally');
    await a.whenSettled(20_000);
    // Registered: the directory lists it with me as its owner.
    const list = await listWhere(a, (l) => l.some((x) => x.id === id && x.registered && x.role === 'owner'));
    expect(list.find((x) => x.id === id)).toMatchObject({ kind: 'channel', visibility: 'private', removed: false });

    c.close();
    await a.signOut();
    let auth = '';
    a.auth((s) => (auth = s.state))();
    expect(auth).toBe('ended');
    expect(await dev.secrets.get(refreshKey(ada.id))).toBeNull();
    // The relay revoked it: the old refresh token is refused.
    const r = await relay.api('POST', '/auth/refresh', { refreshToken: firstRefresh }, '');
    expect(r.status).toBe(401);
    await a.close();
    expect(await dev.backend().restore()).toBeNull();

    // Signing in again opens the same local database: everything is there at once.
    const again = await dev.signIn(ada);
    const l2 = await listWhere(again, (l) => l.some((x) => x.id === id));
    expect(l2.find((x) => x.id === id)?.title).toBe('Notes');
    await again.close();
  });
});

describe('accounts: the directory and membership', () => {
  it('an invited member sees the channel and its people from the directory; messages flow', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Harbour', visibility: 'private', members: [bo.id] });
    const ca = a.open(id);
    await ca.loadRecent();
    await ca.send('hello Bo');
    const lb = await listWhere(b, (l) => l.some((x) => x.id === id));
    expect(lb.find((x) => x.id === id)).toMatchObject({ title: 'Harbour', role: 'member', memberCount: 2 });
    let people: string[] = [];
    await new Promise<void>((resolve) =>
      b.people((p) => {
        people = p.map((x) => x.displayName);
        if (people.includes('Ada')) resolve();
      }),
    );
    expect(people).toEqual(expect.arrayContaining(['Ada', 'Bo']));
    const cb = b.open(id);
    await cb.loadRecent();
    const vb = await viewWhere(cb, (v) => texts(v).includes('hello Bo'));
    expect(vb.messages[0]?.authorName).toBe('Ada');
    expect(vb).toMatchObject({ canPost: true, canModerate: false, role: 'member' });
    expect(vb.members.map((m) => m.displayName).sort()).toEqual(['Ada', 'Bo']);
    await cb.send('hi Ada');
    await viewWhere(ca, (v) => texts(v).includes('hi Ada'));
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });

  it('membership calls need a connection: offline they throw ApiError offline', async () => {
    const ada = await relay.createUser('Ada');
    const a = await new Device('Ada', relay.url).signIn(ada);
    a.setOnline(false);
    await expect(a.browseChannels()).rejects.toMatchObject({ code: 'offline' });
    await expect(a.searchPeople('bo')).rejects.toBeInstanceOf(ApiError);
    await a.close();
  });
});

describe('accounts: tokens on an open socket', () => {
  let short: Relay;
  beforeAll(async () => {
    // Access tokens live 3 s: the client refreshes ahead and sends AUTH on the open socket.
    short = await startRelay({ args: ['--access-token-ttl', '3'] });
  });
  afterAll(async () => {
    await short?.stop();
    if (short) removeDir(short.dataDir);
  });

  it('refreshes before expiry and renews the open socket with AUTH frames; nothing is lost', async () => {
    const [ada, bo] = await Promise.all([short.createUser('Ada'), short.createUser('Bo')]);
    const devA = new Device('Ada', short.url);
    const a = await devA.signIn(ada);
    const b = await new Device('Bo', short.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Long watch', visibility: 'private', members: [bo.id] });
    const ca = a.open(id);
    await ca.loadRecent();
    await listWhere(b, (l) => l.some((x) => x.id === id));
    const cb = b.open(id);
    await cb.loadRecent();
    // Across three token lifetimes, one message per second.
    for (let i = 0; i < 9; i++) {
      await ca.send(`tick ${i}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const vb = await viewWhere(cb, (v) => v.messages.length === 9, 20_000);
    expect(texts(vb)).toEqual(Array.from({ length: 9 }, (_, i) => `tick ${i}`));
    await viewWhere(ca, (v) => v.messages.every((m) => m.delivery === 'stored'));
    const stats = a.socket?.stats;
    expect(stats?.authSent).toBeGreaterThanOrEqual(2);
    expect(stats?.authAnswered).toBeGreaterThanOrEqual(2);
    expect(devA.sockets).toBe(1); // the same socket all along
    let auth = '';
    a.auth((s) => (auth = s.state))();
    expect(auth).toBe('ok');
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });
});

describe('accounts: two windows of one user', () => {
  let short: Relay;
  beforeAll(async () => {
    short = await startRelay({ args: ['--access-token-ttl', '3'] });
  });
  afterAll(async () => {
    await short?.stop();
    if (short) removeDir(short.dataDir);
  });

  it('refresh the one token in turn (a Web Lock), so the relay never sees a rotated token twice', async () => {
    const ada = await short.createUser('Ada');
    const dev = new Device('Ada', short.url);
    const locks = new SharedLocks();
    const r = await dev
      .backend({ locks })
      .signIn({ serverUrl: short.url, username: ada.username, password: ada.password });
    if (!r.ok) throw new Error(r.message);
    const w1 = r.client as Client;
    const w2 = (await dev.backend({ locks }).restore()) as Client; // a second window
    await Promise.all([w1.whenSettled(20_000), w2.whenSettled(20_000)]);
    await new Promise((x) => setTimeout(x, 7_000)); // about three token lifetimes, both refreshing
    const states: string[] = [];
    for (const w of [w1, w2]) w.auth((s) => states.push(s.state))();
    expect(states).toEqual(['ok', 'ok']);
    expect((w1.socket?.stats.refreshes ?? 0) + (w2.socket?.stats.refreshes ?? 0)).toBeGreaterThanOrEqual(4);
    await w1.close();
    await w2.close();
  });

  it('without Web Locks (an insecure context) a lease in IndexedDB does the same', async () => {
    const ada = await short.createUser('Ada');
    const dev = new Device('Ada', short.url);
    const w1 = await dev.signIn(ada);
    const w2 = (await dev.backend().restore()) as Client;
    await Promise.all([w1.whenSettled(20_000), w2.whenSettled(20_000)]);
    await new Promise((x) => setTimeout(x, 7_000));
    const states: string[] = [];
    for (const w of [w1, w2]) w.auth((s) => states.push(s.state))();
    expect(states).toEqual(['ok', 'ok']);
    await w1.close();
    await w2.close();
  });
});

describe('accounts: session ended, offline start', () => {
  it('a revoked session ends: local data and pending messages kept, delivered after signing in again', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const devA = new Device('Ada', relay.url);
    const a = await devA.signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Dock', visibility: 'private', members: [bo.id] });
    const ca = a.open(id);
    await ca.loadRecent();
    await ca.send('before');
    await a.whenSettled(20_000);
    // Offline, then the admin revokes every session of Ada's.
    a.setOnline(false);
    await ca.send('written while revoked');
    const sessions = await relay.api('GET', `/admin/sessions?user=${ada.username}`);
    for (const s of (sessions.body as { sessions: Array<{ id: string; revokedAt: number | null }> }).sessions) {
      await relay.api('DELETE', `/admin/sessions/${s.id}`);
    }
    a.setOnline(true);
    const ended = await new Promise<{ state: string; message?: string }>((resolve) =>
      a.auth((s) => s.state === 'ended' && resolve(s)),
    );
    expect(ended.message).toMatch(/sign in again/i);
    let pending = 0;
    let connection = '';
    a.sync((s) => {
      pending = s.pending;
      connection = s.connection;
    })();
    expect(pending).toBeGreaterThan(0);
    expect(connection).toBe('offline');
    expect(texts(await viewWhere(ca, (v) => v.messages.length === 2))).toEqual(['before', 'written while revoked']);
    ca.close();
    await a.close();

    // Signing in again as Ada resumes and sends what is pending.
    const a2 = await devA.signIn(ada);
    await a2.whenSettled(20_000);
    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => texts(v).includes('written while revoked'));
    cb.close();
    await a2.close();
    await b.close();
  });

  it('starts offline with the kept session and shows everything local with no network', async () => {
    const ada = await relay.createUser('Ada');
    const dev = new Device('Ada', relay.url);
    const a = await dev.signIn(ada);
    const id = await a.createConversation({ kind: 'channel', title: 'Logbook', visibility: 'private', members: [] });
    const c = a.open(id);
    await c.loadRecent();
    await c.send('entry one');
    await a.whenSettled(20_000);
    c.close();
    await a.close();

    dev.blocked = true; // no network at all: no socket, no HTTP
    const r = await dev.restore({ online: false });
    expect(r).not.toBeNull();
    const a2 = r as NonNullable<typeof r>;
    expect(a2.session.username).toBe(ada.username);
    const list = await listWhere(a2, (l) => l.some((x) => x.id === id));
    expect(list.find((x) => x.id === id)).toMatchObject({ title: 'Logbook', role: 'owner' });
    const c2 = a2.open(id);
    await c2.loadRecent();
    await viewWhere(c2, (v) => texts(v).includes('entry one'));
    await c2.send('entry two, offline');
    let auth = '';
    a2.auth((s) => (auth = s.state))();
    expect(auth).toBe('ok');
    c2.close();
    await a2.close();

    // Back online: refresh first, then the socket; the offline entry is delivered.
    dev.blocked = false;
    const a3 = (await dev.restore()) as NonNullable<typeof r>;
    await a3.whenSettled(20_000);
    const c3 = a3.open(id);
    await c3.loadRecent();
    await viewWhere(c3, (v) => v.messages.length === 2 && v.messages.every((m) => m.delivery === 'stored'));
    c3.close();
    await a3.close();
  });
});

describe('accounts: offline conversations and removal', () => {
  it('a registration cut short by closing the app is done at the next start', async () => {
    const ada = await relay.createUser('Ada');
    const device = new Device('Ada', relay.url);
    const a = await device.signIn(ada);
    await a.whenSettled(20_000);
    // The relay's answer to the registration is held until the client has closed.
    const real = globalThis.fetch;
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let seen = () => {};
    const posted = new Promise<void>((r) => (seen = r));
    globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      const answer = real(input, init);
      if (init?.method === 'POST' && String(input).endsWith('/conversations')) {
        seen();
        await held;
      }
      return answer;
    };
    let id = '';
    try {
      a.setOnline(false);
      id = await a.createConversation({ kind: 'channel', title: 'Closing time', visibility: 'private', members: [] });
      a.setOnline(true);
      await posted;
      const closing = a.close();
      release();
      await closing;
      // The answer arrives after the close; the client writes nothing to its closed store.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      release();
      globalThis.fetch = real;
    }
    const again = (await device.restore()) as Client;
    await listWhere(again, (l) => l.find((x) => x.id === id)?.registered === true);
    await again.close();
  });

  it('a channel and a DM created offline are usable at once and registered on reconnect', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    // Ada learns of Bo (a shared conversation puts him in her directory's people).
    const shared = await a.createConversation({ kind: 'channel', title: 'Hello', visibility: 'private', members: [bo.id] });
    await listWhere(b, (l) => l.some((x) => x.id === shared));
    await a.whenSettled(20_000);

    a.setOnline(false);
    const ch = await a.createConversation({ kind: 'channel', title: 'Made offline', visibility: 'private', members: [bo.id] });
    const dm = await a.openDm(bo.id);
    const list = await listWhere(a, (l) => l.some((x) => x.id === ch) && l.some((x) => x.id === dm));
    expect(list.find((x) => x.id === ch)).toMatchObject({ registered: false, role: 'owner' });
    expect(list.find((x) => x.id === dm)).toMatchObject({ registered: false, kind: 'dm', dmWith: bo.id, title: 'Bo' });
    for (const [id, text] of [
      [ch, 'channel words'],
      [dm, 'a private word'],
    ] as const) {
      const c = a.open(id);
      await c.loadRecent();
      await c.send(text);
      c.close();
    }
    a.setOnline(true);
    await a.whenSettled(20_000);
    await listWhere(a, (l) => [ch, dm].every((id) => l.find((x) => x.id === id)?.registered === true));
    const lb = await listWhere(b, (l) => l.some((x) => x.id === ch) && l.some((x) => x.id === dm));
    expect(lb.find((x) => x.id === dm)).toMatchObject({ kind: 'dm', title: 'Ada', dmWith: ada.id });
    // Bo's DM id is the same one: opening it from his side finds it.
    expect(await b.openDm(ada.id)).toBe(dm);
    for (const [id, text] of [
      [ch, 'channel words'],
      [dm, 'a private word'],
    ] as const) {
      const c = b.open(id);
      await c.loadRecent();
      await viewWhere(c, (v) => texts(v).includes(text));
      c.close();
    }
    await a.close();
    await b.close();
  });

  it('removed while offline: marked removed, local copy kept, undelivered counted and exported', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Crew', visibility: 'private', members: [bo.id] });
    await listWhere(b, (l) => l.some((x) => x.id === id));
    const cb = b.open(id);
    await cb.loadRecent();
    await cb.send('delivered before');
    await b.whenSettled(20_000);
    b.setOnline(false);
    await cb.send('never delivered 1');
    await cb.send('never delivered 2');
    await a.removeMember(id, bo.id);
    b.setOnline(true);
    const lb = await listWhere(b, (l) => l.find((x) => x.id === id)?.removed === true);
    await listWhere(b, (l) => l.find((x) => x.id === id)?.undelivered === 2);
    await b.whenSettled(20_000); // what can never be sent is not "pending" (it is undelivered)
    expect(lb.find((x) => x.id === id)?.title).toBe('Crew');
    const v = await viewWhere(cb, (x) => x.removed);
    expect(v).toMatchObject({ canPost: false });
    expect(texts(v)).toEqual(['delivered before', 'never delivered 1', 'never delivered 2']);
    await expect(cb.send('more')).rejects.toMatchObject({ code: 'forbidden' });
    const exp = await b.exportConversation(id);
    const json = JSON.parse(exp.json) as { undelivered: number; messages: Array<{ text: string; delivered: boolean }> };
    expect(json.undelivered).toBe(2);
    expect(json.messages.filter((m) => !m.delivered).map((m) => m.text)).toEqual(['never delivered 1', 'never delivered 2']);
    expect(exp.text).toMatch(/never delivered 1 {2}\[NOT DELIVERED\]/);
    expect(exp.filename).toMatch(/^ferry-Crew-/);
    // Ada never sees them.
    const ca = a.open(id);
    await ca.loadRecent();
    await a.whenSettled(20_000);
    expect(texts(await viewWhere(ca, (x) => x.messages.length >= 1))).toEqual(['delivered before']);
    ca.close();
    // Forgetting is explicit.
    cb.close();
    await b.forget(id);
    await listWhere(b, (l) => !l.some((x) => x.id === id));
    await a.close();
    await b.close();
  });
});

describe('accounts: catch-up follows what changed', () => {
  it('with 50 conversations and 1 changed, a reconnect syncs only that one', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const devB = new Device('Bo', relay.url);
    let b = await devB.signIn(bo);
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const id = await a.createConversation({ kind: 'channel', title: `Room ${i}`, visibility: 'private', members: [bo.id] });
      const c = a.open(id);
      await c.loadRecent();
      await c.send(`first words in room ${i}`);
      c.close();
      ids.push(id);
    }
    await a.whenSettled(30_000);
    await listWhere(b, (l) => ids.every((id) => l.find((x) => x.id === id)?.lastMessage !== null), 30_000);
    await b.whenSettled(30_000);
    // The directory's activity is coalesced (a second): let Bo follow it to the end.
    await new Promise((r) => setTimeout(r, 1500));
    await b.idle();
    const firstCatchUp = b.roomsSynced; // while following: every meta document and newest page
    await b.close();

    // While Bo is away, one conversation changes.
    const c7 = a.open(ids[7] as string);
    await c7.loadRecent();
    await c7.send('news in room 7');
    await a.whenSettled(20_000);
    c7.close();
    // The directory's activity is coalesced (at most once a second): wait until it shows.
    await new Promise((r) => setTimeout(r, 1500));

    b = await devB.signIn(bo);
    await b.whenSettled(30_000);
    const rooms = b.lastCatchUp;
    console.log(`catch-up with 50 conversations: first session synced ${firstCatchUp} rooms; the reconnect after 1 changed synced ${rooms.length}`);
    expect(firstCatchUp).toBeGreaterThanOrEqual(50);
    expect(rooms.length).toBeGreaterThan(0);
    expect(rooms.length).toBeLessThanOrEqual(2); // its newest page (and its meta document if it changed)
    expect(rooms.filter((r) => !r.startsWith(`conv/${ids[7]}`))).toEqual([]);
    const list = await listWhere(b, (l) => l.find((x) => x.id === ids[7])?.lastMessage?.text === 'news in room 7');
    expect(list.find((x) => x.id === ids[7])?.unread).toBe(2);
    await a.close();
    await b.close();
  });
});

describe('accounts: more session edges', () => {
  it('a session revoked while connected ends at once (4401 session ended); nothing local is lost', async () => {
    const ada = await relay.createUser('Ada');
    const a = await new Device('Ada', relay.url).signIn(ada);
    const id = await a.createConversation({ kind: 'channel', title: 'Open line', visibility: 'private', members: [] });
    const c = a.open(id);
    await c.loadRecent();
    await c.send('still here');
    await a.whenSettled(20_000);
    const sessions = await relay.api('GET', `/admin/sessions?user=${ada.username}`);
    for (const s of (sessions.body as { sessions: Array<{ id: string }> }).sessions) {
      await relay.api('DELETE', `/admin/sessions/${s.id}`);
    }
    await new Promise<void>((resolve) => a.auth((s) => s.state === 'ended' && resolve()));
    expect(a.socket?.stats.closed4401).toBe(1);
    expect(texts(await viewWhere(c, (v) => v.messages.length === 1))).toEqual(['still here']);
    await expect(c.send('after the end')).resolves.toMatchObject({ delivery: 'pending' }); // kept locally
    c.close();
    await a.close();
  });

  it('where the platform refuses to keep the refresh token, the session lasts for this run only', async () => {
    const ada = await relay.createUser('Ada');
    const dev = new Device('Ada', relay.url);
    dev.secrets.set = async (_key, value) => {
      if (value !== null) throw new Error('the OS offers no secure storage');
    };
    const a = await dev.signIn(ada); // signed in all the same
    await a.whenSettled(20_000);
    const id = await a.createConversation({ kind: 'channel', title: 'Ephemeral', visibility: 'private', members: [] });
    await a.whenSettled(20_000);
    await a.close();
    const again = (await dev.restore()) as NonNullable<Awaited<ReturnType<typeof dev.restore>>>;
    const ended = await new Promise<{ state: string }>((resolve) => again.auth((s) => s.state === 'ended' && resolve(s)));
    expect(ended.state).toBe('ended');
    const l = await listWhere(again, (x) => x.some((c) => c.id === id)); // local data shows
    expect(l.find((c) => c.id === id)?.title).toBe('Ephemeral');
    await again.close();
  });

  it('a forged update the relay refuses (permission-denied) is dropped by the rebuild (not mine to resend) and said', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Forgery', visibility: 'private', members: [bo.id] });
    const ca = a.open(id);
    await ca.loadRecent();
    const msg = await ca.send('original');
    await a.whenSettled(20_000);
    await listWhere(b, (l) => l.some((x) => x.id === id));
    const cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => texts(v).includes('original'));
    // Bo's client bypasses its checks and rewrites Ada's message on the page.
    const room = [...(await b.store.docRecords()).keys()].find((r) => r.startsWith(`conv/${id}/p`)) as string;
    const od = b.host.get(room);
    const entry = od?.doc.getMap('messages').get(msg.id) as { set(k: string, v: unknown): void } | undefined;
    entry?.set('text', 'forged by Bo');
    const v = await viewWhere(cb, (x) => /refused a change/.test((x as { error?: string }).error ?? '') && texts(x).includes('original'));
    // Rebuilt from the relay's state plus Bo's own entries: Ada's message is hers, as the relay has it.
    expect(texts(v)).toEqual(['original']);
    const va = await viewWhere(ca, (x) => x.messages.length === 1);
    expect(texts(va)).toEqual(['original']); // never reached Ada
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });
});

describe('accounts: reconnecting after the token expired', () => {
  let short: Relay;
  beforeAll(async () => {
    // Tokens live 2 s; a mux socket without a fresh AUTH is closed 0.5 s after expiry.
    short = await startRelay({ args: ['--access-token-ttl', '2'], env: { FERRY_TEST_AUTH_GRACE_MS: '500' } });
  });
  afterAll(async () => {
    await short?.stop();
    if (short) removeDir(short.dataDir);
  });

  it('refreshes first, then opens the socket: the relay never has to refuse it', async () => {
    const ada = await short.createUser('Ada');
    const a = await new Device('Ada', short.url).signIn(ada);
    await a.whenSettled(20_000);
    a.setOnline(false);
    await new Promise((r) => setTimeout(r, 2500)); // the access token has expired meanwhile
    const before = a.socket?.stats.refreshes ?? 0;
    a.setOnline(true);
    await a.whenSettled(20_000);
    expect(a.socket?.stats.refreshes).toBeGreaterThan(before);
    expect(a.socket?.stats.closed4401).toBe(0);
    await a.close();
  });
});

describe('accounts: local databases', () => {
  it("one database per user; the previous release's `ferry` database is left as it was", async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const dev = new Device('Ada', relay.url);
    // The previous release ran on this device: a locally minted user and a conversation.
    const legacy = await dev.start({ relay: false });
    const oldId = await legacy.createConversation('Before accounts');
    await legacy.close();
    const a = await dev.signIn(ada);
    await a.whenSettled(20_000);
    await a.signOut();
    await a.close();
    const b = await dev.signIn(bo); // someone else on the same device
    await b.whenSettled(20_000);
    let list: string[] = [];
    b.conversations((l) => (list = l.map((c) => c.id)))();
    expect(list).not.toContain(oldId);
    await b.close();
    const names = (await dev.idb.databases()).map((d) => d.name).sort();
    // Each user's offline search index is its own database too (data/search.ts).
    const searchDbs = [`ferry-search-${legacy.session.userId}`, `ferry-search-${ada.id}`, `ferry-search-${bo.id}`];
    expect(names).toEqual(['ferry', 'ferry-accounts', `ferry-${ada.id}`, `ferry-${bo.id}`, ...searchDbs].sort());
    const again = await dev.start({ relay: false }); // the legacy client still reads it, untouched
    const old = await listWhere(again, (l) => l.some((c) => c.id === oldId));
    expect(old.find((c) => c.id === oldId)?.title).toBe('Before accounts');
    await again.close();
  });

  it('the browser platform keeps secrets in the same IndexedDB database', async () => {
    const dev = new Device('Ada', relay.url);
    const win = { localStorage: null, indexedDB: dev.idb, document: { title: '' }, navigator: {} };
    const api = createBrowserApi(win as unknown as Window);
    await api.setSecret('refresh:X', 'token');
    expect(await api.getSecret('refresh:X')).toBe('token');
    expect(await new AccountsDb(dev.idb).secrets().get('refresh:X')).toBe('token');
    await api.setSecret('refresh:X', null);
    expect(await api.getSecret('refresh:X')).toBeNull();
  });
});

describe('accounts: honest-client checks', () => {
  it('announcement: a member cannot post (checked before writing); a moderator deletes with a tombstone; archived is read-only', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'announcement', title: 'News', visibility: 'private', members: [bo.id] });
    await listWhere(b, (l) => l.some((x) => x.id === id));
    const cb = b.open(id);
    await cb.loadRecent();
    const vb = await viewWhere(cb, (v) => v.kind === 'announcement');
    expect(vb).toMatchObject({ canPost: false, canModerate: false, role: 'member' });
    await expect(cb.send('may I?')).rejects.toMatchObject({ code: 'forbidden', message: /announcement/ });
    expect((await viewWhere(cb, () => true)).messages).toEqual([]); // nothing was written

    // Ada makes Bo a moderator; Ada posts; Bo deletes her message as a moderator.
    const ca = a.open(id);
    await ca.loadRecent();
    const m = await ca.send('the ship sails at noon');
    await a.setRole(id, bo.id, 'moderator');
    const mod = await viewWhere(cb, (v) => v.canModerate && texts(v).includes('the ship sails at noon'));
    expect(mod.messages[0]).toMatchObject({ canDelete: true, canEdit: false });
    await cb.remove(m.id);
    // Ada's copy: deleted, and stored (the deletion is Bo's write, nothing of hers is waiting).
    await viewWhere(ca, (v) => v.messages[0]?.deleted === true && v.messages[0]?.delivery === 'stored');
    await b.whenSettled(20_000);

    await a.setArchived(id, true);
    await viewWhere(cb, (v) => v.archived && !v.canPost);
    await expect(cb.send('late')).rejects.toMatchObject({ code: 'forbidden', message: /archived/ });
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });
});

describe('accounts: 4401 token expired on an open socket', () => {
  let short: Relay;
  beforeAll(async () => {
    short = await startRelay({ args: ['--access-token-ttl', '2'], env: { FERRY_TEST_AUTH_GRACE_MS: '500' } });
  });
  afterAll(async () => {
    await short?.stop();
    if (short) removeDir(short.dataDir);
  });

  it('when the refresh could not happen in time, the relay closes 4401; the client refreshes and reconnects, losing nothing', async () => {
    const ada = await short.createUser('Ada');
    const dev = new Device('Ada', short.url);
    const a = await dev.signIn(ada);
    const id = await a.createConversation({ kind: 'channel', title: 'Gap', visibility: 'private', members: [] });
    const c = a.open(id);
    await c.loadRecent();
    await a.whenSettled(20_000);
    dev.blocked = true; // the refresh ahead of expiry fails: no AUTH reaches the relay
    await c.send('written while the token runs out');
    await new Promise<void>((resolve) => {
      const t = setInterval(() => {
        if ((a.socket?.stats.closed4401 ?? 0) > 0) {
          clearInterval(t);
          resolve();
        }
      }, 50);
    });
    await c.send('written while disconnected');
    dev.blocked = false; // reachable again: refresh, then reconnect
    await a.whenSettled(20_000);
    await viewWhere(c, (v) => v.messages.length === 2 && v.messages.every((m) => m.delivery === 'stored'));
    let auth = '';
    a.auth((s) => (auth = s.state))();
    expect(auth).toBe('ok');
    c.close();
    await a.close();
  });
});

describe('accounts: a registration the relay refuses', () => {
  it('is surfaced on the conversation and nothing written in it is dropped', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const taken = await b.createConversation({ kind: 'channel', title: "Bo's", visibility: 'private', members: [] });
    await b.whenSettled(20_000);
    // Ada's device holds a conversation created offline whose id the relay already has
    // (as if minted twice): registering it is refused with a conflict.
    a.setOnline(false);
    const internals = a as unknown as {
      addUnregistered(r: {
        id: string;
        kind: 'channel';
        visibility: 'private';
        title: string;
        members: string[];
        createdAt: number;
      }): Promise<void>;
    };
    await internals.addUnregistered({
      id: taken,
      kind: 'channel',
      visibility: 'private',
      title: 'Mine too',
      members: [],
      createdAt: Date.now(),
    });
    const c = a.open(taken);
    await c.loadRecent();
    await c.send('my words');
    a.setOnline(true);
    const v = await viewWhere(c, (x) => /did not accept/.test((x as { error?: string }).error ?? ''));
    expect(texts(v)).toEqual(['my words']);
    const l = await listWhere(a, (x) => x.some((s) => s.id === taken));
    expect(l.find((s) => s.id === taken)).toMatchObject({ registered: false, removed: false });
    const exp = await a.exportConversation(taken);
    expect(exp.text).toMatch(/my words {2}\[NOT DELIVERED\]/);
    c.close();
    await a.close();
    await b.close();
  });
});

describe('accounts: the profile follows the directory', () => {
  it('a name and role changed by an admin apply at once and are kept for the next offline start', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const dev = new Device('Ada', relay.url);
    const a = await dev.signIn(ada);
    await a.whenSettled(20_000);
    const r = await relay.api('PATCH', `/admin/users/${ada.id}`, { displayName: 'Ada Lovelace', role: 'guest' });
    expect(r.status).toBe(200);
    // (The relay rewrites Ada's directory when her memberships change; see the report.)
    const b = await new Device('Bo', relay.url).signIn(bo);
    await b.createConversation({ kind: 'channel', title: 'With Ada', visibility: 'private', members: [ada.id] });
    await b.whenSettled(20_000);
    await b.close();
    const until = Date.now() + 15_000;
    while (a.session.displayName !== 'Ada Lovelace' && Date.now() < until) await new Promise((x) => setTimeout(x, 50));
    expect(a.session).toMatchObject({ displayName: 'Ada Lovelace', role: 'guest' });
    await expect(
      a.createConversation({ kind: 'channel', title: 'Nope', visibility: 'open', members: [] }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await a.close();
    dev.blocked = true;
    const again = (await dev.restore({ online: false })) as NonNullable<Awaited<ReturnType<typeof dev.restore>>>;
    expect(again.session).toMatchObject({ displayName: 'Ada Lovelace', role: 'guest' });
    await again.close();
  });
});

describe('accounts: membership through the API', () => {
  it('search people, browse and join an open channel, rename it, leave it (gone from the list, copy kept)', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Lobby', visibility: 'open', members: [] });
    await a.whenSettled(20_000);
    const found = await b.searchPeople(ada.username);
    expect(found.map((p) => p.id)).toContain(ada.id);
    const listing = await b.browseChannels();
    expect(listing.find((c) => c.id === id)).toMatchObject({ title: 'Lobby', joined: false });
    await b.join(id);
    await listWhere(b, (l) => l.some((x) => x.id === id && x.role === 'member'));
    await a.rename(id, 'Main lobby');
    await listWhere(b, (l) => l.find((x) => x.id === id)?.title === 'Main lobby');
    await expect(b.rename(id, 'Mine now')).rejects.toMatchObject({ code: 'forbidden' });
    await b.leave(id);
    await listWhere(b, (l) => !l.some((x) => x.id === id));
    const exp = await b.exportConversation(id); // the local copy is still there to export
    expect(JSON.parse(exp.json)).toMatchObject({ conversation: { id } });
    await a.close();
    await b.close();
  });
});

describe('accounts: the previous release guarantees, signed in', () => {
  let own: Relay;
  beforeAll(async () => {
    own = await startRelay();
  });
  afterAll(async () => {
    await own?.stop();
    if (own) removeDir(own.dataDir);
  });

  it('offline writes (relay stopped for real) merge on reconnect, identical on both; reloading with the relay down shows everything', async () => {
    const [ada, bo] = await Promise.all([own.createUser('Ada'), own.createUser('Bo')]);
    const devB = new Device('Bo', own.url);
    const a = await new Device('Ada', own.url).signIn(ada);
    let b = await devB.signIn(bo);
    const id = await a.createConversation({ kind: 'channel', title: 'Ship', visibility: 'private', members: [bo.id] });
    const ca = a.open(id);
    await ca.loadRecent();
    const first = await ca.send('before the storm');
    await a.whenSettled(20_000);
    await listWhere(b, (l) => l.some((c) => c.id === id));
    let cb = b.open(id);
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.length === 1);

    await own.stop();
    await new Promise<void>((r) => a.sync((s) => s.connection === 'unreachable' && r()));
    const a1 = await ca.send('A offline 1');
    await ca.send('A offline 2');
    await ca.edit(first.id, 'before the storm (edited offline)');
    await ca.remove(a1.id);
    await cb.send('B offline');
    cb.close();
    await b.close();
    b = (await devB.restore()) as Client; // reload with the relay down: all from disk
    cb = b.open(id);
    await cb.loadRecent();
    expect(texts(await viewWhere(cb, (v) => v.messages.length === 2))).toEqual(['before the storm', 'B offline']);
    let auth = '';
    b.auth((s) => (auth = s.state))();
    expect(auth).toBe('ok'); // an unreachable relay is not a session that ended

    await own.restart();
    await a.whenSettled(30_000);
    await b.whenSettled(30_000);
    const want = (v: { messages: unknown[] }) => v.messages.length === 4;
    const va = await viewWhere(ca, (v) => want(v) && v.messages.every((m) => m.delivery === 'stored' || !m.mine));
    const vb = await viewWhere(cb, (v) => want(v) && texts(v).includes('before the storm (edited offline)'));
    expect(texts(va)).toEqual(texts(vb));
    expect(texts(va)).toContain('<deleted>');
    ca.close();
    cb.close();
    await a.close();
    await b.close();
  });

  it("restarts do not grow the stored updates; the window's offline/online events act at once", async () => {
    const ada = await own.createUser('Ada');
    const dev = new Device('Ada', own.url);
    const events = new EventTarget();
    let a = await dev.signIn(ada, { events });
    const id = await a.createConversation({ kind: 'channel', title: 'Quiet', visibility: 'private', members: [] });
    const c = a.open(id);
    await c.loadRecent();
    for (let i = 0; i < 10; i++) await c.send(`note ${i}`);
    await a.whenSettled(20_000);
    events.dispatchEvent(new Event('offline'));
    await new Promise<void>((r) => a.sync((s) => s.connection === 'offline' && r()));
    events.dispatchEvent(new Event('online'));
    await a.whenSettled(20_000);
    c.close();
    await a.close();
    const sizes: number[] = [];
    for (let r = 0; r < 4; r++) {
      a = (await dev.restore()) as Client;
      await a.whenSettled(20_000);
      const conv = a.open(id);
      await conv.loadRecent();
      await viewWhere(conv, (v) => v.messages.length === 10 && v.messages.every((m) => m.delivery === 'stored'));
      conv.close();
      await a.close();
      const store = await LocalStore.open(dev.idb, `ferry-${ada.id}`);
      sizes.push((await store.storedBytes()).updates);
      await store.close();
    }
    expect(new Set(sizes.slice(1)).size).toBe(1);
  });
});
