// Group commit and the WAL sync off the event loop (issue 16, item 4): updates that arrive in
// one turn are committed once; with --durability full (SQLite) the commit goes to the WAL and
// one fdatasync in libuv's thread pool makes it durable while the event loop goes on; only then
// is it forwarded and its writers acknowledged. Driven in-process through Relay.receive with a
// real Store in a temp dir; the sync is gated where a test needs to see what waits for it.
import * as decoding from 'lib0/decoding';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { CloseCode, MessageType, SyncMessageType } from '../../core/src/protocol/messages';
import { parseArgs } from '../src/config';
import { ANONYMOUS } from '../src/hooks';
import { createLogger } from '../src/log';
import { syncMessage } from '../src/messages';
import { createMetrics } from '../src/metrics';
import { Relay } from '../src/relay';
import type { RoomConn } from '../src/room';
import { Store, type StoreOptions } from '../src/store';
import { removeDir, tempDir, until } from './helpers';

const log = createLogger('silent');
const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0).reverse()) fn();
  vi.restoreAllMocks();
});

interface Sent {
  kind: 'step1' | 'step2' | 'update' | 'other';
  payload: Uint8Array;
}

interface TestConn extends RoomConn {
  readonly sent: Sent[];
  closedWith: number | null;
  readonly doc: Y.Doc;
}

function decode(message: Uint8Array): Sent {
  const d = decoding.createDecoder(message);
  if (decoding.readVarUint(d) !== MessageType.sync) return { kind: 'other', payload: message };
  const kind = decoding.readVarUint(d);
  const payload = decoding.readVarUint8Array(d);
  const name =
    kind === SyncMessageType.step1 ? 'step1' : kind === SyncMessageType.step2 ? 'step2' : 'update';
  return { kind: name, payload };
}

function setup(options: StoreOptions = {}, events: string[] = []) {
  const dir = tempDir();
  const store = new Store(dir, options);
  const config = parseArgs(['--data', dir, '--no-auth', '--ack-interval-ms', '0'], {}).config;
  const relay = new Relay(config, store, log, createMetrics(), {});
  cleanup.push(() => removeDir(dir));
  cleanup.push(() => store.close());
  cleanup.push(() => relay.close());
  let n = 0;
  const conn = (room: string): TestConn => {
    const c: TestConn = {
      cid: `c${++n}`,
      principal: ANONYMOUS,
      log,
      sent: [],
      closedWith: null,
      doc: new Y.Doc(),
      send(message) {
        const m = decode(message);
        this.sent.push(m);
        events.push(`${this.cid} ${m.kind}`);
      },
      close(code) {
        this.closedWith = code;
        relay.leave(this, room);
      },
    };
    relay.join(c, room);
    return c;
  };
  /** The client writes `key` and sends the update to the relay, as a stock provider does. */
  const write = (c: TestConn, room: string, key: string, value: unknown = key) => {
    let update: Uint8Array | null = null;
    c.doc.once('update', (u: Uint8Array) => (update = u));
    c.doc.getMap('m').set(key, value);
    relay.receive(c, room, syncMessage(SyncMessageType.update, update!));
  };
  return { dir, store, relay, conn, write };
}

/** Holds every syncLog until released (after the real fdatasync), counting them. */
function gateSyncs(store: Store) {
  const real = store.syncLog.bind(store);
  const gates: Array<{ open: () => void; fail: (e: Error) => void }> = [];
  const spy = vi
    .spyOn(store, 'syncLog')
    .mockImplementation(() =>
      real().then(
        () => new Promise<void>((resolve, reject) => gates.push({ open: resolve, fail: reject })),
      ),
    );
  return { gates, spy };
}

const updates = (c: TestConn) => c.sent.filter((s) => s.kind === 'update');
const acks = (c: TestConn) => c.sent.filter((s) => s.kind === 'step1');
/** Whether the state vector `sv` covers the client's own writes. */
const covers = (sv: Uint8Array, c: TestConn) =>
  (Y.decodeStateVector(sv).get(c.doc.clientID) ?? 0) >= Y.getState(c.doc.store, c.doc.clientID);

