// Relay configuration: defaults < JSON config file < environment (FERRY_*) < flags.
// Every value is validated at start; each wrong value gets its own line in one error.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseS3Url } from './blobs/s3-url';
import { parseBucketSpec } from './limits';
import { parseIdentityConfig, type IdentityConfig } from './identity/config';

/** When an update counts as stored (RelayConfig.durability). */
export type Durability = 'full' | 'process';

export interface RelayConfig {
  host: string;
  port: number;
  data: string;
  /** PostgreSQL URL shared by several nodes (docs/scale-out.md); null: SQLite in `data`. */
  database: string | null;
  /** Redis URL: how the nodes of one relay tell each other about commits; null: one node. */
  redis: string | null;
  /** This node's name in logs, metrics and cross-node messages (default host:pid). */
  nodeId: string | null;
  web: string | null;
  /** Desktop app update feed (electron-updater generic provider) served at /updates/. */
  updates: string | null;
  tlsCert: string | null;
  tlsKey: string | null;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  roomIdleMs: number;
  awarenessBatchMs: number;
  ackIntervalMs: number;
  maxRoomsPerSocket: number;
  /** Rooms one user may hold open over all their sockets (plain and mux). */
  maxRoomsPerUser: number;
  /** Sockets one user may hold open at once. */
  maxSocketsPerUser: number;
  pingIntervalMs: number;
  compactAfter: number;
  drainTimeoutMs: number;
  logLevel: string;
  /** Test only: delay every room load by this many ms (to prove no sync is answered early). */
  debugLoadDelayMs: number;
  /** Test only: cap the database at this many pages, so writes fail as on a full disk. */
  debugDbMaxPages: number;
  /** SQLite, durability full: fsync the WAL on the event loop instead of the thread pool. */
  walSyncInline: boolean;
  // Accounts (docs/accounts.md).
  /** Serve without accounts (benchmarks, interop tests): loopback only. */
  noAuth: boolean;
  /** Access token lifetime in seconds. */
  accessTokenTtl: number;
  /** A session ends this many seconds after its last refresh. */
  sessionIdleTtl: number;
  /** A session ends this many seconds after login. */
  sessionMaxTtl: number;
  /** argon2id memory in KiB and passes (OWASP: 19456, 2). */
  argon2Memory: number;
  argon2Time: number;
  /** Sign-in backoff base (ms; doubles per failure after the 5th) and lock time (ms). */
  loginBackoffMs: number;
  loginLockMs: number;
  /** Token buckets, "BURST/RATE/s" or "BURST/RATE/min" (see limits.ts). */
  limitApiAddress: string;
  limitLoginUsername: string;
  limitApiUser: string;
  limitUpgradesAddress: string;
  limitUpgradesUser: string;
  limitUpdatesUser: string;
  /** Bytes of document updates per user (the update count alone lets few large ones through). */
  limitUpdateBytesUser: string;
  /** New Yjs clientIDs bound per user (each is a row in the database). */
  limitClientIdsUser: string;
  // Files (docs/attachments.md).
  /** Largest file one upload may be, in bytes. */
  maxFileBytes: number;
  /** Bytes of files one user may hold on the relay (stored plus in progress). */
  fileQuotaUser: number;
  /** Bytes of files the relay may hold in all; 0: no limit but the disk's free space. */
  fileQuotaTotal: number;
  /** Uploads one user may have in progress at once. */
  maxUploadsUser: number;
  /** A file no stored message references is deleted this long after the last reference went (ms). */
  fileGraceMs: number;
  /** Bytes of awareness states per user. */
  limitAwarenessUser: string;
  /** WebSocket frames per user, of every kind (opens, syncs, awareness, queries). */
  limitFramesUser: string;
  /** Behind a reverse proxy on loopback: take the client's address from X-Forwarded-For. */
  trustProxy: boolean;
  /** A bearer token that may read /metrics from anywhere (loopback needs none); null = none. */
  metricsToken: string | null;
  /** Serve /metrics to anyone who reaches the port (the pre-issue-10 behaviour). */
  metricsPublic: boolean;
  // Files on S3-compatible storage (docs/scale-out.md); null: the filesystem under --data.
  /** `s3://bucket[/prefix]`, or null for `<data>/files`. */
  blobs: string | null;
  s3Endpoint: string | null;
  s3Region: string | null;
  s3ForcePathStyle: boolean;
  /** Never logged; also taken from AWS_ACCESS_KEY_ID etc. by the SDK when unset. */
  s3AccessKeyId: string | null;
  s3SecretAccessKey: string | null;
  /**
   * When an update is acknowledged (issue 16): 'full' once it is on disk (fsync, the default);
   * 'process' once it is in the database's log without waiting for the disk, durable against a
   * crash of the relay but not of the machine (SQLite synchronous=NORMAL in WAL mode,
   * PostgreSQL synchronous_commit=off).
   */
  durability: Durability;
  /** Company sign-in (docs/identity.md): only in the config file; null: local accounts only. */
  identity: IdentityConfig | null;
}

