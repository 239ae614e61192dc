// The fake client's account and admin API (FerryClient.account / .admin), in memory, for
// screenshots of AccountDialog and PeopleAdminDialog. The fake's rules: current password
// "correct horse battery"; the two-factor code "123456" (any other 6 digits are wrong); user
// "sam" cannot be demoted (the last admin). Every call waits like a round trip, or throws
// ApiError('offline') while the fake is offline.
import {
  ApiError,
  type AccountApi,
  type AdminApi,
  type InviteLink,
  type AdminUser,
  type DeviceSession,
  type AccountName,
  type Person,
  type Session,
} from '../../../src/data/api';

const PASSWORD = 'correct horse battery';
const CODE = '123456';
const HOUR = 3_600_000;

export interface FakeAccountHost {
  session: Session;
  /** Throws ApiError('offline') when offline; else waits like a round trip. */
  server(): Promise<void>;
  calls: string[];
  rename(displayName: string): void;
}

function sessionsOf(userId: string, now: number): DeviceSession[] {
  return [
    {
      id: `s-${userId}-1`,
      userId,
      device: 'Ferry desktop (Linux x86_64)',
      ip: '10.0.4.21',
      createdAt: now - 20 * 24 * HOUR,
      lastUsedAt: now - 2 * 60_000,
      expiresAt: now + 30 * 24 * HOUR,
      current: true,
    },
    {
      id: `s-${userId}-2`,
      userId,
      device: 'Ferry web (iPhone)',
      ip: '10.0.7.3',
      createdAt: now - 3 * 24 * HOUR,
      lastUsedAt: now - 26 * HOUR,
      expiresAt: now + 29 * 24 * HOUR,
      current: false,
    },
  ];
}

export function fakeAccount(host: FakeAccountHost): AccountApi {
  const now = Date.now();
  let totp = false;
  let pending: string | null = null;
  let sessions = sessionsOf(host.session.userId, now);
  const me = (): AccountName => ({
    id: host.session.userId,
    username: host.session.username,
    displayName: host.session.displayName,
  });
  return {
    async status() {
      await host.server();
      return {
        user: { ...me(), role: host.session.role, source: 'local', email: null },
        totp: { enabled: totp, recoveryCodesLeft: totp ? 10 : 0 },
      };
    },
    async updateProfile({ displayName }) {
      await host.server();
      const name = displayName.trim();
      if (!name) throw new ApiError('invalid', 'Enter a name.');
      host.calls.push(`updateProfile ${name}`);
      host.rename(name);
      return me();
    },
    async changePassword(current, next) {
      await host.server();
      if (next.length < 10)
        throw new ApiError('invalid', 'A password needs at least 10 characters.');
      if (current !== PASSWORD)
        throw new ApiError('invalid-credentials', 'The current password is not right.');
      host.calls.push('changePassword');
    },
    async setupTotp() {
      await host.server();
      if (totp) throw new ApiError('conflict', 'Two-factor sign-in is already on.');
      pending = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
      return {
        secret: pending,
        uri: `otpauth://totp/Ferry:${host.session.username}?secret=${pending}&issuer=Ferry&algorithm=SHA1&digits=6&period=30`,
      };
    },
    async enableTotp(code) {
      await host.server();
      if (!pending)
        throw new ApiError('conflict', 'Start the setup again: the server has no pending secret.');
      if (code.replace(/\s+/g, '') !== CODE) {
        throw new ApiError(
          'invalid',
          'That code is not right. Enter the current code; if it keeps failing, check the clock of the device with the app.',
        );
      }
      totp = true;
      pending = null;
      host.calls.push('enableTotp');
      return [
        '7KQ2M-X4HTP',
        'R9DWC-3NB6F',
        'PL8VZ-2KJ4Y',
        'H3T6Q-W9RMX',
        'C5N7B-8FZDK',
        'Y2GHV-6QP3T',
        'M8XKR-4CW7N',
        'B6JTF-9LD2Q',
        'V4PZN-7HX8C',
        'Q3WMK-5RT9J',
      ];
    },
    async disableTotp({ password, code, recoveryCode }) {
      await host.server();
      if (password !== PASSWORD)
        throw new ApiError('invalid-credentials', 'The password is not right.');
      if (code !== CODE && !recoveryCode)
        throw new ApiError(
          'invalid-credentials',
          'That code is not right (or the recovery code was used).',
        );
      totp = false;
      host.calls.push('disableTotp');
    },
    async listSessions() {
      await host.server();
      return sessions;
    },
    async revokeSession(id) {
      await host.server();
      host.calls.push(`revokeSession ${id}`);
      sessions = sessions.filter((s) => s.id !== id);
    },
  };
}

