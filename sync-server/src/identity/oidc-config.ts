// `identity.oidc` of the relay's config file (docs/identity.md), checked whole at start: every
// wrong setting gives one line naming its key, and the client secret is read from its file
// here, never echoed. The result is what OidcIssuer (oidc.ts) needs.
import { readFileSync } from 'node:fs';
import { ROLES, type Role } from '../accounts/validation';
import type { GroupMaps } from './types';

export interface OidcClaimNames {
  /** The stable id; default `sub` (unique per issuer). */
  id: string;
  username: string;
  displayName: string;
  email: string | null;
  /** The claim holding group names; null: no groups are read. */
  groups: string | null;
}

export interface OidcConfig {
  /** The issuer URL exactly as configured (its discovery document must name the same). */
  issuer: string;
  /** http to a loopback issuer (tests, a local development IdP); never http elsewhere. */
  allowHttp: boolean;
  clientId: string;
  /** Read from clientSecretFile; never in a message or a log line. */
  clientSecret: string;
  /** How the relay authenticates at the token endpoint, as registered at the issuer. */
  clientAuth: 'client_secret_basic' | 'client_secret_post';
  label: string;
  /** Absolute, compared exactly by the issuer: one character off and it refuses. */
  redirectUri: string;
  scopes: string[];
  claims: OidcClaimNames;
  maps: GroupMaps;
  /** Create an account on the first sign-in (JIT); false: only existing linked accounts. */
  createAccounts: boolean;
}

const KEYS = new Set([
  'issuer',
  'allowHttp',
  'clientId',
  'clientSecretFile',
  'clientAuth',
  'label',
  'redirectUri',
  'scopes',
  'claims',
  'roles',
  'channels',
  'defaultRole',
  'createAccounts',
]);
const CLAIM_KEYS = ['id', 'username', 'displayName', 'email', 'groups'] as const;

/** 127.0.0.0/8, ::1 and localhost: the only hosts plain http may reach. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseUrl(value: unknown): URL | null {
  if (typeof value !== 'string') return null;
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

function stringMap(
  raw: unknown,
  key: string,
  errors: string[],
  check: (value: string) => string | null,
): Array<[string, string]> {
  if (raw === undefined) return [];
  if (!isObject(raw)) {
    errors.push(`identity.oidc.${key}: must be an object of group name to value`);
    return [];
  }
  const out: Array<[string, string]> = [];
  for (const [group, value] of Object.entries(raw)) {
    const problem = typeof value === 'string' ? check(value) : 'must be a string';
    if (problem) errors.push(`identity.oidc.${key}["${group}"]: ${problem}`);
    else out.push([group, value as string]);
  }
  return out;
}

const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

/**
 * Checks `identity.oidc`; pushes one line per problem to `errors` (naming the key) and returns
 * null if there was any. `raw` undefined means OIDC is off (null, no error).
 */
