// Invite links over `/api/v1` (docs/accounts.md, Onboarding; issue 12). Admins create, list
// and withdraw them; anyone holding a link's token may look it up and make their account with
// it. The token travels in request bodies only (never in a path: paths are logged). Lookups
// and sign-ups are limited per address like sign-in, and every refusal is audited (coalesced).
import * as v from 'valibot';
import type { Accounts } from '../accounts/service';
import { INVITE_LIMITS, type Invite } from '../accounts/invites';
import { Device, DisplayName, Password, Username } from '../accounts/validation';
import type { RelayConfig } from '../config';
import { localLimiters, parseBucketSpec, type LimiterFactory } from '../limits';
import type { Metrics } from '../metrics';
import { ApiError, rateLimited } from './errors';
import { parse, type RouteContext, type Router } from './router';

const Token = v.pipe(v.string(), v.maxLength(64));

const CreateBody = v.strictObject({
  role: v.optional(
    v.picklist(['member', 'guest'], 'an invite gives the role member or guest'),
    'member',
  ),
  expiresInHours: v.pipe(
    v.number(),
    v.integer('give whole hours'),
    v.minValue(INVITE_LIMITS.minHours, `an invite lasts at least ${INVITE_LIMITS.minHours} hour`),
    v.maxValue(
      INVITE_LIMITS.maxHours,
      `an invite lasts at most ${INVITE_LIMITS.maxHours / 24} days`,
    ),
  ),
  maxUses: v.pipe(
    v.number(),
    v.integer('give a whole number of uses'),
    v.minValue(1, 'an invite is good for at least one person'),
    v.maxValue(
      INVITE_LIMITS.maxUses,
      `an invite is good for at most ${INVITE_LIMITS.maxUses} people`,
    ),
  ),
});

const AcceptBody = v.strictObject({
  token: Token,
  username: Username,
  displayName: v.optional(DisplayName),
  password: Password,
  device: v.optional(Device),
});

export function installInviteRoutes(deps: {
  router: Router;
  accounts: Accounts;
  config: RelayConfig;
  metrics: Metrics;
  who: (ctx: RouteContext) => { actor: string | null; ip: string };
  limiters?: LimiterFactory;
}): void {
  const { router, accounts, config, metrics } = deps;
  // Like sign-in's per-username bucket, here per address: guessing tokens is as slow as
  // guessing passwords (and a 256-bit token is not guessed).
  const spec = parseBucketSpec(config.limitLoginUsername);
  if (!spec) throw new Error(`not a rate limit: ${config.limitLoginUsername}`);
  const perAddress = (deps.limiters ?? localLimiters)('invite-address', spec);
  const limit = async (ip: string) => {
    const r = await perAddress.take(ip);
    if (!r.ok) {
      metrics.rateLimited.inc({ what: 'invite-address' });
      throw rateLimited(r.retryAfterMs, 'too many attempts with invite links; try again later');
    }
  };
  const refused = (ctx: RouteContext, error: unknown): never => {
    if (error instanceof ApiError && (error.code === 'not-found' || error.code === 'gone')) {
      const reason = (error.details?.[0] as { reason?: string } | undefined)?.reason ?? 'unknown';
      accounts.refusals.refused({ actor: null, action: 'invite.refused', ip: ctx.ip, reason });
    }
    throw error;
  };
  const view = (i: Invite) => {
    const by = accounts.getUser(i.createdBy);
    return { ...i, createdByName: by?.displayName ?? i.createdBy };
  };

  router.post('/admin/invites', 'admin', (ctx) => {
    const body = parse(CreateBody, ctx.body ?? {});
    const actor = ctx.access?.userId as string;
    const { invite, token } = accounts.invites.create(
      { role: body.role, hours: body.expiresInHours, maxUses: body.maxUses },
      { actor, ip: ctx.ip },
    );
    return { status: 201, body: { invite: view(invite), token } };
  });

  router.get('/admin/invites', 'admin', () => ({
    body: { invites: accounts.invites.list().map(view) },
  }));

  router.delete('/admin/invites/:id', 'admin', (ctx) => ({
    body: { invite: view(accounts.invites.revoke(ctx.params.id ?? '', deps.who(ctx))) },
  }));

  router.post('/invites/lookup', 'none', async (ctx) => {
    await limit(ctx.ip);
    const body = parse(v.strictObject({ token: Token }), ctx.body ?? {});
    try {
      return { body: accounts.invites.inspect(body.token) };
    } catch (error) {
      return refused(ctx, error);
    }
  });

  router.post('/invites/accept', 'none', async (ctx) => {
    await limit(ctx.ip);
    const body = parse(AcceptBody, ctx.body ?? {});
    try {
      await accounts.invites.accept(
        body.token,
        { username: body.username, displayName: body.displayName, password: body.password },
        ctx.ip,
      );
    } catch (error) {
      return refused(ctx, error);
    }
    const login = await accounts.login(
      { username: body.username, password: body.password, device: body.device },
      ctx.ip,
    );
    return { status: 201, body: login };
  });
}
