// toPlainText for previews and notifications: no DOM needed (Node environment). Also what the
// renderer does where there is no DOM to sanitize with: it fails closed, showing text.
import { describe, expect, it } from 'vitest';
import { MAX_NESTING, renderMarkdown, toPlainText } from '../../src/ui/lib/markdown';

describe('toPlainText', () => {
  it('strips the markup of the subset', () => {
    expect(toPlainText('**Deploy** is _done_, ~~not~~ `npm ci` [docs](https://x.example/d)')).toBe(
      'Deploy is done, not npm ci docs',
    );
  });

  it('gives one line: line breaks, paragraphs, lists, quotes and code blocks become spaces', () => {
    expect(toPlainText('first\nsecond\n\n- a\n- b\n  - c\n\n1. one\n\n> quoted\n>> deeper')).toBe(
      'first second a b c one quoted deeper',
    );
    expect(toPlainText('look:\n```js\nconst a = 1;\nrun(a);\n```\nok')).toBe(
      'look: const a = 1; run(a); ok',
    );
  });

  it('keeps what the message shows as text: URLs, HTML, entities, headings, escapes', () => {
    expect(toPlainText('see https://a.example and <b>x</b> &amp; # title \\*star\\*')).toBe(
      'see https://a.example and <b>x</b> &amp; # title *star*',
    );
    expect(toPlainText('![diagram](https://x.example/d.png) ![](https://x.example/e.png)')).toBe(
      'diagram https://x.example/e.png',
    );
    expect(toPlainText('- [ ] todo\n- [x] done')).toBe('[ ] todo [x] done');
  });

  it('copes with a preview cut in the middle of the markup', () => {
    expect(toPlainText('**unclosed bold and `code')).toBe('**unclosed bold and `code');
    expect(toPlainText('[half a link](https://x.exa')).toBe('[half a link](https://x.exa');
  });

  it('returns too deeply nested text as typed (one line), and empty text as empty', () => {
    const deep = `${'>'.repeat(MAX_NESTING + 1)} x\nnext`;
    expect(toPlainText(deep)).toBe(deep.replace('\n', ' '));
    expect(toPlainText('')).toBe('');
    expect(toPlainText('  \n\n ')).toBe('');
  });
});

describe('renderMarkdown without a DOM', () => {
  it('fails closed: the whole rendering is escaped, so nothing becomes an element', () => {
    const html = renderMarkdown('**b** <img src=x onerror=alert(1)>');
    expect(html).not.toMatch(/<(?!\/?)[a-z]/i);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;');
  });
});
