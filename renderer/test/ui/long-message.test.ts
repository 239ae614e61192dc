// A too-long message is stopped in the composer (issue 12, defect 2): the counter, the reason,
// and the split the person may choose.
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_CHARS } from '../../../core/src/model/checks';
import { counterText, lengthState, overReason, splitMessage } from '../../src/ui/lib/long-message';

describe('lengthState', () => {
  it('shows the counter from 90% of the limit and stops above it', () => {
    expect(lengthState('x'.repeat(8_999))).toMatchObject({ near: false, over: false });
    expect(lengthState('x'.repeat(9_000))).toMatchObject({ near: true, over: false });
    expect(lengthState('x'.repeat(MAX_MESSAGE_CHARS))).toMatchObject({ near: true, over: false });
    expect(lengthState('x'.repeat(MAX_MESSAGE_CHARS + 1))).toMatchObject({
      near: true,
      over: true,
    });
    // Counted as sent: trimmed.
    expect(lengthState(`  ${'x'.repeat(MAX_MESSAGE_CHARS)}\n\n`).over).toBe(false);
  });

  it('words the counter and the reason', () => {
    const s = lengthState('x'.repeat(12_345));
    expect(counterText(s)).toBe('12,345 / 10,000');
    expect(overReason(s)).toBe(
      'This message is 2,345 characters over the limit of 10,000. Shorten it, or send it as several messages.',
    );
  });
});

describe('splitMessage', () => {
  it('keeps a message within the limit whole', () => {
    expect(splitMessage('  hello  ')).toEqual(['hello']);
    expect(splitMessage('')).toEqual([]);
  });

  it('splits at paragraphs, then lines, then sentences, then spaces; every part fits', () => {
    const para = (n: number) => `Paragraph ${n}. ${'word '.repeat(30).trim()}`;
    const text = Array.from({ length: 10 }, (_, i) => para(i)).join('\n\n');
    const parts = splitMessage(text, 400);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(400);
    expect(parts.every((p) => p.startsWith('Paragraph'))).toBe(true);
    expect(parts.join('\n\n')).toBe(text);

    const sentences = 'One two three. Four five six. Seven eight nine. Ten eleven.';
    expect(splitMessage(sentences, 32)).toEqual([
      'One two three. Four five six.',
      'Seven eight nine. Ten eleven.',
    ]);
    expect(splitMessage('aaaa bbbb cccc dddd', 10)).toEqual(['aaaa bbbb', 'cccc dddd']);
  });

  it('cuts a text without boundaries at the limit, never inside a surrogate pair', () => {
    const parts = splitMessage('x'.repeat(25), 10);
    expect(parts.map((p) => p.length)).toEqual([10, 10, 5]);
    const emoji = `${'x'.repeat(9)}😀${'y'.repeat(5)}`;
    const cut = splitMessage(emoji, 10);
    expect(cut).toEqual(['x'.repeat(9), `😀${'y'.repeat(5)}`]);
  });

  it('splits the 102,399-character message of the report into parts the model accepts', () => {
    const text = 'The quick brown fox jumps over the lazy dog. '.repeat(2_276).slice(0, 102_399);
    const parts = splitMessage(text);
    expect(parts.length).toBe(11);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  });
});
