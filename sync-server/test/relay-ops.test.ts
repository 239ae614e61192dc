// One relay with small limits: health, readiness, metrics, bad input, slow consumers,
// awareness batching, idle unload, compaction and the static web client.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as encoding from 'lib0/encoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { encodeData, encodeOpen, decodeFrame } from '../../core/src/protocol/mux-frames';
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

process.setMaxListeners(0);
const MAX_FRAME = 64 * 1024;

/** Opens a raw socket and resolves with it once open. */
function raw(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.split(' ').pop()) : NaN;
}

describe('relay: operations and bad input', () => {
  let dir: string;
  let web: string;
  let updates: string;
  let relay: RelayProcess;
  const clients: Client[] = [];
  const open = (room: string) => {
    const c = client(relay.url, room);
    clients.push(c);
    return c;
  };
  const metrics = async () => (await getJson(`${relay.http}/metrics`)).text;

  beforeAll(async () => {
    dir = tempDir();
    web = path.join(dir, 'web');
    mkdirSync(path.join(web, 'assets'), { recursive: true });
    writeFileSync(path.join(web, 'index.html'), '<!doctype html><title>Ferry</title>');
    writeFileSync(path.join(web, 'assets', 'index-B4x9kQ2z.js'), 'console.log(1)');
    updates = path.join(dir, 'updates');
    mkdirSync(updates);
    writeFileSync(path.join(updates, 'latest-linux.yml'), 'version: 0.2.0\n');
    relay = await startRelayProcess(path.join(dir, 'data'), [
      '--max-frame-bytes',
      String(MAX_FRAME),
      '--max-buffered-bytes',
      '65536',
      '--room-idle-ms',
      '100',
      '--compact-after',
      '20',
      '--awareness-batch-ms',
      '100',
      '--web',
      web,
      '--updates',
      updates,
      '--max-rooms-per-socket',
      '3',
    ]);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await relay?.stop('SIGKILL');
    removeDir(dir);
  });

  it('answers health, readiness and metrics', async () => {
    expect(await getJson(`${relay.http}/healthz`)).toMatchObject({
      status: 200,
      body: { status: 'ok' },
    });
    expect(await getJson(`${relay.http}/readyz`)).toMatchObject({
      status: 200,
      body: { ready: true },
    });
    const c = open('metrics/room');
    await synced(c);
    c.doc.getMap('m').set('a', 1);
    await until(() => stored(c), 'ack');
    const text = await metrics();
    for (const name of [
      'ferry_connections',
      'ferry_rooms_loaded',
      'ferry_updates_total',
      'ferry_update_bytes_total',
      'ferry_store_latency_seconds_bucket',
      'ferry_process_cpu_seconds_total',
    ]) {
      expect(text).toContain(name);
    }
    expect(metric(text, 'ferry_updates_total')).toBeGreaterThanOrEqual(1);
  });

  it('serves the web client with a strict CSP, immutable hashed assets and no-cache HTML', async () => {
    const index = await fetch(`${relay.http}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    expect(index.headers.get('content-security-policy')).toContain(
      "script-src 'self' 'wasm-unsafe-eval';",
    );
    expect(index.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const asset = await fetch(`${relay.http}/assets/index-B4x9kQ2z.js`);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toContain('javascript');
    expect((await fetch(`${relay.http}/some/app/route`)).status).toBe(200); // SPA fallback
    expect((await fetch(`${relay.http}/missing.js`)).status).toBe(404);
    // A climbing path stays inside the web root (here: the SPA fallback), never /etc/passwd.
    const climb = await fetch(`${relay.http}/..%2f..%2f..%2fetc%2fpasswd`);
    expect(await climb.text()).not.toContain('root:');
  });

  it('serves the desktop update feed at /updates/, without the web client fallback', async () => {
    const feed = await fetch(`${relay.http}/updates/latest-linux.yml`);
    expect(feed.status).toBe(200);
    expect(await feed.text()).toBe('version: 0.2.0\n');
    expect(feed.headers.get('cache-control')).toBe('no-cache'); // a new release shows at once
    // A missing file is a 404 (electron-updater reports "no update"), never index.html.
    expect((await fetch(`${relay.http}/updates/latest-mac.yml`)).status).toBe(404);
    expect((await fetch(`${relay.http}/updates/nothing`)).status).toBe(404);
    const climb = await fetch(`${relay.http}/updates/..%2f..%2fweb%2findex.html`);
    expect(climb.status).not.toBe(200);
  });

  it('closes malformed, unknown, text and oversized frames with the right code, and logs one line', async () => {
    const bystander = open('conv/bystander');
    await synced(bystander);
    const cases: Array<[string, string, WebSocket.Data, number]> = [
      ['malformed sync', '/conv/bad1', Buffer.from([0, 0, 200]), 1002],
      ['unknown type', '/conv/bad2', Buffer.from([9]), 1003],
      ['text frame', '/conv/bad3', 'hello', 1003],
      ['oversized', '/conv/bad4', Buffer.alloc(MAX_FRAME + 1), 1009],
      ['malformed mux frame', '/_mux', Buffer.from([0, 40]), 1002],
      ['unknown mux kind', '/_mux', Buffer.from([7, 1, 120]), 1003],
      [
        'malformed update inside mux',
        '/_mux',
        Buffer.concat([encodeOpen('conv/m'), Buffer.alloc(0)]),
        -1,
      ],
    ];
    for (const [what, where, data, code] of cases) {
      const ws = await raw(relay.url + where);
      if (code === -1) {
        // OPEN, then a DATA frame whose inner message is a truncated update.
        ws.send(data);
        ws.send(encodeData('conv/m', new Uint8Array([0, 2, 50, 1])));
        expect((await closed(ws)).code, what).toBe(1002);
        continue;
      }
      const done = closed(ws);
      ws.send(data);
      const got = (await done).code;
      if (code === 1009 && got === 1006) {
        // The relay sent 1009 and closed while our oversized frame was still arriving, so the
        // kernel may reset the connection before we read the close frame. Its log says 1009.
        await relay.waitForLog((l) => l.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
        continue;
      }
      expect(got, what).toBe(code);
    }
    // One log line per refusal (read from the relay's stdout, which may lag a little).
    await until(
      () => relay.logs.filter((l) => l.msg.startsWith('refused')).length >= cases.length,
      'a log line per refused frame',
    );
    // The bystander's room still works, and the process is alive.
    bystander.doc.getMap('m').set('still', 'fine');
    await until(() => stored(bystander), 'bystander ack');
    expect(
      metric(await metrics(), 'ferry_refused_frames_total{reason="malformed"}'),
    ).toBeGreaterThan(0);
  });

  it('answers a bad room name on the mux with a CLOSE frame and keeps the socket', async () => {
    const ws = await raw(`${relay.url}/_mux`);
    const frames: ReturnType<typeof decodeFrame>[] = [];
    ws.on('message', (data: Buffer) => {
      frames.push(decodeFrame(new Uint8Array(data)));
      changed();
    });
    ws.send(encodeOpen('../etc'));
    ws.send(encodeOpen('conv/fine'));
    await until(
      () => frames.some((f) => f.kind === 'data' && f.room === 'conv/fine'),
      'fine room greeted',
    );
    // The relay's BATCH announcement (PROTOCOL.md) may come first, depending on whether it
    // arrived before this listener; of the rooms' frames, the refusal is the first.
    const roomFrames = frames.filter((f) => f.kind !== 'batch');
    expect(roomFrames[0]).toMatchObject({ kind: 'close', room: '../etc', code: 4400 });
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });

  it('bounds the rooms one mux socket may hold (CLOSE 4413 past the limit)', async () => {
    const ws = await raw(`${relay.url}/_mux`);
    const frames: ReturnType<typeof decodeFrame>[] = [];
    ws.on('message', (data: Buffer) => {
      frames.push(decodeFrame(new Uint8Array(data)));
      changed();
    });
    for (const room of ['conv/l1', 'conv/l2', 'conv/l3', 'conv/l4']) ws.send(encodeOpen(room));
    await until(() => frames.some((f) => f.kind === 'close'), 'the refusal');
    expect(frames.find((f) => f.kind === 'close')).toMatchObject({ room: 'conv/l4', code: 4413 });
    ws.close();
  });

  it('drops a consumer that stops reading once its send buffer is full', async () => {
    const writer = open('conv/slow');
    await synced(writer);
    const slow = await raw(`${relay.url}/conv/slow`);
    const slowClosed = closed(slow);
    // Stop reading: the kernel buffers fill, then the relay's send buffer.
    (slow as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = 'x'.repeat(60 * 1024);
    let dropped = false;
    for (let i = 0; i < 2000 && !dropped; i++) {
      writer.doc.getArray('a').push([chunk]);
      await until(() => stored(writer), 'ack');
      dropped = metric(await metrics(), 'ferry_slow_consumers_dropped_total') >= 1;
    }
    expect(dropped).toBe(true);
    (slow as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await slowClosed).code).toBe(1006);
    expect(relay.logs.some((l) => l.msg.startsWith('slow consumer'))).toBe(true);
    // The writer was not affected.
    expect(writer.provider.wsconnected).toBe(true);
  });

  it('batches awareness: many joins cost far fewer messages than joins', async () => {
    const observer = open('conv/awareness');
    await synced(observer);
    let messages = 0;
    const handler = observer.provider.messageHandlers[1]!;
    observer.provider.messageHandlers[1] = (...args) => {
      messages++;
      handler(...args);
    };
    const peers = Array.from({ length: 20 }, () => open('conv/awareness'));
    peers.forEach((p, i) => p.provider.awareness.setLocalState({ name: `peer ${i}` }));
    await until(() => observer.provider.awareness.getStates().size >= 21, 'all peers seen');
    // 20 joins: the reference server sends 20+ messages to every client, we send a few batches.
    expect(messages).toBeLessThan(10);
    for (const p of peers) p.destroy();
    await until(() => observer.provider.awareness.getStates().size === 1, 'peers removed on leave');
  });

  it('unloads idle rooms, returns them from the database, and compacts the log', async () => {
    const a = open('conv/idle');
    await synced(a);
    for (let i = 0; i < 25; i++) {
      a.doc.getText('t').insert(0, `${i};`);
      await until(() => stored(a), 'ack');
    }
    await relay.waitForLog((l) => l.msg === 'room compacted' && l.room === 'conv/idle');
    const expected = a.doc.getText('t').toString();
    const vector = Y.encodeStateVector(a.doc);
    a.destroy();
    await relay.waitForLog((l) => l.msg === 'room unloaded' && l.room === 'conv/idle');
    const b = open('conv/idle');
    await synced(b);
    expect(b.doc.getText('t').toString()).toBe(expected);
    expect(Y.encodeStateVector(b.doc)).toEqual(vector);
  });

  it('never serves an update whose dependency is missing, and asks its writer to re-send', async () => {
    const source = new Y.Doc();
    const updates: Uint8Array[] = [];
    source.on('update', (u: Uint8Array) => updates.push(u));
    source.getMap('m').set('first', 1);
    source.getMap('m').set('second', 2);
    const message = (u: Uint8Array) => {
      const e = encoding.createEncoder();
      encoding.writeVarUint(e, 0);
      encoding.writeVarUint(e, 2);
      encoding.writeVarUint8Array(e, u);
      return encoding.toUint8Array(e);
    };
    const ws = new WebSocket(`${relay.url}/conv/gap`);
    let step1s = 0;
    ws.on('message', (data: Buffer) => {
      if (data[0] === 0 && data[1] === 0) step1s++;
      changed();
    });
    await until(() => step1s === 1, 'the greeting');
    ws.send(message(updates[1]!)); // depends on updates[0], which the relay never got
    await until(() => step1s === 2, 'the relay asking for what it lacks');
    const reader = open('conv/gap');
    await synced(reader);
    expect(reader.doc.getMap('m').toJSON()).toEqual({});
    ws.send(message(updates[0]!));
    await until(() => reader.doc.getMap('m').get('second') === 2, 'both updates, once complete');
    expect(reader.doc.getMap('m').toJSON()).toEqual({ first: 1, second: 2 });
    ws.close();
  });

  it('answers query-awareness and accepts (ignores) auth messages', async () => {
    const ws = await raw(`${relay.url}/conv/query`);
    const got: number[] = [];
    ws.on('message', (data: Buffer) => {
      got.push(data[0]!);
      changed();
    });
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 2);
    encoding.writeVarUint(e, 0);
    encoding.writeVarString(e, 'ignored');
    ws.send(encoding.toUint8Array(e));
    ws.send(Buffer.from([3]));
    await until(() => got.includes(1), 'awareness answer');
    expect(ws.readyState).toBe(WebSocket.OPEN);
    ws.close();
  });
});
