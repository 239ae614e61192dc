// The plain one-room endpoint with stock y-websocket clients: interop, durable acks,
// persistence across a clean restart and across kill -9.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  client,
  removeDir,
  startRelayProcess,
  stored,
  synced,
  tempDir,
  until,
  type Client,
  type RelayProcess,
} from './helpers';

describe('relay: plain endpoint', () => {
  let dir: string;
  let relay: RelayProcess;
  const clients: Client[] = [];
  const open = (room: string) => {
    const c = client(relay.url, room);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = tempDir();
    relay = await startRelayProcess(dir);
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await relay?.stop('SIGKILL');
    removeDir(dir);
  });

  it('lets two stock clients edit the same room', async () => {
    const a = open('conv/interop');
    const b = open('conv/interop');
    await Promise.all([synced(a), synced(b)]);
    a.doc.getMap('messages').set('m1', 'hello from a');
    b.doc.getMap('messages').set('m2', 'hello from b');
    await until(
      () => a.doc.getMap('messages').size === 2 && b.doc.getMap('messages').size === 2,
      'both messages on both',
    );
    expect(a.doc.getMap('messages').toJSON()).toEqual(b.doc.getMap('messages').toJSON());
  });

  it('acknowledges durable writes with its state vector (sync step 1)', async () => {
    const a = open('conv/acks');
    await synced(a);
    a.doc.getArray('log').push(['one', 'two']);
    expect(stored(a)).toBe(false);
    await until(() => stored(a), 'the relay to acknowledge the write');
    expect(a.relayState().get(a.doc.clientID)).toBe(2);
  });

  it('keeps every room name rule: a bad name closes with 4400 and the client stops', async () => {
    const c = open('_reserved');
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      c.provider.on('closed', (event) => resolve(event)),
    );
    expect(closed.code).toBe(4400);
    expect(closed.reason).toMatch(/reserved/);
  });

  it('keeps acknowledged content across a clean restart and across kill -9', async () => {
    const a = open('conv/durable/p2920');
    await synced(a);
    const text = a.doc.getText('t');
    for (let i = 0; i < 50; i++) text.insert(text.length, `line ${i}\n`);
    await until(() => stored(a), 'ack before the clean restart');
    const expected = text.toString();

    // Clean restart (SIGTERM drains), then a fresh client with no local state.
    const first = await relay.stop('SIGTERM');
    expect(first.code).toBe(0);
    relay = await startRelayProcess(dir);
    const fresh = open('conv/durable/p2920');
    await synced(fresh);
    expect(fresh.doc.getText('t').toString()).toBe(expected);

    // More writes, acknowledged, then kill -9 with no chance to flush anything.
    for (let i = 0; i < 20; i++) fresh.doc.getText('t').insert(0, `k${i} `);
    await until(() => stored(fresh), 'ack before kill -9');
    const afterKill = fresh.doc.getText('t').toString();
    await relay.stop('SIGKILL');
    relay = await startRelayProcess(dir);
    const fresh2 = open('conv/durable/p2920');
    await synced(fresh2);
    expect(fresh2.doc.getText('t').toString()).toBe(afterKill);
    expect(Y.encodeStateVector(fresh2.doc)).toEqual(Y.encodeStateVector(fresh.doc));
  });
});