export function fakeAdmin(host: FakeAccountHost, people: () => Person[]): AdminApi {
  const now = Date.now();
  let users: AdminUser[] | null = null;
  let invites: InviteLink[] = [
    {
      id: 'i-0',
      role: 'guest',
      createdByName: host.session.displayName,
      createdAt: now - 3 * 24 * HOUR,
      expiresAt: now - 24 * HOUR,
      maxUses: 5,
      uses: 2,
      state: 'expired',
    },
  ];
  const all = (): AdminUser[] => {
    users ??= [
      {
        id: host.session.userId,
        username: host.session.username,
        displayName: host.session.displayName,
        role: 'admin',
        disabled: false,
        totp: true,
        createdAt: now - 400 * 24 * HOUR,
        lockedUntil: null,
        mustChangePassword: false,
        source: 'local',
        email: null,
      },
      ...people()
        .filter((p) => p.id !== host.session.userId)
        .map((p, i): AdminUser => ({
          ...p,
          role: i === 0 ? 'admin' : i === 4 ? 'guest' : 'member',
          disabled: false,
          totp: i % 2 === 0,
          createdAt: now - (300 - i * 20) * 24 * HOUR,
          // One person locked out after too many failed sign-ins (People shows it).
          lockedUntil: i === 2 ? now + 13 * 60_000 : null,
          mustChangePassword: false,
          source: i === 1 ? 'ldap' : i === 3 ? 'oidc' : 'local',
          email: null,
        })),
      {
        id: 'u-sam',
        username: 'sam',
        displayName: 'Sam Lindqvist',
        role: 'member',
        disabled: true,
        totp: false,
        createdAt: now - 200 * 24 * HOUR,
        lockedUntil: null,
        mustChangePassword: false,
        source: 'local',
        email: null,
      },
    ];
    return users;
  };
  const find = (id: string): AdminUser => {
    const u = all().find((x) => x.id === id);
    if (!u) throw new ApiError('not-found', 'That user no longer exists.');
    return u;
  };
  const put = (next: AdminUser) => {
    users = all().map((u) => (u.id === next.id ? next : u));
    return next;
  };
  const generated = () =>
    `harbour-${Math.random().toString(36).slice(2, 6)}-lantern-${Math.random().toString(36).slice(2, 6)}`;
  return {
    async listUsers() {
      await host.server();
      return [...all()].sort((a, b) => a.username.localeCompare(b.username));
    },
    async createUser(input) {
      await host.server();
      const username = input.username.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9._-]{0,31}$/.test(username)) {
        throw new ApiError(
          'invalid',
          'A username is 1–32 characters: lower-case letters, digits, dot, dash or underscore.',
        );
      }
      if (all().some((u) => u.username === username))
        throw new ApiError('conflict', `The username ${username} is taken; choose another.`);
      const user: AdminUser = {
        id: `u-${username}`,
        username,
        displayName: input.displayName?.trim() || username,
        role: input.role ?? 'member',
        disabled: false,
        totp: false,
        createdAt: Date.now(),
        lockedUntil: null,
        mustChangePassword: true,
        source: 'local',
        email: null,
      };
      users = [...all(), user];
      host.calls.push(`createUser ${username}`);
      return { user, password: input.password ?? generated() };
    },
    async updateUser(id, patch) {
      await host.server();
      const u = find(id);
      const admins = all().filter((x) => x.role === 'admin' && !x.disabled);
      const losesAdmin =
        u.role === 'admin' && ((patch.role && patch.role !== 'admin') || patch.disabled === true);
      if (losesAdmin && admins.length <= 1) {
        throw new ApiError(
          'conflict',
          'This is the last active admin. Make someone else an admin first.',
        );
      }
      host.calls.push(`updateUser ${u.username} ${JSON.stringify(patch)}`);
      return put({ ...u, ...patch });
    },
    async resetPassword(id, password) {
      await host.server();
      const u = find(id);
      host.calls.push(`resetPassword ${u.username}`);
      return password ?? generated();
    },
    async resetTotp(id) {
      await host.server();
      const u = find(id);
      if (!u.totp) throw new ApiError('conflict', 'Two-factor sign-in is not on for this user.');
      host.calls.push(`resetTotp ${u.username}`);
      put({ ...u, totp: false });
    },
    async listSessions(userId) {
      await host.server();
      return userId ? sessionsOf(userId, now).map((s) => ({ ...s, current: false })) : [];
    },
    async revokeSession(id) {
      await host.server();
      host.calls.push(`revokeSession ${id}`);
    },
    async unlockUser(id) {
      await host.server();
      const u = find(id);
      host.calls.push(`unlockUser ${u.username}`);
      return put({ ...u, lockedUntil: null });
    },
    async listInvites() {
      await host.server();
      return invites;
    },
    async createInvite(input) {
      await host.server();
      const invite: InviteLink = {
        id: `i-${invites.length + 1}`,
        role: input.role,
        createdByName: host.session.displayName,
        createdAt: Date.now(),
        expiresAt: Date.now() + input.expiresInHours * HOUR,
        maxUses: input.maxUses,
        uses: 0,
        state: 'active',
      };
      invites = [invite, ...invites];
      host.calls.push(`createInvite ${input.role} ${input.expiresInHours}h ${input.maxUses}`);
      return { invite, token: 'Harness-invite-token-0123456789abcdefghijklm' };
    },
    async revokeInvite(id) {
      await host.server();
      invites = invites.map((i) => (i.id === id ? { ...i, state: 'revoked' as const } : i));
      return invites.find((i) => i.id === id) as InviteLink;
    },
  };
}
