// The accounts endpoints of `/api/v1` (sync-server/API.md): server info and first-admin setup,
// sign-in, refresh and sign-out, the caller's own account (`/me`), the people directory
// (`/users`) and user and session administration (`/admin`). Conversations are added to the
// same router by the membership code (relay-authz).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SqlDb } from '../db/sql';
import { Gauge } from 'prom-client';
import * as v from 'valibot';
import { Accounts, type AccountsOptions, type User } from '../accounts/service';
import { generatePassword } from '../accounts/passwords';
import { refreshSessionId } from '../accounts/tokens';
import { DisplayName, Password, RoleSchema, Username, Device } from '../accounts/validation';
import { SCHEMA_VERSION } from '../../../core/src/version';
import { MAX_FILES } from '../../../core/src/model/files';
import { Audit } from '../audit';
import type { RelayConfig } from '../config';
import { parseBucketSpec, type BucketSpec, type LimiterFactory } from '../limits';
import type { Logger } from '../log';
import type { Metrics } from '../metrics';
import { ApiError, conflict, forbidden, notFound, unauthenticated } from './errors';
import { installInviteRoutes } from './invites';
import { parse, Router, type RouteContext } from './router';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

export const NO_AUTH_WARNING =
  'ACCOUNTS ARE OFF (--no-auth): anyone who can reach this port can read and write every room';

/** Which users `userId` (a guest) may see: those sharing a conversation with them, themselves included. */
export type PeopleVisibleTo = (userId: string) => Iterable<string>;

export interface AccountsApi {
  accounts: Accounts;
  audit: Audit;
  router: Router;
  /** The one-time code for POST /setup from another machine; null once a user exists. */
  setupCode(): string | null;
  /** Installs the membership service's answer for guests (until then guests see only themselves). */
  setPeopleVisibleTo(fn: PeopleVisibleTo): void;
  close(): void;
}

/** A bucket spec from a config string; the config was validated at start. */
export function bucket(text: string): BucketSpec {
  const spec = parseBucketSpec(text);
  if (!spec) throw new Error(`not a rate limit: ${text}`);
  return spec;
}

/** The Accounts options a relay config asks for. */
export function accountsOptions(config: RelayConfig, metrics?: Metrics): Partial<AccountsOptions> {
  return {
    accessTokenTtlSeconds: config.accessTokenTtl,
    sessionIdleMs: config.sessionIdleTtl * 1000,
    sessionMaxMs: config.sessionMaxTtl * 1000,
    argon2: { memoryCost: config.argon2Memory, timeCost: config.argon2Time, parallelism: 1 },
    lockout: {
      backoffAfter: 5,
      lockAfter: 10,
      maxBackoffMs: 15 * 60_000,
      lockMs: config.loginLockMs,
    },
    backoffBaseMs: config.loginBackoffMs,
    loginPerUsername: bucket(config.limitLoginUsername),
    ...(metrics
      ? {
          onLogin: (result) => metrics.logins.inc({ result }),
          onRateLimited: (what) => metrics.rateLimited.inc({ what }),
        }
      : {}),
  };
}

const publicUser = (u: User) => ({
  id: u.id,
  username: u.username,
  displayName: u.displayName,
  role: u.role,
});

/**
 * Names and passwords of directory accounts are the directory's (docs/identity.md): changing
 * them here would be undone by the next sync, or would open a second way in.
 */
function local(user: User): void {
  if (user.source !== 'local') {
    throw conflict(
      'this account is managed by the company directory: change it there (name, password, second factor)',
    );
  }
}

const LoginBody = v.object({
  // Not the username rules: a wrong shape must answer like a wrong password.
  username: v.pipe(v.string(), v.maxLength(64)),
  password: v.pipe(v.string(), v.maxLength(1024)),
  totp: v.optional(v.pipe(v.string(), v.maxLength(16))),
  recoveryCode: v.optional(v.pipe(v.string(), v.maxLength(32))),
  device: v.optional(Device),
});

const SetupBody = v.object({
  username: Username,
  password: Password,
  displayName: v.optional(DisplayName),
  setupCode: v.optional(v.pipe(v.string(), v.maxLength(64))),
  device: v.optional(Device),
});

