// `ferry-relay admin …` and `ferry-relay audit …` (docs/accounts.md, Admin CLI). They open the
// relay's database directly (SQLite WAL), so they work whether the relay runs or not; a running
// relay notices revocations and disabled users within a second (it watches data_version).
import { createWriteStream, existsSync } from 'node:fs';
import path from 'node:path';
import { Accounts, type SessionInfo, type User } from './accounts/service';
import { generatePassword, passwordProblem } from './accounts/passwords';
import { ROLES, USERNAME_PATTERN, type Role } from './accounts/validation';
import { Audit, canonicalJson, verifyChain } from './audit';
import { ConfigError, parseArgs, type RelayConfig } from './config';
import { ApiError } from './http/errors';
import { accountsOptions } from './http/api';
import { DB_FILE, Store } from './store';

export const ADMIN_USAGE = `Usage (add --data DIR, or FERRY_DATA, as for serve):
  ferry-relay admin users create <username> [--display-name N] [--role admin|member|guest] [--password-stdin]
  ferry-relay admin users list [--json]
  ferry-relay admin users disable|enable <username>
  ferry-relay admin users reset-password <username> [--password-stdin]
  ferry-relay admin users set-role <username> <role>
  ferry-relay admin users reset-totp <username>
  ferry-relay admin users unlock <username>
  ferry-relay admin sessions list [--user <username>] [--json]
  ferry-relay admin sessions revoke <sessionId> | --user <username>
  ferry-relay admin token <username> [--ttl 15m]
  ferry-relay audit export [--out FILE]
  ferry-relay audit verify [--head HASH]
Without --password-stdin a random password is generated and printed once; the person must
change a generated password at first sign-in (one from --password-stdin is kept as given).`;

/** A usage error: exit 2. */
class UsageError extends Error {}
/** Something the admin asked for cannot be done (unknown user, …): exit 1. */
class Refused extends Error {}

const VALUE_FLAGS = new Set(['display-name', 'role', 'user', 'ttl', 'out', 'head']);
const BOOL_FLAGS = new Set(['password-stdin', 'json']);

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  readStdin: () => Promise<string>;
}

const defaultIo: Io = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
  },
};

/** Parses "15m", "2h", "30s", "1d" or plain seconds. */
export function parseDuration(text: string): number | null {
  const m = /^\s*(\d+)\s*(s|m|h|d)?\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]);
  const unit = { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return n > 0 ? n * unit : null;
}

