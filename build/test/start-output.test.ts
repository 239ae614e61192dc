// What `npm start` prints (scripts/start-output.mjs, issue 12): the lines a person needs.
import { describe, expect, it } from 'vitest';
import { readyLines, setupCodeOf } from '../../scripts/start-output.mjs';

describe('readyLines', () => {
  it('the desktop window, the web address and the relay; nothing about accounts once one exists', () => {
    const lines = readyLines({
      url: 'http://127.0.0.1:7880/',
      dataDir: './data',
      desktop: { running: true },
      setupRequired: false,
      setupCode: null,
    });
    expect(lines.join('\n')).toBe(
      [
        '',
        'Ferry is running in its desktop window.',
        '  Web app:  http://127.0.0.1:7880/  (the same app in a browser)',
        '  Relay:    http://127.0.0.1:7880  (the server address people sign in to; data in ./data)',
        '',
        'Ctrl+C stops Ferry.',
      ].join('\n'),
    );
  });

  it('without accounts: the first admin on this computer, or elsewhere with the setup code', () => {
    const text = readyLines({
      url: 'http://127.0.0.1:7880/',
      dataDir: './data',
      desktop: { running: false, reason: 'Electron disabled (--no-electron)' },
      setupRequired: true,
      setupCode: 'AbC-123_xyz0',
    }).join('\n');
    expect(text).toContain('Ferry is running: open http://127.0.0.1:7880/ in a browser.');
    expect(text).toContain('(Electron disabled (--no-electron): no desktop window.)');
    expect(text).toContain('No accounts yet. Create the first admin account:');
    expect(text).toContain('this setup code: AbC-123_xyz0');
  });
});

describe('setupCodeOf', () => {
  it('reads the code from the relay log line, and nothing from other lines', () => {
    expect(setupCodeOf('{"level":40,"setupCode":"AbC-123_xyz0","msg":"NO USERS YET: …"}')).toBe(
      'AbC-123_xyz0',
    );
    expect(setupCodeOf('{"msg":"listening","port":7880}')).toBeNull();
    expect(setupCodeOf('not json')).toBeNull();
  });
});
