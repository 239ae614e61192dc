import { describe, expect, it } from 'vitest';
import {
  hostOf,
  normalizeServerUrl,
  normalizeTotp,
  normalizeUsername,
  refusalText,
  secondFactorError,
  validateSetupAdmin,
  validateSignIn,
  waitText,
} from '../../src/ui/lib/forms';

const signIn = { serverUrl: 'https://ferry.corp.example', username: 'ada', password: 'pw' };
const setup = {
  serverUrl: 'http://127.0.0.1:7880',
  username: 'ada',
  displayName: 'Ada Park',
  password: 'correct horse',
  confirm: 'correct horse',
};

describe('sign-in form', () => {
  it('accepts a server, a username and a password', () => {
    expect(validateSignIn(signIn)).toEqual({});
  });
  it('says which field is missing or wrong', () => {
    expect(validateSignIn({ serverUrl: '', username: ' ', password: '' })).toEqual({
      serverUrl: 'Enter the address of your server.',
      username: 'Enter your username.',
      password: 'Enter your password.',
    });
    expect(validateSignIn({ ...signIn, serverUrl: 'ftp://x' }).serverUrl).toMatch(/http/);
    expect(validateSignIn({ ...signIn, serverUrl: 'https://u:p@x' }).serverUrl).toMatch(
      /passwords/,
    );
    expect(validateSignIn({ ...signIn, serverUrl: 'not a url' }).serverUrl).toMatch(/valid/);
  });
  it('sends the username lower case and trimmed (login is case-insensitive)', () => {
    expect(normalizeUsername('  Ada.Park ')).toBe('ada.park');
  });
  it('normalizes the server URL: trimmed, no trailing slash, path kept', () => {
    expect(normalizeServerUrl(' https://ferry.corp.example/ ')).toBe('https://ferry.corp.example');
    expect(normalizeServerUrl('http://host:7880/ferry//')).toBe('http://host:7880/ferry');
    expect(hostOf('http://host:7880/ferry')).toBe('host:7880');
    expect(hostOf('garbage')).toBe('garbage');
  });
});

describe('second step', () => {
  it('takes six digits, ignoring the spaces and dashes people type', () => {
    expect(normalizeTotp('123 456')).toBe('123456');
    expect(normalizeTotp('123-456')).toBe('123456');
    expect(normalizeTotp('12345')).toBeNull();
    expect(normalizeTotp('12345a')).toBeNull();
    expect(secondFactorError('totp', '')).toMatch(/6-digit/);
    expect(secondFactorError('totp', '1234567')).toMatch(/6 digits/);
    expect(secondFactorError('totp', '123 456')).toBeNull();
  });
  it('takes any non-empty recovery code', () => {
    expect(secondFactorError('recovery', '  ')).toMatch(/recovery/);
    expect(secondFactorError('recovery', 'abcd-efgh')).toBeNull();
  });
});

describe('first admin form', () => {
  it('accepts a valid account', () => {
    expect(validateSetupAdmin(setup)).toEqual({});
  });
  it('applies the relay rules: username pattern, name, password length, the same twice', () => {
    const e = validateSetupAdmin({
      serverUrl: 'http://x',
      username: '-ada',
      displayName: '  ',
      password: 'short',
      confirm: 'shorter',
    });
    expect(e.username).toMatch(/start with a letter or digit/);
    expect(e.displayName).toMatch(/name/);
    expect(e.password).toMatch(/10 characters/);
    expect(e.confirm).toMatch(/differ/);
    expect(validateSetupAdmin({ ...setup, username: 'a'.repeat(33) }).username).toMatch(/32/);
    expect(validateSetupAdmin({ ...setup, username: 'Ada' })).toEqual({});
    expect(validateSetupAdmin({ ...setup, displayName: 'x'.repeat(65) }).displayName).toMatch(/64/);
    expect(validateSetupAdmin({ ...setup, displayName: 'Ada\u0007' }).displayName).toMatch(
      /control/,
    );
    expect(validateSetupAdmin({ ...setup, confirm: '' }).confirm).toMatch(/again/);
  });
  it('counts characters, not UTF-16 units, for the password minimum', () => {
    expect(
      validateSetupAdmin({ ...setup, password: '🔑'.repeat(9), confirm: '🔑'.repeat(9) }).password,
    ).toMatch(/10/);
  });
});

describe('what a refusal says', () => {
  it('wrong credentials, per step', () => {
    const r = { code: 'invalid-credentials' as const, message: '' };
    expect(refusalText(r, 'password', 'h')).toBe('Wrong username or password.');
    expect(refusalText(r, 'totp', 'h')).toMatch(/code is not right/);
    expect(refusalText(r, 'recovery', 'h')).toMatch(/recovery code/);
  });
  // The wait itself counts down on the button (issue 12): the message points at it.
  it('locked and rate-limited say to wait for the countdown', () => {
    expect(refusalText({ code: 'locked', message: '', retryAfter: 900 }, 'password', 'h')).toMatch(
      /locked.*counts down.*admin/,
    );
    expect(
      refusalText({ code: 'rate-limited', message: '', retryAfter: 8 }, 'password', 'h'),
    ).toMatch(/Too many attempts. Wait until the button counts down/);
    expect(refusalText({ code: 'rate-limited', message: '' }, 'password', 'h')).toMatch(/moment/);
  });
  it('unreachable names the server and reassures about local data', () => {
    expect(refusalText({ code: 'unreachable', message: '' }, 'password', 'ferry.corp')).toMatch(
      /Can't reach the server at ferry\.corp.*safe/,
    );
  });
  it('passes the relay message through for invalid and other errors', () => {
    expect(refusalText({ code: 'invalid', message: 'Bad name' }, 'setup', 'h')).toBe('Bad name');
    expect(refusalText({ code: 'error', message: '' }, 'setup', 'h')).toMatch(/Try again/);
    expect(refusalText({ code: 'setup-code', message: '' }, 'setup', 'h')).toMatch(/setup code/);
  });
  it('formats waits', () => {
    expect(waitText(0.2)).toBe('1 second');
    expect(waitText(59)).toBe('59 seconds');
    expect(waitText(60)).toBe('1 minute');
    expect(waitText(61)).toBe('2 minutes');
  });
});
