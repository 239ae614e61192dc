// A relay process with company sign-in against real servers (issue 15): Debian's slapd and an
// OpenID provider process, both started by the tests (engines/slapd.ts, engines/oidc.ts). The
// relay's port is chosen first, since the issuer must know the exact redirect URI.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Fixture, newTestId } from './authz-fixture';
import { freePort } from './engines/common';
import { startIssuer, type IssuerEngine, type IssuerUser } from './engines/oidc';
import { TEST_ROLES, groupDn, testLdapConfig, type SlapdEngine } from './engines/slapd';
import { removeDir, tempDir } from './helpers';

/** The people of the test issuer: the LDAP tree's names, other passwords, group names. */
export const ISSUER_USERS: IssuerUser[] = [
  { username: 'olivia', password: 'olivia-pw-1', name: 'Olivia Owner', groups: ['ferry-admins'] },
  { username: 'oscar', password: 'oscar-pw-2', name: 'Oscar Staff', groups: ['staff', 'sales'] },
  { username: 'otto', password: 'otto-pw-3', name: 'Otto Outside', groups: [] },
];

export function ldapSection(e: SlapdEngine, over: Record<string, unknown> = {}) {
  return testLdapConfig(e, {
    startTls: true,
    caFile: e.caFile,
    label: 'Ferry Test directory',
    roles: TEST_ROLES,
    defaultRole: null,
    syncEverySeconds: 2,
    ...over,
  });
}

export interface IdentityRelay {
  f: Fixture;
  issuer: IssuerEngine | null;
  /** The channel the `sales` group (LDAP) and `sales` (OIDC) keep members in. */
  salesChannel: string;
  redirectUri: string;
  stop(): Promise<void>;
}

/**
 * Starts a relay whose config file has `identity` with LDAP against `ldap` and (unless
 * `oidc: false`) OIDC against a new issuer process, and makes the sales channel.
 */
export async function startIdentityRelay(options: {
  ldap: SlapdEngine | null;
  oidc?: boolean | Record<string, unknown>;
  identity?: Record<string, unknown>;
  ldapOver?: Record<string, unknown>;
}): Promise<IdentityRelay> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const redirectUri = `${base}/api/v1/auth/oidc/callback`;
  const salesChannel = newTestId();
  let issuer: IssuerEngine | null = null;
  const identity: Record<string, unknown> = { offlineGraceDays: 14, ...options.identity };
  if (options.ldap) {
    identity.ldap = ldapSection(options.ldap, {
      channels: { [groupDn('sales')]: salesChannel },
      ...options.ldapOver,
    });
  }
  const dir = tempDir('ferry-identity-');
  if (options.oidc !== false) {
    issuer = await startIssuer({
      users: ISSUER_USERS,
      redirectUri,
      backchannelLogoutUri: `${base}/api/v1/auth/oidc/backchannel-logout`,
    });
    const secretFile = path.join(dir, 'oidc.secret');
    writeFileSync(secretFile, issuer.clientSecret + '\n');
    identity.oidc = {
      issuer: issuer.issuer,
      allowHttp: true,
      clientId: issuer.clientId,
      clientSecretFile: secretFile,
      label: 'Sign in with Ferry Test',
      redirectUri,
      claims: { username: 'preferred_username', groups: 'groups' },
      roles: { 'ferry-admins': 'admin', staff: 'member' },
      channels: { sales: salesChannel },
      createAccounts: true,
      ...(typeof options.oidc === 'object' ? options.oidc : {}),
    };
  }
  const configFile = path.join(dir, 'ferry.json');
  writeFileSync(configFile, JSON.stringify({ identity }, null, 2));
  let f: Fixture;
  try {
    // Each sign-in is three anonymous calls (start, callback, exchange) from one address.
    f = await Fixture.start([
      ...['--port', String(port), '--config', configFile],
      ...['--limit-api-address', '1000/100/s'],
    ]);
  } catch (error) {
    await issuer?.dispose();
    removeDir(dir);
    throw error;
  }
  await f.conversation(f.admin, { id: salesChannel, kind: 'channel', title: 'sales' });
  return {
    f,
    issuer,
    salesChannel,
    redirectUri,
    async stop() {
      await f.stop();
      await issuer?.dispose();
      removeDir(dir);
    },
  };
}
