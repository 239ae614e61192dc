// Errors a person sees are plain words (issue 12, defect 2): lib/errors.ts maps whatever was
// thrown to a sentence that says what to do; developer text goes to the log only.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ModelError } from '../../../core/src/model/errors';
import { checkText } from '../../../core/src/model/checks';
import { ApiError } from '../../src/data/api';
import { conversationErrorText, errorText, isPlainSentence } from '../../src/ui/lib/errors';
import { apiErrorText } from '../../src/ui/lib/people';

let warn: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(() => warn.mockRestore());

const developerish = /addMessage|conv\/|\(44\d\d|"|undefined|Error:|[a-z][A-Z]/;

describe('errorText', () => {
  it('says a too-long message in words, and logs the model text', () => {
    let thrown: unknown;
    try {
      checkText('x'.repeat(102_399), 'addMessage');
    } catch (e) {
      thrown = e;
    }
    const text = errorText(thrown, 'send');
    expect(text).toBe(
      'This message is longer than 10,000 characters. Shorten it or split it into several messages.',
    );
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('addMessage: text is 102399 characters'),
    );
  });

  it('shows a data-layer sentence as it is', () => {
    expect(errorText(new ModelError('invalid', 'A deleted message cannot be pinned.'), 'pin')).toBe(
      'A deleted message cannot be pinned.',
    );
  });

  it('shows the relay’s own clauses as sentences', () => {
    expect(
      errorText(
        new ApiError('conflict', 'the last owner cannot step down: make someone else owner first'),
      ),
    ).toBe('The last owner cannot step down: make someone else owner first.');
    // A taken username is said as such (the relay once quoted it, and the quotes made it read
    // as developer text: "someone changed it at the same time").
    expect(
      apiErrorText(new ApiError('conflict', 'the username dee.admin is taken; choose another')),
    ).toBe('The username dee.admin is taken; choose another.');
    expect(errorText(new ApiError('invalid', 'id must be a 16-character id (core newId)'))).toBe(
      'That did not work. Try again; if it keeps happening, restart Ferry.',
    );
    expect(errorText(new ModelError('invalid', 'pin: on must be true or false'), 'pin')).toBe(
      'The pin could not be changed. Try again; if it keeps happening, restart Ferry.',
    );
  });

  it('never shows developer text: by code, a sentence saying what to do', () => {
    const cases: unknown[] = [
      new ModelError('invalid', 'send: not a message id: "abc"'),
      new ModelError('forbidden', 'editMessage: user u1 is not the author'),
      new ModelError('not-found', 'react: no message "x" in conv/abc/p2970'),
      new Error('The relay refused "conv/9f/p2970" (4403: removed from conversation)'),
      new TypeError("Cannot read properties of undefined (reading 'doc')"),
      new ApiError('offline', 'fetch failed'),
      new ApiError('unreachable', 'ECONNREFUSED 127.0.0.1:7880'),
      new ApiError('session-ended', 'refresh token revoked'),
      'a string',
      undefined,
      { weird: true },
    ];
    for (const e of cases) {
      const text = errorText(e, 'send');
      expect(isPlainSentence(text), text).toBe(true);
      expect(text, String(e)).not.toMatch(developerish);
    }
    expect(errorText(new ModelError('forbidden', 'editMessage: not the author'))).toMatch(
      /not allowed/,
    );
    expect(errorText(new ApiError('offline', 'x'))).toMatch(/offline/);
  });

  it('apiErrorText (People, Account) keeps the relay detail out of sight too', () => {
    expect(apiErrorText(new ApiError('forbidden', 'role: admin required (403)'))).toBe(
      'You are not allowed to do this.',
    );
    expect(apiErrorText(new Error('users: {"x":1}'))).not.toMatch(developerish);
  });
});

describe('conversationErrorText', () => {
  it('passes the data layer’s sentences and replaces anything else', () => {
    const plain = 'Part of this conversation could not be read on this device.';
    expect(conversationErrorText(plain)).toBe(plain);
    const raw = conversationErrorText(
      'The relay refused "conv/9f/p2970" (4403: removed from conversation); local changes are kept.',
    );
    expect(raw).not.toMatch(developerish);
    expect(isPlainSentence(raw.split('. ')[0] + '.')).toBe(true);
  });
});