export function parseOidcConfig(raw: unknown, errors: string[]): OidcConfig | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) {
    errors.push('identity.oidc: must be an object');
    return null;
  }
  const before = errors.length;
  for (const key of Object.keys(raw)) {
    if (!KEYS.has(key)) errors.push(`identity.oidc: unknown key "${key}"`);
  }

  const allowHttp = raw.allowHttp ?? false;
  if (typeof allowHttp !== 'boolean') errors.push('identity.oidc.allowHttp: must be true or false');

  const issuer = parseUrl(raw.issuer);
  if (!issuer || (issuer.protocol !== 'https:' && issuer.protocol !== 'http:')) {
    errors.push(
      'identity.oidc.issuer: must be the issuer URL, e.g. https://sso.corp.example/realms/corp',
    );
  } else if (issuer.search || issuer.hash || issuer.username || issuer.password) {
    errors.push('identity.oidc.issuer: must have no query, fragment or credentials');
  } else if (
    issuer.protocol === 'http:' &&
    !(allowHttp === true && isLoopbackHost(issuer.hostname))
  ) {
    errors.push(
      allowHttp === true
        ? 'identity.oidc.issuer: http is allowed only to a loopback issuer (127.0.0.1, ::1, localhost); use https'
        : 'identity.oidc.issuer: must be https (http only with allowHttp, to a loopback issuer, for tests)',
    );
  }

  const clientId = raw.clientId;
  if (typeof clientId !== 'string' || clientId === '') {
    errors.push('identity.oidc.clientId: must be the client id registered at the issuer');
  }

  let clientSecret = '';
  if (typeof raw.clientSecretFile !== 'string' || raw.clientSecretFile === '') {
    errors.push(
      'identity.oidc.clientSecretFile: must be the path of a file holding the client secret',
    );
  } else {
    try {
      clientSecret = readFileSync(raw.clientSecretFile, 'utf8').trim();
      if (clientSecret === '') {
        errors.push(`identity.oidc.clientSecretFile: ${raw.clientSecretFile} is empty`);
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      errors.push(`identity.oidc.clientSecretFile: cannot read ${raw.clientSecretFile} (${code})`);
    }
  }

  const clientAuth = raw.clientAuth ?? 'client_secret_basic';
  if (clientAuth !== 'client_secret_basic' && clientAuth !== 'client_secret_post') {
    errors.push('identity.oidc.clientAuth: must be client_secret_basic or client_secret_post');
  }

  const label = raw.label ?? 'Sign in with SSO';
  if (typeof label !== 'string' || label.trim() === '' || label.length > 60) {
    errors.push('identity.oidc.label: must be a button text of 1-60 characters');
  }

  const redirect = parseUrl(raw.redirectUri);
  if (!redirect || (redirect.protocol !== 'https:' && redirect.protocol !== 'http:')) {
    errors.push(
      'identity.oidc.redirectUri: must be an absolute URL, e.g. https://ferry.corp.example/api/v1/auth/oidc/callback',
    );
  } else if (redirect.hash) {
    errors.push('identity.oidc.redirectUri: must have no fragment');
  } else if (redirect.protocol === 'http:' && !isLoopbackHost(redirect.hostname)) {
    errors.push('identity.oidc.redirectUri: must be https (http only on a loopback address)');
  }

  const claims: OidcClaimNames = {
    id: 'sub',
    username: 'preferred_username',
    displayName: 'name',
    email: 'email',
    groups: null,
  };
  if (raw.claims !== undefined && !isObject(raw.claims)) {
    errors.push('identity.oidc.claims: must be an object of claim names');
  } else if (isObject(raw.claims)) {
    for (const key of Object.keys(raw.claims)) {
      if (!(CLAIM_KEYS as readonly string[]).includes(key)) {
        errors.push(`identity.oidc.claims: unknown key "${key}" (${CLAIM_KEYS.join(', ')})`);
      }
    }
    for (const key of CLAIM_KEYS) {
      const value = raw.claims[key];
      if (value === undefined) continue;
      const nullable = key === 'email' || key === 'groups';
      if (value === null && nullable) claims[key] = null;
      else if (typeof value === 'string' && value !== '') claims[key] = value;
      else errors.push(`identity.oidc.claims.${key}: must be a claim name`);
    }
  }

  let scopes = ['openid', 'profile', 'email', ...(claims.groups ? ['groups'] : [])];
  if (raw.scopes !== undefined) {
    const given = raw.scopes;
    if (
      !Array.isArray(given) ||
      !given.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
    ) {
      errors.push(
        'identity.oidc.scopes: must be a list of scope names, e.g. ["openid", "profile"]',
      );
    } else {
      scopes = given as string[];
      if (!scopes.includes('openid')) errors.push('identity.oidc.scopes: must include "openid"');
    }
  }

  const roles = stringMap(raw.roles, 'roles', errors, (v) =>
    isRole(v) ? null : 'a role is admin, member or guest',
  ) as Array<[string, Role]>;
  const channels = stringMap(raw.channels, 'channels', errors, (v) =>
    v === '' ? 'must be a channel id' : null,
  );
  const defaultRole = raw.defaultRole === undefined ? 'member' : raw.defaultRole;
  if (defaultRole !== null && !isRole(defaultRole)) {
    errors.push('identity.oidc.defaultRole: must be admin, member, guest or null (no sign-in)');
  }
  const createAccounts = raw.createAccounts ?? true;
  if (typeof createAccounts !== 'boolean') {
    errors.push('identity.oidc.createAccounts: must be true or false');
  }

  if (errors.length > before) return null;
  return {
    issuer: raw.issuer as string,
    allowHttp: allowHttp as boolean,
    clientId: clientId as string,
    clientSecret,
    clientAuth: clientAuth as OidcConfig['clientAuth'],
    label: (label as string).trim(),
    redirectUri: raw.redirectUri as string,
    scopes,
    claims,
    maps: { roles, channels, defaultRole: defaultRole as Role | null },
    createAccounts: createAccounts as boolean,
  };
}
