// Test helpers: a real relay process on port 0 with a temp data dir, stock y-websocket clients.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as decoding from 'lib0/decoding';
import pg from 'pg';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
/** The compiled relay (built by the global setup), run with plain node as production does. */
export const RELAY_BUNDLE = path.join(repoRoot, 'sync-server/dist/ferry-relay.mjs');

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export class RelayProcess {
  url = '';
  port = 0;
  http = '';
  readonly logs: LogLine[] = [];
  stderr = '';
  private waiters: Array<{ pred: (l: LogLine) => boolean; resolve: (l: LogLine) => void }> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly proc: ChildProcessWithoutNullStreams,
    readonly dataDir: string,
  ) {
    let buffer = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      buffer += chunk;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const text = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          continue;
        }
        this.logs.push(line);
        changed();
        this.waiters = this.waiters.filter((w) => {
          if (!w.pred(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    });
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Resolves with the first log line (past or future) that matches. */
  waitForLog(pred: (l: LogLine) => boolean): Promise<LogLine> {
    const seen = this.logs.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      this.waiters.push({ pred, resolve });
      void this.exited.then(() =>
        reject(new Error(`relay exited before the expected log line; stderr: ${this.stderr}`)),
      );
    });
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM') {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

export function tempDir(prefix = 'ferry-relay-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Cheap argon2 for tests (the relay's default is OWASP's m=19456, t=2). */
export const TEST_ARGON2 = { FERRY_ARGON2_MEMORY: '1024', FERRY_ARGON2_TIME: '1' };

/**
 * Starts `ferry-relay serve` on port 0 and waits for its "listening" line. Without accounts
 * (`--no-auth`) unless `auth: true`; either way with cheap argon2 parameters.
 */
export async function startRelayProcess(
  dataDir: string,
  args: string[] = [],
  options: { auth?: boolean; env?: Record<string, string> } = {},
): Promise<RelayProcess> {
  const authArgs = options.auth ? [] : ['--no-auth'];
  // Exploration mode: FERRY_TEST_POSTGRES=postgres://…/postgres runs every relay process of
  // these tests on a fresh PostgreSQL database (tests that read ferry.db directly then fail).
  const pgAdmin = process.env.FERRY_TEST_POSTGRES;
  if (pgAdmin && !args.includes('--database')) {
    const name = `t_${process.pid}_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    const c = new pg.Client({ connectionString: pgAdmin });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await c.end();
    args = [...args, '--database', pgAdmin.replace(/\/[^/]*$/, `/${name}`)];
  }
  const proc = spawn(
    process.execPath,
    [
      RELAY_BUNDLE,
      ...['--host', '127.0.0.1', '--port', '0', '--data', dataDir],
      ...authArgs,
      ...args,
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, FERRY_LOG_LEVEL: 'debug', ...TEST_ARGON2, ...options.env },
    },
  );
  const relay = new RelayProcess(proc, dataDir);
  const line = await relay.waitForLog((l) => l.msg === 'listening');
  relay.url = String(line.url);
  relay.port = Number(line.port);
  relay.http = `http://127.0.0.1:${relay.port}`;
  return relay;
}

export interface Client {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** The relay's state vector from its latest sync step 1 (its durable acknowledgement). */
  relayState: () => Map<number, number>;
  destroy(): void;
}

/** A stock WebsocketProvider on `ws`, plus a tap on the relay's sync step 1 messages. */
export function client(
  url: string,
  room: string,
  options: { doc?: Y.Doc; WebSocketPolyfill?: unknown; connect?: boolean } = {},
): Client {
  const doc = options.doc ?? new Y.Doc();
  const provider = new WebsocketProvider(url, room, doc, {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- ws satisfies the browser WebSocket surface the provider uses, but not its type
    WebSocketPolyfill: (options.WebSocketPolyfill ?? WebSocket) as any,
    disableBc: true,
    connect: options.connect ?? true,
  });
  let state = new Map<number, number>();
  const syncHandler = provider.messageHandlers[0];
  if (!syncHandler) throw new Error('y-websocket has no sync handler');
  provider.messageHandlers[0] = (encoder, decoder, p, emitSynced, type) => {
    const peek = decoding.clone(decoder);
    if (decoding.readVarUint(peek) === 0)
      state = Y.decodeStateVector(decoding.readVarUint8Array(peek));
    syncHandler(encoder, decoder, p, emitSynced, type);
    changed();
  };
  doc.on('update', changed);
  provider.on('status', changed);
  provider.on('sync', changed);
  provider.on('connection-close', changed);
  provider.awareness.on('change', changed);
  return {
    doc,
    provider,
    relayState: () => state,
    destroy() {
      provider.destroy();
      doc.destroy();
    },
  };
}

// Things tests wait for change on events: a doc update, a provider status, a relay ack, a
// frame on a raw socket. Each calls `changed()`, and `until` re-checks its condition then.
const waiters = new Set<() => void>();

/** Wakes every `until` to re-check its condition. */
export function changed(): void {
  for (const wake of [...waiters]) wake();
}

/**
 * Resolves when `pred()` is true, re-checking on every `changed()` event. A slow heartbeat
 * (250 ms) also re-checks, for state no event announces (e.g. a socket's readyState).
 */
export async function until(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, 250);
      waiters.add(wake);
    });
  }
}

export function synced(c: Client): Promise<void> {
  if (c.provider.synced) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (s: boolean) => {
      if (!s) return;
      c.provider.off('sync', on);
      resolve();
    };
    c.provider.on('sync', on);
  });
}

/** True when the relay's last acknowledged state covers everything in `doc`. */
export function stored(c: Client): boolean {
  const mine = Y.decodeStateVector(Y.encodeStateVector(c.doc));
  const relay = c.relayState();
  for (const [id, clock] of mine) if ((relay.get(id) ?? 0) < clock) return false;
  return true;
}

/**
 * True when the relay acknowledged this client's own writes (what the app's "stored" mark
 * means). With several nodes, updates of other nodes' clients arrive after the last ack, so
 * `stored` (every clientID) may stay false while everything of this client is durable.
 */
export function storedOwn(c: Client): boolean {
  const mine = Y.getState(c.doc.store, c.doc.clientID);
  return (c.relayState().get(c.doc.clientID) ?? 0) >= mine;
}

export async function getJson(
  url: string,
): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text };
}
