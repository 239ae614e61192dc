// Relay configuration: defaults < JSON config file < environment (FERRY_*) < flags.
// Every value is validated at start; each wrong value gets its own line in one error.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface RelayConfig {
  host: string;
  port: number;
  data: string;
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
  pingIntervalMs: number;
  compactAfter: number;
  drainTimeoutMs: number;
  logLevel: string;
  /** Test only: delay every room load by this many ms (to prove no sync is answered early). */
  debugLoadDelayMs: number;
  /** Test only: cap the database at this many pages, so writes fail as on a full disk. */
  debugDbMaxPages: number;
}

type Kind = 'string' | 'int' | 'path' | 'level';

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
];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function defaults(): RelayConfig {
  return {
    host: '127.0.0.1',
    port: 7880,
    data: path.resolve('data'),
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
    pingIntervalMs: 30_000,
    compactAfter: 500,
    drainTimeoutMs: 5000,
    logLevel: 'info',
    debugLoadDelayMs: 0,
    debugDbMaxPages: 0,
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
    let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[i + 1];
    if (eq < 0) i++;
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
      case 'level':
        if (!LEVELS.includes(String(value))) {
          errors.push(`${source}: "${String(value)}" is not one of ${LEVELS.join(', ')}`);
        } else target[option.key] = String(value);
        break;
      case 'string':
      case 'path':
        if (typeof value !== 'string' || value.trim() === '') {
          errors.push(`${source}: must be a non-empty string`);
        } else target[option.key] = option.kind === 'path' ? path.resolve(value) : value;
        break;
    }
  }
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
    '',
    'Options (flag / environment variable / config file key):',
    '  --config FILE  (FERRY_CONFIG)  JSON file with any of the keys below',
  ];
  for (const o of OPTIONS) {
    const value = o.kind === 'int' ? 'N' : o.kind === 'level' ? 'LEVEL' : 'VALUE';
    lines.push(`  --${o.flag} ${value}  (${envName(o.flag)}, "${o.key}")`);
    lines.push(`      ${o.help}`);
  }
  lines.push('  --help         this text');
  return lines.join('\n');
}
