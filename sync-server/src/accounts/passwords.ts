// Password hashing: argon2id (@node-rs/argon2). OWASP parameters by default; tests pass cheaper
// ones through the config (`--argon2-memory`, `--argon2-time`). Hashes carry their parameters,
// so a hash made with other parameters still verifies.
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

export interface Argon2Cost {
  /** KiB. OWASP: 19456 (19 MiB). */
  memoryCost: number;
  /** Passes. OWASP: 2. */
  timeCost: number;
  parallelism: number;
}

export const OWASP_ARGON2: Argon2Cost = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

export const MIN_PASSWORD_LENGTH = 10;
export const MAX_PASSWORD_LENGTH = 1024;

export class PasswordHasher {
  /** A hash of a random password, verified against when the username is unknown. */
  private dummy: Promise<string> | null = null;

  constructor(readonly cost: Argon2Cost = OWASP_ARGON2) {}

  hash(password: string): Promise<string> {
    // @node-rs/argon2 defaults to argon2id (its Algorithm is a const enum, unusable here).
    return hash(password, { ...this.cost, outputLen: 32 });
  }

  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password);
    } catch {
      return false; // a malformed stored hash never matches
    }
  }

  /** The same work as `verify` for a user that does not exist; always false. */
  async verifyNobody(password: string): Promise<false> {
    this.dummy ??= this.hash(randomBytes(16).toString('base64url'));
    await this.verify(await this.dummy, password);
    return false;
  }
}

/** Why `password` is not acceptable, or null. */
export function passwordProblem(password: string): string | null {
  if (password.length < MIN_PASSWORD_LENGTH)
    return `a password needs at least ${MIN_PASSWORD_LENGTH} characters`;
  if (password.length > MAX_PASSWORD_LENGTH)
    return `a password has at most ${MAX_PASSWORD_LENGTH} characters`;
  return null;
}

/** A random password for `admin users create` without --password-stdin: 20 characters. */
export function generatePassword(): string {
  const alphabet = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789';
  const bytes = randomBytes(20);
  let out = '';
  // 256 % 54 != 0: reject the biased tail so every character is equally likely.
  for (let i = 0; out.length < 20; i++) {
    const b = i < bytes.length ? (bytes[i] as number) : (randomBytes(1)[0] as number);
    if (b < 216) out += alphabet[b % 54];
  }
  return out;
}
