// The IT configuration file: presets the server URL and can lock settings.
//
// Two places are read, the one beside the app first, then the system-wide one, which wins
// field by field (locks add up). A file that is missing is normal; a file that cannot be
// used (not JSON, wrong types, unknown keys, too big) is ignored as a whole with a clear
// message naming it, and the app runs with safe defaults: nothing preset, nothing locked.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DesktopPolicy, LockableSetting } from '../../core/src/desktop/api';
import { parseServerUrl } from './deeplink';

export const CONFIG_FILE_NAME = 'ferry-config.json';
const MAX_BYTES = 64 * 1024;
const LOCKABLE: readonly LockableSetting[] = ['serverUrl', 'updates', 'startAtLogin'];

export interface ItConfig {
  serverUrl?: string;
  startAtLogin?: boolean;
  updates?: { enabled?: boolean; feedUrl?: string };
  lock: LockableSetting[];
}

/** What the app uses: the policy the renderer sees plus the parts only main needs. */
export interface EffectiveConfig {
  policy: DesktopPolicy;
  startAtLogin: boolean | null;
  updatesEnabled: boolean | null;
  updateFeedUrl: string | null;
}

export interface ConfigLocations {
  /** The system-wide file: per OS, written by IT with admin rights. */
  system: string;
  /** The file beside the installed app (e.g. pushed next to Ferry.exe). */
  besideApp: string;
}

/**
 * - Windows: %ProgramData%\Ferry\ferry-config.json and beside Ferry.exe
 * - macOS: /Library/Application Support/Ferry/ferry-config.json and beside Ferry.app
 * - Linux: /etc/ferry/ferry-config.json and beside the ferry binary (e.g. /opt/Ferry)
 */
export function configLocations(
  platform: NodeJS.Platform,
  exePath: string,
  env: Record<string, string | undefined>,
): ConfigLocations {
  const p = platform === 'win32' ? path.win32 : path.posix;
  let system: string;
  let appDir = p.dirname(exePath);
  if (platform === 'win32') {
    system = p.join(
      env['ProgramData'] ?? env['PROGRAMDATA'] ?? 'C:\\ProgramData',
      'Ferry',
      CONFIG_FILE_NAME,
    );
  } else if (platform === 'darwin') {
    system = p.join('/Library/Application Support/Ferry', CONFIG_FILE_NAME);
    // exe is Ferry.app/Contents/MacOS/Ferry: "beside the app" is the folder holding Ferry.app,
    // so the signed bundle is left untouched.
    const bundle = exePath.match(/^(.*\.app)\/Contents\/MacOS\/[^/]+$/);
    if (bundle?.[1]) appDir = p.dirname(bundle[1]);
  } else {
    system = p.join('/etc/ferry', CONFIG_FILE_NAME);
  }
  return { system, besideApp: p.join(appDir, CONFIG_FILE_NAME) };
}

export type ParseResult = { ok: true; config: ItConfig } | { ok: false; error: string };

/** Validates one file's text. Strict: any problem refuses the whole file. */
export function parseItConfig(text: string, source: string): ParseResult {
  const fail = (why: string): ParseResult => ({
    ok: false,
    error: `${source}: ${why}; file ignored`,
  });
  if (text.length > MAX_BYTES) return fail(`larger than ${MAX_BYTES} bytes`);
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, '')); // Notepad writes a BOM
  } catch (error) {
    return fail(`not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return fail('expected a JSON object');
  }
  const config: ItConfig = { lock: [] };
  const problems: string[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    switch (key) {
      case '$schema':
      case 'comment':
        break;
      case 'serverUrl': {
        const url = typeof value === 'string' ? parseServerUrl(value) : null;
        if (url) config.serverUrl = url;
        else problems.push('"serverUrl" must be an http(s) URL without credentials');
        break;
      }
      case 'startAtLogin':
        if (typeof value === 'boolean') config.startAtLogin = value;
        else problems.push('"startAtLogin" must be true or false');
        break;
      case 'updates': {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) {
          problems.push('"updates" must be an object');
          break;
        }
        const updates: NonNullable<ItConfig['updates']> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          if (k === 'enabled' && typeof v === 'boolean') updates.enabled = v;
          else if (k === 'feedUrl' && typeof v === 'string' && parseServerUrl(v)) {
            updates.feedUrl = parseServerUrl(v) ?? undefined;
          } else problems.push(`"updates.${k}" is unknown or has the wrong type`);
        }
        config.updates = updates;
        break;
      }
      case 'lock': {
        if (!Array.isArray(value) || !value.every((v) => LOCKABLE.includes(v as LockableSetting))) {
          problems.push(`"lock" must be a list of ${LOCKABLE.map((l) => `"${l}"`).join(', ')}`);
          break;
        }
        config.lock = [...new Set(value as LockableSetting[])];
        break;
      }
      default:
        problems.push(`unknown key "${key.slice(0, 40)}"`);
    }
  }
  if (config.lock.includes('serverUrl') && !config.serverUrl) {
    problems.push('"lock" contains "serverUrl" but no "serverUrl" is set');
  }
  return problems.length > 0 ? fail(problems.join('; ')) : { ok: true, config };
}

/** Folds the files (lowest precedence first) into what the app uses. */
export function mergeConfigs(
  files: { source: string; config: ItConfig }[],
  errors: string[],
): EffectiveConfig {
  const locked = new Set<LockableSetting>();
  const out: EffectiveConfig = {
    policy: { serverUrl: null, locked: [], sources: [], errors },
    startAtLogin: null,
    updatesEnabled: null,
    updateFeedUrl: null,
  };
  for (const { source, config } of files) {
    out.policy.sources.push(source);
    if (config.serverUrl) out.policy.serverUrl = config.serverUrl;
    if (config.startAtLogin !== undefined) out.startAtLogin = config.startAtLogin;
    if (config.updates?.enabled !== undefined) out.updatesEnabled = config.updates.enabled;
    if (config.updates?.feedUrl) out.updateFeedUrl = config.updates.feedUrl;
    for (const l of config.lock) locked.add(l);
  }
  out.policy.locked = LOCKABLE.filter((l) => locked.has(l));
  return out;
}

/** Reads both locations. Never throws: problems end up in `policy.errors`. */
export async function loadItConfig(
  locations: ConfigLocations,
  read: (file: string) => Promise<string> = (file) => readFile(file, 'utf8'),
): Promise<EffectiveConfig> {
  const files: { source: string; config: ItConfig }[] = [];
  const errors: string[] = [];
  for (const source of [locations.besideApp, locations.system]) {
    let text: string;
    try {
      text = await read(source);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        errors.push(`${source}: cannot be read (${code ?? String(error)}); file ignored`);
      }
      continue;
    }
    const parsed = parseItConfig(text, source);
    if (parsed.ok) files.push({ source, config: parsed.config });
    else errors.push(parsed.error);
  }
  return mergeConfigs(files, errors);
}
