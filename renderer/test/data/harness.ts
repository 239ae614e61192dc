// Test harness: a REAL relay process (sync-server/src/cli.ts) on an ephemeral port with a temp
// data dir, and Ferry clients over fake-indexeddb and `ws`. Tests run under Node, so this file
// (and only this one) uses Node's child_process/fs, which the renderer itself never may.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocksLike } from '../../src/data/node';
import 'fake-indexeddb/auto';

// Every stock WebsocketProvider adds a process 'exit' listener under Node; many docs are normal here.
process.setMaxListeners(0);
import { IDBFactory } from 'fake-indexeddb';
import WebSocket from 'ws';
import { createFerryClient, saveSession } from '../../src/data/client';
import type { Client } from '../../src/data/client';
import type { ConversationStore, ConversationView } from '../../src/data/api';

export interface Relay {
  url: string;
  port: number;
  dataDir: string;
  stop(): Promise<void>;
  /** Starts the relay again on the same port and data dir. */
  restart(): Promise<void>;
}

const root = new URL('../../../', import.meta.url).pathname;

function launch(dataDir: string, port: number): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', 'sync-server/src/cli.ts', '--host', '127.0.0.1', '--port', String(port), '--data', dataDir],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    proc.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (const line of buf.split('\n')) {
        if (!line.includes('"listening"')) continue;
        const m = /"port":(\d+)/.exec(line);
        if (m) resolve({ proc, port: Number(m[1]) });
      }
    });
    proc.on('exit', (code) => reject(new Error(`relay exited with ${code}: ${err.slice(0, 500)}`)));
  });
}

export async function startRelay(): Promise<Relay> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-data-test-'));
  const first = await launch(dataDir, 0);
  const port = first.port;
  let proc = first.proc;
  const stopProc = (p: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (p.exitCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  const relay: Relay = {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    stop: () => stopProc(proc),
    async restart() {
      await stopProc(proc);
      proc = (await launch(dataDir, port)).proc;
    },
  };
  return relay;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** One device: its own IndexedDB, its own session; `start()` is opening the app. */
export class Device {
  readonly idb = new IDBFactory();
  userId = '';

  constructor(
    readonly name: string,
    public serverUrl: string,
  ) {}

  /** Real sockets this device opened. */
  sockets = 0;

  async start(
    opts: {
      relay?: boolean;
      now?: () => number;
      events?: EventTarget;
      mux?: boolean;
      locks?: LocksLike;
    } = {},
  ): Promise<Client> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- counted from the socket class
    const device = this;
    class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        device.sockets++;
      }
    }
    const session = await saveSession(this.idb, { serverUrl: this.serverUrl, displayName: this.name });
    this.userId = session.userId;
    const client = await createFerryClient({
      session,
      indexedDB: this.idb,
      ...(opts.relay === false ? {} : { WebSocket: CountingWebSocket }),
      ...(opts.events ? { events: opts.events } : {}),
      ...(opts.mux === undefined ? {} : { mux: opts.mux }),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.locks ? { locks: opts.locks } : {}),
    });
    return client as Client;
  }
}

/** Web Locks' `ifAvailable` requests as a browser grants them within one origin (Node has none). */
export class MemoryLocks implements LocksLike {
  private readonly held = new Set<string>();

  async request(
    name: string,
    _options: { ifAvailable: true },
    callback: (lock: unknown) => Promise<void> | void,
  ): Promise<unknown> {
    if (this.held.has(name)) return callback(null);
    this.held.add(name);
    try {
      return await callback({ name });
    } finally {
      this.held.delete(name);
    }
  }
}

/** Resolves with the first view that satisfies `pred` (each change is an event; no sleeps). */
export function viewWhere(
  conv: ConversationStore,
  pred: (v: ConversationView) => boolean,
  timeoutMs = 15_000,
): Promise<ConversationView> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => {};
    const timer = setTimeout(() => {
      off();
      reject(new Error(`view never matched; last: ${JSON.stringify(last?.messages.map((m) => [m.text, m.delivery]))}`));
    }, timeoutMs);
    let last: ConversationView | null = null;
    off = conv.observe((v) => {
      last = v;
      if (pred(v)) {
        clearTimeout(timer);
        queueMicrotask(() => off());
        resolve(v);
      }
    });
  });
}

export function texts(v: ConversationView): string[] {
  return v.messages.map((m) => (m.deleted ? '<deleted>' : m.text));
}
