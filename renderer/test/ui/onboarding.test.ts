// Issue 12: the sign-in wait as a live clock, invite link wording, the locally drawn QR code.
import { create } from 'qrcode';
import { describe, expect, it } from 'vitest';
import { clockText, secondsLeft } from '../../src/ui/lib/countdown.svelte';
import { newPasswordErrors, refusalText } from '../../src/ui/lib/forms';
import { inviteSummary, inviteUrl, untilText } from '../../src/ui/lib/invites';
import { QUIET_ZONE, qrDrawing } from '../../src/ui/lib/qr';
import { inviteTokenOf } from '../../src/data/invites';
import type { InviteLink } from '../../src/data/api';

describe('the wait, as a clock', () => {
  it('shows minutes and seconds (hours past an hour)', () => {
    expect(clockText(831)).toBe('13:51');
    expect(clockText(900)).toBe('15:00');
    expect(clockText(5)).toBe('0:05');
    expect(clockText(0.2)).toBe('0:01');
    expect(clockText(0)).toBe('0:00');
    expect(clockText(-3)).toBe('0:00');
    expect(clockText(3723)).toBe('1:02:03');
  });
  it('counts whole seconds left, never below zero', () => {
    expect(secondsLeft(10_000, 0)).toBe(10);
    expect(secondsLeft(10_000, 9_001)).toBe(1);
    expect(secondsLeft(10_000, 10_000)).toBe(0);
    expect(secondsLeft(10_000, 20_000)).toBe(0);
  });
  it('words a lock without a number that would go stale beside the live clock', () => {
    const text = refusalText({ code: 'locked', message: '', retryAfter: 831 }, 'password', 'h');
    expect(text).toMatch(/locked/);
    expect(text).toMatch(/admin/);
    expect(text).not.toMatch(/\d/);
  });
});

describe('a new password and its repetition', () => {
  it('asks for 10 characters and the same twice', () => {
    expect(newPasswordErrors('', '')).toEqual({
      password: 'Choose a password.',
      confirm: 'Type the password again.',
    });
    expect(newPasswordErrors('short', 'short').password).toMatch(/10/);
    expect(newPasswordErrors('long enough pw', 'long enough pX').confirm).toMatch(/differ/);
    expect(newPasswordErrors('long enough pw', 'long enough pw')).toEqual({});
  });
});

describe('invite links', () => {
  const token = 'A'.repeat(20) + 'b_-'.repeat(7) + '12';
  it('builds the app URL with the token and reads it back', () => {
    expect(token).toHaveLength(43);
    const url = inviteUrl('https://ferry.example/', token);
    expect(url).toBe(`https://ferry.example/#/invite/${token}`);
    expect(inviteTokenOf(new URL(url).hash)).toBe(token);
    expect(inviteTokenOf('#/invite/short')).toBeNull();
    expect(inviteTokenOf(`#/invite/${token}x`)).toBeNull();
    expect(inviteTokenOf(`#/invite/${token.slice(0, 42)}<`)).toBeNull();
    expect(inviteTokenOf('')).toBeNull();
  });
  it('says what each link gives and why it ended', () => {
    const now = 1_000_000_000_000;
    const base: InviteLink = {
      id: 'i',
      role: 'member',
      createdByName: 'Ada',
      createdAt: now - 1000,
      expiresAt: now + 2 * 86_400_000,
      maxUses: 5,
      uses: 1,
      state: 'active',
    };
    expect(inviteSummary(base, now)).toBe('Member · 1 of 5 used · expires in 2 days');
    expect(inviteSummary({ ...base, role: 'guest', state: 'expired' }, now)).toBe(
      'Guest · 1 of 5 used · expired',
    );
    expect(inviteSummary({ ...base, uses: 5, state: 'used-up' }, now)).toBe('Member · all 5 used');
    expect(inviteSummary({ ...base, state: 'revoked' }, now)).toMatch(/withdrawn/);
    expect(untilText(now + 30_000, now)).toBe('in 1 minute');
    expect(untilText(now + 5 * 3_600_000, now)).toBe('in 5 hours');
  });
});

describe('the two-factor QR code', () => {
  const uri = 'otpauth://totp/Ferry:ada?secret=JBSWY3DPEHPK3PXP&issuer=Ferry';
  it('draws exactly the modules of the QR code, inside a quiet zone', () => {
    const { modules } = create(uri, { errorCorrectionLevel: 'M' });
    const d = qrDrawing(uri);
    expect(d.size).toBe(modules.size + 2 * QUIET_ZONE);
    const squares = d.path.match(/M(\d+) (\d+)h1v1h-1z/g) ?? [];
    let dark = 0;
    for (let y = 0; y < modules.size; y++)
      for (let x = 0; x < modules.size; x++) if (modules.get(y, x)) dark++;
    expect(squares).toHaveLength(dark);
    // The finder pattern's top-left corner module is dark and sits right after the quiet zone.
    expect(d.path.startsWith(`M${QUIET_ZONE} ${QUIET_ZONE}h1v1h-1z`)).toBe(true);
    expect(d.path).not.toContain('NaN');
  });
});
