// Identity benchmark (issue 15, docs/identity.md): what company sign-in costs, against local
// sign-in, and how long deprovisioning 1,000 people takes, against an admin disabling them one
// by one. One relay process (accounts on, argon2 at its default cost, throttles raised), Debian's
// slapd and the test OpenID issuer, all started here on 127.0.0.1 and stopped at the end.
// Prints figures, never asserts on time; raw figures go to bench/.results/identity-<time>.json.
//
//   npm run bench:identity        (= npx tsx bench/identity.ts [--users=1000])
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Attribute, Change, Client as LdapClient } from 'ldapts';
import { api, type Tokens } from '../sync-server/test/accounts-helpers';
import { startIssuer } from '../sync-server/test/engines/oidc';
import { groupDn, startSlapd, userDn } from '../sync-server/test/engines/slapd';
import {
  ARGON2,
  RAISED_LIMITS,
  makeLocalUsers,
  oidcSignIn,
  passwordSignIn,
  relayPort,
  startBenchRelay,
  type BenchRelay,
} from './identity/relay';
import { liveSessions, openSocket, pinger, refreshesAccepted } from './identity/probes';
import { cpuSeconds } from './lib/proc';
import { fmt, percentile, table } from './lib/stats';
import { inWindows, withDeadline } from './lib/wait';

process.setMaxListeners(0); // each engine and relay adds an exit hook
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argUsers = process.argv.find((a) => a.startsWith('--users='));
const DEPROVISION = argUsers ? Number(argUsers.slice('--users='.length)) : 1000;
const SEQ = 16; // sign-ins one after another, per kind
const CONC = 32; // sign-ins 4 in flight, per kind
const IN_FLIGHT = 4;
const FIRST_IN_FLIGHT = 8; // the 1,000 first sign-ins before deprovisioning
const SOCKETS = 10; // of the 1,000, this many hold an open socket
const PASSWORD = 'correct horse battery';

const now = () => performance.now();
/** `k` of `items`, evenly spaced, the last one included (sockets held across the list). */
const spread = <T>(items: T[], k: number): T[] =>
  Array.from(
    { length: Math.min(k, items.length) },
    (_, j) => items[Math.floor(((j + 1) * items.length) / k) - 1] as T,
  );
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');

interface Rate {
  kind: string;
  mode: string;
  n: number;
  seconds: number;
  perSecond: number;
  p50: number;
  p95: number;
}

/** Runs `signIn(i)` for i < n, `window` at a time; latency per call and sign-ins per second. */
async function rate(
  kind: string,
  mode: string,
  n: number,
  window: number,
  signIn: (i: number) => Promise<unknown>,
): Promise<Rate> {
  const ms: number[] = [];
  const t0 = now();
  await inWindows(n, window, async (i) => {
    const t = now();
    await signIn(i);
    ms.push(now() - t);
  });
  const seconds = (now() - t0) / 1000;
  ms.sort((a, b) => a - b);
  const r = { kind, mode, n, seconds, perSecond: n / seconds, p50: percentile(ms, 50) };
  return { ...r, p95: percentile(ms, 95) };
}

