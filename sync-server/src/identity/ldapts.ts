// ldapts, loaded the first time the relay checks an LDAP filter or talks to the directory: a
// relay without identity.ldap never imports it (issue 16, start cost). Loaded synchronously
// (its CommonJS build) because the config file's filters are checked while it is parsed; one
// copy for every caller, so its error classes compare with instanceof.
import { createRequire } from 'node:module';
import type * as Ldapts from 'ldapts';

let loaded: typeof Ldapts | null = null;

export function ldapts(): typeof Ldapts {
  loaded ??= createRequire(import.meta.url)('ldapts') as typeof Ldapts;
  return loaded;
}
