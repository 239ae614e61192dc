// The parts of the identity benchmark (bench/identity.ts) that play the real programs: a
// `ferry-relay` process with company sign-in against the test slapd and OpenID issuer, and
// clients that sign in the way the app does (JSON over HTTP; OIDC through the issuer's form).
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { OWASP_ARGON2 } from '../../sync-server/src/accounts/passwords';
import { api, type Tokens } from '../../sync-server/test/accounts-helpers';
import { exited, freePort, spawnEngine } from '../../sync-server/test/engines/common';
import { signInAtIssuer, type IssuerEngine } from '../../sync-server/test/engines/oidc';
import type { SlapdEngine } from '../../sync-server/test/engines/slapd';
import { ldapSection } from '../../sync-server/test/identity-fixture';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(repoRoot, 'sync-server/src/cli.ts');

/** The argon2id cost the relay uses when not told otherwise (sync-server/src/config.ts). */
export const ARGON2 = OWASP_ARGON2;

/** Every throttle raised: the bench measures sign-ins and deprovisioning, not the limits. */
export const RAISED_LIMITS = ['limit-api-address', 'limit-login-username', 'limit-api-user'];
const limitArgs = RAISED_LIMITS.flatMap((flag) => [`--${flag}`, '1000000/1000000/s']);

export interface BenchRelay {
  http: string;
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `ferry-relay` (node --import tsx, as the tests start it) on `port`, accounts on, argon2 at its
 * default cost, LDAP with StartTLS and the test CA, OIDC against `issuer`, limits raised, the
 * scheduled sync far away (the bench presses "sync now").
 */
export async function startBenchRelay(o: {
  port: number;
  dir: string;
  ldap: SlapdEngine;
  issuer: IssuerEngine;
}): Promise<BenchRelay> {
  const http = `http://127.0.0.1:${o.port}`;
  const secretFile = path.join(o.dir, 'oidc.secret');
  writeFileSync(secretFile, o.issuer.clientSecret + '\n');
  const identity = {
    offlineGraceDays: 14,
    ldap: ldapSection(o.ldap, { syncEverySeconds: 86_400 }),
    oidc: {
      issuer: o.issuer.issuer,
      allowHttp: true,
      clientId: o.issuer.clientId,
      clientSecretFile: secretFile,
      label: 'Sign in with Ferry Test',
      redirectUri: `${http}/api/v1/auth/oidc/callback`,
      claims: { username: 'preferred_username', groups: 'groups' },
      roles: { 'ferry-admins': 'admin', staff: 'member' },
      createAccounts: true,
    },
  };
  const configFile = path.join(o.dir, 'ferry.json');
  writeFileSync(configFile, JSON.stringify({ identity }, null, 2));
  const args = [
    ...['--import', 'tsx', cli, '--host', '127.0.0.1', '--port', String(o.port)],
    ...['--data', path.join(o.dir, 'data'), '--config', configFile],
    ...['--argon2-memory', String(ARGON2.memoryCost), '--argon2-time', String(ARGON2.timeCost)],
    ...limitArgs,
  ];
  // setpriv --pdeathsig: the relay dies with the bench, whatever ends it.
  const proc = spawnEngine(process.execPath, args, null);
  let log = '';
  await new Promise<void>((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(
      () => reject(new Error(`relay not listening in 60 s:\n${log}`)),
      60_000,
    );
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.includes('"msg":"listening"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    proc.stderr?.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-8000)));
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}) at start:\n${log}`));
    });
  });
  return {
    http,
    url: `ws://127.0.0.1:${o.port}`,
    pid: proc.pid ?? 0,
    async stop() {
      proc.kill('SIGKILL');
      await exited(proc);
    },
  };
}

export const relayPort = freePort;

/** POST /auth/login (local or directory account: the relay routes it); throws unless 200. */
export async function passwordSignIn(
  http: string,
  username: string,
  password: string,
): Promise<Tokens> {
  const r = await api<Tokens>(http, 'POST', '/auth/login', { body: { username, password } });
  if (r.status !== 200) throw new Error(`sign-in of ${username}: ${r.status}`);
  return r.body;
}

/**
 * The app's single sign-on: a PKCE verifier, GET /auth/oidc/start, the issuer's login form
 * (a fresh cookie jar, as a browser without a session there), the relay's callback, then
 * POST /auth/oidc/exchange with the one-time code and the verifier.
 */
export async function oidcSignIn(http: string, username: string, password: string) {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const start = await fetch(`${http}/api/v1/auth/oidc/start?app=web&challenge=${challenge}`, {
    redirect: 'manual',
  });
  await start.body?.cancel();
  const authorize = start.headers.get('location');
  if (start.status !== 303 || !authorize) throw new Error(`oidc start: ${start.status}`);
  const callback = await signInAtIssuer(authorize, { username, password });
  const back = await fetch(callback, { redirect: 'manual' });
  await back.body?.cancel();
  const location = back.headers.get('location') ?? '';
  const code = new URLSearchParams(location.split('#/auth?')[1] ?? '').get('code');
  if (!code) throw new Error(`oidc callback of ${username}: ${back.status}`);
  const r = await api<Tokens>(http, 'POST', '/auth/oidc/exchange', { body: { code, verifier } });
  if (r.status !== 200) throw new Error(`oidc exchange of ${username}: ${r.status}`);
  return r.body;
}

/**
 * Local accounts made the way an admin does (POST /admin/users), each signed in once and its
 * given password replaced (docs/accounts.md, Onboarding), so later sign-ins are ordinary ones.
 */
export async function makeLocalUsers(
  http: string,
  admin: Tokens,
  names: string[],
  password: string,
): Promise<void> {
  for (const username of names) {
    const given = `${password}-given`;
    const made = await api(http, 'POST', '/admin/users', {
      token: admin.accessToken,
      body: { username, role: 'member', password: given, displayName: username },
    });
    if (made.status !== 201) throw new Error(`create ${username}: ${made.status}`);
    const first = await passwordSignIn(http, username, given);
    const changed = await api(http, 'POST', '/me/password', {
      token: first.accessToken,
      body: { currentPassword: given, newPassword: password },
    });
    if (changed.status !== 204) throw new Error(`password of ${username}: ${changed.status}`);
  }
}
