// The `identity.ldap` section of the config file (docs/identity.md), checked at start: every
// problem is one line naming its key, in words. The service password and the CA are read from
// their files here; the password is kept behind a function so that logging or serialising the
// config never shows it.
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ldapts } from './ldapts';
import { ROLES, type Role } from '../accounts/validation';
import type { GroupMaps } from './types';

/** How a person is seen as disabled: a bit of an integer attribute, or an attribute's value. */
export type DisabledRule =
  | { kind: 'bits'; attribute: string; mask: number }
  | { kind: 'equals'; attribute: string; value: string };

export interface LdapConfig {
  url: string;
  host: string;
  port: number;
  /** ldaps:// (TLS from the first byte). */
  secure: boolean;
  startTls: boolean;
  /** The CA certificates of caFile (PEM); null: the system's CAs. */
  ca: Buffer | null;
  caFile: string | null;
  bindDn: string;
  /** The service password (from bindPasswordFile, trimmed). A function so it is never logged. */
  bindPassword: () => string;
  userBase: string;
  /** Holds `{username}`, replaced by the RFC 4515-escaped name (by `*` to list everyone). */
  userFilter: string;
  attributes: {
    id: string;
    username: string;
    displayName: string;
    email: string;
    avatar: string | null;
    disabled: DisabledRule | null;
  };
  /** null: groups are not read (everyone has none). */
  groups: { base: string; nested: boolean; filter: string; maxDepth: number } | null;
  /** Group DNs normalised (normaliseDn), in the config's order. */
  maps: GroupMaps;
  syncEverySeconds: number;
  timeoutMs: number;
  /** What the sign-in form calls the account: "Use your <label>". */
  label: string;
}

export const DEFAULT_GROUP_FILTER =
  '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))';
/** Nested groups are followed this many levels up at most (cycles are cut too). */
export const MAX_GROUP_DEPTH = 10;

const KEYS = [
  'url',
  'startTls',
  'caFile',
  'bindDn',
  'bindPasswordFile',
  'userBase',
  'userFilter',
  'attributes',
  'groups',
  'roles',
  'channels',
  'defaultRole',
  'syncEverySeconds',
  'timeoutMs',
  'label',
  'allowPlainLdap',
];
const ATTRIBUTE_KEYS = ['id', 'username', 'displayName', 'email', 'avatar', 'disabled'];
const ATTRIBUTE_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/** Lower case, no spaces around `,` and `=` (escaped commas kept): the form config keys use. */
export function normaliseDn(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) =>
      rdn
        .split(/(?<!\\)=/)
        .map((part) => part.trim())
        .join('='),
    )
    .join(',')
    .toLowerCase();
}

