// The shapes every identity source shares (docs/identity.md): a person as a directory or an
// issuer describes them, and the errors a source reports in words. The relay's accounts are
// made from these by identity/accounts-link.ts; nothing here touches the database.
import type { Role } from '../accounts/validation';

export type IdentitySource = 'local' | 'ldap' | 'oidc';

/** A person as the company's directory (LDAP) or issuer (OIDC) describes them. */
export interface ExternalPerson {
  /**
   * The source's stable id: LDAP `entryUUID`/`objectGUID` (as a lower-case hex or UUID
   * string), OIDC `sub`. A rename in the directory keeps it, so the account keeps its history.
   */
  externalId: string;
  /** The sign-in name, lower-cased; Ferry's `username` follows it. */
  username: string;
  displayName: string;
  email: string | null;
  /** Disabled in the directory (AD userAccountControl bit 2, a configured attribute…). */
  disabled: boolean;
  /**
   * Every group the person is in, nested groups resolved: LDAP group DNs (normalised: lower
   * case, no spaces after commas), OIDC group names from the groups claim.
   */
  groups: string[];
}

/** What went wrong, for sign-in answers, the admin page and logs; never holds a secret. */
export type IdentityErrorCode =
  /** Wrong password, unknown user: the same answer for both. */
  | 'invalid-credentials'
  /** The directory or issuer cannot be reached (connection refused, timeout, DNS). */
  | 'unavailable'
  /** The service account's bind was refused. */
  | 'service-credentials'
  /** The server's certificate is not trusted (not signed by caFile, wrong host name). */
  | 'tls'
  /** The configuration is wrong (bad filter, no such base, issuer without discovery). */
  | 'misconfigured'
  /** OIDC: state, nonce, PKCE, code or token checks failed. */
  | 'rejected';

export class IdentityError extends Error {
  constructor(
    readonly code: IdentityErrorCode,
    /** In words, for an admin: "the service account's password was refused". No secrets. */
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

/** Groups to Ferry: the first group in `roles` order that a person is in gives the role. */
export interface GroupMaps {
  /** Group (LDAP DN, OIDC group name) → role, in priority order (first match wins). */
  roles: Array<[group: string, role: Role]>;
  /** Group → channel id: members of the group are members of the channel, kept in step. */
  channels: Array<[group: string, channelId: string]>;
  /** The role of a person in none of the `roles` groups; null: they may not sign in. */
  defaultRole: Role | null;
}

/** A company directory people sign in against (identity/ldap.ts's LdapDirectory). */
export interface PersonDirectory {
  /** Checks the password; IdentityError 'invalid-credentials' for a wrong one or no such person. */
  authenticate(username: string, password: string): Promise<ExternalPerson>;
  /** The person of that sign-in name, read with the service account; null when there is none. */
  lookup(username: string): Promise<ExternalPerson | null>;
  /** Everyone the directory lets use Ferry (the user filter), groups resolved. */
  listPeople(): Promise<ExternalPerson[]>;
  /** Connect, service bind, one search: what an admin's "Test connection" shows. */
  test(): Promise<{ message: string; people: number }>;
}

/** What the relay keeps of one OIDC sign-in between the redirect and the callback. */
export interface OidcFlow {
  state: string;
  nonce: string;
  /** The relay's own PKCE verifier for the issuer (not the app's). */
  verifier: string;
}

/** The company's OpenID issuer (identity/oidc.ts's OidcIssuer). */
export interface SingleSignOn {
  /** The issuer's authorization URL for a new flow, with its state, nonce and PKCE verifier. */
  begin(): Promise<{ url: string; flow: OidcFlow }>;
  /** Exchanges the code of the callback URL and checks the ID token; IdentityError 'rejected'. */
  finish(callbackUrl: URL, flow: OidcFlow): Promise<{ person: ExternalPerson; sid: string | null }>;
  /** Checks a back-channel logout token; IdentityError 'rejected' when it is not valid. */
  verifyLogoutToken(jwt: string): Promise<{ sub: string | null; sid: string | null }>;
}
