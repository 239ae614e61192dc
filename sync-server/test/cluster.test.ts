// Three relay nodes on a real PostgreSQL and Redis (issue 14), stock y-websocket clients spread
// across them: convergence, authorization whichever node receives an update, revocations and
// removals reaching every node, one audit chain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { addMessage, getMessage, messagesOf } from '../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { runCli } from './accounts-helpers';
import { denials, newTestId, nextClose, type TestUser } from './authz-fixture';
import { Cluster } from './cluster-fixture';
import { usePostgres } from './engines/postgres';
import { useRedis } from './engines/redis';
import { getJson, stored, storedOwn, synced, until, type Client } from './helpers';

process.setMaxListeners(0);
const postgres = usePostgres();
const redis = useRedis();

describe('three nodes', () => {
  let cluster: Cluster;
  let database: string;
  let alice: TestUser;
  let bob: TestUser;
  let eve: TestUser;
  let conv: string;
  let room: string;
  let clock: Clock;

  beforeAll(async () => {
    database = await postgres().createDatabase('cluster_three');
    cluster = await Cluster.start({ database, redis: redis().url });
    // Accounts made on one node are everyone's: created via node 0, 1 and 2.
    alice = await cluster.user('alice', 0);
    bob = await cluster.user('bob', 1);
    eve = await cluster.user('eve', 2);
    conv = newTestId();
    const r = await cluster.call(1, 'POST', '/conversations', alice, {
      id: conv,
      kind: 'channel',
      title: 'Across nodes',
      members: [bob.id],
    });
    expect(r.status).toBe(201);
    clock = createClock(newId((n) => crypto.getRandomValues(new Uint8Array(n))));
    room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const say = (c: Client, author: TestUser, text: string) => {
    const id = tick(clock, Date.now());
    addMessage(c.doc, { id, author: author.id, text, createdAt: Date.now() });
    return id;
  };

  it('converges: writers on every node, each sees all, each write acknowledged', async () => {
    const clients = [
      cluster.onMux(cluster.mux(alice, 0), room),
      cluster.onMux(cluster.mux(bob, 1), room),
      cluster.onMux(cluster.mux(alice, 2), room),
    ];
    await Promise.all(clients.map(synced));
    const ids: string[] = [];
    for (let round = 0; round < 5; round++) {
      clients.forEach((c, i) => ids.push(say(c, i === 1 ? bob : alice, `r${round} from ${i}`)));
    }
    await until(
      () => clients.every((c) => storedOwn(c) && ids.every((id) => getMessage(c.doc, id))),
      'every message on every node, acknowledged',
    );
    const states = clients.map((c) => Buffer.from(Y.encodeStateVector(c.doc)).toString('hex'));
    expect(new Set(states).size).toBe(1);
    // What the clients hold is what the database holds.
    const rows = await cluster.rows<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM updates WHERE room = $1',
      [room],
    );
    expect(rows[0]?.n).toBeGreaterThan(0);
    for (const c of clients) c.destroy();
  });

  it('refuses a forged update and a non-member on whichever node receives it', async () => {
    const honest = cluster.onMux(cluster.mux(bob, 0), room);
    await synced(honest);
    const bobs = say(honest, bob, 'bob on node 0');
    await until(() => stored(honest), 'bob’s message stored');
    for (const at of [1, 2]) {
      const hostile = cluster.onMux(cluster.mux(alice, at), room);
      await synced(hostile);
      await until(() => getMessage(hostile.doc, bobs) !== undefined, 'bob’s message on node');
      const denied = denials(hostile);
      (messagesOf(hostile.doc).get(bobs) as Y.Map<unknown>).set('text', `FORGED via ${at}`);
      await until(() => denied.length > 0, `permission denied on node ${at}`);
      expect(stored(hostile)).toBe(false);
      hostile.destroy();
    }
    const refused = await cluster.rows<{ detail: string }>(
      "SELECT detail FROM audit WHERE action = 'update.refused' AND actor = $1",
      [alice.id],
    );
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(getMessage(honest.doc, bobs)?.text).toBe('bob on node 0');
    // Eve is no member: the room is refused on every node.
    for (const at of [0, 1, 2]) {
      const c = cluster.onMux(cluster.mux(eve, at), room);
      expect((await nextClose(c)).code).toBe(4403);
      c.destroy();
    }
    honest.destroy();
  });

  it('closes a revoked session on every node at once', async () => {
    const sessionOf = async (u: TestUser) =>
      (
        await cluster.call<{ sessions: Array<{ id: string; current: boolean }> }>(
          0,
          'GET',
          '/me/sessions',
          u,
        )
      ).body.sessions.find((s) => s.current)!.id;
    const sid = await sessionOf(bob);
    const muxes = [0, 1, 2].map((at) => cluster.mux(bob, at));
    const closes: string[][] = muxes.map(() => []);
    muxes.forEach((m, i) => m.onClose((e) => closes[i]!.push(`${e.code} ${e.reason}`)));
    const clients = muxes.map((m) => cluster.onMux(m, room));
    await Promise.all(clients.map(synced));
    const r = await cluster.call(2, 'DELETE', `/admin/sessions/${sid}`, cluster.admin);
    expect(r.status).toBe(204);
    await until(
      () => closes.every((c) => c.some((e) => /^4401 session ended/.test(e))),
      'the session closed on every node',
      5_000,
    );
    for (const c of clients) c.destroy();
  });

  it('closes the room of a member removed through another node', async () => {
    const carol = await cluster.user('carol', 0);
    const added = await cluster.call(0, 'POST', `/conversations/${conv}/members`, alice, {
      userIds: [carol.id],
    });
    expect(added.status).toBe(200);
    const onTwo = cluster.onMux(cluster.mux(carol, 2), room);
    await synced(onTwo);
    const closed = nextClose(onTwo);
    const removed = await cluster.call(
      0,
      'DELETE',
      `/conversations/${conv}/members/${carol.id}`,
      alice,
    );
    expect(removed.status).toBe(200);
    expect(await closed).toMatchObject({ code: 4403, reason: 'removed from conversation' });
    onTwo.destroy();
  });

  it('keeps one verifiable audit chain written by all nodes', async () => {
    for (const at of [0, 1, 2]) {
      const u = await cluster.user(`auditee${at}`, at);
      expect(u.id).toBeTruthy();
    }
    const heads = await cluster.rows<{ seq: number }>('SELECT seq FROM audit ORDER BY seq');
    expect(heads.map((h) => Number(h.seq))).toEqual(heads.map((_, i) => i + 1));
    const result = await runCli(['audit', 'verify', '--database', database]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/^audit log ok: \d+ entries/);
    expect(result.code).toBe(0);
  });

  it('answers text PostgreSQL cannot hold with a clear 400, and keeps serving', async () => {
    const titled = await cluster.call(0, 'POST', '/conversations', alice, {
      id: newTestId(),
      kind: 'channel',
      title: 'nul \u0000 inside',
    });
    expect(titled.status).toBe(400);
    expect(JSON.stringify(titled.body)).toContain('control characters');
    const searched = await cluster.call(1, 'GET', '/users?q=a%00b', alice);
    expect(searched.status).toBe(400);
    expect(JSON.stringify(searched.body)).toContain('NUL');
    expect((await cluster.call(1, 'GET', '/users?q=bo', alice)).status).toBe(200);
  });

  it('answers /readyz on every node', async () => {
    for (const at of [0, 1, 2]) {
      const r = await getJson(`${cluster.node(at).http}/readyz`);
      expect(r.status).toBe(200);
    }
  });
});
