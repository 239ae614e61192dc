// A real OpenID provider for Ferry's tests (issue 15), run as its own process by oidc.ts:
// `oidc-provider` on 127.0.0.1, an ephemeral port, plain http (production issuers are https;
// the relay only talks http to a loopback issuer when `identity.oidc.allowHttp` says so).
//
// One confidential client (client_secret_basic) with exactly the redirect URI it is given,
// PKCE S256 required, a `groups` scope carrying a `groups` claim, `sid` in ID tokens,
// back-channel logout and end_session on. Sign-in is a minimal form of our own that checks
// the password (username/password fields, a submit button with stable ids); consent is
// granted at once for this first-party client.
//
// Its configuration arrives as base64 JSON in the first argument; once it listens it prints one
// line `READY <port>` on stdout. Test hooks under /_test/ need `authorization: Bearer <hook
// token>`: users (add, remove, change groups), logout (back-channel logout of a sub or sid,
// the issuer's session ended too), and the logout tokens it sent to its own sink (used when
// the test gives no back-channel logout URI).
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(Buffer.from(process.argv[2] ?? '', 'base64').toString('utf8') || '{}');
/** @type {Map<string, { sub: string; password: string; groups: string[]; name?: string; email?: string }>} */
const users = new Map();
for (const user of config.users ?? []) users.set(user.username.toLowerCase(), normalise(user));
/** Logout tokens posted to the issuer's own sink, newest last. */
const sunkLogoutTokens = [];

function normalise(user) {
  return {
    sub: user.sub ?? `sub-${user.username.toLowerCase()}`,
    username: user.username,
    password: user.password,
    groups: [...(user.groups ?? [])],
    name: user.name ?? user.username,
    email: user.email ?? `${user.username.toLowerCase()}@corp.example`,
  };
}

function userBySub(sub) {
  for (const user of users.values()) if (user.sub === sub) return user;
  return null;
}

