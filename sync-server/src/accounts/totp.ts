// TOTP (RFC 6238 via otplib v13: 30 s steps, 6 digits, SHA-1 as authenticator apps expect),
// ±1 step, each step accepted once; ten single-use recovery codes stored as SHA-256.
import { randomBytes } from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import { sha256 } from './tokens';

export const TOTP_PERIOD = 30;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function totpUri(secret: string, username: string, issuer: string): string {
  return generateURI({ issuer, label: username, secret, period: TOTP_PERIOD });
}

/**
 * The time step `code` is valid for (within ±1 step of now and after `lastStep`), or null.
 * The caller stores the step so the same code cannot be used twice.
 */
export async function checkTotp(
  secret: string,
  code: string,
  lastStep: number | null,
  nowMs: number,
): Promise<number | null> {
  const token = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(token)) return null;
  try {
    const result = await verify({
      secret,
      token,
      period: TOTP_PERIOD,
      epoch: Math.floor(nowMs / 1000),
      epochTolerance: TOTP_PERIOD,
      ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
    });
    // verify() also types HOTP results; a TOTP success carries its time step.
    return result.valid && 'timeStep' in result ? result.timeStep : null;
  } catch {
    return null;
  }
}

const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** Ten codes like `7K3QD-M9XAF` (50 random bits each). */
export function newRecoveryCodes(count = 10): string[] {
  const codes: string[] = [];
  for (let c = 0; c < count; c++) {
    const bytes = randomBytes(10);
    let s = '';
    for (let i = 0; i < 10; i++) s += CODE_ALPHABET[(bytes[i] as number) & 31];
    codes.push(`${s.slice(0, 5)}-${s.slice(5)}`);
  }
  return codes;
}

/** Case, spaces and dashes do not matter; O/I/L typed for 0/1/1 are forgiven. */
export function recoveryCodeHash(code: string): string {
  const normal = code
    .toUpperCase()
    .replace(/[\s-]+/g, '')
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  return sha256('ferry-recovery:' + normal);
}
