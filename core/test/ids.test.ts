import { describe, it, expect, fc } from './harness';
import { ID_ALPHABET, isId, newId, ModelError } from '../src/index';

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
