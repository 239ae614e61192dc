// One plain-text rendering of a message for every preview (issue 12, defect 6).
import { describe, expect, it } from 'vitest';
import { plainSnippet, previewText } from '../../src/ui/lib/preview';
import { quoteText } from '../../src/ui/lib/threads';
import type { MessageView } from '../../src/data/api';

const MD =
  '**Release** is _Friday_:\n\n```\nnpm run release\n```\nSee [the guide](https://ferry.example/guide).';
const PLAIN = 'Release is Friday: npm run release See the guide.';

describe('previewText', () => {
  it('removes markup: bold, emphasis, code fences, links', () => {
    expect(previewText(MD)).toBe(PLAIN);
  });

  it('is what a quote block shows (the same rendering)', () => {
    const m = { text: MD, deleted: false, authorName: 'Ada' } as MessageView;
    expect(quoteText({ state: 'found', message: m }, true).text).toBe(PLAIN);
  });

  it('cuts a long text at a word, with an ellipsis', () => {
    const text = 'word '.repeat(100);
    const p = previewText(text, 50);
    expect(p.length).toBeLessThanOrEqual(51);
    expect(p.endsWith('word…')).toBe(true);
  });
});

describe('plainSnippet', () => {
  it('keeps the matched words marked through the plain rendering', () => {
    const text = 'Ship the **release** on `Friday` please';
    const at = (w: string): [number, number] => [text.indexOf(w), text.indexOf(w) + w.length];
    expect(plainSnippet(text, [at('release'), at('Friday')])).toEqual([
      { text: 'Ship the ', match: false },
      { text: 'release', match: true },
      { text: ' on ', match: false },
      { text: 'Friday', match: true },
      { text: ' please', match: false },
    ]);
  });

  it('renders a fence as its code, no markers left', () => {
    const text = '```\ndeploy now\n```';
    const s = text.indexOf('deploy');
    const pieces = plainSnippet(text, [[s, s + 6]]);
    expect(pieces.map((p) => p.text).join('')).toBe('deploy now');
    expect(pieces.find((p) => p.match)?.text).toBe('deploy');
  });
});
