// Secrets (refresh tokens) encrypted with safeStorage (DPAPI, Keychain, libsecret/kwallet)
// in userData/secrets.json. Refuses to store anything when the OS offers no real key
// store (Linux "basic_text" backend encrypts with a fixed password): the renderer then
// keeps the user signed in only for the session.
import { DESKTOP_LIMITS } from '../../core/src/desktop/api';
import { isRecord, readJson, writeJsonAtomic } from './jsonfile';

export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only. */
  getSelectedStorageBackend?(): string;
}

const KEY = /^[A-Za-z0-9._:-]+$/;

export class SecretError extends Error {}

export function checkKey(key: unknown): string {
  if (
    typeof key !== 'string' ||
    key.length === 0 ||
    key.length > DESKTOP_LIMITS.secretKeyMax ||
    !KEY.test(key)
  ) {
    throw new SecretError('secret key must be 1-128 characters of A-Z a-z 0-9 . _ : -');
  }
  return key;
}

export class SecretStore {
  readonly #file: string;
  readonly #safe: SafeStorageLike;
  readonly #platform: NodeJS.Platform;
  /** Serializes read-modify-write of the file. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string, safe: SafeStorageLike, platform: NodeJS.Platform) {
    this.#file = file;
    this.#safe = safe;
    this.#platform = platform;
  }

  /** Why secure storage is unavailable, or null when it is available. */
  unavailableReason(): string | null {
    if (!this.#safe.isEncryptionAvailable()) return 'the OS offers no secure storage';
    if (this.#platform === 'linux' && this.#safe.getSelectedStorageBackend?.() === 'basic_text') {
      return 'no keyring (gnome-libsecret or kwallet) is running';
    }
    return null;
  }

  async #all(): Promise<Record<string, string>> {
    const raw = await readJson(this.#file);
    if (!isRecord(raw)) return {};
    return Object.fromEntries(
      Object.entries(raw).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  }

  async get(rawKey: unknown): Promise<string | null> {
    const key = checkKey(rawKey);
    if (this.unavailableReason()) return null;
    const sealed = (await this.#all())[key];
    if (sealed === undefined) return null;
    try {
      return this.#safe.decryptString(Buffer.from(sealed, 'base64'));
    } catch {
      return null; // sealed by another OS user or a reinstalled keyring: treat as absent
    }
  }

  async set(rawKey: unknown, value: unknown): Promise<void> {
    const key = checkKey(rawKey);
    if (
      value !== null &&
      (typeof value !== 'string' || value.length > DESKTOP_LIMITS.secretValueMax)
    ) {
      throw new SecretError('secret value must be a string of at most 64 KiB, or null');
    }
    const reason = this.unavailableReason();
    if (reason && value !== null) throw new SecretError(`cannot store secrets: ${reason}`);
    const run = this.#queue.then(async () => {
      const all = await this.#all();
      if (value === null) delete all[key];
      else all[key] = this.#safe.encryptString(value).toString('base64');
      await writeJsonAtomic(this.#file, all);
    });
    this.#queue = run.catch(() => undefined);
    await run;
  }
}
