// Profiles in the UI: which avatars may be drawn, the initials fallback and its contrast,
// and status checks worded for people (lib/profiles.ts).
import { describe, expect, it } from 'vitest';
import {
  AVATAR_HUES,
  avatarColours,
  avatarHue,
  contrast,
  initialsOf,
  safeAvatar,
  statusError,
} from '../../src/ui/lib/profiles';

const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('safeAvatar: only inline PNG, JPEG or WebP is ever drawn', () => {
  it('passes a valid data URL and refuses everything else', () => {
    expect(safeAvatar(PNG)).toBe(PNG);
    expect(safeAvatar('data:image/jpeg;base64,/9j/4AAQ')).not.toBeNull();
    for (const bad of [
      'https://tracker.example/pixel.png',
      'http://10.0.0.1/a.png',
      '//tracker.example/a.png',
      'javascript:alert(1)',
      'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=',
      'data:text/html;base64,PGI+PC9iPg==',
      'DATA:IMAGE/PNG;BASE64,iVBORw0K',
      `data:image/png;base64,${'A'.repeat(48_000)}`,
      '',
      null,
      undefined,
    ]) {
      expect(safeAvatar(bad)).toBeNull();
    }
  });
});

describe('initials on a colour derived from the user id', () => {
  it('takes up to two initials; the same id always gets the same hue', () => {
    expect(initialsOf('Ada Lovelace')).toBe('AL');
    expect(initialsOf('  émile  zola  dupont ')).toBe('ÉZ');
    expect(initialsOf('   ')).toBe('?');
    expect(avatarHue('u-ada')).toBe(avatarHue('u-ada'));
    expect(new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map(avatarHue)).size).toBeGreaterThan(
      2,
    );
  });

  it('every hue keeps readable contrast (WCAG AA for large text, ≥ 4.5:1) in both schemes', () => {
    for (const hue of AVATAR_HUES) {
      for (const dark of [false, true]) {
        const { fg, bg } = avatarColours(hue, dark);
        expect(contrast(fg, bg), `hue ${hue} ${dark ? 'dark' : 'light'}`).toBeGreaterThanOrEqual(
          4.5,
        );
      }
    }
  });
});

describe('statusError', () => {
  it('allows blank (clears) and one line up to 100 characters; says why otherwise', () => {
    expect(statusError('')).toBeNull();
    expect(statusError('On deck')).toBeNull();
    expect(statusError('x'.repeat(100))).toBeNull();
    expect(statusError('x'.repeat(101))).toBe('Keep it to 100 characters (this is 101).');
    expect(statusError('a\nb')).toMatch(/one line/);
  });
});
