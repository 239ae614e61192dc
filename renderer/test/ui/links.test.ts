import { describe, expect, it } from 'vitest';
import { isSafeExternalUrl } from '../../src/ui/lib/links';

describe('isSafeExternalUrl', () => {
  it('allows http, https and mailto only', () => {
    expect(isSafeExternalUrl('https://a.example')).toBe(true);
    expect(isSafeExternalUrl('mailto:x@y.example')).toBe(true);
    expect(isSafeExternalUrl('javascript:alert(1)')).toBe(false);
    expect(isSafeExternalUrl('file:///etc/passwd')).toBe(false);
    expect(isSafeExternalUrl('not a url')).toBe(false);
  });
});
