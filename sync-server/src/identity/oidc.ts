// OpenID Connect sign-in (docs/identity.md) with openid-client 6: discovery, the authorization
// code flow with PKCE S256 and the relay's own state and nonce, the ID token checks (issuer,
// audience, nonce, expiry, signature by the issuer's JWKS), claims mapped to an ExternalPerson,
// and OIDC Back-Channel Logout 1.0 tokens verified with jose. Nothing from the issuer is kept:
// the caller stores the flow (state, nonce, verifier) until the callback and the `sid`.
// Every failure is an IdentityError in words; none holds the secret, a code or a token.
// openid-client is imported by the first discovery, not when the relay starts (issue 16).
import type * as OpenId from 'openid-client';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { IdentityError, type ExternalPerson, type OidcFlow, type SingleSignOn } from './types';
import type { OidcConfig } from './oidc-config';

export type { OidcFlow };

export interface OidcSignIn {
  person: ExternalPerson;
  /** The issuer's session id (`sid`), for back-channel logout; null if it sends none. */
  sid: string | null;
}

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** openid-client, loaded when first used (Node keeps the module once loaded). */
const openId = (): Promise<typeof OpenId> => import('openid-client');

/** Words for what openid-client/oauth4webapi refused, without any value from the answer. */
function rejectedWords(error: unknown, client: typeof OpenId): string {
  if (error instanceof client.AuthorizationResponseError) {
    return `the issuer refused the sign-in (${error.error})`;
  }
  if (error instanceof client.ResponseBodyError) {
    return error.error === 'invalid_grant'
      ? 'the issuer refused the code (invalid_grant: used already, expired, or the PKCE verifier does not match)'
      : `the issuer refused the code exchange (${error.error})`;
  }
  const message = innermostMessage(error);
  if (/"state"/.test(message)) return 'the state does not match the sign-in that was started';
  if (/nonce/.test(message))
    return "the ID token's nonce does not match the sign-in that was started";
  if (/"iss"/.test(message)) return 'the answer names another issuer';
  if (/"aud"|audience/.test(message)) return 'the ID token is for another client';
  if (/exp|iat|timestamp|expired/i.test(message)) return 'the ID token is expired or not yet valid';
  if (/signature/i.test(message))
    return "the ID token's signature does not verify with the issuer's keys";
  // oauth4webapi's messages are fixed sentences ("unexpected JWT alg header value", …).
  return `the issuer's answer failed a check: ${message.slice(0, 160)}`;
}

/** openid-client wraps oauth4webapi's precise error ("unexpected "state" …") as its cause. */
function innermostMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const cause = (error as { cause?: unknown }).cause;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    (error instanceof TypeError && /fetch failed/i.test(error.message)) ||
    (cause instanceof Error && isNetworkError(cause)) ||
    /ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH/.test(
      `${error.message} ${(cause as { code?: string } | undefined)?.code ?? ''}`,
    )
  );
}

function claimString(claims: Record<string, unknown>, name: string | null): string | null {
  if (!name) return null;
  const value = claims[name];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number') return String(value);
  return null;
}

function claimGroups(claims: Record<string, unknown>, name: string | null): string[] {
  if (!name) return [];
  const value = claims[name];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string');
  return [];
}

export class OidcIssuer implements SingleSignOn {
  private configuration: OpenId.Configuration | null = null;
  private jwks: ReturnType<typeof createRemoteJWKSet> | null = null;
  /** Logout token ids seen, until their expiry: a replayed token is refused (this node only). */
  private readonly seenLogoutTokens = new Map<string, number>();

  constructor(
    readonly config: OidcConfig,
    private readonly options: { timeoutSeconds?: number } = {},
  ) {}

  private get name(): string {
    return new URL(this.config.issuer).origin;
  }

