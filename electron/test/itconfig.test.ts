import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configLocations, loadItConfig, parseItConfig } from '../src/itconfig';

describe('config locations', () => {
  it('names a system-wide file and one beside the app per OS', () => {
    expect(
      configLocations('win32', 'C:\\Program Files\\Ferry\\Ferry.exe', { ProgramData: 'D:\\PD' }),
    ).toEqual({
      system: 'D:\\PD\\Ferry\\ferry-config.json',
      besideApp: 'C:\\Program Files\\Ferry\\ferry-config.json',
    });
    expect(configLocations('darwin', '/Applications/Ferry.app/Contents/MacOS/Ferry', {})).toEqual({
      system: '/Library/Application Support/Ferry/ferry-config.json',
      besideApp: '/Applications/ferry-config.json',
    });
    expect(configLocations('linux', '/opt/Ferry/ferry', {})).toEqual({
      system: '/etc/ferry/ferry-config.json',
      besideApp: '/opt/Ferry/ferry-config.json',
    });
  });
});

describe('parseItConfig', () => {
  it('reads the documented example (with a Notepad BOM)', () => {
    const text =
      '\uFEFF' +
      JSON.stringify({
        comment: 'Pushed by IT',
        serverUrl: 'https://ferry.corp.example/',
        startAtLogin: true,
        updates: { enabled: true, feedUrl: 'https://ferry.corp.example/updates' },
        lock: ['serverUrl', 'updates'],
      });
    expect(parseItConfig(text, 'f.json')).toEqual({
      ok: true,
      config: {
        serverUrl: 'https://ferry.corp.example',
        startAtLogin: true,
        updates: { enabled: true, feedUrl: 'https://ferry.corp.example/updates' },
        lock: ['serverUrl', 'updates'],
      },
    });
  });

  it.each([
    ['not JSON', '{ serverUrl: nope', /not valid JSON/],
    ['an array', '[]', /expected a JSON object/],
    ['a bad URL', '{"serverUrl":"ftp://x"}', /"serverUrl" must be an http\(s\) URL/],
    ['credentials in the URL', '{"serverUrl":"https://u:p@x"}', /"serverUrl"/],
    ['a string boolean', '{"startAtLogin":"yes"}', /"startAtLogin" must be true or false/],
    ['an unknown lock', '{"lock":["everything"]}', /"lock" must be a list/],
    ['a typo in a key', '{"serverURL":"https://x"}', /unknown key "serverURL"/],
    ['an unknown update key', '{"updates":{"channel":"beta"}}', /"updates.channel"/],
    ['a locked server without a server', '{"lock":["serverUrl"]}', /no "serverUrl" is set/],
    ['a huge file', `{"comment":"${'x'.repeat(70_000)}"}`, /larger than/],
  ])('refuses %s with a clear message naming the file', (_why, text, message) => {
    const result = parseItConfig(text, '/etc/ferry/ferry-config.json');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toMatch(message);
      expect(result.error).toMatch(/^\/etc\/ferry\/ferry-config\.json: .*file ignored$/);
    }
  });
});

describe('loadItConfig', () => {
  let dir: string;
  let locations: { system: string; besideApp: string };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-itconfig-'));
    await mkdir(path.join(dir, 'etc'));
    await mkdir(path.join(dir, 'app'));
    locations = {
      system: path.join(dir, 'etc', 'c.json'),
      besideApp: path.join(dir, 'app', 'c.json'),
    };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('with no files: nothing preset, nothing locked, no errors', async () => {
    const c = await loadItConfig(locations);
    expect(c.policy).toEqual({ serverUrl: null, locked: [], sources: [], errors: [] });
    expect(c.updatesEnabled).toBeNull();
  });

  it('system-wide wins field by field; locks add up', async () => {
    await writeFile(
      locations.besideApp,
      JSON.stringify({
        serverUrl: 'https://beside.example',
        startAtLogin: false,
        lock: ['startAtLogin'],
      }),
    );
    await writeFile(
      locations.system,
      JSON.stringify({ serverUrl: 'https://system.example', lock: ['serverUrl'] }),
    );
    const c = await loadItConfig(locations);
    expect(c.policy.serverUrl).toBe('https://system.example');
    expect(c.policy.locked).toEqual(['serverUrl', 'startAtLogin']);
    expect(c.policy.sources).toEqual([locations.besideApp, locations.system]);
    expect(c.startAtLogin).toBe(false);
  });

  it('a broken file is ignored with an error; the good one still applies', async () => {
    await writeFile(locations.besideApp, JSON.stringify({ serverUrl: 'https://beside.example' }));
    await writeFile(
      locations.system,
      '{"serverUrl": "https://system.example", "lock": ["serverUrl"],}',
    );
    const c = await loadItConfig(locations);
    expect(c.policy.serverUrl).toBe('https://beside.example');
    expect(c.policy.locked).toEqual([]);
    expect(c.policy.errors).toHaveLength(1);
    expect(c.policy.errors[0]).toContain(locations.system);
  });

  it('an unreadable path is reported, not thrown', async () => {
    await mkdir(locations.system); // a directory where a file should be: EISDIR
    const c = await loadItConfig(locations);
    expect(c.policy.errors[0]).toMatch(/cannot be read \(EISDIR\)/);
  });
});
