// Company sign-in as workspace admins see it (docs/identity.md, issue 15): the sources and
// their accounts, the last directory syncs, "Test connection", "Test sign-in as…" and "Sync
// now" over `/admin/identity…`. Answers are checked here; a relay from before issue 15 (404)
// shows local accounts only. Failures keep the relay's words (they are written for people).
import { ApiError, type IdentityAdminApi, type IdentityOverview, type IdentitySync, type IdentityTestSignIn } from './api';
import type { ApiCall } from './http';

function obj(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {};
}
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function unexpected(what: string): ApiError {
  return new ApiError('error', `The server answered ${what} with something unexpected.`);
}

export function asSync(v: unknown): IdentitySync {
  const o = obj(v);
  if (typeof o.id !== 'number') throw unexpected('the sync request');
  return {
    id: o.id,
    source: 'ldap',
    node: str(o.node),
    startedAt: num(o.startedAt),
    finishedAt: typeof o.finishedAt === 'number' ? o.finishedAt : null,
    // Still running: no verdict yet.
    ok: typeof o.ok === 'boolean' ? o.ok : null,
    seen: num(o.seen),
    created: num(o.created),
    updated: num(o.updated),
    disabled: num(o.disabled),
    enabled: num(o.enabled),
    roleChanges: num(o.roleChanges),
    channelChanges: num(o.channelChanges),
    error: typeof o.error === 'string' && o.error ? o.error : null,
  };
}

export function asOverview(v: unknown): IdentityOverview {
  const o = obj(v);
  const ldap = o.ldap ? obj(o.ldap) : null;
  const oidc = o.oidc ? obj(o.oidc) : null;
  const days = o.offlineGraceDays;
  return {
    localSignIn: o.localSignIn === 'admins' ? 'admins' : 'everyone',
    offlineGraceDays: typeof days === 'number' && Number.isFinite(days) && days >= 0 ? days : null,
    local: { accounts: num(obj(o.local).accounts) },
    ldap: ldap
      ? {
          label: str(ldap.label) || 'Company directory',
          url: str(ldap.url),
          syncEverySeconds: num(ldap.syncEverySeconds),
          accounts: num(ldap.accounts),
          syncs: (Array.isArray(ldap.syncs) ? ldap.syncs : []).flatMap((s: unknown) => {
            try {
              return [asSync(s)];
            } catch {
              return [];
            }
          }),
        }
      : null,
    oidc: oidc
      ? {
          label: str(oidc.label) || 'Single sign-on',
          issuer: str(oidc.issuer),
          createAccounts: oidc.createAccounts === true,
          accounts: num(oidc.accounts),
        }
      : null,
  };
}

export function asTestSignIn(v: unknown): IdentityTestSignIn {
  const o = obj(v);
  const p = obj(o.person);
  if (typeof p.username !== 'string') throw unexpected('the test sign-in');
  const role = o.role === 'admin' || o.role === 'member' || o.role === 'guest' ? o.role : null;
  return {
    person: {
      externalId: str(p.externalId),
      username: p.username,
      displayName: str(p.displayName),
      email: typeof p.email === 'string' && p.email ? p.email : null,
      disabled: p.disabled === true,
      groups: strs(p.groups),
    },
    role,
    channels: strs(o.channels),
  };
}

/** A 404 from a relay without these routes (http.ts words a bare 404 as 'unreachable'). */
function missing(e: unknown): boolean {
  return e instanceof ApiError && (e.code === 'not-found' || (e.code === 'unreachable' && /\(404\)/.test(e.message)));
}

const NOT_CONFIGURED = 'This server has no company directory configured.';

export function createIdentityAdminApi(api: ApiCall): IdentityAdminApi {
  /** The relay's words for a refusal; a missing route says what it means. */
  const ldapCall = async <T>(method: 'POST', path: string, body?: unknown): Promise<T> => {
    try {
      return await api<T>(method, path, body);
    } catch (e) {
      if (missing(e)) throw new ApiError('not-found', NOT_CONFIGURED);
      throw e;
    }
  };
  return {
    async overview() {
      try {
        return asOverview(await api<unknown>('GET', '/admin/identity'));
      } catch (e) {
        if (!missing(e)) throw e;
        // A relay from before issue 15: every account is local; the count is not known here.
        return { localSignIn: 'everyone', offlineGraceDays: null, local: { accounts: 0 }, ldap: null, oidc: null };
      }
    },
    async testConnection() {
      const v = obj(await ldapCall<unknown>('POST', '/admin/identity/ldap/test'));
      if (v.ok !== true) throw new ApiError('error', str(v.message) || 'The directory test did not succeed.');
      return str(v.message) || 'Connected to the directory.';
    },
    async testSignIn(username, password) {
      const u = username.trim();
      if (!u || !password) throw new ApiError('invalid', 'Enter a username and password to test.');
      return asTestSignIn(await ldapCall<unknown>('POST', '/admin/identity/ldap/test-signin', { username: u, password }));
    },
    async syncNow() {
      return asSync(obj(await ldapCall<unknown>('POST', '/admin/identity/ldap/sync')).sync);
    },
  };
}
