// What went wrong talking to the directory, in words for an admin (docs/identity.md, Failures):
// socket errors, TLS verification errors and LDAP result codes become IdentityErrors. A message
// never carries a password: the ones made here name no secret, and any text taken from the
// server or the library is scrubbed of the passwords in play as a second line of defence.
import type { LdapConfig } from './ldap-config';
import { ldapts } from './ldapts';
import { IdentityError } from './types';

/** Where the operation was when it failed: the same LDAP code means different things. */
export type Phase = 'connect' | 'starttls' | 'service-bind' | 'search' | 'user-bind';

const SOCKET: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  EPIPE: 'the connection was closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'no answer',
};

/** Node's certificate verification codes meaning "not signed by a CA we trust". */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

function scrub(text: string, secrets: string[]): string {
  let out = text;
  for (const secret of secrets) if (secret) out = out.split(secret).join('***');
  return out;
}

function tlsProblem(code: string, config: LdapConfig): string | null {
  if (UNTRUSTED.has(code)) {
    return config.caFile
      ? "the directory's certificate is not signed by the CA in caFile"
      : "the directory's certificate is not signed by a CA this machine trusts (set caFile)";
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the directory's certificate is not for ${config.host} (its names do not include it)`;
  }
  if (code === 'CERT_HAS_EXPIRED') return "the directory's certificate has expired";
  if (code === 'CERT_NOT_YET_VALID') return "the directory's certificate is not valid yet";
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return `the TLS handshake with ${config.url} failed (${code}); is it the right port for ${config.secure ? 'ldaps' : 'StartTLS'}?`;
  }
  return null;
}

/**
 * The IdentityError for `error`, thrown during `phase` of an operation with `config`. `secrets`
 * are the passwords of that operation: removed from any text that passes through.
 */
export function describeLdapError(
  error: unknown,
  phase: Phase,
  config: LdapConfig,
  secrets: string[],
): IdentityError {
  if (error instanceof IdentityError) return error;
  const hidden = [config.bindPassword(), ...secrets];
  const make = (code: IdentityError['code'], message: string) =>
    new IdentityError(code, scrub(message, hidden));

  if (error instanceof ldapts().ResultCodeError) {
    const name = error.name.replace(/Error$/, '');
    if (phase === 'user-bind') {
      // 49 invalid credentials; AD also answers 49 for disabled, expired and locked accounts.
      if (error.code === 49 || error.code === 53) {
        return make('invalid-credentials', 'wrong username or password');
      }
    }
    if (phase === 'service-bind' && error.code === 49) {
      return make(
        'service-credentials',
        `the service account's password was refused (bindDn ${config.bindDn})`,
      );
    }
    if (phase === 'service-bind') {
      return make('service-credentials', `the directory refused the service account (${name})`);
    }
    if (phase === 'starttls') {
      return make('tls', `the directory at ${config.url} refused StartTLS (${name})`);
    }
    if (error.code === 32) {
      return make(
        'misconfigured',
        `a base DN does not exist or the service account may not see it (userBase ${config.userBase}${config.groups ? `, groups.base ${config.groups.base}` : ''})`,
      );
    }
    if (error.code === 50) {
      return make('misconfigured', 'the service account may not read the users or groups');
    }
    if (error.code === 87) return make('misconfigured', 'the directory refused a filter');
    if (error.code === 3 || error.code === 51 || error.code === 52) {
      return make('unavailable', `the directory at ${config.url} is busy or unavailable (${name})`);
    }
    return make('unavailable', `the directory answered ${name} (LDAP code ${error.code})`);
  }

  const err = error as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : '';
  const tls = tlsProblem(code, config);
  if (tls) return make('tls', tls);
  if (SOCKET[code]) return make('unavailable', `cannot reach ${config.url} (${SOCKET[code]})`);
  const message = err instanceof Error ? err.message : String(error);
  if (/timed? ?out/i.test(message)) {
    return make(
      'unavailable',
      `cannot reach ${config.url} (no answer within ${config.timeoutMs} ms)`,
    );
  }
  if (/secure TLS connection|Connection closed|socket hang up/i.test(message)) {
    return make(
      phase === 'starttls' || (config.secure && phase === 'connect') ? 'tls' : 'unavailable',
      `the connection to ${config.url} was closed${phase === 'starttls' || config.secure ? ' during the TLS handshake' : ''}`,
    );
  }
  return make('unavailable', `cannot talk to ${config.url}: ${message}`);
}
