// Matching people for the pickers: what is known on this device (offline) merged with what
// the server finds (online), without duplicates, without the excluded (me, members).

import type { Person } from '../../data/api';
import { errorText, isPlainSentence, logError } from './errors';

export function matchesPerson(p: Person, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return true;
  return p.username.toLowerCase().includes(q) || p.displayName.toLowerCase().includes(q);
}

/** Known matches first (by name), then the server's extra finds; at most `limit`. */
export function mergePeople(
  known: readonly Person[],
  found: readonly Person[],
  query: string,
  exclude: ReadonlySet<string>,
  limit = 20,
): Person[] {
  const seen = new Set(exclude);
  const out: Person[] = [];
  const byName = (a: Person, b: Person) => a.displayName.localeCompare(b.displayName);
  for (const p of [...known].filter((x) => matchesPerson(x, query)).sort(byName)) {
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    out.push(p);
  }
  for (const p of found) {
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    out.push(p);
  }
  return out.slice(0, limit);
}

/** A message for an ApiError (or anything thrown) from an online-only operation. */
export function apiErrorText(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'offline':
      return 'You are offline: this needs the server. Try again when you are connected.';
    case 'unreachable':
      return "Can't reach the server right now. Try again in a moment.";
    case 'forbidden':
      logError('forbidden', e);
      return isPlainSentence(message)
        ? `You are not allowed to do this: ${message}`
        : 'You are not allowed to do this.';
    case 'session-ended':
    case 'unauthenticated':
      return 'Your session ended: sign in again to do this.';
    case 'rate-limited':
      return 'Too many requests. Wait a moment, then try again.';
    default:
      return errorText(e);
  }
}
