// Notification preferences of this device: per conversation (all, mentions only, mute) and
// do-not-disturb. Kept in the local store's `meta` under one key (they are this device's, never
// synced), loaded once at start-up; observers get the whole set on every change.

import type { NotifyPref, NotifyPrefs, Observe } from './api';

const KEY = 'notifyPrefs';
const PREFS: readonly string[] = ['all', 'mentions', 'mute'];

/** What the local store offers (LocalStore, or anything with its meta methods). */
export interface MetaStore {
  getMeta(key: string): Promise<unknown>;
  putMeta(key: string, value: unknown): Promise<void>;
}

/** A stored value read defensively: unknown entries are dropped, never fatal. */
export function readNotifyPrefs(raw: unknown): NotifyPrefs {
  const out: NotifyPrefs = { dnd: false, conversations: {} };
  if (typeof raw !== 'object' || raw === null) return out;
  const r = raw as Record<string, unknown>;
  out.dnd = r.dnd === true;
  if (typeof r.conversations === 'object' && r.conversations !== null) {
    for (const [id, p] of Object.entries(r.conversations as Record<string, unknown>)) {
      if (typeof p === 'string' && PREFS.includes(p)) out.conversations[id] = p as NotifyPref;
    }
  }
  return out;
}

export class NotifyPrefsStore {
  private value: NotifyPrefs = { dnd: false, conversations: {} };
  private readonly listeners = new Set<(v: NotifyPrefs) => void>();
  readonly loaded: Promise<void>;

  constructor(private readonly store: MetaStore) {
    this.loaded = store.getMeta(KEY).then(
      (raw) => this.set(readNotifyPrefs(raw), false),
      () => undefined, // unreadable: the defaults
    );
  }

  readonly observe: Observe<NotifyPrefs> = (listener) => {
    this.listeners.add(listener);
    listener(this.value);
    return () => this.listeners.delete(listener);
  };

  get current(): NotifyPrefs {
    return this.value;
  }

  /** `null` goes back to the default (DMs: all; channels: mentions only). */
  async setConversation(conversationId: string, pref: NotifyPref | null): Promise<void> {
    if (pref !== null && !PREFS.includes(pref)) throw new Error(`unknown preference: ${pref}`);
    await this.loaded;
    const conversations = { ...this.value.conversations };
    if (pref === null) delete conversations[conversationId];
    else conversations[conversationId] = pref;
    await this.set({ ...this.value, conversations }, true);
  }

  async setDnd(on: boolean): Promise<void> {
    await this.loaded;
    await this.set({ ...this.value, dnd: on }, true);
  }

  private async set(next: NotifyPrefs, save: boolean): Promise<void> {
    this.value = next;
    for (const l of [...this.listeners]) l(next);
    if (save) await this.store.putMeta(KEY, next);
  }
}
