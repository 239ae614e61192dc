// Slow loads, a failing database, SIGTERM drain, live backup and restore, TLS.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import {
  client,
  RELAY_BUNDLE,
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
const dirs: string[] = [];
const relays: RelayProcess[] = [];
const clients: Client[] = [];
const dir = () => {
  const d = tempDir();
  dirs.push(d);
  return d;
};
const start = async (data: string, args: string[] = []) => {
  const r = await startRelayProcess(data, args);
  relays.push(r);
  return r;
};
const open = (url: string, room: string) => {
  const c = client(url, room);
  clients.push(c);
  return c;
};

afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(relays.map((r) => r.stop('SIGKILL')));
  for (const d of dirs) removeDir(d);
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [RELAY_BUNDLE, ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
}

describe('relay: failures and operations', () => {
  it('never reports "synced" before the stored content, even when loading is slow', async () => {
    const data = dir();
    const relay = await start(data, ['--debug-load-delay-ms', '300', '--room-idle-ms', '0']);
    const writer = open(relay.url, 'conv/slow-load');
    await synced(writer);
    writer.doc.getMap('m').set('hello', 'world');
    await until(() => stored(writer), 'ack');
    writer.destroy();
    await relay.waitForLog((l) => l.msg === 'room unloaded' && l.room === 'conv/slow-load');

    const reader = open(relay.url, 'conv/slow-load');
    const atSync = await new Promise<unknown>((resolve) =>
      reader.provider.on('sync', (s: boolean) => s && resolve(reader.doc.getMap('m').get('hello'))),
    );
    expect(atSync).toBe('world');
  });

  it('refuses writes loudly when the database is full, and loses nothing stored', async () => {
    const data = dir();
    let relay = await start(data, ['--debug-db-max-pages', '40']);
    const writer = open(relay.url, 'conv/full');
    await synced(writer);
    writer.doc.getMap('m').set('small', 'kept');
    await until(() => stored(writer), 'small write acked');
    const closedWith = new Promise<number>((resolve) =>
      writer.provider.on('connection-close', (event) => event && resolve(event.code)),
    );
    writer.doc.getMap('m').set('big', 'x'.repeat(400 * 1024)); // more than 40 pages
    expect(await closedWith).toBe(4507);
    const ready = await getJson(`${relay.http}/readyz`);
    expect(ready.status).toBe(503);
    expect(JSON.stringify(ready.body)).toMatch(/database writes failing/);
    expect(relay.logs.some((l) => l.msg.startsWith('DATABASE WRITE FAILED'))).toBe(true);
    writer.provider.disconnect();

    // Room data already stored survives; once the disk has room, the client's re-send lands.
    await relay.stop('SIGTERM');
    relay = await start(data);
    const reader = open(relay.url, 'conv/full');
    await synced(reader);
    expect(reader.doc.getMap('m').get('small')).toBe('kept');
    expect(reader.doc.getMap('m').has('big')).toBe(false);
    const resend = open(relay.url, 'conv/full');
    Y_apply(resend, writer);
    await synced(resend);
    await until(() => reader.doc.getMap('m').has('big'), 're-sent big write');
    expect((await getJson(`${relay.http}/readyz`)).status).toBe(200);
  });

  it('drains on SIGTERM: commits, closes sockets with 1001 "going away", exits 0', async () => {
    const data = dir();
    const relay = await start(data);
    const ws = await new Promise<WebSocket>((resolve) => {
      const s = new WebSocket(`${relay.url}/conv/drain`);
      s.once('open', () => resolve(s));
    });
    const closed = new Promise<[number, string]>((resolve) =>
      ws.once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    relay.proc.kill('SIGTERM');
    expect(await closed).toEqual([1001, 'going away']);
    expect((await relay.exited).code).toBe(0);
    expect(relay.logs.some((l) => l.msg.startsWith('drained'))).toBe(true);
    expect(existsSync(path.join(data, 'relay.pid'))).toBe(false);
  });

  it('backs up a live relay and restores it (refusing while the relay runs)', async () => {
    const data = dir();
    let relay = await start(data);
    const a = open(relay.url, 'conv/backup');
    await synced(a);
    a.doc.getMap('m').set('before', 'backup');
    await until(() => stored(a), 'ack');
    const file = path.join(dir(), 'ferry-backup.db');
    const backup = cli(['backup', file, '--data', data]);
    expect(backup.status, backup.stderr).toBe(0);
    expect(JSON.parse(backup.stdout)).toMatchObject({ msg: 'backup written', rooms: 1 });
    a.doc.getMap('m').set('after', 'backup');
    await until(() => stored(a), 'ack');

    const second = cli(['--port', '0', '--data', data]);
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/another relay \(pid \d+\) is serving/);

    const refused = cli(['restore', file, '--data', data]);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/is running/);

    a.destroy();
    await relay.stop('SIGTERM');
    const restored = cli(['restore', file, '--data', data]);
    expect(restored.status, restored.stderr).toBe(0);
    expect(readdirSync(data).some((f) => f.includes('before-restore'))).toBe(true);
    relay = await start(data);
    const b = open(relay.url, 'conv/backup');
    await synced(b);
    expect(b.doc.getMap('m').toJSON()).toEqual({ before: 'backup' });
    expect(cli(['restore', path.join(data, 'nope.db'), '--data', data]).status).not.toBe(0);
  });

  it('drops a socket that does not answer keepalive pings, keeps one that does', async () => {
    const relay = await start(dir(), ['--ping-interval-ms', '100']);
    const silent = new WebSocket(`${relay.url}/conv/ping`, { autoPong: false });
    const silentClosed = new Promise<number>((resolve) => silent.once('close', (c) => resolve(c)));
    const answering = new WebSocket(`${relay.url}/conv/ping`);
    let pings = 0;
    answering.on('ping', () => pings++);
    expect(await silentClosed).toBe(1006);
    expect(pings).toBeGreaterThan(0);
    expect(answering.readyState).toBe(WebSocket.OPEN);
    answering.close();
  });

  it('serves wss and https with --tls-cert/--tls-key', async () => {
    const data = dir();
    const cert = path.join(data, 'cert.pem');
    const key = path.join(data, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      { stdio: 'ignore' },
    );
    const relay = await start(path.join(data, 'db'), ['--tls-cert', cert, '--tls-key', key]);
    expect(relay.url.startsWith('wss://')).toBe(true);
    const ws = new WebSocket(`${relay.url}/conv/tls`, { rejectUnauthorized: false });
    const first = await new Promise<Buffer>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(d));
      ws.once('error', reject);
    });
    expect(first[0]).toBe(0); // sync step 1
    ws.close();
  });
});

/** Gives `to` everything `from` has (a client re-sending its local state after a restart). */
function Y_apply(to: Client, from: Client) {
  const update = Y.encodeStateAsUpdate(from.doc);
  Y.applyUpdate(to.doc, update);
}
