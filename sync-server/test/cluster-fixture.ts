// Several relay nodes for tests (issue 14): real `ferry-relay serve` processes sharing one
// PostgreSQL database and one Redis, each with its own data directory, behind a small TCP
// front that does what a load balancer does (round robin over the nodes that accept a
// connection). Clients take the front's URL, or one node's to pin where they land.
import net from 'node:net';
import pg from 'pg';
import type * as Y from 'yjs';
import type { MuxConnection } from '../../core/src/protocol/mux-client';
import { api, login, type ApiResponse, type Tokens } from './accounts-helpers';
import { PASSWORD, muxTo, providerOn, type TestUser } from './authz-fixture';
import {
  changed,
  removeDir,
  startRelayProcess,
  tempDir,
  type Client,
  type RelayProcess,
} from './helpers';

export interface ClusterOptions {
  database: string;
  redis: string;
  nodes?: number;
  /** More flags for every node. Without `--blobs`, the nodes share a temporary directory. */
  args?: string[];
  env?: Record<string, string>;
}

/** A TCP front: each connection goes to the next node that accepts it. */
export class Front {
  private readonly server: net.Server;
  private next = 0;
  readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly backends: () => number[]) {
    this.server = net.createServer((socket) => this.route(socket, 0));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get http(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private route(socket: net.Socket, tried: number): void {
    const ports = this.backends();
    if (tried >= ports.length) {
      socket.destroy();
      return;
    }
    const port = ports[this.next++ % ports.length]!;
    const upstream = net.connect(port, '127.0.0.1');
    socket.pause();
    upstream.once('connect', () => {
      upstream.pipe(socket);
      socket.pipe(upstream);
      socket.resume();
    });
    upstream.once('error', () => {
      if (upstream.connecting || upstream.bytesWritten === 0) {
        upstream.destroy();
        this.route(socket, tried + 1);
      } else socket.destroy();
    });
    upstream.once('close', () => socket.destroy());
    socket.once('close', () => upstream.destroy());
    socket.on('error', () => upstream.destroy());
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class Cluster {
  readonly nodes: Array<RelayProcess | null> = [];
  readonly dirs: string[] = [];
  /** The files directory the nodes share (when no --blobs was given). */
  readonly filesDir: string | null;
  readonly clients: Client[] = [];
  readonly muxes: MuxConnection[] = [];
  readonly front: Front;
  admin!: TestUser;
  private db: pg.Client | null = null;

  private constructor(readonly options: ClusterOptions) {
    this.filesDir = options.args?.includes('--blobs') ? null : tempDir('ferry-files-');
    this.front = new Front(() => this.nodes.flatMap((n) => (n ? [n.port] : [])));
  }

  static async start(options: ClusterOptions): Promise<Cluster> {
    const c = new Cluster(options);
    await c.front.listen();
    const n = options.nodes ?? 3;
    for (let i = 0; i < n; i++) c.dirs.push(tempDir(`ferry-node${i}-`));
    // One after another: the first migrates, the others find the schema current (starting all
    // at once works too; the storage suite tests that).
    for (let i = 0; i < n; i++) c.nodes.push(await c.startNode(i));
    const r = await api<Tokens>(c.node(0).http, 'POST', '/setup', {
      body: { username: 'admin', password: PASSWORD, displayName: 'Admin' },
    });
    if (r.status !== 201) throw new Error(`setup: ${r.status} ${JSON.stringify(r.body)}`);
    c.admin = { ...r.body, id: r.body.user.id, username: 'admin', password: PASSWORD };
    return c;
  }

  private startNode(i: number): Promise<RelayProcess> {
    const { database, redis, args = [], env = {} } = this.options;
    const files = this.filesDir ? ['--blobs', this.filesDir] : [];
    return startRelayProcess(
      this.dirs[i]!,
      ['--database', database, '--redis', redis, '--node-id', `node${i}`, ...files, ...args],
      { auth: true, env },
    );
  }

  node(i: number): RelayProcess {
    const n = this.nodes[i];
    if (!n) throw new Error(`node ${i} is not running`);
    return n;
  }

  /** kill -9 of node i. */
  async kill(i: number): Promise<void> {
    const n = this.node(i);
    this.nodes[i] = null;
    await n.stop('SIGKILL');
    changed();
  }

  async restart(i: number): Promise<void> {
    this.nodes[i] = await this.startNode(i);
  }

  /** Creates a user through node `via`'s admin API and signs them in (password changed). */
  async user(username: string, via = 0): Promise<TestUser> {
    const base = this.node(via).http;
    const given = `${PASSWORD}-given`;
    const r = await api(base, 'POST', '/admin/users', {
      token: this.admin.accessToken,
      body: { username, role: 'member', password: given, displayName: username },
    });
    if (r.status !== 201) throw new Error(`create ${username}: ${r.status}`);
    const first = await login(base, username, given);
    const changedPw = await api(base, 'POST', '/me/password', {
      token: first.accessToken,
      body: { currentPassword: given, newPassword: PASSWORD },
    });
    if (changedPw.status !== 204) throw new Error(`password of ${username}: ${changedPw.status}`);
    return { ...first, id: first.user.id, username, password: PASSWORD };
  }

  call<T = Record<string, unknown>>(
    via: number,
    method: string,
    route: string,
    as: TestUser,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    return api<T>(this.node(via).http, method, route, {
      token: as.accessToken,
      ...(body !== undefined ? { body } : {}),
    });
  }

  /** A mux connection of `user` to node `at`, or through the front when `at` is 'front'. */
  mux(as: TestUser, at: number | 'front'): MuxConnection {
    const m = muxTo(at === 'front' ? this.front.url : this.node(at).url, as);
    this.muxes.push(m);
    return m;
  }

  /** A stock provider for `room` on a mux connection. */
  onMux(m: MuxConnection, room: string, doc?: Y.Doc): Client {
    const c = providerOn(m, room, doc);
    this.clients.push(c);
    return c;
  }

  /** Rows from the shared database (its own connection). */
  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (!this.db) {
      this.db = new pg.Client({ connectionString: this.options.database });
      this.db.on('error', () => {});
      await this.db.connect();
    }
    return (await this.db.query(sql, params)).rows as T[];
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.destroy();
    for (const m of this.muxes) m.destroy();
    await this.db?.end().catch(() => {});
    await Promise.all(this.nodes.map((n) => n?.stop('SIGKILL')));
    await this.front.close();
    for (const d of this.dirs) removeDir(d);
    if (this.filesDir) removeDir(this.filesDir);
  }
}
