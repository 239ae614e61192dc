// The user's desktop settings (userData/settings.json), with IT presets and locks applied.
// A locked setting always has IT's value and cannot be changed; an unlocked one that IT
// preset starts at IT's value until the user changes it.
import type { DesktopSettings, LockableSetting } from '../../core/src/desktop/api';
import { DEFAULT_DESKTOP_SETTINGS } from '../../core/src/desktop/api';
import type { EffectiveConfig } from './itconfig';
import { isRecord, readJson, writeJsonAtomic } from './jsonfile';

const LANGUAGE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/;

/** Keeps the fields of `raw` that have the right type; the rest is dropped. */
export function sanitizeSettings(raw: unknown): Partial<DesktopSettings> {
  if (!isRecord(raw)) return {};
  const out: Partial<DesktopSettings> = {};
  for (const key of [
    'startAtLogin',
    'startHidden',
    'minimizeToTray',
    'updates',
    'spellcheck',
  ] as const) {
    if (typeof raw[key] === 'boolean') out[key] = raw[key];
  }
  const langs = raw['spellcheckLanguages'];
  if (
    Array.isArray(langs) &&
    langs.length <= 8 &&
    langs.every((l) => typeof l === 'string' && LANGUAGE.test(l))
  ) {
    out.spellcheckLanguages = [...(langs as string[])];
  }
  return out;
}

/** Which DesktopSettings field a lock covers (serverUrl is the renderer's, not a desktop setting). */
const LOCK_FIELD: Partial<Record<LockableSetting, keyof DesktopSettings>> = {
  updates: 'updates',
  startAtLogin: 'startAtLogin',
};

export class SettingsError extends Error {}

export class SettingsStore {
  #user: Partial<DesktopSettings> = {};
  readonly #file: string;
  readonly #it: EffectiveConfig;
  readonly #listeners = new Set<(s: DesktopSettings) => void>();

  constructor(file: string, it: EffectiveConfig) {
    this.#file = file;
    this.#it = it;
  }

  async load(): Promise<DesktopSettings> {
    this.#user = sanitizeSettings(await readJson(this.#file));
    return this.get();
  }

  #itValue(field: keyof DesktopSettings): boolean | undefined {
    if (field === 'updates') return this.#it.updatesEnabled ?? undefined;
    if (field === 'startAtLogin') return this.#it.startAtLogin ?? undefined;
    return undefined;
  }

  isLocked(field: keyof DesktopSettings): boolean {
    return this.#it.policy.locked.some((l) => LOCK_FIELD[l] === field);
  }

  get(): DesktopSettings {
    const s: DesktopSettings = { ...DEFAULT_DESKTOP_SETTINGS, spellcheckLanguages: [] };
    for (const field of ['updates', 'startAtLogin'] as const) {
      const it = this.#itValue(field);
      if (it !== undefined) s[field] = it;
    }
    const user = { ...this.#user };
    for (const field of Object.keys(user) as (keyof DesktopSettings)[]) {
      if (this.isLocked(field)) delete user[field];
    }
    return {
      ...s,
      ...user,
      spellcheckLanguages: [...(user.spellcheckLanguages ?? s.spellcheckLanguages)],
    };
  }

  /** Validates and applies a change. Rejects locked or malformed fields, changing nothing. */
  async update(patch: unknown): Promise<DesktopSettings> {
    if (!isRecord(patch)) throw new SettingsError('settings: expected an object');
    const clean = sanitizeSettings(patch);
    const bad = Object.keys(patch).filter((k) => !(k in clean));
    if (bad.length > 0) throw new SettingsError(`settings: invalid or unknown ${bad.join(', ')}`);
    const locked = (Object.keys(clean) as (keyof DesktopSettings)[]).filter((k) =>
      this.isLocked(k),
    );
    if (locked.length > 0) {
      throw new SettingsError(`settings: ${locked.join(', ')} locked by your IT configuration`);
    }
    const next = { ...this.#user, ...clean };
    await writeJsonAtomic(this.#file, next);
    this.#user = next;
    const settings = this.get();
    for (const listener of this.#listeners) listener(settings);
    return settings;
  }

  onChange(listener: (s: DesktopSettings) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
