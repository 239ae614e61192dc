import { describe, expect, it } from 'vitest';
import { isSafeExternalUrl, linkify } from '../../src/ui/lib/links';

const links = (text: string) =>
  linkify(text)
    .filter((s) => s.kind === 'link')
    .map((s) => (s.kind === 'link' ? [s.text, s.href] : []));

describe('linkify', () => {
  it('keeps the text intact: the segments concatenate to the input', () => {
    const text = 'see https://example.com/a?b=1, and (www.ferry.dev) or mailto:it@corp.example.';
    expect(
      linkify(text)
        .map((s) => s.text)
        .join(''),
    ).toBe(text);
  });

  it('finds http, https, www and mailto links and trims sentence punctuation', () => {
    expect(links('Go to https://example.com/path. Or http://a.b/c?d=e!')).toEqual([
      ['https://example.com/path', 'https://example.com/path'],
      ['http://a.b/c?d=e', 'http://a.b/c?d=e'],
    ]);
    expect(links('www.ferry.dev, mailto:it@corp.example')).toEqual([
      ['www.ferry.dev', 'https://www.ferry.dev'],
      ['mailto:it@corp.example', 'mailto:it@corp.example'],
    ]);
  });

  it('keeps balanced parentheses and drops an unopened closing one', () => {
    expect(links('(see https://en.wikipedia.org/wiki/Ferry_(boat))')).toEqual([
      ['https://en.wikipedia.org/wiki/Ferry_(boat)', 'https://en.wikipedia.org/wiki/Ferry_(boat)'],
    ]);
  });

  it('never links other schemes or markup', () => {
    expect(links('javascript:alert(1) file:///etc/passwd data:text/html,<b>x</b>')).toEqual([]);
    expect(links('<a href="https://x.example">x</a>')).toEqual([
      ['https://x.example', 'https://x.example'],
    ]);
    expect(links('http:// and https://')).toEqual([]);
  });

  it('returns one text segment for text without links, and nothing for empty text', () => {
    expect(linkify('hello')).toEqual([{ kind: 'text', text: 'hello' }]);
    expect(linkify('')).toEqual([]);
  });
});

describe('isSafeExternalUrl', () => {
  it('allows http, https and mailto only', () => {
    expect(isSafeExternalUrl('https://a.example')).toBe(true);
    expect(isSafeExternalUrl('mailto:x@y.example')).toBe(true);
    expect(isSafeExternalUrl('javascript:alert(1)')).toBe(false);
    expect(isSafeExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isSafeExternalUrl('not a url')).toBe(false);
  });
});