type Kind = 'string' | 'int' | 'path' | 'level' | 'bool' | 'bucket' | 'durability';

interface Option {
  key: keyof RelayConfig;
  flag: string;
  kind: Kind;
  min?: number;
  help: string;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const defaultWeb = path.join(repoRoot, 'dist/renderer');

export const OPTIONS: Option[] = [
  { key: 'host', flag: 'host', kind: 'string', help: 'address to listen on (default 127.0.0.1)' },
  { key: 'port', flag: 'port', kind: 'int', min: 0, help: 'TCP port, 0 = any free (default 7880)' },
  { key: 'data', flag: 'data', kind: 'path', help: 'data directory (default ./data)' },
  {
    key: 'database',
    flag: 'database',
    kind: 'string',
    help: 'postgres://… shared by several relay nodes (default: SQLite in the data directory)',
  },
  {
    key: 'redis',
    flag: 'redis',
    kind: 'string',
    help: 'redis://… through which several relay nodes forward updates (needs --database)',
  },
  {
    key: 'nodeId',
    flag: 'node-id',
    kind: 'string',
    help: "this node's name in logs and metrics (default <hostname>:<pid>)",
  },
  {
    key: 'web',
    flag: 'web',
    kind: 'path',
    help: 'built web client to serve at / (default <repo>/dist/renderer if present)',
  },
  {
    key: 'updates',
    flag: 'updates',
    kind: 'path',
    help: 'desktop app update feed (latest*.yml and installers) to serve at /updates/ (default none)',
  },
  { key: 'tlsCert', flag: 'tls-cert', kind: 'path', help: 'PEM certificate: serve https/wss' },
  { key: 'tlsKey', flag: 'tls-key', kind: 'path', help: 'PEM private key for --tls-cert' },
  {
    key: 'maxFrameBytes',
    flag: 'max-frame-bytes',
    kind: 'int',
    min: 1024,
    help: 'largest WebSocket frame accepted; larger closes with 1009 (default 8388608)',
  },
  {
    key: 'maxBufferedBytes',
    flag: 'max-buffered-bytes',
    kind: 'int',
    min: 1024,
    help: 'send buffer per socket; a consumer slower than this is dropped (default 16777216)',
  },
  {
    key: 'roomIdleMs',
    flag: 'room-idle-ms',
    kind: 'int',
    min: 0,
    help: 'unload a room this long after its last client left (default 30000)',
  },
  {
    key: 'awarenessBatchMs',
    flag: 'awareness-batch-ms',
    kind: 'int',
    min: 0,
    help: 'collect awareness changes this long before fanning them out (default 50)',
  },
  {
    key: 'pingIntervalMs',
    flag: 'ping-interval-ms',
    kind: 'int',
    min: 0,
    help: 'ping every socket this often; one that missed the last pong is dropped (default 30000, 0 = off)',
  },
  {
    key: 'maxRoomsPerSocket',
    flag: 'max-rooms-per-socket',
    kind: 'int',
    min: 1,
    help: 'rooms one /_mux socket may hold open; more are refused with 4413 (default 5000)',
  },
  {
    key: 'maxRoomsPerUser',
    flag: 'max-rooms-per-user',
    kind: 'int',
    min: 1,
    help: 'rooms one user may hold open over all sockets; more are refused with 4413 (default 10000)',
  },
  {
    key: 'maxSocketsPerUser',
    flag: 'max-sockets-per-user',
    kind: 'int',
    min: 1,
    help: 'sockets one user may hold open at once; more are refused with HTTP 429 (default 32)',
  },
  {
    key: 'ackIntervalMs',
    flag: 'ack-interval-ms',
    kind: 'int',
    min: 0,
    help: 'at most one durable acknowledgement per client and room this often (default 20)',
  },
  {
    key: 'compactAfter',
    flag: 'compact-after',
    kind: 'int',
    min: 1,
    help: 'compact a room whose log holds this many updates, after a quiet second (default 500)',
  },
  {
    key: 'drainTimeoutMs',
    flag: 'drain-timeout-ms',
    kind: 'int',
    min: 0,
    help: 'on SIGTERM, wait this long for sockets to close before exiting (default 5000)',
  },
  {
    key: 'durability',
    flag: 'durability',
    kind: 'durability',
    help:
      'full (default): acknowledge an update once it is on disk; process: once written, without ' +
      'waiting for the disk: a relay crash loses nothing, a power cut may lose the last second',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    kind: 'level',
    help: 'fatal, error, warn, info, debug, trace or silent (default info)',
  },
  {
    key: 'debugLoadDelayMs',
    flag: 'debug-load-delay-ms',
    kind: 'int',
    min: 0,
    help: 'TEST ONLY: make every room load this slow (default 0)',
  },
  {
    key: 'debugDbMaxPages',
    flag: 'debug-db-max-pages',
    kind: 'int',
    min: 0,
    help: 'TEST ONLY: cap the database size in pages to simulate a full disk (default 0 = off)',
  },
  {
    key: 'walSyncInline',
    flag: 'wal-sync-inline',
    kind: 'bool',
    help:
      'SQLite with --durability full: fsync each commit on the event loop (SQLite synchronous=FULL) ' +
      "instead of in libuv's thread pool (default off; for measurements, bench/README.md)",
  },
  {
    key: 'noAuth',
    flag: 'no-auth',
    kind: 'bool',
    help: 'serve WITHOUT accounts (benchmarks, interop tests); refused unless --host is loopback',
  },
  {
    key: 'accessTokenTtl',
    flag: 'access-token-ttl',
    kind: 'int',
    min: 1,
    help: 'access token lifetime in seconds (default 600)',
  },
  {
    key: 'sessionIdleTtl',
    flag: 'session-idle-ttl',
    kind: 'int',
    min: 1,
    help: 'a session ends this many seconds after its last refresh (default 2592000 = 30 days)',
  },
  {
    key: 'sessionMaxTtl',
    flag: 'session-max-ttl',
    kind: 'int',
    min: 1,
    help: 'a session ends this many seconds after sign-in (default 7776000 = 90 days)',
  },
  {
    key: 'argon2Memory',
    flag: 'argon2-memory',
    kind: 'int',
    min: 8,
    help: 'argon2id memory per password hash in KiB (default 19456, OWASP)',
  },
  {
    key: 'argon2Time',
    flag: 'argon2-time',
    kind: 'int',
    min: 1,
    help: 'argon2id passes (default 2, OWASP)',
  },
  {
    key: 'loginBackoffMs',
    flag: 'login-backoff-ms',
    kind: 'int',
    min: 1,
    help: 'after 5 failed sign-ins an account waits this long, doubling per failure (default 1000)',
  },
  {
    key: 'loginLockMs',
    flag: 'login-lock-ms',
    kind: 'int',
    min: 1,
    help: 'after 10 failed sign-ins an account locks this long (default 900000 = 15 min)',
  },
  {
    key: 'limitApiAddress',
    flag: 'limit-api-address',
    kind: 'bucket',
    help: 'sign-ins and other unauthenticated API calls per address, BURST/RATE/(s|min) (default 20/10/min)',
  },
  {
    key: 'limitLoginUsername',
    flag: 'limit-login-username',
    kind: 'bucket',
    help: 'sign-ins per username (default 10/5/min)',
  },
  {
    key: 'limitApiUser',
    flag: 'limit-api-user',
    kind: 'bucket',
    help: 'authenticated API calls per user (default 120/60/s)',
  },
  {
    key: 'limitUpgradesAddress',
    flag: 'limit-upgrades-address',
    kind: 'bucket',
    help: 'WebSocket upgrades per address (default 60/30/min)',
  },
  {
    key: 'limitUpgradesUser',
    flag: 'limit-upgrades-user',
    kind: 'bucket',
    help: 'WebSocket upgrades per user (default 30/20/min)',
  },
  {
    key: 'limitUpdatesUser',
    flag: 'limit-updates-user',
    kind: 'bucket',
    help: 'document updates per user (default 300/50/s)',
  },
  {
    key: 'limitUpdateBytesUser',
    flag: 'limit-update-bytes-user',
    kind: 'bucket',
    help: 'bytes of document updates per user (default 16777216/524288/s)',
  },
  {
    key: 'limitClientIdsUser',
    flag: 'limit-client-ids-user',
    kind: 'bucket',
    help: 'new Yjs clientIDs bound per user (default 512/1/s)',
  },
  {
    key: 'limitAwarenessUser',
    flag: 'limit-awareness-user',
    kind: 'bucket',
    help: 'bytes of awareness (presence, typing) per user (default 65536/16384/s)',
  },
  {
    key: 'limitFramesUser',
    flag: 'limit-frames-user',
    kind: 'bucket',
    help: 'WebSocket frames per user, of every kind; past it the socket closes with 1013 (default 5000/300/s)',
  },
  {
    key: 'maxFileBytes',
    flag: 'max-file-bytes',
    kind: 'int',
    min: 1,
    help: 'largest file one upload may be, in bytes (default 2147483648: 2 GiB)',
  },
  {
    key: 'fileQuotaUser',
    flag: 'file-quota-user',
    kind: 'int',
    min: 1,
    help: 'bytes of files one person may keep on the relay, stored and in progress (default 21474836480: 20 GiB)',
  },
  {
    key: 'fileQuotaTotal',
    flag: 'file-quota-total',
    kind: 'int',
    help: 'bytes of files the relay may keep in all; 0 = no limit but the free disk space (default 0)',
  },
  {
    key: 'maxUploadsUser',
    flag: 'max-uploads-user',
    kind: 'int',
    min: 1,
    help: 'uploads one person may have in progress at once (default 8)',
  },
  {
    key: 'fileGraceMs',
    flag: 'file-grace-ms',
    kind: 'int',
    help: 'a file no stored message references any more (or an upload left unfinished) is deleted after this many ms (default 604800000: 7 days)',
  },
  {
    key: 'trustProxy',
    flag: 'trust-proxy',
    kind: 'bool',
    help: 'behind a reverse proxy on this machine: rate-limit by the X-Forwarded-For address (default off)',
  },
  {
    key: 'metricsToken',
    flag: 'metrics-token',
    kind: 'string',
    help: 'bearer token (16+ characters) that may read /metrics from other machines; without it /metrics answers loopback only',
  },
  {
    key: 'metricsPublic',
    flag: 'metrics-public',
    kind: 'bool',
    help: 'serve /metrics to anyone who can reach the port, no token (default off: loopback or --metrics-token)',
  },
  {
    key: 'blobs',
    flag: 'blobs',
    kind: 'string',
    help: 'where file bytes live: s3://BUCKET[/PREFIX] (an S3-compatible bucket) or /ABSOLUTE/DIR (a filesystem every node mounts); default <data>/files',
  },
  {
    key: 's3Endpoint',
    flag: 's3-endpoint',
    kind: 'string',
    help: 'S3 endpoint URL for a non-AWS store, e.g. https://minio.example:9000 (default: AWS)',
  },
  {
    key: 's3Region',
    flag: 's3-region',
    kind: 'string',
    help: 'S3 region (default us-east-1)',
  },
  {
    key: 's3ForcePathStyle',
    flag: 's3-force-path-style',
    kind: 'bool',
    help: 'address the bucket as ENDPOINT/BUCKET instead of BUCKET.ENDPOINT (MinIO, Ceph; default off)',
  },
  {
    key: 's3AccessKeyId',
    flag: 's3-access-key-id',
    kind: 'string',
    help: 'S3 access key id; prefer the environment or the config file (default: AWS_ACCESS_KEY_ID and the SDK chain)',
  },
  {
    key: 's3SecretAccessKey',
    flag: 's3-secret-access-key',
    kind: 'string',
    help: 'S3 secret key; prefer the environment or the config file, a flag shows in ps (default: AWS_SECRET_ACCESS_KEY)',
  },
];

/** Hosts `--no-auth` may listen on. */
export const LOOPBACK_HOSTS = ['127.0.0.1', '::1', 'localhost'];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function defaults(): RelayConfig {
  return {
    host: '127.0.0.1',
    port: 7880,
    data: path.resolve('data'),
    database: null,
    redis: null,
    nodeId: null,
    web: existsSync(path.join(defaultWeb, 'index.html')) ? defaultWeb : null,
    updates: null,
    tlsCert: null,
    tlsKey: null,
    maxFrameBytes: 8 * 1024 * 1024,
    maxBufferedBytes: 16 * 1024 * 1024,
    roomIdleMs: 30_000,
    awarenessBatchMs: 50,
    ackIntervalMs: 20,
    maxRoomsPerSocket: 5000,
    maxRoomsPerUser: 10_000,
    maxSocketsPerUser: 32,
    pingIntervalMs: 30_000,
    compactAfter: 500,
    drainTimeoutMs: 5000,
    logLevel: 'info',
    durability: 'full',
    debugLoadDelayMs: 0,
    debugDbMaxPages: 0,
    walSyncInline: false,
    noAuth: false,
    accessTokenTtl: 600,
    sessionIdleTtl: 30 * 24 * 3600,
    sessionMaxTtl: 90 * 24 * 3600,
    argon2Memory: 19456,
    argon2Time: 2,
    loginBackoffMs: 1000,
    loginLockMs: 15 * 60_000,
    limitApiAddress: '20/10/min',
    limitLoginUsername: '10/5/min',
    limitApiUser: '120/60/s',
    limitUpgradesAddress: '60/30/min',
    limitUpgradesUser: '30/20/min',
    limitUpdatesUser: '300/50/s',
    limitUpdateBytesUser: '16777216/524288/s',
    limitClientIdsUser: '512/1/s',
    limitAwarenessUser: '65536/16384/s',
    limitFramesUser: '5000/300/s',
    maxFileBytes: 2 * 1024 ** 3,
    fileQuotaUser: 20 * 1024 ** 3,
    fileQuotaTotal: 0,
    maxUploadsUser: 8,
    fileGraceMs: 7 * 24 * 3600 * 1000,
    trustProxy: false,
    metricsToken: null,
    metricsPublic: false,
    blobs: null,
    s3Endpoint: null,
    s3Region: null,
    s3ForcePathStyle: false,
    s3AccessKeyId: null,
    s3SecretAccessKey: null,
    identity: null,
  };
}

export class ConfigError extends Error {}

export interface ParsedArgs {
  command: 'serve' | 'backup' | 'restore' | 'help';
  file: string | null;
  config: RelayConfig;
}

const envName = (flag: string) => 'FERRY_' + flag.toUpperCase().replace(/-/g, '_');

/** Parses argv (without node and script) and env into a validated config, or throws ConfigError. */
export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedArgs {
  const errors: string[] = [];
  const raw = new Map<keyof RelayConfig, { value: unknown; source: string }>();
  const positional: string[] = [];
  let configFile: string | null = env.FERRY_CONFIG ?? null;
  let help = false;
  let identityRaw: unknown = null;

  // Flags first (they win), but the config file they name must be read before them.
  const flagValues: Array<[Option, string]> = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    const isBool = OPTIONS.some((o) => o.flag === name && o.kind === 'bool');
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : isBool ? 'true' : argv[i + 1];
    if (eq < 0 && !isBool) i++;
    if (value === undefined) {
      errors.push(`--${name}: needs a value`);
      continue;
    }
    if (name === 'config') {
      configFile = value;
      continue;
    }
    const option = OPTIONS.find((o) => o.flag === name);
    if (!option) {
      errors.push(`--${name}: unknown option (see --help)`);
      continue;
    }
    value = value.trim();
    flagValues.push([option, value]);
  }