/** RFC 4515: a value placed in a filter matches itself only (`*`, `(`, `)`, `\`, NUL escaped). */
export function escapeFilterValue(value: string): string {
  return value.replace(/[\\*()\0]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `userAccountControl:2` (a bit, AD) or `employeeType=disabled` (a value, any case). */
export function parseDisabledRule(spec: string): DisabledRule | null {
  const bits = /^([A-Za-z][A-Za-z0-9-]*):(\d+)$/.exec(spec);
  if (bits && Number(bits[2]) > 0) {
    return { kind: 'bits', attribute: bits[1]!, mask: Number(bits[2]) };
  }
  const equals = /^([A-Za-z][A-Za-z0-9-]*)=(.+)$/.exec(spec);
  if (equals) return { kind: 'equals', attribute: equals[1]!, value: equals[2]!.trim() };
  return null;
}

function readFile(file: string, key: string, errors: string[]): string | null {
  try {
    return readFileSync(path.resolve(file), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'it is a directory'
            : 'unreadable';
    errors.push(`${key}: cannot read ${file} (${why})`);
    return null;
  }
}

function validFilter(filter: string): boolean {
  try {
    ldapts().FilterParser.parseString(filter);
    return true;
  } catch {
    return false;
  }
}

export function parseLdapConfig(raw: unknown, errors: string[]): LdapConfig | null {
  const at = 'identity.ldap';
  const before = errors.length;
  if (!isObject(raw)) {
    errors.push(`${at}: must be an object`);
    return null;
  }
  for (const key of Object.keys(raw)) {
    if (!KEYS.includes(key)) errors.push(`${at}: unknown key "${key}"`);
  }
  const str = (value: unknown, key: string, required = true): string | null => {
    if (value === undefined && !required) return null;
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    errors.push(`${key}: must be a non-empty string`);
    return null;
  };
  const int = (value: unknown, key: string, fallback: number, min: number, max: number) => {
    if (value === undefined) return fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) {
      return value;
    }
    errors.push(`${key}: must be a whole number from ${min} to ${max}`);
    return fallback;
  };
  const dn = (value: unknown, key: string): string => {
    const s = str(value, key);
    if (s !== null && !/^[^=,]+=[^]+$/.test(s)) errors.push(`${key}: "${s}" is not a DN`);
    return s ?? '';
  };

  // Where and how to connect.
  const url = str(raw.url, `${at}.url`) ?? '';
  let host = '';
  let port = 0;
  let secure = false;
  const m = /^(ldaps?):\/\/(\[[^\]]+\]|[^:/]+)(?::(\d{1,5}))?\/?$/i.exec(url);
  if (url && !m) {
    errors.push(`${at}.url: "${url}" is not ldap://host[:port] or ldaps://host[:port]`);
  } else if (m) {
    secure = m[1]!.toLowerCase() === 'ldaps';
    host = m[2]!.replace(/^\[|\]$/g, '');
    port = m[3] ? Number(m[3]) : secure ? 636 : 389;
    if (port < 1 || port > 65535) errors.push(`${at}.url: port ${port} is not 1-65535`);
  }
  const startTls = raw.startTls ?? false;
  if (typeof startTls !== 'boolean') errors.push(`${at}.startTls: must be true or false`);
  // Sign-in passwords cross the network to the directory: never in clear text, unless IT
  // says so for a network it trusts (a directory on this machine, over loopback, is fine).
  const allowPlain = raw.allowPlainLdap ?? false;
  if (typeof allowPlain !== 'boolean') errors.push(`${at}.allowPlainLdap: must be true or false`);
  const loopback = /^(localhost|127(\.\d{1,3}){3}|::1)$/i.test(host);
  if (m && !secure && startTls !== true && allowPlain !== true && !loopback) {
    errors.push(
      `${at}.url: ldap:// without startTls would send people's passwords in clear text; ` +
        'use ldaps://, or startTls: true (or allowPlainLdap: true for a directory you trust the path to)',
    );
  }
  const label = raw.label ?? 'company account';
  if (typeof label !== 'string' || label.trim() === '' || label.length > 60) {
    errors.push(`${at}.label: must be a name of 1-60 characters`);
  }
  if (startTls === true && secure) {
    errors.push(`${at}.startTls: ldaps:// is already TLS; use ldap:// with startTls, or ldaps://`);
  }
  let ca: Buffer | null = null;
  const caFile = str(raw.caFile, `${at}.caFile`, false);
  if (caFile !== null) {
    const text = readFile(caFile, `${at}.caFile`, errors);
    if (text !== null && !text.includes('-----BEGIN CERTIFICATE-----')) {
      errors.push(`${at}.caFile: ${caFile} holds no PEM certificate`);
    } else if (text !== null) ca = Buffer.from(text);
  }

  // The service account.
  const bindDn = dn(raw.bindDn, `${at}.bindDn`);
  let password = '';
  const passwordFile = str(raw.bindPasswordFile, `${at}.bindPasswordFile`);
  if (passwordFile !== null) {
    const text = readFile(passwordFile, `${at}.bindPasswordFile`, errors);
    if (text !== null) password = text.trim();
    if (text !== null && password === '') {
      errors.push(`${at}.bindPasswordFile: ${passwordFile} is empty`);
    }
  }

  // Where people are.
  const userBase = dn(raw.userBase, `${at}.userBase`);
  const userFilter = str(raw.userFilter, `${at}.userFilter`) ?? '';
  if (userFilter && !userFilter.includes('{username}')) {
    errors.push(`${at}.userFilter: must contain {username}`);
  } else if (userFilter && !validFilter(userFilter.split('{username}').join('x'))) {
    errors.push(`${at}.userFilter: "${userFilter}" is not an LDAP filter (RFC 4515)`);
  }

  const attrs = isObject(raw.attributes) ? raw.attributes : {};
  if (!isObject(raw.attributes)) errors.push(`${at}.attributes: must be an object`);
  for (const key of Object.keys(attrs)) {
    if (!ATTRIBUTE_KEYS.includes(key)) errors.push(`${at}.attributes: unknown key "${key}"`);
  }
  const attr = (key: string, required: boolean): string | null => {
    const s = str(attrs[key], `${at}.attributes.${key}`, required);
    if (s !== null && !ATTRIBUTE_NAME.test(s)) {
      errors.push(`${at}.attributes.${key}: "${s}" is not an attribute name`);
    }
    return s;
  };
  const disabledSpec = str(attrs.disabled, `${at}.attributes.disabled`, false);
  const disabled = disabledSpec === null ? null : parseDisabledRule(disabledSpec);
  if (disabledSpec !== null && disabled === null) {
    errors.push(
      `${at}.attributes.disabled: "${disabledSpec}" is neither attribute:bits (userAccountControl:2) nor attribute=value (employeeType=disabled)`,
    );
  }
  const attributes = {
    id: attr('id', true) ?? '',
    username: attr('username', true) ?? '',
    displayName: attr('displayName', true) ?? '',
    email: attr('email', true) ?? '',
    avatar: attr('avatar', false),
    disabled,
  };

  // Groups and what they give.
  let groups: LdapConfig['groups'] = null;
  if (raw.groups !== undefined) {
    const g = isObject(raw.groups) ? raw.groups : {};
    if (!isObject(raw.groups)) errors.push(`${at}.groups: must be an object`);
    for (const key of Object.keys(g)) {
      if (!['base', 'nested', 'filter'].includes(key)) {
        errors.push(`${at}.groups: unknown key "${key}"`);
      }
    }
    const nested = g.nested ?? true;
    if (typeof nested !== 'boolean') errors.push(`${at}.groups.nested: must be true or false`);
    const filter = str(g.filter, `${at}.groups.filter`, false) ?? DEFAULT_GROUP_FILTER;
    if (!validFilter(filter)) {
      errors.push(`${at}.groups.filter: "${filter}" is not an LDAP filter (RFC 4515)`);
    }
    groups = {
      base: dn(g.base, `${at}.groups.base`),
      nested: nested === true,
      filter,
      maxDepth: nested === true ? MAX_GROUP_DEPTH : 1,
    };
  }
  const roles: GroupMaps['roles'] = [];
  const channels: GroupMaps['channels'] = [];
  for (const [key, into] of [
    ['roles', roles],
    ['channels', channels],
  ] as const) {
    const value = raw[key] ?? {};
    if (!isObject(value)) {
      errors.push(
        `${at}.${key}: must be an object of group DN → ${key === 'roles' ? 'role' : 'channel id'}`,
      );
      continue;
    }
    for (const [group, target] of Object.entries(value)) {
      if (key === 'roles' && !ROLES.includes(target as Role)) {
        errors.push(`${at}.roles["${group}"]: must be one of ${ROLES.join(', ')}`);
      } else if (typeof target !== 'string' || target === '') {
        errors.push(`${at}.${key}["${group}"]: must be a non-empty string`);
      } else {
        (into as Array<[string, string]>).push([normaliseDn(group), target]);
      }
    }
  }
  // Absent: everyone the user filter finds is a member; null: only people in a `roles` group.
  const defaultRole = raw.defaultRole === undefined ? 'member' : raw.defaultRole;
  if (defaultRole !== null && !ROLES.includes(defaultRole as Role)) {
    errors.push(`${at}.defaultRole: must be one of ${ROLES.join(', ')} (or null: no sign-in)`);
  }
  if ((roles.length > 0 || channels.length > 0) && groups === null) {
    errors.push(`${at}.groups: needed for roles and channels (give groups.base)`);
  }
  const syncEverySeconds = int(raw.syncEverySeconds, `${at}.syncEverySeconds`, 300, 2, 86_400);
  const timeoutMs = int(raw.timeoutMs, `${at}.timeoutMs`, 5_000, 100, 120_000);

  if (errors.length > before) return null;
  return {
    url: `${secure ? 'ldaps' : 'ldap'}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
    host,
    port,
    secure,
    startTls: startTls === true,
    ca,
    caFile,
    bindDn,
    bindPassword: () => password,
    userBase,
    userFilter,
    attributes,
    groups,
    maps: {
      roles: roles as Array<[string, Role]>,
      channels,
      defaultRole: defaultRole as Role | null,
    },
    syncEverySeconds,
    timeoutMs,
    label: String(label).trim(),
  };
}
