// Failures of several nodes (issue 14), with real engines and steady writes from stock
// y-websocket clients: a node killed with -9 (its clients come back through the front, nothing
// acknowledged is lost), Redis restarted mid-run, PostgreSQL stopped (writes refused loudly,
// nothing acknowledged that is not stored, service back when it returns).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createClock, tick, type Clock } from '../../core/src/hlc';
import { newId } from '../../core/src/ids';
import { addMessage, getMessage } from '../../core/src/model/page';
import { pageRoom, periodOfMessage } from '../../core/src/model/rooms';
import { newTestId, type TestUser } from './authz-fixture';
import { Cluster } from './cluster-fixture';
import { usePostgres } from './engines/postgres';
import { useRedis } from './engines/redis';
import { getJson, storedOwn, synced, until, type Client } from './helpers';

process.setMaxListeners(0);
const postgres = usePostgres();
const redis = useRedis();

/** A writer adding a message every `everyMs`, remembering each one's clock. */
class Writer {
  readonly written: Array<{ id: string; clock: number }> = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly client: Client,
    private readonly author: TestUser,
    private readonly clock: Clock,
  ) {}

  start(everyMs = 40): void {
    this.timer = setInterval(() => this.write(), everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  write(): void {
    const id = tick(this.clock, Date.now());
    addMessage(this.client.doc, { id, author: this.author.id, text: id, createdAt: Date.now() });
    this.written.push({ id, clock: Y.getState(this.client.doc.store, this.client.doc.clientID) });
  }

  /** The messages the relay has acknowledged (its state vector covers their clock). */
  acknowledged(): string[] {
    const relay = this.client.relayState().get(this.client.doc.clientID) ?? 0;
    return this.written.filter((w) => w.clock <= relay).map((w) => w.id);
  }
}

async function setup(name: string) {
  const database = await postgres().createDatabase(name);
  const cluster = await Cluster.start({ database, redis: redis().url });
  const alice = await cluster.user('alice', 0);
  const bob = await cluster.user('bob', 1);
  const conv = newTestId();
  const r = await cluster.call(0, 'POST', '/conversations', alice, {
    id: conv,
    kind: 'channel',
    title: 'Failures',
    members: [bob.id],
  });
  expect(r.status).toBe(201);
  const clock = createClock(newId((n) => crypto.getRandomValues(new Uint8Array(n))));
  const room = pageRoom(conv, periodOfMessage(tick(clock, Date.now())));
  return { cluster, database, alice, bob, room, clock };
}

/** A fresh reader on node `at`: everything the cluster stored for the room. */
async function readBack(cluster: Cluster, as: TestUser, room: string, at: number) {
  const c = cluster.onMux(cluster.mux(as, at), room);
  await synced(c);
  return c;
}

/** Polls an asynchronous condition (an HTTP answer) every 100 ms. */
async function eventually(pred: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readyz = async (cluster: Cluster, at: number) => getJson(`${cluster.node(at).http}/readyz`);

const missing = (c: Client, ids: string[]) => ids.filter((id) => !getMessage(c.doc, id));

describe('a node killed under steady writes', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  beforeAll(async () => {
    s = await setup('fail_kill');
  }, 120_000);
  afterAll(async () => {
    await s?.cluster.stop();
  });

  it('loses nothing acknowledged; its clients come back through the front', async () => {
    const { cluster, alice, bob, room, clock } = s;
    // Six writers through the front: two land on each node.
    const writers = [0, 1, 2, 3, 4, 5].map((i) => {
      const as = i % 2 ? bob : alice;
      const m = cluster.mux(as, 'front');
      return { writer: new Writer(cluster.onMux(m, room), as, clock), mux: m };
    });
    await Promise.all(writers.map((w) => synced(w.writer.client)));
    for (const { writer } of writers) writer.start();
    await until(
      () => writers.every(({ writer }) => writer.acknowledged().length >= 5),
      'steady acknowledged writes',
    );
    const victim = 2;
    const acknowledgedBefore = writers.flatMap(({ writer }) => writer.acknowledged());
    const lost = writers.map(() => false);
    const reconnected = writers.map(() => 0);
    const killedAt = performance.now();
    writers.forEach(({ mux }, i) =>
      mux.onStatus((status) => {
        if (status !== 'connected') lost[i] = true;
        else if (lost[i] && reconnected[i] === 0) reconnected[i] = performance.now();
      }),
    );
    const mark = writers.map(({ writer }) => writer.written.length);
    await cluster.kill(victim);
    // Writes go on through the others for a while, then stop; everything is acknowledged.
    await until(
      () =>
        writers.every(
          ({ writer }, i) =>
            writer.written.length >= mark[i]! + 15 &&
            writer.acknowledged().length >= writer.written.length - 2,
        ),
      'writes acknowledged again after the kill',
      20_000,
    );
    // The front spread the six connections over the three nodes: the victim's two moved.
    expect(lost.filter(Boolean).length).toBeGreaterThanOrEqual(1);
    await until(() => lost.every((l, i) => !l || reconnected[i]! > 0), 'moved clients back');
    const back = reconnected.filter((t) => t > 0).map((t) => Math.round(t - killedAt));
    console.log(`clients of the killed node back after (ms): ${back.join(', ')}`);
    for (const { writer } of writers) writer.stop();
    await until(
      () => writers.every(({ writer }) => storedOwn(writer.client)),
      'every write of every client acknowledged',
      20_000,
    );
    const all = writers.flatMap(({ writer }) => writer.written.map((w) => w.id));
    for (const at of [0, 1]) {
      const reader = await readBack(cluster, alice, room, at);
      await until(() => missing(reader, all).length === 0, `all writes readable on node ${at}`);
      expect(missing(reader, acknowledgedBefore)).toEqual([]);
      reader.destroy();
    }
    expect(all.length).toBeGreaterThan(acknowledgedBefore.length);
  }, 90_000);
});

describe('Redis and PostgreSQL going away', () => {
  let s: Awaited<ReturnType<typeof setup>>;
  const writers: Writer[] = [];
  beforeAll(async () => {
    s = await setup('fail_engines');
  }, 120_000);
  afterEach(() => {
    for (const w of writers.splice(0)) {
      w.stop();
      w.client.destroy();
    }
  });
  afterAll(async () => {
    if (!redis().running()) await redis().start();
    await s?.cluster.stop();
  });

  const writerOn = async (at: number, as: TestUser) => {
    const w = new Writer(s.cluster.onMux(s.cluster.mux(as, at), s.room), as, s.clock);
    await synced(w.client);
    writers.push(w);
    return w;
  };

  it('converges after Redis restarts mid-run, and says it is not ready meanwhile', async () => {
    const { cluster, alice, bob } = s;
    const a = await writerOn(0, alice);
    const b = await writerOn(1, bob);
    a.start();
    b.start();
    await until(() => getMessage(b.client.doc, a.written[3]?.id ?? '-') !== undefined, 'flowing');
    await redis().kill();
    await eventually(async () => (await readyz(cluster, 0)).status === 503, 'not ready');
    expect(JSON.stringify((await readyz(cluster, 0)).body)).toContain('Redis');
    await until(
      () => a.acknowledged().length >= a.written.length - 5 && a.written.length > 40,
      'writes go on',
    );
    await redis().start();
    a.stop();
    b.stop();
    const all = [...a.written, ...b.written].map((w) => w.id);
    await until(
      () => missing(a.client, all).length === 0 && missing(b.client, all).length === 0,
      'both writers hold everything again',
      20_000,
    );
    await eventually(async () => (await readyz(cluster, 0)).status === 200, 'ready again');
  }, 90_000);

  it('refuses writes loudly while PostgreSQL is stopped, acknowledges nothing, and comes back', async () => {
    const { cluster, alice, bob } = s;
    const a = await writerOn(0, alice);
    const b = await writerOn(1, bob);
    a.write();
    await until(() => storedOwn(a.client), 'a first write stored');
    await postgres().stop();
    const before = a.acknowledged().length;
    for (let i = 0; i < 5; i++) a.write();
    b.write();
    await eventually(async () => (await readyz(cluster, 0)).status === 503, 'not ready');
    expect(JSON.stringify((await readyz(cluster, 0)).body)).toContain('PostgreSQL');
    // Nothing was acknowledged while nothing could be stored.
    expect(a.acknowledged().length).toBe(before);
    const log = cluster
      .node(0)
      .logs.map((l) => l.msg)
      .join('\n');
    expect(log).toMatch(/DATABASE WRITE FAILED|database unavailable/);
    await postgres().start();
    await eventually(async () => (await readyz(cluster, 0)).status === 200, 'ready again', 30_000);
    // The clients re-send what was not acknowledged; everything is stored and seen.
    await until(() => storedOwn(a.client) && storedOwn(b.client), 'all stored after', 30_000);
    const all = [...a.written, ...b.written].map((w) => w.id);
    const reader = await readBack(cluster, alice, s.room, 2);
    await until(() => missing(reader, all).length === 0, 'everything readable on node 2');
    reader.destroy();
  }, 90_000);
});
