// Ids minted on the client, so that conversations and people can be created offline.
import { check } from './model/errors';

/** Crockford's base32 alphabet: no I, L, O, U, so ids survive being read aloud or retyped. */
export const ID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** 16 characters of 5 bits: 80 random bits. */
export const ID_LENGTH = 16;

const ID_BYTES = (ID_LENGTH * 5) / 8;
const ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{16}$/;

/** A source of cryptographically random bytes, e.g. `(n) => crypto.getRandomValues(new Uint8Array(n))`. */
export type RandomBytes = (n: number) => Uint8Array;

/** A new 16-character Crockford base32 id (upper case) from `random`'s bytes. */
export function newId(random: RandomBytes): string {
  const bytes = random(ID_BYTES);
  check(
    bytes instanceof Uint8Array && bytes.length >= ID_BYTES,
    `newId: the random source must return ${ID_BYTES} bytes`,
  );
  let out = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < ID_BYTES; i++) {
    acc = (acc << 8) | (bytes[i] as number);
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ID_ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return out;
}

/** True for a canonical id: exactly 16 upper-case Crockford base32 characters. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}