  if (configFile !== null) {
    try {
      const json: unknown = JSON.parse(readFileSync(configFile, 'utf8'));
      if (typeof json !== 'object' || json === null || Array.isArray(json)) {
        errors.push(`config file ${configFile}: must hold a JSON object`);
      } else {
        for (const [key, value] of Object.entries(json)) {
          if (key === 'identity') {
            identityRaw = value;
            continue;
          }
          const option = OPTIONS.find((o) => o.key === key || o.flag === key);
          if (!option) errors.push(`config file ${configFile}: unknown key "${key}"`);
          else raw.set(option.key, { value, source: `config file key "${key}"` });
        }
      }
    } catch (error) {
      errors.push(`config file ${configFile}: ${(error as Error).message}`);
    }
  }
  for (const option of OPTIONS) {
    const value = env[envName(option.flag)];
    if (value !== undefined) raw.set(option.key, { value, source: envName(option.flag) });
  }
  for (const [option, value] of flagValues)
    raw.set(option.key, { value, source: `--${option.flag}` });

  const config = defaults();
  const target = config as unknown as Record<string, unknown>;
  for (const option of OPTIONS) {
    const entry = raw.get(option.key);
    if (!entry) continue;
    const { value, source } = entry;
    switch (option.kind) {
      case 'int': {
        const n = typeof value === 'number' ? value : Number(String(value));
        if (String(value).trim() === '' || !Number.isInteger(n) || n < (option.min ?? 0)) {
          errors.push(`${source}: "${String(value)}" is not an integer >= ${option.min ?? 0}`);
        } else if (option.key === 'port' && n > 65535) {
          errors.push(`${source}: "${n}" is not a port (0-65535)`);
        } else target[option.key] = n;
        break;
      }
      case 'durability':
        if (value !== 'full' && value !== 'process') {
          errors.push(`${source}: "${String(value)}" is not full or process`);
        } else target[option.key] = value;
        break;
      case 'level':
        if (!LEVELS.includes(String(value))) {
          errors.push(`${source}: "${String(value)}" is not one of ${LEVELS.join(', ')}`);
        } else target[option.key] = String(value);
        break;
      case 'bool':
        if (value === true || value === 'true' || value === '1') target[option.key] = true;
        else if (value === false || value === 'false' || value === '0') target[option.key] = false;
        else errors.push(`${source}: "${String(value)}" is not true or false`);
        break;
      case 'bucket':
        if (typeof value !== 'string' || parseBucketSpec(value) === null) {
          errors.push(`${source}: "${String(value)}" is not BURST/RATE/s or BURST/RATE/min`);
        } else target[option.key] = value.trim();
        break;
      case 'string':
      case 'path':
        if (typeof value !== 'string' || value.trim() === '') {
          errors.push(`${source}: must be a non-empty string`);
        } else target[option.key] = option.kind === 'path' ? path.resolve(value) : value;
        break;
    }
  }
  if (identityRaw !== null) config.identity = parseIdentityConfig(identityRaw, errors);
  if ((config.tlsCert === null) !== (config.tlsKey === null)) {
    errors.push('--tls-cert and --tls-key: give both or neither');
  }
  for (const key of ['tlsCert', 'tlsKey'] as const) {
    const file = config[key];
    if (file !== null && !existsSync(file)) errors.push(`${key}: file ${file} does not exist`);
  }
  if (config.web !== null && raw.has('web') && !existsSync(config.web)) {
    errors.push(`--web: directory ${config.web} does not exist`);
  }
  if (config.noAuth && !LOOPBACK_HOSTS.includes(config.host)) {
    errors.push(
      `--no-auth: refused with --host ${config.host}; without accounts anyone who reaches the ` +
        'port can read and write everything, so it listens on loopback only (127.0.0.1, ::1, localhost)',
    );
  }
  if (config.database !== null && !/^postgres(ql)?:\/\/./i.test(config.database)) {
    errors.push('--database: give a postgres://user:password@host:port/database URL');
  }
  if (config.redis !== null && !/^rediss?:\/\/./i.test(config.redis)) {
    errors.push('--redis: give a redis://host:port URL (rediss:// for TLS)');
  }
  if (config.redis !== null && config.database === null) {
    errors.push(
      '--redis: several nodes share one database; give --database postgres://… too ' +
        '(each node with its own SQLite would keep different rooms and accounts)',
    );
  }
  if (config.metricsToken !== null && config.metricsToken.length < 16) {
    errors.push('--metrics-token: too short; use at least 16 random characters');
  }
  if (
    config.blobs !== null &&
    parseS3Url(config.blobs) === null &&
    !path.isAbsolute(config.blobs)
  ) {
    errors.push(
      `--blobs: "${config.blobs}" is neither s3://BUCKET[/PREFIX] (a valid bucket name) nor an absolute directory`,
    );
  }
  if (config.redis !== null && config.blobs === null) {
    errors.push(
      '--blobs: several nodes need one place for file bytes that every node reaches: ' +
        's3://BUCKET[/PREFIX] or a directory on a filesystem every node mounts',
    );
  }
  if ((config.s3AccessKeyId === null) !== (config.s3SecretAccessKey === null)) {
    errors.push('--s3-access-key-id and --s3-secret-access-key: give both or neither');
  }
  if (config.updates !== null && !existsSync(config.updates)) {
    errors.push(`--updates: directory ${config.updates} does not exist`);
  }

