// Ids minted on the client, so that conversations and people can be created offline.
import { digest } from 'lib0/hash/sha256';
import { encodeUtf8 } from 'lib0/string';
import { check, show } from './model/errors';

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

/**
 * The id of the one DM between two users, the same whoever starts it, so two people who
 * both start it offline write into the same conversation: SHA-256 of the UTF-8 text
 * `<smaller id>|<larger id>` (ids compared as strings), its first 80 bits as 16 Crockford
 * base32 characters (an `isId` id). Throws `ModelError('invalid')` for a bad id or a pair
 * of one user with themself.
 */
export function dmConversationId(a: string, b: string): string {
  check(isId(a), `dmConversationId: a must be a 16-character user id, got ${show(a)}`);
  check(isId(b), `dmConversationId: b must be a 16-character user id, got ${show(b)}`);
  check(a !== b, 'dmConversationId: a DM needs two different users');
  const hash = digest(encodeUtf8(a < b ? `${a}|${b}` : `${b}|${a}`));
  return newId((n) => hash.subarray(0, n));
}