export function createAccountsApi(deps: {
  config: RelayConfig;
  log: Logger;
  metrics: Metrics;
  db: SqlDb;
  /** Where the sign-in and API buckets live: this process (default) or Redis (several nodes). */
  limiters?: LimiterFactory;
}): AccountsApi {
  const { config, log, metrics, db, limiters } = deps;
  const audit = new Audit(db);
  const accounts = new Accounts(db, audit, {
    ...accountsOptions(config, metrics),
    ...(limiters ? { limiters } : {}),
  });
  const stopWatching = accounts.watch();
  // Another process (the admin CLI) changed the database: what it audited reaches this relay's
  // listeners through audit.onOtherAppend (the directory follows names and roles that way).
  accounts.onDatabaseChanged(() => audit.readOthers());
  accounts.onSessionEnded((e) =>
    log.info({ session: e.sessionId, user: e.userId, reason: e.reason }, 'session ended'),
  );
  const router = new Router({
    accounts,
    log,
    anonymousPerAddress: bucket(config.limitApiAddress),
    apiPerUser: bucket(config.limitApiUser),
    onRateLimited: (what) => metrics.rateLimited.inc({ what }),
    trustProxy: config.trustProxy,
    ...(limiters ? { limiters } : {}),
  });
  let peopleVisibleTo: PeopleVisibleTo = (id) => [id];
  new Gauge({
    name: 'ferry_sessions_active',
    help: 'Sessions not revoked or expired',
    registers: [metrics.registry],
    collect() {
      this.set(accounts.activeSessionCount());
    },
  });

  let code: string | null = null;
  if (accounts.userCount() === 0) {
    code = randomBytes(9).toString('base64url');
    log.warn(
      { setupCode: config.noAuth ? undefined : code },
      config.noAuth
        ? 'no users yet'
        : 'NO USERS YET: create the first admin with `ferry-relay admin users create <name> --role admin` ' +
            `(same --data), or in the app (from this machine, or elsewhere with setup code ${code})`,
    );
  }
  // The first unknown-username sign-in would otherwise also pay for making the dummy hash.
  void accounts.passwords.verifyNobody('');
  // Rows of sessions that ended long ago are of no use; the audit keeps their history.
  const purge = () => accounts.purgeSessions(30 * 24 * 3600_000);
  purge();
  const purgeTimer = setInterval(purge, 3600_000);
  purgeTimer.unref();
  let noAuthTimer: NodeJS.Timeout | null = null;
  if (config.noAuth) {
    log.warn(NO_AUTH_WARNING);
    noAuthTimer = setInterval(() => log.warn(NO_AUTH_WARNING), 3600_000);
    noAuthTimer.unref();
  }

  const who = (ctx: RouteContext) => ({ actor: ctx.access?.userId ?? null, ip: ctx.ip });
  const me = (ctx: RouteContext) => {
    const access = ctx.access;
    if (!access) throw unauthenticated();
    const user = accounts.getUser(access.userId);
    if (!user) throw unauthenticated();
    return { access, user };
  };
  const userOr404 = (id: string) => {
    const u = accounts.getUser(id) ?? accounts.getUserByUsername(id);
    if (!u) throw notFound('no such user');
    return u;
  };
  const sessionView = (s: ReturnType<Accounts['listSessions']>[number], current?: string) => ({
    id: s.id,
    userId: s.userId,
    createdAt: s.createdAt,
    lastUsedAt: s.lastUsedAt,
    expiresAt: s.expiresAt,
    device: s.device,
    ip: s.ip,
    ...(current !== undefined ? { current: s.id === current } : {}),
  });

  // ---- server and setup ----

  router.get('/server', 'none', () => ({
    body: {
      name: 'Ferry',
      version: VERSION,
      setupRequired: accounts.userCount() === 0,
      auth: !config.noAuth,
      // The document schema this relay checks updates against (docs/messaging.md): the app
      // writes version-2 entries (pins) only to a relay that knows them.
      schema: SCHEMA_VERSION,
      // Files (docs/attachments.md): the app refuses a larger file before sending a byte.
      files: { maxFileBytes: config.maxFileBytes, maxFiles: MAX_FILES },
    },
  }));

  let settingUp = false;
  router.post('/setup', 'none', async (ctx) => {
    const body = parse(SetupBody, ctx.body ?? {});
    if (accounts.userCount() > 0 || settingUp) throw conflict('this relay already has users');
    if (!ctx.loopback) {
      const given = Buffer.from(body.setupCode ?? '');
      const expected = Buffer.from(code ?? '');
      if (!code || given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw forbidden('from another machine, give the setup code the relay printed at start');
      }
    }
    settingUp = true;
    try {
      const user = await accounts.createUser(
        {
          username: body.username,
          displayName: body.displayName,
          role: 'admin',
          password: body.password,
        },
        { actor: 'setup', ip: ctx.ip },
      );
      code = null;
      const login = await accounts.login(
        { username: user.username, password: body.password, device: body.device },
        ctx.ip,
      );
      return { status: 201, body: login };
    } finally {
      settingUp = false;
    }
  });

  // ---- sign-in ----

  router.post('/auth/login', 'none', async (ctx) => {
    const body = parse(LoginBody, ctx.body ?? {});
    return { body: await accounts.login(body, ctx.ip) };
  });

  // Limited per session, not per address: after an outage every client behind one office NAT
  // refreshes at once, and each names its own session. Malformed or unknown tokens count
  // against the address.
  router.post('/auth/refresh', 'self', async (ctx) => {
    let body;
    try {
      body = parse(
        v.object({ refreshToken: v.pipe(v.string(), v.maxLength(200)) }),
        ctx.body ?? {},
      );
    } catch (error) {
      await router.takeAnonymous(ctx.ip);
      throw error;
    }
    const sid = refreshSessionId(body.refreshToken);
    const session = sid ? accounts.getSession(sid) : null;
    if (session) await router.takeKeyed(`session:${session.id}`, 'refresh-session');
    else await router.takeAnonymous(ctx.ip);
    return { body: await accounts.refresh(body.refreshToken, ctx.ip) };
  });

  // With an access token, or (when it has expired) with the refresh token in the body.
  router.post(
    '/auth/logout',
    'optional',
    (ctx) => {
      if (ctx.access) {
        accounts.revokeSession(ctx.access.sessionId, 'logout', who(ctx));
        return {};
      }
      const body = parse(
        v.object({ refreshToken: v.optional(v.pipe(v.string(), v.maxLength(200))) }),
        ctx.body ?? {},
      );
      if (!body.refreshToken) throw unauthenticated();
      accounts.logoutWithRefresh(body.refreshToken, ctx.ip);
      return {};
    },
    { beforePasswordChange: true },
  );

  // ---- the caller's own account ----

  router.get(
    '/me',
    'user',
    (ctx) => {
      const { access, user } = me(ctx);
      return {
        body: {
          user: { ...publicUser(user), source: user.source, email: user.email },
          ...(user.mustChangePassword ? { passwordChangeRequired: true } : {}),
          totp: { enabled: user.totp, recoveryCodesLeft: accounts.recoveryCodesLeft(user.id) },
          session: { id: access.sessionId, accessExpiresAt: access.exp },
        },
      };
    },
    { beforePasswordChange: true },
  );

  router.patch('/me', 'user', (ctx) => {
    const { user } = me(ctx);
    local(user);
    const body = parse(v.strictObject({ displayName: DisplayName }), ctx.body ?? {});
    return { body: { user: publicUser(accounts.updateUser(user.id, body, who(ctx))) } };
  });

  // Clears "must change password": the one thing a session given an admin's password may do.
  router.post(
    '/me/password',
    'user',
    async (ctx) => {
      const { access, user } = me(ctx);
      local(user);
      const body = parse(
        v.object({ currentPassword: v.pipe(v.string(), v.maxLength(1024)), newPassword: Password }),
        ctx.body ?? {},
      );
      if (!(await accounts.checkPassword(user.id, body.currentPassword))) {
        throw new ApiError(401, 'invalid-credentials', 'the current password is not right');
      }
      if (user.mustChangePassword && body.newPassword === body.currentPassword) {
        throw new ApiError(400, 'invalid', 'choose a password other than the one you were given');
      }
      await accounts.setPassword(user.id, body.newPassword, who(ctx), access.sessionId);
      return {};
    },
    { beforePasswordChange: true },
  );

  router.post('/me/totp/setup', 'user', (ctx) => {
    const { user } = me(ctx);
    local(user);
    return { body: accounts.startTotp(user.id) };
  });

  router.post('/me/totp/enable', 'user', async (ctx) => {
    const { user } = me(ctx);
    const body = parse(v.object({ code: v.pipe(v.string(), v.maxLength(16)) }), ctx.body ?? {});
    return { body: { recoveryCodes: await accounts.enableTotp(user.id, body.code, who(ctx)) } };
  });

  router.post('/me/totp/disable', 'user', async (ctx) => {
    const { user } = me(ctx);
    const body = parse(
      v.object({
        password: v.pipe(v.string(), v.maxLength(1024)),
        totp: v.optional(v.pipe(v.string(), v.maxLength(16))),
        recoveryCode: v.optional(v.pipe(v.string(), v.maxLength(32))),
      }),
      ctx.body ?? {},
    );
    if (!user.totp) throw conflict('two-factor authentication is not on');
    const ok = await accounts.checkPassword(user.id, body.password);
    if (!ok) throw new ApiError(401, 'invalid-credentials', 'the password is not right');
    if (!(await accounts.checkSecondFactor(user.id, body))) {
      throw new ApiError(
        401,
        'invalid-credentials',
        'give a current code or an unused recovery code',
      );
    }
    accounts.disableTotp(user.id, who(ctx));
    return {};
  });

  router.get('/me/sessions', 'user', (ctx) => {
    const { access, user } = me(ctx);
    return {
      body: {
        sessions: accounts.listSessions(user.id).map((s) => sessionView(s, access.sessionId)),
      },
    };
  });

  router.delete('/me/sessions/:id', 'user', (ctx) => {
    const { user } = me(ctx);
    const s = accounts.getSession(ctx.params.id ?? '');
    if (!s || s.userId !== user.id || s.revokedAt !== null) throw notFound('no such session');
    accounts.revokeSession(s.id, 'revoked by user', who(ctx));
    return {};
  });

  // ---- people ----

  router.get('/users', 'user', (ctx) => {
    const { user } = me(ctx);
    const q = (ctx.query.get('q') ?? '').trim().slice(0, 64);
    let found = accounts.searchUsers(q, 200);
    if (user.role === 'guest') {
      const visible = new Set(peopleVisibleTo(user.id));
      visible.add(user.id);
      found = found.filter((u) => visible.has(u.id));
    }
    return { body: { users: found.slice(0, 50).map(publicUser) } };
  });

  // ---- administration ----

  // lockedUntil only while the lock holds (the row keeps the last one after it ends).
  const adminView = (u: User) => ({
    ...u,
    lockedUntil: u.lockedUntil !== null && u.lockedUntil > Date.now() ? u.lockedUntil : null,
  });

  router.get('/admin/users', 'admin', () => ({
    body: { users: accounts.listUsers().map(adminView) },
  }));

  router.post('/admin/users', 'admin', async (ctx) => {
    const body = parse(
      v.object({
        username: Username,
        displayName: v.optional(DisplayName),
        role: v.optional(RoleSchema, 'member'),
        password: v.optional(Password),
      }),
      ctx.body ?? {},
    );
    const password = body.password ?? generatePassword();
    // The admin knows this password: the person chooses their own at first sign-in.
    const user = await accounts.createUser(
      { ...body, password, mustChangePassword: true },
      who(ctx),
    );
    return {
      status: 201,
      body: { user: adminView(user), ...(body.password === undefined ? { password } : {}) },
    };
  });

  router.patch('/admin/users/:id', 'admin', (ctx) => {
    const user = userOr404(ctx.params.id ?? '');
    const body = parse(
      v.strictObject({
        role: v.optional(RoleSchema),
        disabled: v.optional(v.boolean()),
        displayName: v.optional(DisplayName),
      }),
      ctx.body ?? {},
    );
    if (body.displayName !== undefined) local(user);
    return { body: { user: adminView(accounts.updateUser(user.id, body, who(ctx))) } };
  });

  router.post('/admin/users/:id/unlock', 'admin', (ctx) => {
    const user = userOr404(ctx.params.id ?? '');
    accounts.unlock(user.id, who(ctx));
    return { body: { user: adminView(accounts.getUser(user.id) as User) } };
  });

  router.post('/admin/users/:id/password', 'admin', async (ctx) => {
    const user = userOr404(ctx.params.id ?? '');
    local(user);
    const body = parse(v.object({ password: v.optional(Password) }), ctx.body ?? {});
    const password = body.password ?? generatePassword();
    await accounts.setPassword(user.id, password, who(ctx), null, true);
    return { body: body.password === undefined ? { password } : {} };
  });

  router.delete('/admin/users/:id/totp', 'admin', (ctx) => {
    const user = userOr404(ctx.params.id ?? '');
    if (!user.totp) throw conflict('two-factor authentication is not on for this user');
    accounts.disableTotp(user.id, who(ctx));
    return {};
  });

  router.get('/admin/sessions', 'admin', (ctx) => {
    const name = ctx.query.get('user');
    const userId = name ? userOr404(name).id : undefined;
    return { body: { sessions: accounts.listSessions(userId).map((s) => sessionView(s)) } };
  });

  router.delete('/admin/sessions/:id', 'admin', (ctx) => {
    const s = accounts.getSession(ctx.params.id ?? '');
    if (!s || s.revokedAt !== null) throw notFound('no such session');
    accounts.revokeSession(s.id, 'revoked by admin', who(ctx));
    return {};
  });

  installInviteRoutes({
    router,
    accounts,
    config,
    metrics,
    who,
    ...(limiters ? { limiters } : {}),
  });

  return {
    accounts,
    audit,
    router,
    setupCode: () => (accounts.userCount() === 0 ? code : null),
    setPeopleVisibleTo(fn) {
      peopleVisibleTo = fn;
    },
    close() {
      stopWatching();
      if (noAuthTimer) clearInterval(noAuthTimer);
      clearInterval(purgeTimer);
      accounts.close();
      metrics.registry.removeSingleMetric('ferry_sessions_active');
    },
  };
}
