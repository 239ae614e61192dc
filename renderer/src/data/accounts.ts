// Who is signed in on this device, and where the refresh token is kept (README.md, Accounts).
//
// A small IndexedDB database `ferry-accounts` holds one record `current` (the signed-in user,
// role and server URL: restore() needs no network) and, in a browser, the refresh tokens.
// Each user's conversations live in their own database `ferry-<userId>` (userDbName), so
// signing in as another person on the same device never mixes their data. The previous
// release's single `ferry` database is never opened nor deleted by this code.
import type { Session, WorkspaceRole } from './api';
import { done } from './idb';

export const ACCOUNTS_DB = 'ferry-accounts';
const KV = 'kv';

/** The local database of one user's data. */
export function userDbName(userId: string): string {
  return `ferry-${userId}`;
}

/** The key of a user's refresh token in the secret store. */
export function refreshKey(userId: string): string {
  return `refresh:${userId}`;
}

/** Where refresh tokens are kept: the desktop's safeStorage, or the browser's IndexedDB. */
export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string | null): Promise<void>;
}

/**
 * A secret store that keeps a secret in memory when the platform refuses to store it (the
 * desktop app refuses when the OS has no real key store, e.g. Linux without a keyring): the
 * user then stays signed in for this run of the app only, never with a weakly kept token.
 */
export function withMemoryFallback(store: SecretStore): SecretStore & { readonly volatile: ReadonlySet<string> } {
  const memory = new Map<string, string>();
  const volatile = new Set<string>();
  return {
    volatile,
    async get(key) {
      return memory.get(key) ?? (await store.get(key).catch(() => null));
    },
    async set(key, value) {
      memory.delete(key);
      volatile.delete(key);
      try {
        await store.set(key, value);
      } catch (e) {
        if (value === null) throw e;
        memory.set(key, value);
        volatile.add(key);
        await store.set(key, null).catch(() => undefined); // never a stale older token
      }
    },
  };
}

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });
}

/** The `ferry-accounts` database: a key-value store, opened per operation (it is tiny). */
export class AccountsDb {
  constructor(
    private readonly idb: IDBFactory,
    private readonly name = ACCOUNTS_DB,
  ) {}

  private open(): Promise<IDBDatabase> {
    const r = this.idb.open(this.name, 1);
    r.onupgradeneeded = () => {
      if (!r.result.objectStoreNames.contains(KV)) r.result.createObjectStore(KV);
    };
    return new Promise((resolve, reject) => {
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(new Error(`Cannot open the local accounts store: ${r.error?.message ?? 'unknown error'}`));
      r.onblocked = () => reject(new Error('The local accounts store is held open by an older Ferry window.'));
    });
  }

  async get(key: string): Promise<unknown> {
    const db = await this.open();
    try {
      return await req(db.transaction(KV, 'readonly').objectStore(KV).get(key));
    } finally {
      db.close();
    }
  }

  async put(key: string, value: unknown): Promise<void> {
    const db = await this.open();
    try {
      const tx = db.transaction(KV, 'readwrite', { durability: 'strict' });
      if (value === undefined || value === null) tx.objectStore(KV).delete(key);
      else tx.objectStore(KV).put(value, key);
      await done(tx);
    } finally {
      db.close();
    }
  }

  /**
   * Runs `fn` holding a lease named `name` that other windows of this origin respect: a record
   * claimed in one readwrite transaction (IndexedDB serializes them across connections),
   * released after, and taken over once expired (a window closed mid-way). The fallback for
   * Web Locks, which browsers offer only in secure contexts.
   */
  async withLease<T>(name: string, fn: () => Promise<T>, ttlMs = 20_000): Promise<T> {
    const owner = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    const key = `lease:${name}`;
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
      if (await this.claim(key, owner, ttlMs)) break;
      await new Promise((r) => setTimeout(r, wait));
    }
    try {
      return await fn();
    } finally {
      await this.claim(key, owner, 0).catch(() => undefined);
    }
  }

  /** ttlMs > 0: takes the lease if free, expired or ours; 0: releases it if ours. */
  private async claim(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const db = await this.open();
    try {
      const tx = db.transaction(KV, 'readwrite');
      const store = tx.objectStore(KV);
      const cur = (await req(store.get(key))) as { owner?: unknown; until?: unknown } | undefined;
      const now = Date.now();
      const free = !cur || cur.owner === owner || typeof cur.until !== 'number' || cur.until < now;
      let got = false;
      if (ttlMs === 0) {
        if (cur?.owner === owner) store.delete(key);
      } else if (free) {
        store.put({ owner, until: now + ttlMs }, key);
        got = true;
      }
      await done(tx);
      return got;
    } finally {
      db.close();
    }
  }

  /** The signed-in session, or null. */
  async current(): Promise<Session | null> {
    return asSession(await this.get('current'));
  }

  setCurrent(session: Session | null): Promise<void> {
    return this.put('current', session);
  }

  /**
   * The browser's secret store: the same database. A web page has no OS key store; origin
   * isolation protects it, and signing out revokes the token on the relay (README.md).
   */
  secrets(): SecretStore {
    return {
      get: async (key) => {
        const v = await this.get(`secret:${key}`);
        return typeof v === 'string' ? v : null;
      },
      set: (key, value) => this.put(`secret:${key}`, value),
    };
  }
}

const ROLES: readonly WorkspaceRole[] = ['admin', 'member', 'guest'];

export function asSession(v: unknown): Session | null {
  if (typeof v !== 'object' || v === null) return null;
  const s = v as Partial<Record<keyof Session, unknown>>;
  if (
    typeof s.userId !== 'string' ||
    typeof s.username !== 'string' ||
    typeof s.displayName !== 'string' ||
    typeof s.serverUrl !== 'string' ||
    !ROLES.includes(s.role as WorkspaceRole)
  ) {
    return null;
  }
  return {
    userId: s.userId,
    username: s.username,
    displayName: s.displayName,
    role: s.role as WorkspaceRole,
    serverUrl: s.serverUrl,
  };
}
