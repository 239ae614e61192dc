// Test harness: a REAL relay process (sync-server/dist/ferry-relay.mjs, the compiled relay) on
// an ephemeral port with a temp data dir, and Ferry clients over fake-indexeddb and `ws`. Tests run under Node, so this file
// (and only this one) uses Node's child_process/fs, which the renderer itself never may.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocksLike } from '../../src/data/node';
import 'fake-indexeddb/auto';

// Every stock WebsocketProvider adds a process 'exit' listener under Node; many docs are normal here.
process.setMaxListeners(0);
import { IDBFactory } from 'fake-indexeddb';
import WebSocket from 'ws';
import { browserBackend, type BrowserEnv } from '../../src/data/browser-backend';
import { createFerryClient, saveSession } from '../../src/data/client';
import type { Client } from '../../src/data/client';
import type { ConversationStore, ConversationSummary, ConversationView, WorkspaceRole } from '../../src/data/api';
import type { SecretStore } from '../../src/data/accounts';
import type { Backend } from '../../src/ui/backend';
import { decodeFrame } from '../../../core/src/protocol/mux-frames';

export interface Relay {
  url: string;
  port: number;
  dataDir: string;
  /** With accounts (the default): the first admin's access token (set up on start). */
  adminToken: string;
  stop(): Promise<void>;
  /** Starts the relay again on the same port and data dir. */
  restart(): Promise<void>;
  /** Creates an account through the relay's admin API. */
  createUser(name: string, role?: WorkspaceRole): Promise<TestUser>;
  /** Calls the relay's HTTP API as the admin (or with `token`); resolves with status and body. */
  api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: unknown }>;
}

export interface TestUser {
  id: string;
  username: string;
  displayName: string;
  password: string;
}

const ADMIN_PASSWORD = 'admin-password-1';

/** Cheap argon2 for tests (as sync-server/test/helpers.ts). */
const TEST_ARGON2 = { FERRY_ARGON2_MEMORY: '1024', FERRY_ARGON2_TIME: '1' };

const root = new URL('../../../', import.meta.url).pathname;

