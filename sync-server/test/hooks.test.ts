// The seams for accounts (issue 4), with the relay in-process: authenticate on upgrade,
// authorizeRoom per room (plain and mux), checkUpdate before an update is applied.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pino } from 'pino';
import { MuxConnection, type WebSocketConstructor } from '../../core/src/protocol/mux-client';
import { parseArgs } from '../src/config';
import { startRelay, type RunningRelay } from '../src/server';
import { client, removeDir, stored, synced, tempDir, until, type Client } from './helpers';

process.setMaxListeners(0);
const MARK = 'FORBIDDEN-CONTENT';

describe('relay hooks', () => {
  let dir: string;
  let relay: RunningRelay;
  const clients: Client[] = [];
  const muxes: MuxConnection[] = [];
  const open = (url: string, room: string, polyfill?: unknown) => {
    const c = client(url, room, polyfill ? { WebSocketPolyfill: polyfill } : {});
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = tempDir();
    const { config } = parseArgs(['--port', '0', '--data', dir], {});
    relay = await startRelay(config, pino({ level: 'silent' }), {
      authenticate: (req) =>
        new URL(req.url ?? '/', 'http://x').searchParams.get('token') === 'good'
          ? { id: 'alice' }
          : null,
      authorizeRoom: async (principal, room) => principal.id === 'alice' && room !== 'secret',
      checkUpdate: ({ update }) =>
        Buffer.from(update).includes(MARK) ? { ok: false, reason: 'not yours' } : { ok: true },
    });
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const m of muxes) m.destroy();
    await relay?.drain();
    removeDir(dir);
  });

  it('refuses an unauthenticated upgrade with HTTP 401', async () => {
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${relay.url}/room?token=bad`);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(401);
  });

  it('closes a forbidden room with 4403 on the plain endpoint and on the mux', async () => {
    const plain = open(`${relay.url}`, 'secret');
    plain.provider.params = { token: 'good' };
    const closed = await new Promise<number>((resolve) =>
      plain.provider.on('closed', (e) => resolve(e.code)),
    );
    expect(closed).toBe(4403);

    const mux = new MuxConnection(`${relay.url}/_mux?token=good`, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    muxes.push(mux);
    const viaMux = open(mux.url, 'secret', mux.WebSocketPolyfill);
    const muxClosed = await new Promise<number>((resolve) =>
      viaMux.provider.on('closed', (e) => resolve(e.code)),
    );
    expect(muxClosed).toBe(4403);
    const allowed = open(mux.url, 'conv/open', mux.WebSocketPolyfill);
    await synced(allowed);
  });

  it('refuses an update that checkUpdate rejects: permission denied, not stored, not forwarded', async () => {
    const mux = new MuxConnection(`${relay.url}/_mux?token=good`, {
      WebSocket: WebSocket as unknown as WebSocketConstructor,
    });
    muxes.push(mux);
    const a = open(mux.url, 'conv/checked', mux.WebSocketPolyfill);
    const b = open(mux.url.replace('/_mux', ''), 'conv/checked');
    b.provider.params = { token: 'good' };
    b.provider.disconnect();
    b.provider.connect();
    await Promise.all([synced(a), synced(b)]);
    const denied: string[] = [];
    a.provider.messageHandlers[2] = (_e, decoder) => {
      decoder.pos += 1; // permission-denied sub-type
      const length = decoder.arr[decoder.pos++] ?? 0;
      denied.push(Buffer.from(decoder.arr.subarray(decoder.pos, decoder.pos + length)).toString());
    };
    a.doc.getMap('m').set('bad', MARK);
    await until(() => denied.length > 0, 'permission denied');
    expect(denied).toEqual(['not yours']);
    // Others keep working; the refused item never reaches them and is never acknowledged.
    // (a's later updates depend on the refused one and cannot integrate: issue 4 quarantines
    // such a clientID; honest clients check the same rules before writing.)
    b.doc.getMap('m').set('good', 'fine');
    await until(() => a.doc.getMap('m').get('good') === 'fine', 'the allowed update');
    expect(b.doc.getMap('m').has('bad')).toBe(false);
    expect(stored(a)).toBe(false);
    const metrics = await relay.metrics.registry.getSingleMetricAsString(
      'ferry_refused_updates_total',
    );
    expect(metrics).toMatch(/ferry_refused_updates_total 1\b/);
  });
});
