// Words for company sign-in on screen (issue 15): where an account signs in, what a directory
// sync did, the single sign-on button. Pure functions, tested in renderer/test/ui/identity.test.ts.
import type { AccountSource, IdentitySync } from '../../data/api';

/** The small badge on each person in People. */
export const SOURCE_BADGE: Readonly<Record<AccountSource, string>> = Object.freeze({
  local: 'Local',
  ldap: 'Directory',
  oidc: 'SSO',
});

/** The badge's tooltip, in a sentence. */
export const SOURCE_TITLE: Readonly<Record<AccountSource, string>> = Object.freeze({
  local: 'Signs in with a Ferry password',
  ldap: 'Signs in with the company directory (LDAP)',
  oidc: 'Signs in with single sign-on (OpenID Connect)',
});

/** Name and password live in the company directory, not in Ferry. */
export function managedByDirectory(source: AccountSource): boolean {
  return source !== 'local';
}

export const MANAGED_TEXT = 'Managed by your company directory';

/** "Sign in with Corp" (a label that is already a sentence stays as it is). */
export function ssoButtonText(label: string): string {
  const l = label.trim();
  return /^sign in\b/i.test(l) ? l : `Sign in with ${l || 'your company account'}`;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What one sync did, in words: "Running…", the error, or its counts (what changed only). */
export function syncSummary(s: IdentitySync): string {
  if (s.finishedAt === null) return 'Running…';
  if (!s.ok) return s.error ? `Failed: ${s.error}` : 'Failed (the server gave no reason).';
  const changes = [
    s.created > 0 ? `${s.created} created` : '',
    s.updated > 0 ? `${s.updated} updated` : '',
    s.disabled > 0 ? `${s.disabled} disabled` : '',
    s.enabled > 0 ? `${s.enabled} enabled again` : '',
    s.roleChanges > 0 ? count(s.roleChanges, 'role change') : '',
    s.channelChanges > 0 ? count(s.channelChanges, 'channel change') : '',
  ].filter(Boolean);
  const seen = `${count(s.seen, 'person', 'people')} seen`;
  return changes.length > 0 ? `${seen}; ${changes.join(', ')}.` : `${seen}; nothing changed.`;
}

/** "every 5 minutes", "every 30 seconds", "every hour". */
export function everyText(seconds: number): string {
  if (seconds <= 0) return 'not on a schedule';
  if (seconds % 3600 === 0)
    return seconds === 3600 ? 'every hour' : `every ${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'every minute' : `every ${seconds / 60} minutes`;
  return `every ${count(seconds, 'second')}`;
}
