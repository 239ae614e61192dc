// Shapes of account data (docs/accounts.md, Identities and roles), as valibot schemas.
import * as v from 'valibot';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './passwords';

export const ROLES = ['admin', 'member', 'guest'] as const;
export type Role = (typeof ROLES)[number];

export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;

/** Trimmed and lower-cased (login is case-insensitive), then checked. */
export const Username = v.pipe(
  v.string(),
  v.trim(),
  v.toLowerCase(),
  v.regex(USERNAME_PATTERN, 'a username is 1-32 characters: a-z, 0-9, then also ".", "_" or "-"'),
);

// eslint-disable-next-line no-control-regex -- the point is to refuse control characters
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export const DisplayName = v.pipe(
  v.string(),
  v.trim(),
  v.minLength(1, 'a display name needs at least one character'),
  v.maxLength(64, 'a display name has at most 64 characters'),
  v.check((s) => !CONTROL.test(s), 'a display name may not contain control characters'),
);

export const Password = v.pipe(
  v.string(),
  v.minLength(MIN_PASSWORD_LENGTH, `a password needs at least ${MIN_PASSWORD_LENGTH} characters`),
  v.maxLength(MAX_PASSWORD_LENGTH, `a password has at most ${MAX_PASSWORD_LENGTH} characters`),
);

export const RoleSchema = v.picklist(ROLES, 'a role is admin, member or guest');

/**
 * Free text the client names its device with, e.g. "Firefox on Linux". Control characters are
 * dropped: session lists print it to an admin's terminal (no escape sequences from clients).
 */
export const Device = v.pipe(
  v.string(),
  v.maxLength(100),
  v.transform((s) => s.replace(new RegExp(CONTROL.source, 'g'), '').trim()),
);
