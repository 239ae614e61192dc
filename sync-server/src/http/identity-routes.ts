// The company sign-in endpoints of `/api/v1` (docs/identity.md, "Messages"): which sign-ins
// the relay offers, the OIDC flow (start → issuer → callback → one-time code → exchange),
// back-channel logout, and the admin's view of the sources with "test connection", "test
// sign-in as" and "sync now". Errors from the directory or the issuer reach people in words,
// never with a secret; every refusal is audited.
import * as v from 'valibot';
import type { Accounts } from '../accounts/service';
import type { Audit } from '../audit';
import { Device } from '../accounts/validation';
import type { Logger } from '../log';
import { CHALLENGE_PATTERN, type AppKind } from '../identity/oidc-flows';
import type { Identity } from '../identity/service';
import { IdentityError } from '../identity/types';
import { ApiError, notFound } from './errors';
import { parse, type Reply, type RouteContext, type Router } from './router';

export interface IdentityRoutesDeps {
  router: Router;
  identity: Identity | null;
  accounts: Accounts;
  audit: Audit;
  log: Logger;
}

const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** The calm page a browser tab shows at the end of a desktop sign-in. */
function page(title: string, text: string, link?: string): string {
  const open = link
    ? `<meta http-equiv="refresh" content="0;url=${escapeHtml(link)}">` +
      `<p><a href="${escapeHtml(link)}">Open Ferry</a></p>`
    : '';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
    '<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:15vh auto;padding:0 1rem;' +
    'color:#1f2933}h1{font-size:1.4rem}a{color:#2563eb}</style></head><body>' +
    `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${open}</body></html>\n`
  );
}

const ExchangeBody = v.object({
  code: v.pipe(v.string(), v.maxLength(128)),
  verifier: v.pipe(v.string(), v.regex(/^[A-Za-z0-9._~-]{43,128}$/, 'not a PKCE verifier')),
  device: v.optional(Device),
});

