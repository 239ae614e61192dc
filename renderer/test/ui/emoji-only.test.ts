import { describe, expect, it } from 'vitest';
import { emojiOnly } from '../../src/ui/lib/emoji';

describe('emojiOnly', () => {
  it('is true for one to five emoji, spaces between allowed', () => {
    expect(emojiOnly('🎉')).toBe(true);
    expect(emojiOnly('🎉🚢')).toBe(true);
    expect(emojiOnly(' 👍 🙏 ')).toBe(true);
    expect(emojiOnly('👍🏽')).toBe(true); // with a skin tone: one
    expect(emojiOnly('👩‍👩‍👧‍👦')).toBe(true); // a ZWJ family: one
    expect(emojiOnly('🇳🇴')).toBe(true); // a flag
    expect(emojiOnly('❤️❤️❤️❤️❤️')).toBe(true);
  });

  it('is false for text, digits, more than five, or nothing', () => {
    expect(emojiOnly('ok 👍')).toBe(false);
    expect(emojiOnly('42')).toBe(false);
    expect(emojiOnly('#')).toBe(false);
    expect(emojiOnly('🎉🎉🎉🎉🎉🎉')).toBe(false);
    expect(emojiOnly('')).toBe(false);
    expect(emojiOnly('   ')).toBe(false);
    expect(emojiOnly(':)')).toBe(false);
  });
});
