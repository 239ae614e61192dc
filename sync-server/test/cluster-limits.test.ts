// Rate limits across nodes (issue 14; docs/scale-out.md, "Rate limits across nodes"): two relay
// processes on one PostgreSQL and one Redis hold one sign-in budget per username, so spreading
// guesses over the nodes behind a load balancer gains nothing.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from './accounts-helpers';
import { type TestUser } from './authz-fixture';
import { Cluster } from './cluster-fixture';
import { usePostgres } from './engines/postgres';
import { useRedis } from './engines/redis';

const postgres = usePostgres();
const redis = useRedis();

describe('two nodes, one rate limit', () => {
  let cluster: Cluster;
  let alice: TestUser;

  beforeAll(async () => {
    const database = await postgres().createDatabase('cluster_limits');
    cluster = await Cluster.start({
      database,
      redis: redis().url,
      nodes: 2,
      // 4 sign-ins per username, then one every 15 s; 3 socket upgrades per user.
      args: ['--limit-login-username', '4/4/min', '--limit-upgrades-user', '3/3/min'],
    });
    // Signs in once, on node 0: one of alice's 4 tokens.
    alice = await cluster.user('alice', 0);
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  const attempt = (node: number) =>
    api(cluster.node(node).http, 'POST', '/auth/login', {
      body: { username: alice.username, password: 'not the password' },
    });

  it('failed sign-ins for one username spread over both nodes spend one budget', async () => {
    // Per node, each would have had 4: node 1 spends 2 and node 0 2 (with the one above).
    const statuses = [];
    for (const node of [1, 0, 1]) statuses.push((await attempt(node)).status);
    expect(statuses).toEqual([401, 401, 401]);
    for (const node of [0, 1]) {
      const r = await attempt(node);
      expect(r.status).toBe(429);
      // The per-username bucket, not the account's backoff (that starts after 5 failures).
      expect(r.body).toMatchObject({
        error: { code: 'rate-limited', message: expect.stringContaining('sign-in attempts') },
      });
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(15);
    }
    // The right password is refused too while the budget is spent, on either node.
    const right = await api(cluster.node(1).http, 'POST', '/auth/login', {
      body: { username: alice.username, password: alice.password },
    });
    expect(right.status).toBe(429);
    // Another username has its own budget.
    const other = await api(cluster.node(1).http, 'POST', '/auth/login', {
      body: { username: 'admin', password: 'not the password' },
    });
    expect(other.status).toBe(401);
  });

  it('socket upgrades of one user spread over both nodes spend one budget', async () => {
    const bob = await cluster.user('bob', 1);
    const upgrade = (node: number) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${cluster.node(node).url}/workspace?token=${bob.accessToken}`);
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('unexpected-response', (_req, res) => {
          resolve(res.statusCode ?? 0);
          res.destroy();
        });
        ws.on('error', () => {});
      });
    const statuses = [];
    // Per node each would pass: node 0 sees 2 of them, node 1 2.
    for (const node of [0, 1, 0, 1]) statuses.push(await upgrade(node));
    expect(statuses).toEqual([101, 101, 101, 429]);
  });
});
