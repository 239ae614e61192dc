// The `identity` section of the relay's config file (docs/identity.md, "What IT configures"):
// checked at start with every wrong value named, then made into the running sources.
import { LdapDirectory } from './ldap';
import { parseLdapConfig, type LdapConfig } from './ldap-config';
import { OidcIssuer } from './oidc';
import { parseOidcConfig, type OidcConfig } from './oidc-config';
import type { IdentitySetup } from './service';

export interface IdentityConfig {
  localSignIn: 'everyone' | 'admins';
  offlineGraceDays: number | null;
  ldap: LdapConfig | null;
  oidc: OidcConfig | null;
}

const KEYS = ['localSignIn', 'offlineGraceDays', 'ldap', 'oidc'];

/** Checks `identity`; pushes one line per wrong value onto `errors`. */
export function parseIdentityConfig(raw: unknown, errors: string[]): IdentityConfig | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    errors.push('identity: must be an object');
    return null;
  }
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) errors.push(`identity: unknown key "${key}"`);
  }
  const localSignIn = o.localSignIn ?? 'everyone';
  if (localSignIn !== 'everyone' && localSignIn !== 'admins') {
    errors.push('identity.localSignIn: must be "everyone" or "admins"');
  }
  const grace = o.offlineGraceDays ?? null;
  if (
    grace !== null &&
    (typeof grace !== 'number' || !Number.isInteger(grace) || grace < 1 || grace > 3650)
  ) {
    errors.push(
      'identity.offlineGraceDays: must be a whole number of days from 1 to 3650, or null (no limit)',
    );
  }
  const ldap = o.ldap === undefined || o.ldap === null ? null : parseLdapConfig(o.ldap, errors);
  const oidc = o.oidc === undefined || o.oidc === null ? null : parseOidcConfig(o.oidc, errors);
  if (localSignIn === 'admins' && !ldap && !oidc) {
    errors.push(
      'identity.localSignIn: "admins" needs identity.ldap or identity.oidc, or nobody else could sign in',
    );
  }
  return {
    localSignIn: localSignIn === 'admins' ? 'admins' : 'everyone',
    offlineGraceDays: typeof grace === 'number' ? grace : null,
    ldap,
    oidc,
  };
}

/** The running sources of a checked config. */
export function identitySetup(c: IdentityConfig): IdentitySetup {
  return {
    localSignIn: c.localSignIn,
    offlineGraceDays: c.offlineGraceDays,
    ldap: c.ldap && {
      label: c.ldap.label,
      url: c.ldap.url,
      directory: new LdapDirectory(c.ldap),
      maps: c.ldap.maps,
      syncEveryMs: c.ldap.syncEverySeconds * 1000,
    },
    oidc: c.oidc && {
      label: c.oidc.label,
      issuer: c.oidc.issuer,
      sso: new OidcIssuer(c.oidc),
      maps: c.oidc.maps,
      createAccounts: c.oidc.createAccounts,
      redirectUri: c.oidc.redirectUri,
    },
  };
}
