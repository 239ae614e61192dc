import { describe, it, expect, fc } from './harness';
import { ID_ALPHABET, dmConversationId, isId, newId, ModelError } from '../src/index';

describe('newId', () => {
  it('makes 16 Crockford base32 characters from 10 random bytes', () => {
    expect(newId((n) => new Uint8Array(n))).toBe('0000000000000000');
    expect(newId((n) => new Uint8Array(n).fill(255))).toBe('ZZZZZZZZZZZZZZZZ');
    const id = newId((n) => Uint8Array.from({ length: n }, (_, i) => i * 37));
    expect(id).toHaveLength(16);
    expect(isId(id)).toBe(true);
  });

  it('uses every bit: distinct bytes give distinct ids', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        (a, b) => {
          const same = a.every((x, i) => x === b[i]);
          expect(newId(() => a) === newId(() => b)).toBe(same);
          expect(isId(newId(() => a))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a random source that returns too few bytes', () => {
    expect(() => newId(() => new Uint8Array(3))).toThrow(ModelError);
  });
});

describe('isId', () => {
  it('accepts only canonical upper-case ids', () => {
    expect(ID_ALPHABET).toHaveLength(32);
    expect(isId('0123456789ABCDEF')).toBe(true);
    expect(isId('0123456789abcdef')).toBe(false);
    expect(isId('0123456789ABCDEI')).toBe(false); // I, L, O, U are not in the alphabet
    expect(isId('0123456789ABCDEU')).toBe(false);
    expect(isId('0123456789ABCDE')).toBe(false);
    expect(isId('0123456789ABCDEFG')).toBe(false);
    expect(isId(42)).toBe(false);
    expect(isId(undefined)).toBe(false);
  });
});

describe('dmConversationId', () => {
  const A = '0123456789ABCDEF';
  const B = 'ZZZZZZZZZZZZZZZZ';
  const C = 'B0BB0BB0BB0BB0B0';

  it('is the first 80 bits of SHA-256("<smaller>|<larger>") in Crockford base32', () => {
    // Expected values computed outside Ferry (Python hashlib + a base32 written for the test).
    expect(dmConversationId(A, B)).toBe('7FJ5AYCF7NS90VT5');
    expect(dmConversationId(A, C)).toBe('QQSETTDB3FFTB0C0');
    expect(dmConversationId(B, C)).toBe('KSG0N1V96WRWXWFS');
  });

  it('is the same whoever starts the DM, and a valid id', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        fc.uint8Array({ minLength: 10, maxLength: 10 }),
        (x, y) => {
          const a = newId(() => x);
          const b = newId(() => y);
          fc.pre(a !== b);
          const id = dmConversationId(a, b);
          expect(id).toBe(dmConversationId(b, a));
          expect(isId(id)).toBe(true);
        },
      ),
    );
  });

  it('refuses a pair of one user, and ids that are not ids', () => {
    expect(() => dmConversationId(A, A)).toThrow(/two different users/);
    expect(() => dmConversationId(A, A.toLowerCase())).toThrow(ModelError);
    expect(() => dmConversationId('relay', A)).toThrow(/16-character user id/);
  });
});