  /** Fetches the discovery document; called at start and again while it has not succeeded. */
  async discover(): Promise<void> {
    const { config } = this;
    const client = await openId();
    const auth =
      config.clientAuth === 'client_secret_post'
        ? client.ClientSecretPost(config.clientSecret)
        : client.ClientSecretBasic(config.clientSecret);
    try {
      this.configuration = await client.discovery(
        new URL(config.issuer),
        config.clientId,
        undefined,
        auth,
        {
          timeout: this.options.timeoutSeconds ?? 10,
          execute: config.allowHttp ? [client.allowInsecureRequests] : [],
        },
      );
    } catch (error) {
      if (isNetworkError(error)) {
        throw new IdentityError('unavailable', `the issuer ${config.issuer} cannot be reached`);
      }
      const message = innermostMessage(error);
      if (/"issuer"/.test(message)) {
        throw new IdentityError(
          'misconfigured',
          `the discovery document of ${config.issuer} names another issuer; identity.oidc.issuer must be exactly the issuer URL`,
        );
      }
      throw new IdentityError(
        'misconfigured',
        `${config.issuer} has no OpenID discovery document (${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration)`,
      );
    }
    const jwksUri = this.configuration.serverMetadata().jwks_uri;
    this.jwks = jwksUri ? createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000 }) : null;
  }

  private async ready(): Promise<OpenId.Configuration> {
    if (!this.configuration) await this.discover();
    return this.configuration as OpenId.Configuration;
  }

  /** The URL to send the person to, and what to keep until the callback. */
  async begin(): Promise<{ url: string; flow: OidcFlow }> {
    const configuration = await this.ready();
    const client = await openId();
    const flow: OidcFlow = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
    };
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.redirectUri,
      scope: this.config.scopes.join(' '),
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    return { url: url.href, flow };
  }

  /**
   * The callback: checks the state, exchanges the code with the PKCE verifier, checks the ID
   * token and maps its claims (and userinfo's, when the ID token lacks a mapped claim).
   */
  async finish(callbackUrl: URL, flow: OidcFlow): Promise<OidcSignIn> {
    const configuration = await this.ready();
    const client = await openId();
    const expected = new URL(this.config.redirectUri);
    if (callbackUrl.origin !== expected.origin || callbackUrl.pathname !== expected.pathname) {
      throw new IdentityError('rejected', 'the callback URL is not the configured redirectUri');
    }
    let tokens: Awaited<ReturnType<typeof OpenId.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      if (isNetworkError(error)) {
        throw new IdentityError('unavailable', `the issuer ${this.name} cannot be reached`);
      }
      throw new IdentityError('rejected', rejectedWords(error, client));
    }
    const idClaims = tokens.claims();
    if (!idClaims) throw new IdentityError('rejected', 'the issuer sent no ID token');
    let claims: Record<string, unknown> = { ...idClaims };
    const { claims: names } = this.config;
    const wanted = [names.username, names.displayName, names.email, names.groups];
    const userinfoEndpoint = configuration.serverMetadata().userinfo_endpoint;
    if (userinfoEndpoint && wanted.some((name) => name !== null && claims[name] === undefined)) {
      try {
        const userinfo = await client.fetchUserInfo(
          configuration,
          tokens.access_token,
          idClaims.sub,
        );
        claims = { ...userinfo, ...idClaims };
      } catch (error) {
        if (isNetworkError(error)) {
          throw new IdentityError('unavailable', `the issuer ${this.name} cannot be reached`);
        }
        throw new IdentityError('rejected', `userinfo: ${rejectedWords(error, client)}`);
      }
    }
    return { person: this.personFrom(claims), sid: claimString(claims, 'sid') };
  }

  private personFrom(claims: Record<string, unknown>): ExternalPerson {
    const { claims: names } = this.config;
    const externalId = claimString(claims, names.id);
    if (!externalId) throw new IdentityError('rejected', `the issuer sent no "${names.id}" claim`);
    const username = claimString(claims, names.username)?.toLowerCase();
    if (!username) {
      throw new IdentityError(
        'rejected',
        `the issuer sent no "${names.username}" claim (identity.oidc.claims.username)`,
      );
    }
    return {
      externalId,
      username,
      displayName: claimString(claims, names.displayName) ?? username,
      email: claimString(claims, names.email),
      disabled: false,
      groups: claimGroups(claims, names.groups),
    };
  }

  /**
   * A back-channel logout token (OIDC Back-Channel Logout 1.0, 2.6): signed by the issuer's
   * keys, iss/aud/iat (and exp when present), the logout event, no nonce, a sub or a sid, a
   * jti not seen before. Resolves to whom it logs out.
   */
  async verifyLogoutToken(jwt: string): Promise<{ sub: string | null; sid: string | null }> {
    const configuration = await this.ready();
    if (!this.jwks) throw new IdentityError('misconfigured', 'the issuer publishes no jwks_uri');
    const metadata = configuration.serverMetadata();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, this.jwks, {
        issuer: metadata.issuer,
        audience: this.config.clientId,
        requiredClaims: ['iat', 'jti'],
        algorithms: metadata.id_token_signing_alg_values_supported ?? ['RS256'],
        maxTokenAge: '10 minutes',
        clockTolerance: 30,
      }));
    } catch (error) {
      if (isNetworkError(error)) {
        throw new IdentityError('unavailable', `the issuer ${this.name} cannot be reached`);
      }
      throw new IdentityError('rejected', `logout token refused: ${logoutWords(error)}`);
    }
    const events = payload.events;
    if (typeof events !== 'object' || events === null || !(LOGOUT_EVENT in events)) {
      throw new IdentityError(
        'rejected',
        'logout token refused: it holds no back-channel logout event',
      );
    }
    if ('nonce' in payload) {
      throw new IdentityError('rejected', 'logout token refused: it holds a nonce (an ID token?)');
    }
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : null;
    const sid = typeof payload.sid === 'string' && payload.sid !== '' ? payload.sid : null;
    if (!sub && !sid)
      throw new IdentityError('rejected', 'logout token refused: it names no sub nor sid');
    const now = Date.now();
    for (const [jti, until] of this.seenLogoutTokens)
      if (until < now) this.seenLogoutTokens.delete(jti);
    const jti = String(payload.jti);
    if (this.seenLogoutTokens.has(jti)) {
      throw new IdentityError('rejected', 'logout token refused: it was used already');
    }
    // Only tokens the issuer signed get here; still, the memory is bounded (oldest go first).
    if (this.seenLogoutTokens.size >= 10_000) {
      const oldest = this.seenLogoutTokens.keys().next().value;
      if (oldest !== undefined) this.seenLogoutTokens.delete(oldest);
    }
    this.seenLogoutTokens.set(jti, now + 11 * 60_000);
    return { sub, sid };
  }

  /** The issuer's end_session URL (RP-initiated logout), if it has one. */
  async endSessionUrl(
    params: { idTokenHint?: string; postLogoutRedirectUri?: string } = {},
  ): Promise<string | null> {
    const configuration = await this.ready();
    if (!configuration.serverMetadata().end_session_endpoint) return null;
    const query: Record<string, string> = {};
    if (params.idTokenHint) query.id_token_hint = params.idTokenHint;
    if (params.postLogoutRedirectUri) query.post_logout_redirect_uri = params.postLogoutRedirectUri;
    const client = await openId();
    return client.buildEndSessionUrl(configuration, query).href;
  }
}

function logoutWords(error: unknown): string {
  if (
    error instanceof joseErrors.JWSSignatureVerificationFailed ||
    error instanceof joseErrors.JWKSNoMatchingKey
  ) {
    return "it is not signed by the issuer's keys";
  }
  if (error instanceof joseErrors.JWTExpired) return 'it is expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    return `its "${error.claim}" claim does not match (${error.reason})`;
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'its signing algorithm is not allowed';
  if (error instanceof joseErrors.JWSInvalid || error instanceof joseErrors.JWTInvalid) {
    return 'it is not a well-formed signed JWT';
  }
  return error instanceof Error ? error.message.slice(0, 160) : 'it does not verify';
}