// -- storage: a plain Map, so the test hooks can find sessions by sub or sid -----------------
const store = new Map();
class MapAdapter {
  constructor(name) {
    this.name = name;
  }
  key(id) {
    return `${this.name}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    const expiresAt = expiresIn ? Date.now() + expiresIn * 1000 : Infinity;
    store.set(this.key(id), { payload, expiresAt });
  }
  async find(id) {
    const entry = store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      store.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }
  async findByUid(uid) {
    for (const [key, entry] of store) {
      if (key.startsWith(`${this.name}:`) && entry.payload.uid === uid) return entry.payload;
    }
    return undefined;
  }
  async findByUserCode(userCode) {
    for (const [key, entry] of store) {
      if (key.startsWith(`${this.name}:`) && entry.payload.userCode === userCode) {
        return entry.payload;
      }
    }
    return undefined;
  }
  async consume(id) {
    const entry = store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    store.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const [key, entry] of store) if (entry.payload.grantId === grantId) store.delete(key);
  }
}

// -- the server: listen first (the port makes the issuer URL), then build the provider -------
const server = http.createServer();
await new Promise((resolve) => server.listen(config.port ?? 0, '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;
const sinkUri = `${issuer}/_test/backchannel-sink`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = {
  ...(await exportJWK(privateKey)),
  kid: 'test-issuer-1',
  use: 'sig',
  alg: 'RS256',
};

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  clients: [
    {
      client_id: config.clientId,
      client_secret: config.clientSecret,
      redirect_uris: [config.redirectUri],
      post_logout_redirect_uris: config.postLogoutRedirectUri ? [config.postLogoutRedirectUri] : [],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      backchannel_logout_uri: config.backchannelLogoutUri ?? sinkUri,
      backchannel_logout_session_required: true,
    },
  ],
  pkce: { required: () => true },
  // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection), and the
  // relay under test listens on 127.0.0.1: this test issuer posts logout tokens there anyway.
  fetch: (url, { dispatcher: _ssrfGuard, ...options }) => fetch(url, options),
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // Off: profile/email/groups claims travel in the ID token too (as Keycloak does with its
  // mappers). On (the default): only through userinfo, which the relay then has to ask.
  conformIdTokenClaims: config.claimsInIdToken === false,
  features: {
    devInteractions: { enabled: false },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, sub) {
    const user = userBySub(sub);
    if (!user) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          preferred_username: user.username,
          name: user.name,
          email: user.email,
          email_verified: true,
          groups: [...user.groups],
        };
      },
    };
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page(
      'Sign-in error',
      `<p id="error">${escape(out.error)}: ${escape(out.error_description ?? '')}</p>`,
    );
  },
  ttl: {
    AccessToken: 600,
    AuthorizationCode: 60,
    IdToken: 600,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
});
provider.on('server_error', (_ctx, error) => console.error('issuer server_error', error));
provider.on('backchannel.error', (_client, error) =>
  console.error('issuer backchannel.error', error.message),
);

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

async function logoutSource(ctx, form) {
  ctx.body = page(
    'Sign out',
    `${form}<button id="logout-yes" type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>`,
  );
}

async function postLogoutSuccessSource(ctx) {
  ctx.body = page('Signed out', '<p id="signed-out">You are signed out.</p>');
}

function loginForm(uid, error) {
  return page(
    'Sign in to Corp',
    `${error ? `<p id="login-error">${escape(error)}</p>` : ''}
<form id="login" method="post" action="/interaction/${escape(uid)}/login">
<label for="username">Username</label><input id="username" name="username" autocomplete="username" autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password">
<button id="sign-in" type="submit">Sign in</button>
</form>`,
  );
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 65_536) reject(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** Consent for this first-party client: everything it asked for, granted at once. */
async function grantAll(details, accountId) {
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const missing = details.prompt.details.missingOIDCClaims;
  if (Array.isArray(missing)) grant.addOIDCClaims(missing);
  return grant.save();
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, 'text/plain', 'interaction mismatch');
  if (details.prompt.name === 'consent') {
    const grantId = await grantAll(details, details.session.accountId);
    return provider.interactionFinished(
      req,
      res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
  }
  if (action !== 'login' || req.method !== 'POST') {
    return send(res, 200, 'text/html; charset=utf-8', loginForm(uid));
  }
  const form = new URLSearchParams(await readBody(req));
  const user = users.get(String(form.get('username') ?? '').toLowerCase());
  if (!user || user.password !== form.get('password')) {
    return send(
      res,
      401,
      'text/html; charset=utf-8',
      loginForm(uid, 'Wrong username or password.'),
    );
  }
  const grantId = await grantAll(details, user.sub);
  return provider.interactionFinished(req, res, {
    login: { accountId: user.sub },
    consent: { grantId },
  });
}

/** Sessions of a sub, or the one holding a sid, with the sid they gave the client. */
function sessionsFor({ sub, sid }) {
  const found = [];
  for (const [key, entry] of store) {
    if (!key.startsWith('Session:')) continue;
    const authorization = entry.payload.authorizations?.[config.clientId];
    if (!authorization) continue;
    if ((sub && entry.payload.accountId === sub) || (sid && authorization.sid === sid)) {
      found.push({ key, accountId: entry.payload.accountId, sid: authorization.sid });
    }
  }
  return found;
}

async function testHook(req, res, path) {
  if (req.headers.authorization !== `Bearer ${config.hookToken}`) {
    return send(res, 401, 'text/plain', 'hook token required');
  }
  const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {};
  if (path === '/_test/users' && req.method === 'POST') {
    users.set(body.username.toLowerCase(), normalise(body));
    return send(
      res,
      200,
      'application/json',
      JSON.stringify({ sub: users.get(body.username.toLowerCase()).sub }),
    );
  }
  if (path === '/_test/users/remove' && req.method === 'POST') {
    users.delete(String(body.username).toLowerCase());
    return send(res, 204, 'text/plain', '');
  }
  if (path === '/_test/users/groups' && req.method === 'POST') {
    const user = users.get(String(body.username).toLowerCase());
    if (!user) return send(res, 404, 'text/plain', 'no such user');
    user.groups = [...body.groups];
    return send(res, 204, 'text/plain', '');
  }
  if (path === '/_test/logout' && req.method === 'POST') {
    const client = await provider.Client.find(config.clientId);
    const ended = [];
    for (const session of sessionsFor(body)) {
      store.delete(session.key);
      await client.backchannelLogout(session.accountId, session.sid);
      ended.push({ sub: session.accountId, sid: session.sid });
    }
    return send(res, 200, 'application/json', JSON.stringify({ ended }));
  }
  if (path === '/_test/logout-tokens' && req.method === 'GET') {
    return send(res, 200, 'application/json', JSON.stringify(sunkLogoutTokens));
  }
  return send(res, 404, 'text/plain', 'no such hook');
}

const callback = provider.callback();
server.on('request', (req, res) => {
  const url = new URL(req.url ?? '/', issuer);
  const route = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(url.pathname);
  const handle = async () => {
    if (url.pathname === '/_test/backchannel-sink' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      sunkLogoutTokens.push(form.get('logout_token'));
      return send(res, 200, 'text/plain', '');
    }
    if (url.pathname.startsWith('/_test/')) return testHook(req, res, url.pathname);
    if (route) return interaction(req, res, route[1], route[2]);
    return callback(req, res);
  };
  handle().catch((error) => {
    console.error('issuer request failed', error);
    if (!res.headersSent) send(res, 500, 'text/plain', 'issuer error');
  });
});

process.on('SIGTERM', () => process.exit(0));
process.stdout.write(`READY ${port}\n`);