export function installIdentityRoutes(deps: IdentityRoutesDeps): void {
  const { router, identity, accounts, audit, log } = deps;
  const setup = identity?.setup ?? null;

  router.get('/auth/providers', 'none', () => ({
    body: {
      local: setup?.localSignIn ?? 'everyone',
      ldap: setup?.ldap ? { label: setup.ldap.label } : null,
      oidc: setup?.oidc ? { label: setup.oidc.label } : null,
      offlineGraceDays: setup?.offlineGraceDays ?? null,
    },
  }));

  const oidcOf = () => {
    const oidc = identity && setup?.oidc;
    if (!identity || !oidc) throw notFound('single sign-on is not configured on this relay');
    return { identity, oidc };
  };

  /** Where the browser goes at the end: the web app's hash route or the desktop deep link. */
  const finish = (app: AppKind, params: Record<string, string>): Reply => {
    const query = new URLSearchParams(params).toString();
    const { oidc } = oidcOf();
    if (app === 'web') {
      return {
        status: 303,
        headers: { Location: new URL('/', oidc.redirectUri).href + '#/auth?' + query },
      };
    }
    const link = 'ferry://auth?' + query;
    return params.code
      ? { html: page('Signed in', 'You can close this tab and go back to Ferry.', link) }
      : { status: 400, html: page('Sign-in did not work', params.message ?? '', link) };
  };

  const refused = (ctx: RouteContext, reason: string) =>
    audit.append({
      actor: null,
      action: 'identity.refused',
      ip: ctx.ip,
      detail: { source: 'oidc', reason },
    });

  router.get('/auth/oidc/start', 'none', async (ctx) => {
    const { identity, oidc } = oidcOf();
    const app = ctx.query.get('app');
    const challenge = ctx.query.get('challenge') ?? '';
    if ((app !== 'web' && app !== 'desktop') || !CHALLENGE_PATTERN.test(challenge)) {
      throw new ApiError(400, 'invalid', 'give app=web|desktop and an S256 challenge');
    }
    let begun;
    try {
      begun = await oidc.sso.begin();
    } catch (error) {
      log.warn({ error: (error as Error).message }, 'single sign-on: the issuer did not answer');
      return finish(app, {
        error: 'unavailable',
        message: `${oidc.label} is unavailable right now; try again in a moment`,
      });
    }
    if (!identity.flows.put({ ...begun.flow, app, challenge })) {
      throw new ApiError(
        503,
        'unavailable',
        'too many sign-ins are in progress; try again',
        undefined,
        30,
      );
    }
    return { status: 303, headers: { Location: begun.url } };
  });

  router.get('/auth/oidc/callback', 'none', async (ctx) => {
    const { identity, oidc } = oidcOf();
    const flow = identity.flows.take(ctx.query.get('state') ?? '');
    if (!flow) {
      refused(ctx, 'unknown or expired state');
      return {
        status: 400,
        html: page(
          'This sign-in link has expired',
          'It was already used, or is more than 10 minutes old. Start again from Ferry.',
        ),
      };
    }
    // The configured redirect URI with the query the issuer sent (a proxy may have changed the
    // path the relay sees; the issuer only ever sends people to the exact configured URI).
    const url = new URL(oidc.redirectUri);
    url.search = new URL(ctx.req.url ?? '/', 'http://relay').search;
    try {
      const { person, sid } = await oidc.sso.finish(url, flow);
      const id = identity.admit('oidc', person, oidc.maps, oidc.createAccounts, ctx.ip);
      return finish(flow.app, { code: identity.flows.issueCode(id, flow.challenge, sid) });
    } catch (error) {
      if (error instanceof IdentityError) {
        refused(ctx, error.message);
        const message =
          error.code === 'unavailable'
            ? `${oidc.label} is unavailable right now; try again in a moment`
            : 'the sign-in could not be checked; start again from Ferry';
        return finish(flow.app, { error: error.code, message });
      }
      if (error instanceof ApiError) {
        return finish(flow.app, { error: error.code, message: error.message });
      }
      throw error;
    }
  });

  router.post('/auth/oidc/exchange', 'none', async (ctx) => {
    const { identity } = oidcOf();
    const body = parse(ExchangeBody, ctx.body ?? {});
    const redeemed = identity.flows.redeem(body.code, body.verifier);
    if ('refused' in redeemed) {
      refused(ctx, redeemed.refused);
      throw new ApiError(
        401,
        'invalid-credentials',
        'that sign-in is no longer valid; start again',
      );
    }
    const login = await accounts.openExternalSession(redeemed.user, {
      device: body.device ?? null,
      ip: ctx.ip,
      idpSession: redeemed.idpSession,
    });
    return { body: login };
  });

  // OpenID Connect Back-Channel Logout 1.0: the issuer posts a signed logout token; the
  // sessions opened through that issuer session (or, without a sid, all of that person's
  // sessions from the issuer) end, and their sockets close on every node.
  router.post(
    '/auth/oidc/backchannel-logout',
    'none',
    async (ctx) => {
      const { oidc } = oidcOf();
      const token = (ctx.body as Record<string, unknown> | undefined)?.['logout_token'];
      if (typeof token !== 'string' || token.length > 16_384) {
        throw new ApiError(400, 'invalid', 'give logout_token');
      }
      let claims;
      try {
        claims = await oidc.sso.verifyLogoutToken(token);
      } catch (error) {
        refused(ctx, `logout token: ${(error as Error).message}`);
        throw new ApiError(400, 'invalid', 'the logout token is not valid');
      }
      const by = { actor: 'directory', ip: ctx.ip };
      let ended = 0;
      if (claims.sid)
        ended = accounts.revokeIdpSessions(claims.sid, 'signed out at the issuer', by);
      else if (claims.sub) {
        const user = accounts.external.byExternal('oidc', claims.sub);
        if (user) ended = accounts.revokeUserSessions(user.id, 'signed out at the issuer', by);
      }
      audit.append({
        actor: 'directory',
        action: 'identity.logout',
        ip: ctx.ip,
        detail: { sid: claims.sid !== null, sub: claims.sub !== null, ended },
      });
      return { status: 200, headers: { 'Cache-Control': 'no-store' }, body: { ended } };
    },
    { form: true },
  );

  // ---- administration ----

  router.get('/admin/identity', 'admin', () => {
    const counts = accounts.external.countBySource();
    const ldap = setup?.ldap;
    const oidc = setup?.oidc;
    return {
      body: {
        localSignIn: setup?.localSignIn ?? 'everyone',
        offlineGraceDays: setup?.offlineGraceDays ?? null,
        local: { accounts: counts.local },
        ldap: ldap
          ? {
              label: ldap.label,
              url: ldap.url,
              syncEverySeconds: Math.round(ldap.syncEveryMs / 1000),
              accounts: counts.ldap,
              syncs: identity?.sync?.recent(20) ?? [],
            }
          : null,
        oidc: oidc
          ? {
              label: oidc.label,
              issuer: oidc.issuer,
              createAccounts: oidc.createAccounts,
              accounts: counts.oidc,
            }
          : null,
      },
    };
  });

  const ldapOf = () => {
    const ldap = identity && setup?.ldap;
    if (!identity || !ldap) throw notFound('no directory (LDAP) is configured on this relay');
    return { identity, ldap };
  };

  /** A directory error as an admin should read it: 502 with the words, never a secret. */
  const inWords = (error: unknown): never => {
    if (error instanceof IdentityError) {
      throw new ApiError(
        error.code === 'invalid-credentials' ? 401 : 502,
        'unavailable',
        error.message,
      );
    }
    throw error;
  };

  router.post('/admin/identity/ldap/test', 'admin', async (ctx) => {
    const { ldap } = ldapOf();
    audit.append({
      actor: ctx.access?.userId ?? null,
      action: 'identity.tested',
      ip: ctx.ip,
      detail: { what: 'connection' },
    });
    try {
      const result = await ldap.directory.test();
      return { body: { ok: true, ...result } };
    } catch (error) {
      return inWords(error);
    }
  });

  router.post('/admin/identity/ldap/test-signin', 'admin', async (ctx) => {
    const { identity } = ldapOf();
    const body = parse(
      v.object({
        username: v.pipe(v.string(), v.minLength(1), v.maxLength(256)),
        password: v.pipe(v.string(), v.minLength(1), v.maxLength(1024)),
      }),
      ctx.body ?? {},
    );
    audit.append({
      actor: ctx.access?.userId ?? null,
      action: 'identity.tested',
      ip: ctx.ip,
      detail: { what: 'sign-in', username: body.username },
    });
    try {
      return { body: await identity.testSignIn(body.username, body.password) };
    } catch (error) {
      return inWords(error);
    }
  });

  router.post('/admin/identity/ldap/sync', 'admin', async () => {
    const { identity } = ldapOf();
    const sync = await identity.sync?.runNow();
    if (!sync) throw new ApiError(409, 'conflict', 'a sync is under way; look again in a moment');
    return { body: { sync } };
  });
}
