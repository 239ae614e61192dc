// The multiplexed endpoint: stock WebsocketProviders on MuxConnection virtual sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MuxConnection, type WebSocketConstructor } from '../../core/src/protocol/mux-client';
import {
  changed,
  client,
  getJson,
  removeDir,
  startRelayProcess,
  stored,
  synced,
  tempDir,
  until,
  type Client,
  type RelayProcess,
} from './helpers';

const ROOMS = 300;
// Every stock provider adds a process 'exit' listener.
process.setMaxListeners(0);
const WS = WebSocket as unknown as WebSocketConstructor;

describe('relay: multiplexed endpoint', () => {
  let dir: string;
  let relay: RelayProcess;
  const muxes: MuxConnection[] = [];
  const clients: Client[] = [];

  const mux = () => {
    const m = new MuxConnection(`${relay.url}/_mux`, { WebSocket: WS, minBackoffMs: 50 });
    m.onStatus(changed);
    muxes.push(m);
    return m;
  };
  const open = (m: MuxConnection, room: string) => {
    const c = client(m.url, room, { WebSocketPolyfill: m.WebSocketPolyfill });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = tempDir();
    relay = await startRelayProcess(dir);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const m of muxes) m.destroy();
    await relay?.stop('SIGKILL');
    removeDir(dir);
  });

  it(`syncs ${ROOMS} rooms over one socket per client, with durable acks`, async () => {
    const a = mux();
    const b = mux();
    const names = Array.from({ length: ROOMS }, (_, i) => `conv/mux${i}/p1`);
    const writers = names.map((n) => open(a, n));
    await Promise.all(writers.map(synced));
    writers.forEach((c, i) => c.doc.getMap('m').set('k', `value ${i}`));
    await until(() => writers.every(stored), 'every write acknowledged');

    const readers = names.map((n) => open(b, n));
    await Promise.all(readers.map(synced));
    readers.forEach((c, i) => expect(c.doc.getMap('m').get('k')).toBe(`value ${i}`));

    // Live fan-out the other way round, on the same two sockets.
    readers.forEach((c, i) => c.doc.getMap('m').set('back', i));
    await until(() => writers.every((c, i) => c.doc.getMap('m').get('back') === i), 'fan-out');

    const metrics = (await getJson(`${relay.http}/metrics`)).text;
    expect(metrics).toMatch(/ferry_connections\{endpoint="mux"\} 2\b/);
    expect(metrics).toMatch(new RegExp(`ferry_room_connections ${ROOMS * 2}\\b`));
    for (const c of [...writers, ...readers]) c.destroy();
  });

  it('goes offline at once, keeps writing, and catches up when told to go online', async () => {
    const a = mux();
    const b = mux();
    const ca = open(a, 'conv/offline');
    const cb = open(b, 'conv/offline');
    await Promise.all([synced(ca), synced(cb)]);
    const statuses: string[] = [];
    a.onStatus((s) => statuses.push(s));

    a.goOffline();
    expect(a.status).toBe('offline');
    await until(() => !ca.provider.wsconnected, 'the provider to see the socket close');
    ca.doc.getMap('m').set('written', 'offline');
    a.goOnline();
    await until(() => cb.doc.getMap('m').get('written') === 'offline', 'offline write to arrive');
    await until(() => stored(ca), 'offline write acknowledged');
    expect(statuses).toEqual(['connected', 'offline', 'connecting', 'connected']);
  });

  it('reconnects by itself after the relay restarts, and the rooms resync', async () => {
    const a = mux();
    const ca = open(a, 'conv/restart');
    await synced(ca);
    ca.doc.getMap('m').set('before', 1);
    await until(() => stored(ca), 'ack before the restart');
    const port = relay.port;
    await relay.stop('SIGTERM');
    await until(() => a.status !== 'connected', 'the mux to notice');
    relay = await startRelayProcess(dir, ['--port', String(port)]);
    ca.doc.getMap('m').set('after', 2);
    await until(() => a.status === 'connected' && ca.provider.synced, 'reconnect and resync');
    await until(() => stored(ca), 'ack after the restart');
    const b = mux();
    const cb = open(b, 'conv/restart');
    await synced(cb);
    expect(cb.doc.getMap('m').toJSON()).toEqual({ before: 1, after: 2 });
  });
});
