// Company sign-in in the relay (docs/identity.md): the sources IT configured (the directory
// for passwords, the issuer for single sign-on), the scheduled directory sync, and the OIDC
// flow's state. The HTTP side is http/identity-routes.ts; accounts are changed only through
// the accounts service (accounts/external.ts for the link, updateUser for role and disabled).
import type { ExternalSource } from '../accounts/external';
import type { Accounts } from '../accounts/service';
import type { DirectorySignIn } from '../accounts/sign-in';
import type { Audit } from '../audit';
import type { SqlDb } from '../db/sql';
import { ApiError } from '../http/errors';
import type { Logger } from '../log';
import { AccountSync, emptyCounts, type ChannelMembership, type SyncCounts } from './apply';
import { OidcFlows } from './oidc-flows';
import { DirectorySync, type SyncRecord } from './sync';
import {
  IdentityError,
  type ExternalPerson,
  type GroupMaps,
  type PersonDirectory,
  type SingleSignOn,
} from './types';

/** What the relay's configuration makes of `identity` (identity/config.ts). */
export interface IdentitySetup {
  /** 'admins': local passwords only for admins (break-glass); everyone else signs in with SSO/LDAP. */
  localSignIn: 'everyone' | 'admins';
  /** Days an app may keep writing without reaching the relay; null: no limit. */
  offlineGraceDays: number | null;
  ldap: null | {
    label: string;
    /** For the admin page: the directory's URL (no credentials in it). */
    url: string;
    directory: PersonDirectory;
    maps: GroupMaps;
    syncEveryMs: number;
  };
  oidc: null | {
    label: string;
    issuer: string;
    sso: SingleSignOn;
    maps: GroupMaps;
    /** Make an account at first sign-in (just in time); false: only existing accounts. */
    createAccounts: boolean;
    /** The exact redirect URI registered with the issuer: its origin serves the web app. */
    redirectUri: string;
  };
}

export interface IdentityOptions {
  setup: IdentitySetup;
  db: SqlDb;
  accounts: Accounts;
  audit: Audit;
  log: Logger;
  node: string;
  now?: () => number;
  onSynced?: (record: SyncRecord, ms: number) => void;
  onSignIn?: (source: ExternalSource, result: 'success' | 'failure' | 'unavailable') => void;
}

/** What users are told when the directory cannot answer (admins see the reason in words). */
export const DIRECTORY_DOWN = 'the company directory cannot be reached; try again in a moment';

export class Identity implements DirectorySignIn {
  readonly setup: IdentitySetup;
  readonly flows: OidcFlows;
  readonly sync: DirectorySync | null;
  private readonly applier: AccountSync;
  private channels: ChannelMembership | null = null;

  constructor(private readonly o: IdentityOptions) {
    this.setup = o.setup;
    const now = o.now ?? (() => Date.now());
    this.flows = new OidcFlows(o.db, now);
    this.applier = new AccountSync({
      db: o.db,
      accounts: o.accounts,
      audit: o.audit,
      channels: () => this.channels,
      now,
    });
    const ldap = o.setup.ldap;
    this.sync = ldap
      ? new DirectorySync({
          db: o.db,
          accounts: o.accounts,
          apply: this.applier,
          directory: ldap.directory,
          maps: ldap.maps,
          everyMs: ldap.syncEveryMs,
          leaseMs: Math.max(10 * 60_000, ldap.syncEveryMs * 2),
          node: o.node,
          log: o.log,
          now,
          ...(o.onSynced ? { onSynced: o.onSynced } : {}),
        })
      : null;
    o.accounts.configureSignIn(ldap ? this : null, o.setup.localSignIn);
  }

  /** Channel membership for group → channel maps (the membership service, set at wiring). */
  setChannels(channels: ChannelMembership): void {
    this.channels = channels;
  }

  start(): void {
    this.sync?.start();
  }

  async stop(): Promise<void> {
    await this.sync?.stop();
  }

  /** DirectorySignIn: the password checked by the directory, the account brought in step. */
  async signIn(username: string, password: string, ip: string | null): Promise<string | null> {
    const ldap = this.setup.ldap;
    if (!ldap) return null;
    let person: ExternalPerson;
    try {
      person = await ldap.directory.authenticate(username, password);
    } catch (error) {
      if (error instanceof IdentityError && error.code === 'invalid-credentials') {
        this.o.onSignIn?.('ldap', 'failure');
        return null;
      }
      this.o.onSignIn?.('ldap', 'unavailable');
      this.o.log.warn(
        { error: error instanceof IdentityError ? error.message : String(error), ip },
        'directory sign-in: the directory did not answer',
      );
      throw new ApiError(503, 'directory-unavailable', DIRECTORY_DOWN);
    }
    const id = this.admit('ldap', person, ldap.maps, true, ip);
    this.o.onSignIn?.('ldap', 'success');
    return id;
  }

  /**
   * Brings the person's account in step (making it when `create`) and says whether they may
   * sign in: 403 when the source disabled them or no group gives them a role, 401-like when
   * there is no account and none may be made. Returns the account id.
   */
  admit(
    source: ExternalSource,
    person: ExternalPerson,
    maps: GroupMaps,
    create: boolean,
    ip: string | null,
  ): string {
    const counts: SyncCounts = emptyCounts();
    const id = this.applier.apply(source, person, maps, create, counts);
    if (id === null) {
      const why = person.disabled
        ? 'disabled in the directory'
        : create
          ? 'in no group given a role'
          : 'no Ferry account and accounts are not made at first sign-in';
      this.o.audit.append({
        actor: null,
        action: 'identity.refused',
        ip,
        detail: { source, username: person.username, reason: why },
      });
      throw new ApiError(
        403,
        'forbidden',
        create || person.disabled
          ? 'your company account may not use Ferry; ask your IT department'
          : 'there is no Ferry account for you yet; ask an admin to make one',
      );
    }
    const user = this.o.accounts.getUser(id);
    if (!user || user.disabled) {
      throw new ApiError(403, 'forbidden', 'this account is disabled; ask an admin');
    }
    return id;
  }

  /** "Test sign-in as": what the directory says of this person, nothing made or changed. */
  async testSignIn(username: string, password: string) {
    const ldap = this.setup.ldap;
    if (!ldap) throw new ApiError(404, 'not-found', 'no directory is configured');
    const person = await ldap.directory.authenticate(username, password);
    const groups = new Set(person.groups);
    const role = ldap.maps.roles.find(([g]) => groups.has(g))?.[1] ?? ldap.maps.defaultRole;
    const channels = [
      ...new Set(ldap.maps.channels.filter(([g]) => groups.has(g)).map(([, c]) => c)),
    ];
    return { person, role: person.disabled ? null : role, channels };
  }
}
