// Files through the data layer, signed in to a REAL relay (issue 13, docs/attachments.md): a file
// attached offline is queued with its Blob in IndexedDB before the message is written, survives
// a restart of the app, uploads (tus) when the relay is reachable, and another device opens the
// very bytes (hash verified), then again with no network from its cache. Too many or too large
// files are refused before anything is written; cancelling deletes the message and the queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type FileTransfer, type FilesApi, type MessageView, type SyncStatus } from '../../src/data/api';
import type { Client } from '../../src/data/client';
import { FileRecords } from '../../src/data/files/records';
import { Device, removeDir, startRelay, viewWhere, type Relay } from './harness';

const MAX = 300_000;
let relay: Relay;
beforeAll(async () => {
  relay = await startRelay({ args: ['--max-file-bytes', String(MAX)] });
});
afterAll(async () => {
  await relay?.stop();
  if (relay) removeDir(relay.dataDir);
});

/** Resolves with the first value an Observe gives that satisfies `pred` (events, no sleeps). */
function until<T>(observe: (l: (v: T) => void) => () => void, pred: (v: T) => boolean, what: string, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let last: T | undefined;
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${what} never came; last: ${JSON.stringify(last)}`));
    }, ms);
    off = observe((v) => {
      last = v;
      if (!pred(v)) return;
      clearTimeout(timer);
      queueMicrotask(() => off());
      resolve(v);
    });
  });
}

const transfer = (files: FilesApi, hash: string, state: FileTransfer['state']) =>
  until(files.transfer(hash), (t) => t.state === state, `transfer ${state}`);

function pdf(n: number, seed: number): Blob {
  const bytes = new Uint8Array(n);
  bytes.set(new TextEncoder().encode('%PDF-1.7\n'));
  for (let i = 9; i < n; i++) bytes[i] = (i * 7 + seed) & 0xff;
  return new Blob([bytes], { type: 'application/pdf' });
}

const bytesOf = async (b: Blob) => new Uint8Array(await b.arrayBuffer());

describe('files against a real relay', () => {
  it('refuses more than 10 files, or one over the relay’s limit, before writing anything', async () => {
    const ada = await relay.createUser('Ada');
    const a = await new Device('Ada', relay.url).signIn(ada);
    await until(a.files.limits, (l) => l !== null, 'the relay’s limits');
    const chan = await a.createConversation({ kind: 'channel', title: 'Limits', visibility: 'private', members: [] });
    const c = a.open(chan);
    await c.loadRecent();
    await a.whenSettled();
    const small = Array.from({ length: 11 }, (_, i) => ({ file: pdf(20, i) }));
    await expect(c.send('too many', { files: small })).rejects.toThrow(/up to 10 files/);
    const big = c.send('too big', { files: [{ file: pdf(MAX + 1, 1), name: 'big.pdf' }] });
    await expect(big).rejects.toBeInstanceOf(ApiError);
    await expect(big).rejects.toMatchObject({ code: 'too-large' });
    await expect(big).rejects.toThrow(`Files can be up to ${Math.round(MAX / 1024)} KB on this relay.`);
    expect(a.files.problem([pdf(MAX + 1, 2)])).toMatch(/Files can be up to/);
    const view = await viewWhere(c, () => true);
    expect(view.messages).toEqual([]);
    const status = await until<SyncStatus>(a.sync, () => true, 'status');
    expect(status.uploads ?? null).toBeNull();
    c.close();
    await a.close();
  });

  it('attached offline, kept across a restart, uploaded on reconnect; the other device opens the same bytes, later offline too', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const devA = new Device('Ada', relay.url);
    let a: Client = await devA.signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const chan = await a.createConversation({ kind: 'channel', title: 'Plans', visibility: 'private', members: [bo.id] });
    const ca = a.open(chan);
    await ca.loadRecent();
    await a.whenSettled();

    a.setOnline(false);
    const file = pdf(200_000, 3);
    const sent = await ca.send('the plan', { files: [{ file, name: 'plan/../v2.pdf' }] });
    const ref = (sent.files ?? [])[0];
    expect(ref).toMatchObject({ name: 'plan_.._v2.pdf', type: 'application/pdf', kind: 'file', size: 200_000 });
    const hash = ref?.hash as string;
    await transfer(a.files, hash, 'queued');
    const queued = await until<SyncStatus>(a.sync, (s) => s.uploads?.count === 1, 'uploads in the status');
    expect(queued.uploads?.bytesLeft).toBe(200_000);
    ca.close();
    await a.close();

    // The app restarts offline: the message and its queued file are still here.
    a = (await devA.restore({ online: false })) as Client;
    const ca2 = a.open(chan);
    await ca2.loadRecent();
    const v = await viewWhere(ca2, (x) => x.messages.some((m) => m.files?.[0]?.hash === hash));
    expect(v.messages.find((m) => m.id === sent.id)?.text).toBe('the plan');
    await transfer(a.files, hash, 'queued');
    expect(await bytesOf(await a.files.open(chan, ref as NonNullable<typeof ref>))).toEqual(await bytesOf(file));

    // Back online: it uploads; the queue empties; the file stays on this device (the cache).
    a.setOnline(true);
    await transfer(a.files, hash, 'local');
    await until<SyncStatus>(a.sync, (s) => !s.uploads, 'no uploads left');

    const cb = b.open(chan);
    await cb.loadRecent();
    const seen = await viewWhere(cb, (x) => x.messages.some((m) => m.id === sent.id));
    const onB = seen.messages.find((m) => m.id === sent.id) as MessageView;
    expect(onB.files?.[0]).toMatchObject({ hash, name: 'plan_.._v2.pdf' });
    const got = await b.files.open(chan, onB.files?.[0] as NonNullable<MessageView['files']>[number]);
    expect(await bytesOf(got)).toEqual(await bytesOf(file));
    await transfer(b.files, hash, 'local');
    expect((await b.files.list(chan)).map((f) => [f.messageId, f.file.name, f.authorName])).toEqual([
      [sent.id, 'plan_.._v2.pdf', 'Ada'],
    ]);

    // Bo offline: opens from his cache.
    b.setOnline(false);
    expect((await b.files.open(chan, onB.files?.[0] as NonNullable<MessageView['files']>[number])).size).toBe(200_000);
    ca2.close();
    cb.close();
    await a.close();
    await b.close();
  });

  it('a conversation kept offline downloads files as they arrive (waiting until the upload ends); my other device opens mine', async () => {
    const [ada, bo] = await Promise.all([relay.createUser('Ada'), relay.createUser('Bo')]);
    const a = await new Device('Ada', relay.url).signIn(ada);
    const a2 = await new Device('Ada laptop', relay.url).signIn(ada);
    const b = await new Device('Bo', relay.url).signIn(bo);
    const chan = await a.createConversation({ kind: 'channel', title: 'Photos', visibility: 'private', members: [bo.id] });
    await a.whenSettled();
    const cb = b.open(chan);
    await until(b.conversations, (l) => l.some((c) => c.id === chan), 'the channel on Bo');
    await cb.loadRecent();
    await b.files.keepOffline(chan, true);
    expect([...(await until(b.files.keptOffline, (k) => k.has(chan), 'kept'))]).toEqual([chan]);

    const ca = a.open(chan);
    await ca.loadRecent();
    const file = pdf(150_000, 5);
    const m = await ca.send('', { files: [{ file, name: 'scan.pdf' }] });
    const ref = (m.files ?? [])[0] as NonNullable<MessageView['files']>[number];
    // Bo never opens it: it is on his device once it is on the relay.
    await transfer(b.files, ref.hash, 'local');
    b.setOnline(false);
    expect(await bytesOf(await b.files.open(chan, ref))).toEqual(await bytesOf(file));
    expect(await until(b.files.cache, (c) => c.bytes >= 150_000, 'cache size')).toMatchObject({ limit: 1024 ** 3 });

    const ca2 = a2.open(chan);
    await ca2.loadRecent();
    await viewWhere(ca2, (v) => v.messages.some((x) => x.id === m.id));
    expect(await bytesOf(await a2.files.open(chan, ref))).toEqual(await bytesOf(file));
    ca.close();
    ca2.close();
    cb.close();
    await Promise.all([a.close(), a2.close(), b.close()]);
  });

  it('a file that arrives damaged is sent once more by itself, then stops with plain words', async () => {
    const ada = await relay.createUser('Ada');
    const a = await new Device('Ada', relay.url).signIn(ada);
    const chan = await a.createConversation({ kind: 'channel', title: 'Damaged', visibility: 'private', members: [] });
    const c = a.open(chan);
    await c.loadRecent();
    await a.whenSettled();
    a.setOnline(false);
    const m = await c.send('x', { files: [{ file: pdf(5000, 1), name: 'a.pdf' }] });
    const hash = (m.files ?? [])[0]?.hash as string;
    // The queued bytes change under the hash (a disk fault): the relay's check refuses them.
    const records = new FileRecords(a.store.db);
    const rec = await records.upload(hash);
    await records.putUpload({ ...(rec as NonNullable<typeof rec>), blob: pdf(5000, 2) });
    a.setOnline(true);
    const t = await transfer(a.files, hash, 'failed');
    expect(t).toMatchObject({ state: 'failed', retryable: true, error: expect.stringMatching(/arrived damaged twice/) });
    c.close();
    await a.close();
  });

  it('cancelling a queued upload deletes its message and empties the queue', async () => {
    const ada = await relay.createUser('Ada');
    const a = await new Device('Ada', relay.url).signIn(ada);
    const chan = await a.createConversation({ kind: 'channel', title: 'Oops', visibility: 'private', members: [] });
    const c = a.open(chan);
    await c.loadRecent();
    // Registered first: closing the client while its registration is in flight is another story.
    await a.whenSettled();
    a.setOnline(false);
    const m = await c.send('', { files: [{ file: pdf(1000, 9), name: 'wrong.pdf' }] });
    await until<SyncStatus>(a.sync, (s) => s.uploads?.count === 1, 'queued');
    await a.files.cancel(chan, m.id);
    await until<SyncStatus>(a.sync, (s) => !s.uploads, 'queue empty');
    const v = await viewWhere(c, (x) => x.messages.find((y) => y.id === m.id)?.deleted === true);
    expect(v.messages.find((y) => y.id === m.id)?.files ?? []).toEqual([]);
    c.close();
    await a.close();
  });
});

describe('files against a relay out of space for me', () => {
  let small: Relay;
  beforeAll(async () => {
    small = await startRelay({ args: ['--file-quota-user', '100000'] });
  });
  afterAll(async () => {
    await small?.stop();
    if (small) removeDir(small.dataDir);
  });

  it('my upload stops with what to do; the reader is told the file has not arrived yet', async () => {
    const [ada, bo] = await Promise.all([small.createUser('Ada'), small.createUser('Bo')]);
    const a = await new Device('Ada', small.url).signIn(ada);
    const b = await new Device('Bo', small.url).signIn(bo);
    const chan = await a.createConversation({ kind: 'channel', title: 'Big', visibility: 'private', members: [bo.id] });
    const ca = a.open(chan);
    await ca.loadRecent();
    const m = await ca.send('here', { files: [{ file: pdf(200_000, 4), name: 'big.pdf' }] });
    const ref = (m.files ?? [])[0] as NonNullable<MessageView['files']>[number];
    const failed = await transfer(a.files, ref.hash, 'failed');
    expect(failed).toMatchObject({ retryable: true, error: expect.stringMatching(/space for files.*Ask your admin/) });
    expect((await until<SyncStatus>(a.sync, () => true, 'status')).uploads ?? null).toBeNull();

    const cb = b.open(chan);
    await until(b.conversations, (l) => l.some((c) => c.id === chan), 'the channel on Bo');
    await cb.loadRecent();
    await viewWhere(cb, (v) => v.messages.some((x) => x.id === m.id));
    await expect(b.files.open(chan, ref)).rejects.toMatchObject({ code: 'waiting' });
    await transfer(b.files, ref.hash, 'waiting');
    ca.close();
    cb.close();
    await Promise.all([a.close(), b.close()]);
  });
});
