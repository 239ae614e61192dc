import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_DESKTOP_SETTINGS } from '../../core/src/desktop/api';
import type { EffectiveConfig } from '../src/itconfig';
import { mergeConfigs } from '../src/itconfig';
import { SettingsError, SettingsStore } from '../src/settings';

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-settings-'));
  file = path.join(dir, 'settings.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const noIt = (): EffectiveConfig => mergeConfigs([], []);

describe('SettingsStore', () => {
  it('starts from defaults and persists changes', async () => {
    const s = new SettingsStore(file, noIt());
    expect(await s.load()).toEqual({ ...DEFAULT_DESKTOP_SETTINGS });
    const seen: unknown[] = [];
    s.onChange((v) => seen.push(v));
    await s.update({ startHidden: true, spellcheckLanguages: ['en-US', 'de'] });
    expect(seen).toHaveLength(1);
    const again = new SettingsStore(file, noIt());
    expect(await again.load()).toMatchObject({
      startHidden: true,
      spellcheckLanguages: ['en-US', 'de'],
    });
  });

  it('a damaged file gives defaults for the damaged fields only', async () => {
    await writeFile(
      file,
      JSON.stringify({ startHidden: 'yes', minimizeToTray: false, spellcheckLanguages: ['<x>'] }),
    );
    const s = new SettingsStore(file, noIt());
    expect(await s.load()).toEqual({ ...DEFAULT_DESKTOP_SETTINGS, minimizeToTray: false });
    await writeFile(file, 'not json');
    expect(await new SettingsStore(file, noIt()).load()).toEqual({ ...DEFAULT_DESKTOP_SETTINGS });
  });

  it('refuses malformed or unknown fields and changes nothing', async () => {
    const s = new SettingsStore(file, noIt());
    await s.load();
    await expect(s.update({ updates: 'off' })).rejects.toThrow(SettingsError);
    await expect(s.update({ serverUrl: 'https://x' })).rejects.toThrow(
      /invalid or unknown serverUrl/,
    );
    await expect(s.update(null)).rejects.toThrow(/expected an object/);
    await expect(readFile(file)).rejects.toThrow(); // never written
  });

  it('IT presets are defaults the user may change; IT locks win and refuse changes', async () => {
    const it_ = mergeConfigs(
      [
        {
          source: 'it.json',
          config: { startAtLogin: true, updates: { enabled: false }, lock: ['updates'] },
        },
      ],
      [],
    );
    await writeFile(file, JSON.stringify({ updates: true })); // written before IT locked it
    const s = new SettingsStore(file, it_);
    expect(await s.load()).toMatchObject({ startAtLogin: true, updates: false });
    await s.update({ startAtLogin: false });
    expect(s.get().startAtLogin).toBe(false);
    await expect(s.update({ updates: true })).rejects.toThrow(
      /updates locked by your IT configuration/,
    );
    expect(s.get().updates).toBe(false);
  });
});