interface Deprovision {
  how: string;
  users: number;
  firstSignInsPerSecond: number;
  changeMs: number;
  totalMs: number;
  perUserP50?: number;
  perUserP95?: number;
  sessionsRevokedMs: number;
  lastSocketClosedMs: number;
  liveSessionsAfter: number;
  refreshAccepted: string;
  relayCpuSeconds: number;
  sync?: Record<string, unknown>;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadStart = load();
  console.log(
    `bench/identity: ${startedAt.toISOString()}, Node ${process.version}, ` +
      `${os.cpus().length} CPUs, load average ${loadStart} (1/5/15 min)`,
  );
  const ldap = await startSlapd({ readyTimeoutMs: 30_000 });
  const port = await relayPort();
  const base = `http://127.0.0.1:${port}`;
  const issuer = await startIssuer({
    users: [],
    redirectUri: `${base}/api/v1/auth/oidc/callback`,
    backchannelLogoutUri: `${base}/api/v1/auth/oidc/backchannel-logout`,
  });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ferry-bench-identity-'));
  let relay: BenchRelay | null = null;
  const sockets: Array<{ destroy(): void }> = [];
  try {
    relay = await startBenchRelay({ port, dir, ldap, issuer });
    const r = relay;
    const setup = await api<Tokens>(r.http, 'POST', '/setup', {
      body: { username: 'admin', password: PASSWORD, displayName: 'Admin' },
    });
    if (setup.status !== 201) throw new Error(`setup: ${setup.status}`);
    const admin = setup.body;
    console.log(
      `relay: argon2id m=${ARGON2.memoryCost} KiB t=${ARGON2.timeCost} p=${ARGON2.parallelism} ` +
        `(its default), throttles raised: ${RAISED_LIMITS.map((f) => '--' + f).join(' ')}`,
    );

    // ---- 1. sign-ins per second, three ways, distinct people each ----
    const per = SEQ + CONC;
    const names = (prefix: string) => Array.from({ length: per }, (_, i) => `${prefix}${i}`);
    await makeLocalUsers(r.http, admin, names('local'), PASSWORD);
    const ldapNames = await ldap.addUsers(per, { prefix: 'sign', groups: ['staff'] });
    for (const username of names('sso')) {
      await issuer.addUser({ username, password: PASSWORD, groups: ['staff'] });
    }
    const kinds: Array<[string, (i: number) => Promise<unknown>]> = [
      ['local password', (i) => passwordSignIn(r.http, `local${i}`, PASSWORD)],
      ['LDAP (StartTLS)', (i) => passwordSignIn(r.http, ldapNames[i] as string, 'sign-pw')],
      ['OIDC (whole flow)', (i) => oidcSignIn(r.http, `sso${i}`, PASSWORD)],
    ];
    const rates: Rate[] = [];
    // First sign-ins make the LDAP and OIDC accounts (local ones were made by the admin above).
    for (const [kind, f] of kinds.slice(1))
      rates.push(await rate(kind, 'first (JIT)', per, IN_FLIGHT, f));
    for (const [kind, f] of kinds) rates.push(await rate(kind, 'sequential', SEQ, 1, f));
    for (const [kind, f] of kinds) {
      rates.push(await rate(kind, `${IN_FLIGHT} in flight`, CONC, IN_FLIGHT, (i) => f(SEQ + i)));
    }
    console.log(
      '\n' +
        table(
          ['sign-in', 'mode', 'n', 'sign-ins/s', 'p50 ms', 'p95 ms'],
          rates.map((x) => [x.kind, x.mode, String(x.n), fmt(x.perSecond), fmt(x.p50), fmt(x.p95)]),
        ),
    );

    // ---- 2. deprovisioning N people: one directory change + sync, vs an admin one by one ----
    /** N directory people in staff, each signed in once, SOCKETS of them with a socket open. */
    const population = async (prefix: string) => {
      const uids = await ldap.addUsers(DEPROVISION, { prefix, groups: ['staff'] });
      const tokens: Tokens[] = new Array<Tokens>(uids.length);
      const first = await rate('LDAP', 'first', uids.length, FIRST_IN_FLIGHT, async (i) => {
        tokens[i] = await passwordSignIn(r.http, uids[i] as string, `${prefix}-pw`);
      });
      const open = await Promise.all(spread(tokens, SOCKETS).map((t) => openSocket(r, t)));
      sockets.push(...open.map((o) => o.provider));
      return { uids, tokens, ids: new Set(tokens.map((t) => t.user.id)), first, open };
    };
    const after = async (
      p: Awaited<ReturnType<typeof population>>,
      t0: number,
      cpu0: number,
    ): Promise<Omit<Deprovision, 'how' | 'changeMs' | 'totalMs' | 'sync'>> => {
      let live = await liveSessions(r, admin, p.ids);
      while (live > 0 && now() - t0 < 60_000) live = await liveSessions(r, admin, p.ids);
      const sessionsRevokedMs = now() - t0;
      const closedAt = await withDeadline(
        Promise.all(p.open.map((o) => o.closed)),
        60_000,
        'sockets closed',
      );
      const relayCpuSeconds = cpuSeconds(r.pid) - cpu0;
      const sample = p.tokens.filter((_, i) => i % 20 === 0);
      return {
        users: p.uids.length,
        firstSignInsPerSecond: p.first.perSecond,
        sessionsRevokedMs,
        lastSocketClosedMs: Math.max(...closedAt) - t0,
        liveSessionsAfter: live,
        refreshAccepted: `${await refreshesAccepted(r, sample)} of ${sample.length}`,
        relayCpuSeconds,
      };
    };

    // Directory: the admin takes all N out of `staff` (one LDAP modify), the only group that
    // gives them a role, then presses "sync now"; the sync disables whoever has no role left.
    const dep = await population('dep');
    const changeStart = now();
    const root = new LdapClient({ url: ldap.url, timeout: 60_000 });
    try {
      await root.bind(ldap.rootDn, ldap.rootPassword);
      await root.modify(
        groupDn('staff'),
        new Change({
          operation: 'delete',
          modification: new Attribute({ type: 'member', values: dep.uids.map(userDn) }),
        }),
      );
    } finally {
      await root.unbind().catch(() => {});
    }
    const changeMs = now() - changeStart;
    const cpuDir = cpuSeconds(r.pid);
    const stopDirPing = pinger(r);
    const t0 = now();
    const synced = await api<{ sync: Record<string, unknown> }>(
      r.http,
      'POST',
      '/admin/identity/ldap/sync',
      {
        token: admin.accessToken,
      },
    );
    const syncMs = now() - t0;
    const dirStall = await stopDirPing();
    if (synced.status !== 200) throw new Error(`sync: ${synced.status}`);
    const viaDirectory: Deprovision = {
      how: 'directory: one group change + sync',
      changeMs,
      totalMs: syncMs,
      sync: synced.body.sync,
      ...(await after(dep, t0, cpuDir)),
    };

    // Peer: the same number of people disabled by the admin one by one, PATCH after PATCH.
    const peer = await population('peer');
    const cpuPeer = cpuSeconds(r.pid);
    const stopPeerPing = pinger(r);
    const p0 = now();
    const each: number[] = [];
    for (const t of peer.tokens) {
      const s = now();
      const res = await api(r.http, 'PATCH', `/admin/users/${t.user.id}`, {
        token: admin.accessToken,
        body: { disabled: true },
      });
      if (res.status !== 200) throw new Error(`disable ${t.user.username}: ${res.status}`);
      each.push(now() - s);
    }
    const patchMs = now() - p0;
    const peerStall = await stopPeerPing();
    each.sort((a, b) => a - b);
    const viaAdmin: Deprovision = {
      how: 'admin: PATCH /admin/users/:id one by one',
      changeMs: 0,
      totalMs: patchMs,
      perUserP50: percentile(each, 50),
      perUserP95: percentile(each, 95),
      ...(await after(peer, p0, cpuPeer)),
    };
    const rows = [viaDirectory, viaAdmin];
    const sync = viaDirectory.sync ?? {};
    console.log(
      `\nDeprovisioning ${DEPROVISION} people (each signed in once, ${SOCKETS} with an open socket, spread evenly over the list):`,
    );
    console.log(
      `  directory change: delete ${DEPROVISION} member values of cn=staff in one modify, ${fmt(changeMs, 0)} ms`,
    );
    console.log(
      `  sync record: seen ${String(sync.seen)}, disabled ${String(sync.disabled)}, ok ${String(sync.ok)}, ` +
        `${fmt(Number(sync.finishedAt) - Number(sync.startedAt), 0)} ms by its own clock`,
    );
    console.log(
      table(
        ['figure', 'directory sync', 'admin one by one (peer)'],
        [
          [
            'first sign-ins/s before (8 in flight)',
            ...rows.map((x) => fmt(x.firstSignInsPerSecond)),
          ],
          ['sync / all PATCHes done', ...rows.map((x) => `${fmt(x.totalMs / 1000, 2)} s`)],
          [
            'per PATCH p50 / p95',
            '',
            `${fmt(viaAdmin.perUserP50 ?? NaN)} / ${fmt(viaAdmin.perUserP95 ?? NaN)} ms`,
          ],
          [
            'no live session left (GET /admin/sessions)',
            ...rows.map((x) => `${fmt(x.sessionsRevokedMs / 1000, 2)} s`),
          ],
          [
            `last of ${SOCKETS} sockets closed`,
            ...rows.map((x) => `${fmt(x.lastSocketClosedMs / 1000, 2)} s`),
          ],
          ['refresh still accepted (sample)', ...rows.map((x) => x.refreshAccepted)],
          [
            'longest GET /healthz meanwhile',
            ...[dirStall, peerStall].map((ms) => `${fmt(ms, 0)} ms`),
          ],
          ['relay CPU seconds', ...rows.map((x) => fmt(x.relayCpuSeconds, 2))],
        ],
      ),
    );
    const loadEnd = load();
    console.log(
      `\nload average at start ${loadStart}, at end ${loadEnd}; ` +
        `${fmt((Date.now() - startedAt.getTime()) / 1000, 0)} s in all`,
    );
    const results = path.join(repoRoot, 'bench/.results');
    mkdirSync(results, { recursive: true });
    const file = path.join(
      results,
      `identity-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`,
    );
    const meta = {
      node: process.version,
      loadStart,
      loadEnd,
      argon2: ARGON2,
      raised: RAISED_LIMITS,
    };
    const stalls = { directoryMs: dirStall, peerMs: peerStall };
    writeFileSync(
      file,
      JSON.stringify({ startedAt, meta, rates, deprovision: rows, stalls }, null, 2),
    );
    console.log(`raw figures: ${path.relative(repoRoot, file)}`);
  } finally {
    for (const s of sockets) s.destroy();
    await relay?.stop();
    await issuer.dispose();
    await ldap.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error('bench/identity failed:', error);
    process.exit(1);
  },
);