function launch(
  dataDir: string,
  port: number,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(
    process.execPath,
    [
      // The compiled relay, built by the global setup (sync-server/test/global-setup.ts).
      'sync-server/dist/ferry-relay.mjs',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data',
      dataDir,
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...TEST_ARGON2, ...env } },
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

/**
 * One relay for the test file: started before its first test, stopped and removed after the
 * last. The returned getter works inside the tests.
 */
export function useRelay(opts: Parameters<typeof startRelay>[0] = {}): () => Relay {
  let relay: Relay | null = null;
  beforeAll(async () => {
    relay = await startRelay(opts);
  });
  afterAll(async () => {
    await relay?.stop();
    if (relay) removeDir(relay.dataDir);
    relay = null;
  });
  return () => {
    if (!relay) throw new Error('useRelay(): the relay runs only inside the tests of its file');
    return relay;
  };
}

/**
 * Starts the relay. With accounts (`auth`, the default) the first admin is set up through
 * `POST /setup`; without, it runs `--no-auth` (the previous release's workspace mode).
 */
export async function startRelay(
  opts: { auth?: boolean; args?: string[]; env?: Record<string, string> } = {},
): Promise<Relay> {
  const auth = opts.auth ?? true;
  // Every device of a test signs in from 127.0.0.1: per-address limits as for a whole office.
  const limits = ['--limit-api-address', '1000/100/s', '--limit-upgrades-address', '1000/100/s'];
  const args = [...(auth ? limits : ['--no-auth']), ...(opts.args ?? [])];
  const dataDir = mkdtempSync(join(tmpdir(), 'ferry-data-test-'));
  const first = await launch(dataDir, 0, args, opts.env);
  const port = first.port;
  let proc = first.proc;
  const stopProc = (p: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (p.exitCode !== null) return resolve();
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  const url = `http://127.0.0.1:${port}`;
  const api: Relay['api'] = async (method, path, body, token) => {
    const r = await call(method, path, body, token);
    if (r.status !== 401 || token !== undefined || !relay.adminToken) return r;
    // The admin's token expired (relays run with a short --access-token-ttl): sign in again.
    const login = await call('POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD }, '');
    relay.adminToken = (login.body as { accessToken: string }).accessToken;
    return call(method, path, body, token);
  };
  const call: Relay['api'] = async (method, path, body, token) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: {
        'Content-Type': 'application/json',
        ...((token ?? relay.adminToken) ? { Authorization: `Bearer ${token ?? relay.adminToken}` } : {}),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
  let users = 0;
  const relay: Relay = {
    url,
    port,
    dataDir,
    adminToken: '',
    stop: () => stopProc(proc),
    async restart() {
      await stopProc(proc);
      proc = (await launch(dataDir, port, args, opts.env)).proc;
    },
    api,
    async createUser(name, role = 'member') {
      const username = `${name.toLowerCase().replace(/[^a-z0-9]/g, '')}${++users}`;
      const password = `pw-${username}-long-enough`;
      const r = await api('POST', '/admin/users', { username, displayName: name, password, role });
      if (r.status !== 201) throw new Error(`createUser ${username}: ${r.status} ${JSON.stringify(r.body)}`);
      const user = (r.body as { user: { id: string } }).user;
      // A password an admin chose must be replaced at first sign-in (issue 12): the person does
      // that once, as they would, and the test goes on with their own password.
      const own = `${password}-own`;
      const login = await call('POST', '/auth/login', { username, password }, '');
      const token = (login.body as { accessToken?: string } | undefined)?.accessToken;
      if (login.status !== 200 || !token) throw new Error(`createUser ${username}: sign-in ${login.status}`);
      const changed = await call('POST', '/me/password', { currentPassword: password, newPassword: own }, token);
      if (changed.status !== 204) throw new Error(`createUser ${username}: ${changed.status} ${JSON.stringify(changed.body)}`);
      await call('POST', '/auth/logout', {}, token);
      return { id: user.id, username, displayName: name, password: own };
    },
  };
  if (auth) {
    const r = await api('POST', '/setup', { username: 'admin', displayName: 'Admin', password: ADMIN_PASSWORD });
    if (r.status !== 201) throw new Error(`setup: ${r.status} ${JSON.stringify(r.body)}`);
    relay.adminToken = (r.body as { accessToken: string }).accessToken;
  }
  return relay;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Secrets as the desktop's safeStorage keeps them: per device, outside IndexedDB. */
export class MemorySecrets implements SecretStore {
  readonly values = new Map<string, string>();
  async get(key: string): Promise<string | null> {
    return this.values.get(key) ?? null;
  }
  async set(key: string, value: string | null): Promise<void> {
    if (value === null) this.values.delete(key);
    else this.values.set(key, value);
  }
}

/** One device: its own IndexedDB, its own session; `start()` is opening the app. */
export class Device {
  readonly idb = new IDBFactory();
  readonly secrets = new MemorySecrets();
  userId = '';

  constructor(
    readonly name: string,
    public serverUrl: string,
  ) {}

  /** Real sockets this device opened. */
  sockets = 0;

  /** The WebSocket class of this device (counts real sockets; `blocked` refuses to dial). */
  blocked = false;

  private holding: { room: (room: string) => boolean; frames: Array<() => void>; first: () => void } | null = null;

  /**
   * A slow room, for real: frames the relay sends for rooms `room` matches wait on this device
   * until `release()` delivers them in order (other rooms flow). `held` resolves on the first.
   */
  hold(room: (room: string) => boolean): { held: Promise<void>; release: () => void } {
    let first = () => {};
    const held = new Promise<void>((resolve) => (first = resolve));
    const h = { room, frames: [] as Array<() => void>, first };
    this.holding = h;
    return {
      held,
      release: () => {
        if (this.holding === h) this.holding = null;
        for (const deliver of h.frames.splice(0)) deliver();
      },
    };
  }

  private roomOfFrame(data: unknown): string | null {
    try {
      const bytes =
        data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null;
      return bytes ? decodeFrame(bytes).room : null;
    } catch {
      return null;
    }
  }

  private socketClass(): unknown {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- counted from the socket class
    const device = this;
    return class CountingWebSocket extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(device.blocked ? 'ws://127.0.0.1:1/' : url, protocols);
        device.sockets++;
      }
      override emit(event: string | symbol, ...args: unknown[]): boolean {
        const h = device.holding;
        if (h && event === 'message') {
          const room = device.roomOfFrame(args[0]);
          if (room !== null && h.room(room)) {
            h.frames.push(() => super.emit(event, ...args));
            h.first();
            return true;
          }
        }
        return super.emit(event, ...args);
      }
    };
  }

  /** The app's Backend on this device (accounts). */
  backend(opts: { events?: EventTarget; online?: boolean; now?: () => number; locks?: SharedLocks } = {}): Backend {
    return browserBackend({
      indexedDB: this.idb,
      WebSocket: this.socketClass(),
      secrets: this.secrets,
      fetch: (input, init) => (this.blocked ? Promise.reject(new TypeError('fetch failed')) : fetch(input, init)),
      device: `test ${this.name}`,
      ...(opts.events ? { events: opts.events } : {}),
      ...(opts.online === undefined ? {} : { online: opts.online }),
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.locks ? { locks: opts.locks as unknown as NonNullable<BrowserEnv['locks']> } : {}),
    });
  }

  /** Signs in as `user` (the sign-in screen); throws with the relay's message on failure. */
  async signIn(user: TestUser, opts: { events?: EventTarget; choosePassword?: string } = {}): Promise<Client> {
    let r = await this.backend(opts).signIn({ serverUrl: this.serverUrl, username: user.username, password: user.password });
    // A password an admin chose: the "Choose your own password" step, as the app shows it.
    if (!r.ok && r.code === 'password-change-required' && opts.choosePassword && r.changePassword) {
      r = await r.changePassword(opts.choosePassword);
    }
    if (!r.ok) throw new Error(`sign-in failed: ${r.code} ${r.message}`);
    this.userId = user.id;
    return r.client as Client;
  }

  /** Opens the app with the kept session (no network needed); null when signed out. */
  async restore(opts: { events?: EventTarget; online?: boolean } = {}): Promise<Client | null> {
    return (await this.backend(opts).restore()) as Client | null;
  }

  async start(
    opts: {
      relay?: boolean;
      now?: () => number;
      events?: EventTarget;
      mux?: boolean;
      locks?: LocksLike;
    } = {},
  ): Promise<Client> {
    const session = await saveSession(this.idb, { serverUrl: this.serverUrl, displayName: this.name });
    this.userId = session.userId;
    const client = await createFerryClient({
      session,
      indexedDB: this.idb,
      ...(opts.relay === false ? {} : { WebSocket: this.socketClass() }),
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

/**
 * Web Locks as two windows of one origin share them: `request(name, callback)` waits its turn,
 * `request(name, { ifAvailable: true }, callback)` gets null when the lock is taken.
 */
export class SharedLocks {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly held = new Set<string>();

  request(name: string, ...args: unknown[]): Promise<unknown> {
    const callback = args[args.length - 1] as (lock: unknown) => unknown;
    const ifAvailable = args.length > 1 && (args[0] as { ifAvailable?: boolean }).ifAvailable === true;
    if (ifAvailable && this.held.has(name)) return Promise.resolve(callback(null));
    const prev = this.tails.get(name) ?? Promise.resolve();
    const run = prev.then(async () => {
      this.held.add(name);
      try {
        return await callback({ name });
      } finally {
        this.held.delete(name);
      }
    });
    this.tails.set(
      name,
      run.catch(() => undefined),
    );
    return run;
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

/** Resolves with the first conversation list that satisfies `pred`. */
export function listWhere(
  client: { conversations: (l: (v: ConversationSummary[]) => void) => () => void },
  pred: (v: ConversationSummary[]) => boolean,
  timeoutMs = 15_000,
): Promise<ConversationSummary[]> {
  return new Promise((resolve, reject) => {
    let off: () => void = () => {};
    let last: ConversationSummary[] = [];
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(
          `list never matched; last [title, removed, registered, last message, unread]: ${JSON.stringify(
            last.map((c) => [c.title, c.removed, c.registered, c.lastMessage?.text ?? null, c.unread]),
          )}`,
        ),
      );
    }, timeoutMs);
    off = client.conversations((v) => {
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