  const [command = 'serve', file = null, ...rest] = positional;
  let cmd: ParsedArgs['command'] = 'serve';
  if (help || command === 'help') cmd = 'help';
  else if (command === 'serve' || command === 'backup' || command === 'restore') cmd = command;
  else errors.push(`unknown command "${command}" (serve, backup <file>, restore <file>)`);
  if ((cmd === 'backup' || cmd === 'restore') && file === null) {
    errors.push(`${cmd}: needs a file name`);
  }
  if (rest.length > 0 || (cmd === 'serve' && file !== null)) {
    errors.push(`unexpected argument(s): ${[file, ...rest].filter(Boolean).join(' ')}`);
  }
  if (errors.length > 0 && cmd !== 'help') {
    throw new ConfigError('invalid configuration:\n  ' + errors.join('\n  '));
  }
  return { command: cmd, file, config };
}

export function helpText(): string {
  const lines = [
    'ferry-relay: the Ferry relay (y-websocket protocol, durable SQLite storage)',
    '',
    'Usage:',
    '  ferry-relay [serve] [options]     run the relay (default)',
    '  ferry-relay backup <file> [--data DIR]   online backup of a running or stopped relay',
    '  ferry-relay restore <file> [--data DIR]  replace the database (relay must be stopped)',
    '  ferry-relay admin users|sessions|token … [--data DIR]  manage accounts (ferry-relay admin --help)',
    '  ferry-relay audit export|verify … [--data DIR]  the audit log (ferry-relay audit --help)',
    '  ferry-relay migrate --to postgres://… [--data DIR] [--blobs s3://…]  move a stopped single node into the shared stores',
    '',
    'Options (flag / environment variable / config file key):',
    '  --config FILE  (FERRY_CONFIG)  JSON file with any of the keys below',
  ];
  for (const o of OPTIONS) {
    const value =
      o.kind === 'int'
        ? ' N'
        : o.kind === 'level'
          ? ' LEVEL'
          : o.kind === 'durability'
            ? ' full|process'
            : o.kind === 'bool'
              ? ''
              : ' VALUE';
    lines.push(`  --${o.flag}${value}  (${envName(o.flag)}, "${o.key}")`);
    lines.push(`      ${o.help}`);
  }
  lines.push('  --help         this text');
  return lines.join('\n');
}