/** Runs `admin …` or `audit …` (argv starts with that word); returns the exit code. */
export async function runAdmin(argv: string[], io: Io = defaultIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(`ferry-relay: ${error.message}\n\n${ADMIN_USAGE}`);
      return 2;
    }
    if (error instanceof Refused || error instanceof ApiError) {
      io.err(`ferry-relay: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const relayArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') {
      io.out(ADMIN_USAGE);
      return 0;
    }
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (BOOL_FLAGS.has(name)) {
      flags.set(name, true);
    } else if (VALUE_FLAGS.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw new UsageError(`--${name}: needs a value`);
      flags.set(name, value);
    } else {
      // Relay options (--data, --config, --argon2-memory, …) go to the relay's parser.
      relayArgs.push(arg);
      if (eq < 0 && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith('--')) {
        relayArgs.push(argv[++i] as string);
      }
    }
  }
  const { config } = parseArgs(relayArgs);
  const [group, first] = positional;
  // `admin token <user>` has one word of command, the others two (`admin users create <user>`).
  const words = group === 'audit' || first === 'token' ? 1 : 2;
  const action = positional.slice(1, 1 + words).join(' ');
  const rest = positional.slice(1 + words);
  const verb = first;
  const str = (name: string) => {
    const v = flags.get(name);
    return typeof v === 'string' ? v : undefined;
  };
  const only = (allowed: string[], max: number) => {
    for (const f of flags.keys())
      if (!allowed.includes(f)) throw new UsageError(`--${f} does not apply here`);
    if (rest.length > max)
      throw new UsageError(`unexpected argument(s): ${rest.slice(max).join(' ')}`);
  };

  if (group === 'audit') {
    if (verb === 'export') {
      only(['out'], 0);
      return withDb(config, false, ({ audit }) => auditExport(audit, str('out'), io));
    }
    if (verb === 'verify') {
      only(['head'], 0);
      return withDb(config, false, ({ audit }) => auditVerify(audit, str('head'), io));
    }
    throw new UsageError(`audit ${verb ?? ''}: use "audit export" or "audit verify"`);
  }
  if (group !== 'admin') throw new UsageError('expected "admin" or "audit"');

  const by = { actor: 'cli', ip: null };
  const needUser = (accounts: Accounts, name: string | undefined): User => {
    if (!name) throw new UsageError('name a user');
    const u = accounts.getUserByUsername(name);
    if (!u) throw new Refused(`no user "${name}" (see: ferry-relay admin users list)`);
    return u;
  };
  const readPassword = async (): Promise<{ password: string; generated: boolean }> => {
    if (flags.get('password-stdin') !== true)
      return { password: generatePassword(), generated: true };
    const text = (await io.readStdin()).replace(/\r?\n$/, '');
    const problem = passwordProblem(text);
    if (problem) throw new UsageError(`--password-stdin: ${problem}`);
    return { password: text, generated: false };
  };

  if (verb === undefined) throw new UsageError('admin: what? (users, sessions or token)');
  const name = rest[0];

  switch (action) {
    case 'users create': {
      only(['display-name', 'role', 'password-stdin'], 1);
      if (!name || !USERNAME_PATTERN.test(name.toLowerCase())) {
        throw new UsageError(
          `users create: "${name ?? ''}" is not a username (1-32 of a-z 0-9 . _ -, starting with a letter or digit)`,
        );
      }
      const role = (str('role') ?? 'member') as Role;
      if (!ROLES.includes(role))
        throw new UsageError(`--role: "${role}" is not admin, member or guest`);
      const displayName = str('display-name');
      const { password, generated } = await readPassword();
      return withDb(config, true, async ({ accounts }) => {
        const u = await accounts.createUser(
          { username: name, displayName, role, password, mustChangePassword: generated },
          by,
        );
        io.out(`created ${u.role} ${u.username} (${u.id})`);
        if (generated) io.out(`password (shown once): ${password}`);
        return 0;
      });
    }
    case 'users list': {
      only(['json'], 0);
      return withDb(config, false, ({ accounts }) => {
        const users = accounts.listUsers();
        if (flags.get('json')) io.out(JSON.stringify(users, null, 2));
        else printUsers(users, io);
        return 0;
      });
    }
    case 'users disable':
    case 'users enable': {
      only([], 1);
      return withDb(config, true, ({ accounts }) => {
        const u = needUser(accounts, name);
        const disabled = action === 'users disable';
        accounts.updateUser(u.id, { disabled }, by);
        io.out(`${u.username} ${disabled ? 'disabled; its sessions ended' : 'enabled'}`);
        return 0;
      });
    }
    case 'users reset-password': {
      only(['password-stdin'], 1);
      const { password, generated } = await readPassword();
      return withDb(config, true, async ({ accounts }) => {
        const u = needUser(accounts, name);
        await accounts.setPassword(u.id, password, by, null, generated);
        io.out(`password of ${u.username} reset; its sessions ended`);
        if (generated) io.out(`password (shown once): ${password}`);
        return 0;
      });
    }
    case 'users set-role': {
      only([], 2);
      const role = rest[1] as Role | undefined;
      if (!role || !ROLES.includes(role)) {
        throw new UsageError(`users set-role <username> <role>: role is admin, member or guest`);
      }
      return withDb(config, true, ({ accounts }) => {
        const u = needUser(accounts, name);
        accounts.updateUser(u.id, { role }, by);
        io.out(`${u.username} is now ${role}`);
        return 0;
      });
    }
    case 'users reset-totp': {
      only([], 1);
      return withDb(config, true, ({ accounts }) => {
        const u = needUser(accounts, name);
        accounts.disableTotp(u.id, by);
        io.out(`two-factor authentication of ${u.username} turned off; they can enrol again`);
        return 0;
      });
    }
    case 'users unlock': {
      only([], 1);
      return withDb(config, true, ({ accounts }) => {
        const u = needUser(accounts, name);
        const lifted = accounts.unlock(u.id, by);
        io.out(
          lifted
            ? `${u.username} unlocked: they can sign in again now`
            : `${u.username} was not locked`,
        );
        return 0;
      });
    }
    case 'sessions list': {
      only(['user', 'json'], 0);
      return withDb(config, false, ({ accounts }) => {
        const user = str('user');
        const u = user ? needUser(accounts, user) : null;
        const sessions = accounts.listSessions(u?.id);
        if (flags.get('json')) io.out(JSON.stringify(sessions, null, 2));
        else printSessions(sessions, accounts, io);
        return 0;
      });
    }
    case 'sessions revoke': {
      only(['user'], 1);
      const user = str('user');
      if ((user === undefined) === (name === undefined)) {
        throw new UsageError('sessions revoke: give a session id or --user <username> (not both)');
      }
      return withDb(config, true, ({ accounts }) => {
        if (user !== undefined) {
          const u = needUser(accounts, user);
          const n = accounts.revokeUserSessions(u.id, 'revoked by admin', by);
          io.out(`ended ${n} session${n === 1 ? '' : 's'} of ${u.username}`);
          return 0;
        }
        const s = accounts.getSession(name as string);
        if (!s) throw new Refused(`no session "${name}" (see: ferry-relay admin sessions list)`);
        if (!accounts.revokeSession(s.id, 'revoked by admin', by)) {
          throw new Refused(`session ${s.id} had already ended`);
        }
        io.out(`session ${s.id} ended`);
        return 0;
      });
    }
    case 'token': {
      only(['ttl'], 1);
      const ttlText = str('ttl') ?? '15m';
      const ttl = parseDuration(ttlText);
      if (ttl === null)
        throw new UsageError(`--ttl: "${ttlText}" is not a duration like 15m, 2h, 1d`);
      return withDb(config, true, async ({ accounts }) => {
        const u = needUser(accounts, name);
        const t = await accounts.issueToken(u.id, ttl, by);
        io.out(t.accessToken);
        io.err(
          `access token for ${u.username}, valid until ${new Date(t.accessExpiresAt).toISOString()} ` +
            `(session "cli token"; end it with: ferry-relay admin sessions revoke ${t.refreshToken.split('.')[0]})`,
        );
        return 0;
      });
    }
    default:
      throw new UsageError(`unknown command: ${positional.join(' ')}`);
  }
}

async function withDb<T>(
  config: RelayConfig,
  create: boolean,
  fn: (s: { accounts: Accounts; audit: Audit }) => T | Promise<T>,
): Promise<T> {
  if (!create && !config.database && !existsSync(path.join(config.data, DB_FILE))) {
    throw new Refused(`no relay database in ${config.data} (give --data DIR or --database URL)`);
  }
  const store = new Store(config.data, { database: config.database ?? undefined });
  try {
    const audit = new Audit(store.db);
    const accounts = new Accounts(store.db, audit, accountsOptions(config));
    try {
      return await fn({ accounts, audit });
    } finally {
      accounts.close();
    }
  } finally {
    store.close();
  }
}

const date = (ms: number | null) =>
  ms === null ? '-' : new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

function table(rows: string[][], io: Io): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  for (const r of rows)
    io.out(
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    );
}

function printUsers(users: User[], io: Io): void {
  if (users.length === 0) {
    io.out('no users yet (create one: ferry-relay admin users create <name> --role admin)');
    return;
  }
  table(
    [
      ['USERNAME', 'DISPLAY NAME', 'ROLE', 'STATUS', '2FA', 'ID'],
      ...users.map((u) => [
        u.username,
        u.displayName,
        u.role,
        u.disabled
          ? 'disabled'
          : u.lockedUntil !== null && u.lockedUntil > Date.now()
            ? `locked until ${date(u.lockedUntil)}`
            : 'active',
        u.totp ? 'on' : 'off',
        u.id,
      ]),
    ],
    io,
  );
}

function printSessions(sessions: SessionInfo[], accounts: Accounts, io: Io): void {
  if (sessions.length === 0) {
    io.out('no live sessions');
    return;
  }
  table(
    [
      ['SESSION', 'USER', 'DEVICE', 'IP', 'CREATED', 'LAST USED', 'ENDS'],
      ...sessions.map((s) => [
        s.id,
        accounts.getUser(s.userId)?.username ?? s.userId,
        s.device ?? '-',
        s.ip ?? '-',
        date(s.createdAt),
        date(s.lastUsedAt),
        date(s.expiresAt),
      ]),
    ],
    io,
  );
}

async function auditExport(audit: Audit, out: string | undefined, io: Io): Promise<number> {
  const stream = out ? createWriteStream(out, { flags: 'wx' }) : null;
  const opened = stream
    ? new Promise<void>((resolve, reject) => {
        stream.once('open', () => resolve());
        stream.once('error', reject);
      })
    : Promise.resolve();
  try {
    await opened;
  } catch (error) {
    throw new Refused(`--out ${out}: ${(error as Error).message}`);
  }
  let n = 0;
  let head = '';
  for (const e of audit.entries()) {
    const line = canonicalJson(e);
    if (stream) {
      if (!stream.write(line + '\n'))
        await new Promise<void>((r) => stream.once('drain', () => r()));
    } else io.out(line);
    n++;
    head = e.hash;
  }
  if (stream)
    await new Promise<void>((resolve, reject) =>
      stream.end((err?: Error | null) => (err ? reject(err) : resolve())),
    );
  io.err(`exported ${n} audit entries${out ? ` to ${out}` : ''}; head ${head || '(empty)'}`);
  return 0;
}

function auditVerify(audit: Audit, head: string | undefined, io: Io): number {
  if (head !== undefined && !/^[0-9a-f]{64}$/.test(head)) {
    throw new UsageError('--head: give the 64-hex-digit hash an earlier export or verify printed');
  }
  const result = verifyChain(() => audit.entries(), head);
  if (result.ok) {
    io.out(`audit log ok: ${result.entries} entries, head ${result.head}`);
    return 0;
  }
  io.out(`AUDIT LOG BROKEN: ${result.message}`);
  return 1;
}
