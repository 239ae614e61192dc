// The deploy examples (deploy/haproxy.cfg, deploy/nginx.conf, issue 14) run for real in front of
// three relay processes: only their listen and server addresses are replaced by loopback ports.
// HAProxy: a y-websocket session through it, and a node whose /readyz answers 503 taken out.
// nginx: a session through it, and requests still answered when a node is killed.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findBinary,
  freePort,
  pollUntil,
  removeDir as removeEngineDir,
  runToEnd,
  spawnEngine,
  tempDir as engineDir,
  trackDir,
} from './engines/common';
import {
  client,
  getJson,
  removeDir,
  repoRoot,
  startRelayProcess,
  stored,
  synced,
  tempDir,
  until,
  type Client,
  type RelayProcess,
} from './helpers';

process.setMaxListeners(0);
const relays: RelayProcess[] = [];
const dataDirs: string[] = [];
const clients: Client[] = [];
const proxies: ChildProcess[] = [];
let work = '';

beforeAll(async () => {
  work = engineDir('ferry-proxies-', null);
  trackDir(work);
  for (let i = 0; i < 3; i++) {
    const data = tempDir();
    dataDirs.push(data);
    // The third node's database is capped so a test can make its writes fail (/readyz 503).
    relays.push(await startRelayProcess(data, i === 2 ? ['--debug-db-max-pages', '40'] : []));
  }
}, 60_000);

afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const p of proxies) p.kill('SIGKILL');
  await Promise.all(relays.map((r) => r.stop('SIGKILL')));
  for (const d of dataDirs) removeDir(d);
  removeEngineDir(work);
});

/** The example file with its addresses replaced; fails if the example no longer has them. */
function localized(file: string, listen: [RegExp, string], port: number): string {
  let text = readFileSync(path.join(repoRoot, 'deploy', file), 'utf8');
  expect(text).toMatch(listen[0]);
  text = text.replace(listen[0], listen[1].replace('PORT', String(port)));
  relays.forEach((relay, i) => {
    const name = new RegExp(`\\brelay${i + 1}:7880\\b`, 'g');
    expect(text).toMatch(name);
    text = text.replace(name, `127.0.0.1:${relay.port}`);
  });
  expect(text).not.toMatch(/relay\d:7880/);
  return text;
}

function open(url: string, room: string): Client {
  const c = client(url, room);
  clients.push(c);
  return c;
}

/** A y-websocket session through the proxy: synced, a write acknowledged as stored. */
async function sessionThrough(port: number, room: string): Promise<void> {
  const c = open(`ws://127.0.0.1:${port}`, room);
  await synced(c);
  c.doc.getMap('m').set('through', 'proxy');
  await until(() => stored(c), `write through the proxy on ${room} stored`);
  c.destroy();
}

function captured(proc: ChildProcess): () => string {
  let output = '';
  const keep = (chunk: Buffer) => (output += chunk.toString());
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  return () => output;
}

async function serving(port: number, proc: ChildProcess, output: () => string): Promise<void> {
  await pollUntil(
    async () => (await getJson(`http://127.0.0.1:${port}/healthz`)).status === 200,
    () => (proc.exitCode !== null ? `exited:\n${output()}` : null),
    10_000,
    `proxy on port ${port}`,
  );
}

describe('deploy/haproxy.cfg', () => {
  it('proxies WebSockets and takes out a node whose /readyz fails', async () => {
    const haproxy = findBinary('haproxy', ['/usr/sbin'], 'apt-get install haproxy (.ci/run does)');
    const port = await freePort();
    const cfg = path.join(work, 'haproxy.cfg');
    writeFileSync(
      cfg,
      localized('haproxy.cfg', [/^ {4}bind :80$/m, '    bind 127.0.0.1:PORT'], port),
    );
    await runToEnd(haproxy, ['-c', '-q', '-f', cfg], null);
    const proc = spawnEngine(haproxy, ['-db', '-f', cfg], null);
    proxies.push(proc);
    const output = captured(proc);
    await serving(port, proc, output);

    // Round robin: three sessions land on three nodes, each stored.
    for (let i = 0; i < 3; i++) await sessionThrough(port, `conv/haproxy-${i}`);
    // HAProxy's log (a line when each closed session ends): each upgrade went to another node.
    const upgrades = () => [
      ...output().matchAll(/relays\/(relay\d) \S+ 101 .*"GET \/conv\/haproxy-\d/g),
    ];
    await pollUntil(
      async () => upgrades().length === 3,
      () => null,
      10_000,
      'three log lines',
    );
    const upgraded = upgrades();
    expect(new Set(upgraded.map((m) => m[1]))).toEqual(new Set(['relay1', 'relay2', 'relay3']));

    // The third node's writes start failing: its /readyz answers 503 (the state a node is in
    // when it cannot reach PostgreSQL), and HAProxy's checks take it out.
    const filler = open(relays[2]?.url ?? '', 'conv/fill');
    await synced(filler);
    const closedWith = new Promise<number>((resolve) =>
      filler.provider.on('connection-close', (event) => event && resolve(event.code)),
    );
    filler.doc.getMap('m').set('big', 'x'.repeat(400 * 1024)); // more than 40 pages
    expect(await closedWith).toBe(4507); // write refused: the database is full
    filler.provider.disconnect();
    expect((await getJson(`${relays[2]?.http}/readyz`)).status).toBe(503);
    await pollUntil(
      async () => /relays\/relay3 is DOWN/.test(output()),
      () => null,
      15_000,
      'HAProxy marking relay3 down',
    );
    // Now every request lands on the two healthy nodes (round robin would hit relay3 1 in 3).
    for (let i = 0; i < 6; i++) {
      expect((await getJson(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    }
    await sessionThrough(port, 'conv/haproxy-after');
  });
});

describe('deploy/nginx.conf', () => {
  it('proxies WebSockets and keeps answering when a node is killed', async () => {
    const nginx = findBinary('nginx', ['/usr/sbin'], 'apt-get install nginx (.ci/run does)');
    const port = await freePort();
    const prefix = path.join(work, 'nginx');
    const conf = path.join(work, 'nginx.conf');
    writeFileSync(
      conf,
      localized('nginx.conf', [/^ {8}listen 80;$/m, '        listen 127.0.0.1:PORT;'], port),
    );
    // One process (no master and workers): it dies with the test process whatever happens,
    // where orphaned workers would outlive a killed master. Every directive of the file is used.
    const global = `daemon off; master_process off; pid ${prefix}.pid; error_log stderr warn;`;
    await runToEnd(nginx, ['-t', '-q', '-p', work, '-c', conf, '-g', global], null);
    const proc = spawnEngine(nginx, ['-p', work, '-c', conf, '-g', global], null);
    proxies.push(proc);
    const output = captured(proc);
    await serving(port, proc, output);

    for (let i = 0; i < 3; i++) await sessionThrough(port, `conv/nginx-${i}`);

    // A node dies: nginx notices on the next request that reaches it and retries on another.
    await relays[1]?.stop('SIGKILL');
    for (let i = 0; i < 6; i++) {
      expect((await getJson(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    }
    for (let i = 0; i < 3; i++) await sessionThrough(port, `conv/nginx-after-${i}`);
  });
});
