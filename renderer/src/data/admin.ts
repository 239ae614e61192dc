// My own account (`/me…`) and user administration (`/admin…`) over the relay's HTTP API
// (sync-server/API.md). Online only: the client's authenticated call (client.ts `api`) throws
// ApiError 'offline' / 'session-ended' before any request; the relay's terse refusals are
// reworded here for the screen (the same ApiError codes, a sentence a person can act on).
// Input the relay would refuse anyway is refused here first, with the same rules, and sends nothing.
import {
  ApiError,
  type AccountApi,
  type AccountSource,
  type AccountStatus,
  type AdminApi,
  type AdminUser,
  type DeviceSession,
  type AccountName,
  type InviteLink,
  type WorkspaceRole,
} from './api';

import { createIdentityAdminApi } from './identity-admin';
import type { ApiCall } from './http';

/** An authenticated API call (client.ts): throws ApiError 'offline' without a connection. */
export type { ApiCall };

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,31}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
export const MIN_PASSWORD = 10;

function invalid(message: string): ApiError {
  return new ApiError('invalid', message);
}

/** The relay's own message as a sentence: "the username is taken" → "The username is taken." */
function sentence(message: string): string {
  const m = message.trim();
  if (!m) return m;
  const first = m.charAt(0).toUpperCase() + m.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * Rewords a failure: `words[code]` when given (a string, or a function of the relay's message),
 * else the relay's message as a sentence. Network and session failures keep their message.
 */
async function worded<T>(
  p: Promise<T>,
  words: Partial<Record<string, string | ((relay: string) => string)>> = {},
): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (['offline', 'unreachable', 'session-ended'].includes(e.code)) throw e;
    const w = words[e.code];
    const message = typeof w === 'function' ? w(e.message) : (w ?? sentence(e.message));
    throw new ApiError(e.code, message, e.retryAfter);
  }
}

function displayName(raw: string): string {
  const name = raw.trim();
  if (!name) throw invalid('Enter a name.');
  if (name.length > 64) throw invalid('A name has at most 64 characters.');
  if (CONTROL.test(name)) throw invalid('A name cannot contain control characters.');
  return name;
}

function password(p: string): string {
  if (p.length < MIN_PASSWORD) throw invalid(`A password needs at least ${MIN_PASSWORD} characters.`);
  if (p.length > 1024) throw invalid('A password has at most 1024 characters.');
  return p;
}

function role(r: unknown): WorkspaceRole {
  return r === 'admin' || r === 'guest' ? r : 'member';
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}

function unexpected(what: string): ApiError {
  return new ApiError('error', `The server answered ${what} with something unexpected.`);
}

/** An account's source as the relay says it; absent (a relay from before issue 15): local. */
export function sourceOf(v: unknown): AccountSource {
  return v === 'ldap' || v === 'oidc' ? v : 'local';
}

