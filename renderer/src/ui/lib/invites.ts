// Invite links as the UI words them (InviteLinksDialog, InviteSignUp): the link an admin passes
// on, and plain lines about each link's state. Pure, unit-tested (renderer/test/ui/invites.test.ts).
import type { InviteLink } from '../../data/api';

/** The app's web address with the token (`#/invite/<token>`): the relay serves the app at its root. */
export function inviteUrl(serverUrl: string, token: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/#/invite/${token}`;
}

/** "in 3 days", "in 5 hours", "in 20 minutes" (never "in 0 …"). */
export function untilText(at: number, now: number): string {
  const ms = Math.max(0, at - now);
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 90) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(ms / 3_600_000);
  if (hours < 36) return `in ${hours} hours`;
  const days = Math.round(ms / 86_400_000);
  return `in ${days} days`;
}

/** One line about a link: "Member · 1 of 5 used · expires in 2 days" or why it ended. */
export function inviteSummary(i: InviteLink, now: number): string {
  const role = i.role === 'guest' ? 'Guest' : 'Member';
  const used = `${i.uses} of ${i.maxUses} used`;
  switch (i.state) {
    case 'active':
      return `${role} · ${used} · expires ${untilText(i.expiresAt, now)}`;
    case 'expired':
      return `${role} · ${used} · expired`;
    case 'used-up':
      return `${role} · all ${i.maxUses} used`;
    case 'revoked':
      return `${role} · ${used} · withdrawn`;
  }
}

/** The expiry choices of the create form, in hours. */
export const EXPIRY_CHOICES: Array<{ hours: number; label: string }> = [
  { hours: 1, label: '1 hour' },
  { hours: 24, label: '1 day' },
  { hours: 7 * 24, label: '7 days' },
  { hours: 30 * 24, label: '30 days' },
];