describe('group commit with the WAL synced off the event loop', () => {
  it('commits a burst from several clients in one tick once, and forwards and acknowledges it only once durable', async () => {
    const { store, conn, write } = setup();
    expect(store.deferredSync).toBe(true);
    const room = 'bench/a';
    const [a, b, c, reader] = [conn(room), conn(room), conn(room), conn(room)];
    await until(() => acks(reader).length === 1, 'joined'); // the greeting step 1
    const appends = vi.spyOn(store, 'appendDeferred');
    const { gates } = gateSyncs(store);

    write(a, room, 'a');
    write(b, room, 'b');
    write(c, room, 'c');
    await until(() => gates.length === 1, 'the WAL sync');
    expect(appends).toHaveBeenCalledTimes(1);
    expect(appends.mock.calls[0]?.[0]).toHaveLength(3);
    // Committed but not durable yet: nothing forwarded, nobody acknowledged.
    for (const x of [a, b, c, reader]) expect(updates(x)).toHaveLength(0);
    for (const x of [a, b, c]) expect(acks(x)).toHaveLength(1);

    gates[0]?.open();
    await until(() => updates(reader).length === 1, 'forwarded');
    const got = new Y.Doc();
    Y.applyUpdate(got, updates(reader)[0]!.payload);
    expect(got.getMap('m').toJSON()).toEqual({ a: 'a', b: 'b', c: 'c' }); // one frame, merged
    for (const x of [a, b, c]) {
      expect(acks(x)).toHaveLength(2);
      expect(covers(acks(x)[1]!.payload, x)).toBe(true);
    }
    // And it is in the database.
    const stored = new Y.Doc();
    for (const u of store.load(room).updates) Y.applyUpdate(stored, u);
    expect(stored.getMap('m').toJSON()).toEqual({ a: 'a', b: 'b', c: 'c' });
  });

  it('commits what arrives during a sync as one batch, and starts its sync before the previous batch goes out', async () => {
    const events: string[] = [];
    const { store, conn, write } = setup({}, events);
    const room = 'bench/b';
    const [a, b, reader] = [conn(room), conn(room), conn(room)];
    await until(() => acks(reader).length === 1, 'joined');
    const appends = vi.spyOn(store, 'appendDeferred');
    const { gates, spy } = gateSyncs(store);
    appends.mockImplementation(function (this: Store, entries) {
      events.push(`commit ${entries.length}`);
      return Store.prototype.appendDeferred.call(store, entries);
    });

    write(a, room, 'first');
    await until(() => gates.length === 1, 'the first sync');
    write(a, room, 'second');
    write(b, room, 'third');
    await new Promise((resolve) => setImmediate(resolve));
    expect(appends).toHaveBeenCalledTimes(1); // waits for the sync in flight
    expect(updates(reader)).toHaveLength(0);

    events.length = 0;
    gates[0]?.open();
    await until(() => updates(reader).length === 1, 'the first batch forwarded');
    // The second batch was committed and its sync begun before the first one went out.
    expect(events[0]).toBe('commit 2');
    expect(events.indexOf(`${reader.cid} update`)).toBeGreaterThan(0);
    expect(spy).toHaveBeenCalledTimes(2);
    expect(acks(b)).toHaveLength(1); // b's write is not durable yet
    await until(() => gates.length === 2, 'the second sync');
    gates[1]?.open();
    await until(() => updates(reader).length === 2 && acks(b).length === 2, 'the second batch');
    expect(covers(acks(b)[1]!.payload, b)).toBe(true);
  });

  it('a failed WAL sync acknowledges and forwards nothing, closes the room with 4507, and readiness returns with the next durable commit', async () => {
    const { store, relay, conn, write } = setup();
    const room = 'bench/c';
    const [a, reader] = [conn(room), conn(room)];
    await until(() => acks(reader).length === 1, 'joined');
    const { gates } = gateSyncs(store);
    write(a, room, 'lost?');
    await until(() => gates.length === 1, 'the sync');
    gates[0]?.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
    await until(() => a.closedWith !== null, 'closed');
    expect(a.closedWith).toBe(CloseCode.storageFailed);
    expect(reader.closedWith).toBe(CloseCode.storageFailed);
    expect(updates(reader)).toHaveLength(0);
    expect(acks(a)).toHaveLength(1);
    expect(relay.storeHealthy).toBe(false);
    expect(relay.rooms.has(room)).toBe(false);

    vi.restoreAllMocks();
    const [again, other] = [conn(room), conn(room)];
    await until(() => acks(again).length === 1, 'rejoined');
    write(again, room, 'kept');
    await until(() => updates(other).length === 1, 'forwarded after a good sync');
    expect(relay.storeHealthy).toBe(true);
  });

  it('a failed commit (database full) acknowledges none, forwards nothing and closes the room with 4507', async () => {
    const { relay, conn, write } = setup({ maxPages: 40 });
    const room = 'bench/d';
    const [a, b, reader] = [conn(room), conn(room), conn(room)];
    await until(() => acks(reader).length === 1, 'joined');
    write(a, room, 'small');
    await until(() => updates(reader).length === 1, 'a small write');
    write(a, room, 'big', 'x'.repeat(400 * 1024));
    write(b, room, 'with it');
    await until(() => a.closedWith !== null, 'closed');
    for (const x of [a, b, reader]) expect(x.closedWith).toBe(CloseCode.storageFailed);
    expect(updates(reader)).toHaveLength(1);
    expect(acks(a)).toHaveLength(2); // the greeting and the small write's, not the big one's
    expect(acks(b)).toHaveLength(1);
    expect(relay.storeHealthy).toBe(false);
  });

  it('answers a sync step 1 only with durable content, holding the room meanwhile, in order', async () => {
    const { store, conn, write, relay } = setup();
    const room = 'bench/e';
    const [a, reader] = [conn(room), conn(room)];
    await until(() => acks(reader).length === 1, 'joined');
    const { gates } = gateSyncs(store);
    write(a, room, 'one');
    await until(() => gates.length === 1, 'the first sync');
    // A newcomer asks for everything while 'one' is on its way to the disk.
    const late = conn(room);
    relay.receive(late, room, syncMessage(SyncMessageType.step1, Y.encodeStateVector(late.doc)));
    expect(late.sent.filter((s) => s.kind === 'step2')).toHaveLength(0);
    // Its greeting carries the durable state vector: not 'one'.
    expect(covers(acks(late)[0]!.payload, a)).toBe(false);
    write(a, room, 'two'); // pending behind the sync in flight
    gates[0]?.open();
    await until(() => gates.length === 2, 'the second sync');
    // 'one' is durable but 'two' is not: the answer waits, and the room's messages are held.
    expect(late.sent.filter((s) => s.kind === 'step2')).toHaveLength(0);
    write(a, room, 'three');
    gates[1]?.open();
    await until(() => late.sent.some((s) => s.kind === 'step2'), 'the answer');
    const answer = new Y.Doc();
    Y.applyUpdate(answer, late.sent.find((s) => s.kind === 'step2')!.payload);
    expect(answer.getMap('m').toJSON()).toEqual({ one: 'one', two: 'two' });
    // 'three', held while the answer waited, is handled after it, committed and forwarded.
    await until(() => gates.length === 3, 'the third sync');
    gates[2]?.open();
    await until(() => keys(updates(reader)).includes('three'), 'three forwarded');
    expect(keys(updates(reader))).toEqual(['one', 'two', 'three']);
  });

  it('with --durability process commits, forwards and acknowledges in the same turn, no WAL sync', async () => {
    const { store, conn, write } = setup({ durability: 'process' });
    expect(store.deferredSync).toBe(false);
    const room = 'bench/f';
    const [a, reader] = [conn(room), conn(room)];
    await until(() => acks(reader).length === 1, 'joined');
    const sync = vi.spyOn(store, 'syncLog');
    write(a, room, 'fast');
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates(reader)).toHaveLength(1);
    expect(covers(acks(a).at(-1)!.payload, a)).toBe(true);
    expect(sync).not.toHaveBeenCalled();
  });

  it('with --wal-sync-inline commits with synchronous=FULL on the event loop, no WAL sync', async () => {
    const { store, conn, write } = setup({ syncInline: true });
    expect(store.deferredSync).toBe(false);
    expect(
      (store.db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous,
    ).toBe(2);
    const room = 'bench/g';
    const [a, reader] = [conn(room), conn(room)];
    await until(() => acks(reader).length === 1, 'joined');
    const sync = vi.spyOn(store, 'syncLog');
    write(a, room, 'inline');
    await new Promise((resolve) => setImmediate(resolve));
    expect(updates(reader)).toHaveLength(1);
    expect(sync).not.toHaveBeenCalled();
  });

  it('drops an empty step 2 (nothing the relay lacks) before Yjs: nothing committed', async () => {
    const { store, conn, relay } = setup();
    const room = 'bench/h';
    const a = conn(room);
    await until(() => acks(a).length === 1, 'joined');
    const appends = vi.spyOn(store, 'appendDeferred');
    const empty = Y.encodeStateAsUpdate(a.doc, Y.encodeStateVector(a.doc));
    expect([...empty]).toEqual([0, 0]);
    relay.receive(a, room, syncMessage(SyncMessageType.step2, empty));
    await new Promise((resolve) => setImmediate(resolve));
    expect(appends).not.toHaveBeenCalled();
    expect(a.closedWith).toBeNull();
  });
});

/** The keys a reader holds after applying what it was sent, in order. */
function keys(sent: Sent[]): string[] {
  const d = new Y.Doc();
  for (const s of sent) Y.applyUpdate(d, s.payload);
  return [...d.getMap('m').keys()];
}