function email(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

function asPerson(v: unknown): AccountName & { role: WorkspaceRole; source: AccountSource; email: string | null } {
  const o = obj(v);
  if (typeof o.id !== 'string') throw unexpected('the account request');
  return {
    id: o.id,
    username: str(o.username),
    displayName: str(o.displayName),
    role: role(o.role),
    source: sourceOf(o.source),
    email: email(o.email),
  };
}

export function asAdminUser(v: unknown): AdminUser {
  const o = obj(v);
  if (typeof o.id !== 'string') throw unexpected('the user request');
  return {
    id: o.id,
    username: str(o.username),
    displayName: str(o.displayName),
    role: role(o.role),
    disabled: o.disabled === true,
    totp: o.totp === true,
    createdAt: num(o.createdAt),
    lockedUntil: typeof o.lockedUntil === 'number' && Number.isFinite(o.lockedUntil) ? o.lockedUntil : null,
    mustChangePassword: o.mustChangePassword === true,
    source: sourceOf(o.source),
    email: email(o.email),
  };
}

const INVITE_STATES = ['active', 'expired', 'used-up', 'revoked'] as const;

export function asInvite(v: unknown): InviteLink {
  const o = obj(v);
  if (typeof o.id !== 'string') throw unexpected('the invite request');
  const state = INVITE_STATES.find((s) => s === o.state) ?? 'expired';
  return {
    id: o.id,
    role: o.role === 'guest' ? 'guest' : 'member',
    createdByName: str(o.createdByName),
    createdAt: num(o.createdAt),
    expiresAt: num(o.expiresAt),
    maxUses: num(o.maxUses),
    uses: num(o.uses),
    state,
  };
}

function asSessions(v: unknown): DeviceSession[] {
  const list = obj(v).sessions;
  if (!Array.isArray(list)) throw unexpected('the sessions request');
  return list.flatMap((s: unknown) => {
    const o = obj(s);
    if (typeof o.id !== 'string') return [];
    return [
      {
        id: o.id,
        userId: str(o.userId),
        device: str(o.device),
        ip: typeof o.ip === 'string' ? o.ip : null,
        createdAt: num(o.createdAt),
        lastUsedAt: num(o.lastUsedAt),
        expiresAt: num(o.expiresAt),
        current: o.current === true,
      },
    ];
  });
}

/** Path segment for a user or session id (ids are base32, usernames a safe pattern; encode anyway). */
function seg(id: string): string {
  if (!id) throw invalid('No user or session was given.');
  return encodeURIComponent(id);
}

export function createAccountApi(api: ApiCall): AccountApi {
  return {
    async status(): Promise<AccountStatus> {
      const v = obj(await worded(api<unknown>('GET', '/me')));
      const t = obj(v.totp);
      return {
        user: asPerson(v.user),
        totp: { enabled: t.enabled === true, recoveryCodesLeft: num(t.recoveryCodesLeft) },
      };
    },
    async updateProfile({ displayName: raw }) {
      const name = displayName(raw);
      const v = obj(await worded(api<unknown>('PATCH', '/me', { displayName: name })));
      const p = asPerson(v.user);
      return { id: p.id, username: p.username, displayName: p.displayName };
    },
    async changePassword(currentPassword, newPassword) {
      if (!currentPassword) throw invalid('Enter your current password.');
      password(newPassword);
      if (newPassword === currentPassword) throw invalid('The new password is the same as the current one.');
      await worded(api<unknown>('POST', '/me/password', { currentPassword, newPassword }), {
        'invalid-credentials': 'The current password is not right.',
      });
    },
    async setupTotp() {
      const v = obj(
        await worded(api<unknown>('POST', '/me/totp/setup'), {
          conflict: 'Two-factor sign-in is already on. Turn it off first to enrol a new device.',
        }),
      );
      if (typeof v.secret !== 'string' || typeof v.uri !== 'string' || !v.uri.startsWith('otpauth://')) {
        throw unexpected('the two-factor setup');
      }
      return { secret: v.secret, uri: v.uri };
    },
    async enableTotp(raw) {
      const code = raw.replace(/\s+/g, '');
      if (!/^\d{6}$/.test(code)) throw invalid('Enter the 6-digit code from your authenticator app.');
      const v = obj(
        await worded(api<unknown>('POST', '/me/totp/enable', { code }), {
          invalid: 'That code is not right. Enter the current code; if it keeps failing, check the clock of the device with the app.',
          conflict: (m) =>
            /already/.test(m) ? 'Two-factor sign-in is already on.' : 'Start the setup again: the server has no pending secret.',
        }),
      );
      const codes = v.recoveryCodes;
      if (!Array.isArray(codes) || codes.some((c) => typeof c !== 'string')) throw unexpected('the two-factor setup');
      return codes as string[];
    },
    async disableTotp({ password: pw, code, recoveryCode }) {
      if (!pw) throw invalid('Enter your password.');
      const totp = code?.replace(/\s+/g, '') ?? '';
      const recovery = recoveryCode?.trim() ?? '';
      if (!totp && !recovery) throw invalid('Enter a current code or one of your recovery codes.');
      await worded(
        api<unknown>('POST', '/me/totp/disable', {
          password: pw,
          ...(totp ? { totp } : {}),
          ...(recovery ? { recoveryCode: recovery } : {}),
        }),
        {
          'invalid-credentials': (m) =>
            /password/.test(m) ? 'The password is not right.' : 'That code is not right (or the recovery code was used).',
          conflict: 'Two-factor sign-in is not on.',
        },
      );
    },
    async listSessions() {
      return asSessions(await worded(api<unknown>('GET', '/me/sessions')));
    },
    async revokeSession(id) {
      await worded(api<unknown>('DELETE', `/me/sessions/${seg(id)}`), {
        'not-found': 'That session has already ended.',
      });
    },
  };
}

export function createAdminApi(api: ApiCall): AdminApi {
  const forbidden = { forbidden: 'Only workspace admins can manage people.' };
  return {
    identity: createIdentityAdminApi(api),
    async listUsers() {
      const list = obj(await worded(api<unknown>('GET', '/admin/users'), forbidden)).users;
      if (!Array.isArray(list)) throw unexpected('the user list');
      return list.map(asAdminUser).sort((a, b) => a.username.localeCompare(b.username));
    },
    async createUser(input) {
      const username = input.username.trim().toLowerCase();
      if (!USERNAME.test(username)) {
        throw invalid(
          'A username is 1–32 characters: lower-case letters, digits, dot, dash or underscore, starting with a letter or digit.',
        );
      }
      const body: Record<string, unknown> = { username, role: input.role ?? 'member' };
      if (input.displayName !== undefined && input.displayName.trim()) body.displayName = displayName(input.displayName);
      if (input.password !== undefined) body.password = password(input.password);
      const v = obj(
        await worded(api<unknown>('POST', '/admin/users', body), {
          ...forbidden,
          conflict: `The username ${username} is taken; choose another.`,
        }),
      );
      const pw = typeof v.password === 'string' ? v.password : input.password;
      if (pw === undefined) throw unexpected('the new user');
      return { user: asAdminUser(v.user), password: pw };
    },
    async updateUser(id, patch) {
      const body: Record<string, unknown> = {};
      if (patch.role !== undefined) body.role = role(patch.role);
      if (patch.disabled !== undefined) body.disabled = patch.disabled;
      if (patch.displayName !== undefined) body.displayName = displayName(patch.displayName);
      if (Object.keys(body).length === 0) throw invalid('Nothing to change.');
      const v = obj(
        await worded(api<unknown>('PATCH', `/admin/users/${seg(id)}`, body), {
          ...forbidden,
          'not-found': 'That user no longer exists.',
          conflict: (m) =>
            /last active admin/.test(m)
              ? 'This is the last active admin. Make someone else an admin first.'
              : sentence(m),
        }),
      );
      return asAdminUser(v.user);
    },
    async resetPassword(id, pw) {
      const v = obj(
        await worded(
          api<unknown>('POST', `/admin/users/${seg(id)}/password`, pw === undefined ? {} : { password: password(pw) }),
          { ...forbidden, 'not-found': 'That user no longer exists.' },
        ),
      );
      const out = typeof v.password === 'string' ? v.password : pw;
      if (out === undefined) throw unexpected('the password reset');
      return out;
    },
    async resetTotp(id) {
      await worded(api<unknown>('DELETE', `/admin/users/${seg(id)}/totp`), {
        ...forbidden,
        'not-found': 'That user no longer exists.',
        conflict: 'Two-factor sign-in is not on for this user.',
      });
    },
    async listSessions(userId) {
      const q = userId ? `?user=${encodeURIComponent(userId)}` : '';
      return asSessions(
        await worded(api<unknown>('GET', `/admin/sessions${q}`), { ...forbidden, 'not-found': 'That user no longer exists.' }),
      );
    },
    async revokeSession(id) {
      await worded(api<unknown>('DELETE', `/admin/sessions/${seg(id)}`), {
        ...forbidden,
        'not-found': 'That session has already ended.',
      });
    },
    async unlockUser(id) {
      const v = obj(
        await worded(api<unknown>('POST', `/admin/users/${seg(id)}/unlock`), {
          ...forbidden,
          'not-found': 'That user no longer exists.',
        }),
      );
      return asAdminUser(v.user);
    },
    async listInvites() {
      const list = obj(await worded(api<unknown>('GET', '/admin/invites'), forbidden)).invites;
      if (!Array.isArray(list)) throw unexpected('the invite list');
      return list.map(asInvite);
    },
    async createInvite(input) {
      const hours = Math.round(input.expiresInHours);
      const uses = Math.round(input.maxUses);
      if (!(hours >= 1 && hours <= 720)) throw invalid('An invite link lasts from 1 hour to 30 days.');
      if (!(uses >= 1 && uses <= 100)) throw invalid('An invite link lets in 1 to 100 people.');
      const v = obj(
        await worded(
          api<unknown>('POST', '/admin/invites', { role: input.role, expiresInHours: hours, maxUses: uses }),
          {
            ...forbidden,
            conflict: 'You have as many active invite links as allowed. Withdraw one you no longer need first.',
          },
        ),
      );
      if (typeof v.token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(v.token)) throw unexpected('the new invite');
      return { invite: asInvite(v.invite), token: v.token };
    },
    async revokeInvite(id) {
      const v = obj(
        await worded(api<unknown>('DELETE', `/admin/invites/${seg(id)}`), {
          ...forbidden,
          'not-found': 'That invite link no longer exists.',
        }),
      );
      return asInvite(v.invite);
    },
  };
}
