// The second factor: TOTP enrolment (a pending secret confirmed by a code), turning it off,
// and using a code (each time step once) or a recovery code (each once) at sign-in and for
// re-authentication.
import { ApiError, conflict, notFound } from '../http/errors';
import { AccountsPart, type UserRow } from './rows';
import { checkTotp, newRecoveryCodes, newTotpSecret, recoveryCodeHash, totpUri } from './totp';
import type { Actor } from './types';

export class SecondFactor extends AccountsPart {
  /** Starts enrolment: a new secret, kept pending until a code from it is confirmed. */
  startTotp(id: string): { secret: string; uri: string } {
    const r = this.row(id);
    if (!r) throw notFound('no such user');
    if (r.totp_secret) throw conflict('two-factor authentication is already on; turn it off first');
    const secret = newTotpSecret();
    this.db.prepare('UPDATE users SET totp_pending = ? WHERE id = ?').run(secret, id);
    return { secret, uri: totpUri(secret, r.username, this.options.issuer) };
  }

  /** Confirms enrolment with a code from the pending secret; returns ten recovery codes. */
  async enableTotp(id: string, code: string, by: Actor): Promise<string[]> {
    const r = this.row(id);
    if (!r) throw notFound('no such user');
    if (r.totp_secret) throw conflict('two-factor authentication is already on');
    if (!r.totp_pending) throw conflict('start with POST /me/totp/setup');
    const step = await checkTotp(r.totp_pending, code, null, this.now());
    if (step === null)
      throw new ApiError(400, 'invalid', 'that code is not valid; check the device clock');
    const codes = newRecoveryCodes();
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ? WHERE id = ?',
        )
        .run(step, id);
      this.db.prepare('DELETE FROM recovery_codes WHERE user = ?').run(id);
      const insert = this.db.prepare('INSERT INTO recovery_codes (user, hash) VALUES (?, ?)');
      for (const c of codes) insert.run(id, recoveryCodeHash(c));
    })();
    this.audit.append({
      actor: by.actor,
      action: 'user.totp_enabled',
      target: id,
      ip: by.ip ?? null,
    });
    return codes;
  }

  disableTotp(id: string, by: Actor): void {
    if (!this.row(id)) throw notFound('no such user');
    this.db.transaction(() => {
      this.db
        .prepare(
          'UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_last_step = NULL WHERE id = ?',
        )
        .run(id);
      this.db.prepare('DELETE FROM recovery_codes WHERE user = ?').run(id);
    })();
    this.audit.append({
      actor: by.actor,
      action: 'user.totp_disabled',
      target: id,
      ip: by.ip ?? null,
    });
  }

  /** For re-authentication: a valid TOTP code or recovery code of `id` (used up). */
  async checkSecondFactor(
    id: string,
    input: { totp?: string | undefined; recoveryCode?: string | undefined },
  ): Promise<boolean> {
    const r = this.row(id);
    return r ? this.useSecondFactor(r, input) : false;
  }

  /** A TOTP code (each step once) or an unused recovery code (then used up). */
  async useSecondFactor(
    r: UserRow,
    input: { totp?: string | undefined; recoveryCode?: string | undefined },
  ): Promise<boolean> {
    if (!r.totp_secret) return true;
    if (input.totp) {
      const step = await checkTotp(r.totp_secret, input.totp, r.totp_last_step, this.now());
      if (step === null) return false;
      // Conditional: two racing logins with the same code cannot both win.
      const res = this.db
        .prepare(
          'UPDATE users SET totp_last_step = ? WHERE id = ? AND (totp_last_step IS NULL OR totp_last_step < ?)',
        )
        .run(step, r.id, step);
      return res.changes === 1;
    }
    if (input.recoveryCode) {
      const res = this.db
        .prepare(
          'UPDATE recovery_codes SET used_at = ? WHERE user = ? AND hash = ? AND used_at IS NULL',
        )
        .run(this.now(), r.id, recoveryCodeHash(input.recoveryCode));
      return res.changes === 1;
    }
    return false;
  }

  recoveryCodesLeft(id: string): number {
    return (
      this.db
        .prepare('SELECT COUNT(*) AS n FROM recovery_codes WHERE user = ? AND used_at IS NULL')
        .get(id) as { n: number }
    ).n;
  }
}
