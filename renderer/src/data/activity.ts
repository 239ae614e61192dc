// Activity and followed threads (README.md, "Activity and threads"): an index kept as page
// documents load, sync and change (the same pages the conversation list and search follow:
// the open conversation's, the newest page of each conversation, the pages catch-up syncs),
// reduced to small digests (activity-index.ts) and kept in the store's `meta` under `activity`,
// so the views show offline at once and fill in as catch-up brings pages. Nothing is fetched
// for it: no page is opened only to build the views.
import { parseRoom } from '../../../core/src/model/rooms';
import type { ActivityApi, ActivityItem, ActivityView, FollowedThread, Observe } from './api';
import {
  buildActivity,
  digestPage,
  emptyState,
  pruneRead,
  putDigest,
  readState,
  threadKey,
  threadReplyKeys,
  type ActivityResult,
  type ActivityState,
} from './activity-index';
import type { ClientContext } from './context';
import type { OpenDoc } from './docs';
import { whenIdle } from './yield';

const KEY = 'activity';

export interface ActivityDeps {
  nameOf(user: string): string;
  titleFor(convId: string): string | undefined;
}

export class ActivityFeed implements ActivityApi {
  private state: ActivityState;
  private result: ActivityResult;
  private isLoaded = false;
  readonly loaded: Promise<void>;
  private readonly due = new Map<string, { convId: string; od: OpenDoc }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly listeners = new Set<(v: ActivityView) => void>();
  private readonly watched = new WeakSet<OpenDoc>();
  private stopped = false;

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: ActivityDeps,
    private readonly delayMs = 200,
  ) {
    this.state = emptyState(ctx.now());
    this.result = buildActivity(this.state, ctx.me);
    // The stored index can be large (up to MAX_DIGESTS pages): read once the start is done.
    this.loaded = whenIdle().then(() => ctx.store.getMeta(KEY)).then(
      (raw) => this.afterLoad(raw),
      () => this.afterLoad(undefined), // unreadable: start a new index
    );
  }

  private afterLoad(raw: unknown): void {
    const stored = raw === undefined ? null : readState(raw, this.ctx.now());
    if (stored) {
      // Pages digested before the stored index was read are newer than what it holds.
      const fresh = this.state.digests;
      this.state = { ...stored, digests: { ...stored.digests, ...fresh } };
    }
    this.isLoaded = true;
    this.changed(stored === null);
  }

  /** A page document is followed: digest it once loaded and again after its changes. */
  watch(convId: string, od: OpenDoc): void {
    if (this.stopped || this.watched.has(od)) return;
    this.watched.add(od);
    od.loaded.then(
      () => {
        if (this.stopped) return;
        this.schedule(convId, od);
        od.doc.on('update', () => this.schedule(convId, od));
        // Released (catch-up syncs a page and lets it go): read it before it goes.
        od.doc.on('destroy', () => this.digest(convId, od, true));
      },
      () => undefined,
    );
  }

  private schedule(convId: string, od: OpenDoc): void {
    this.due.set(od.room, { convId, od });
    this.startTimer();
  }

  private startTimer(): void {
    if (this.timer === null && !this.stopped) this.timer = setTimeout(() => this.drain(), this.delayMs);
  }

  /** Digests every page waiting; tests call it instead of waiting for the timer. */
  drain(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.due.values()];
    this.due.clear();
    for (const { convId, od } of batch) this.digest(convId, od);
    if (batch.length > 0 || this.digestedSince) this.changed(true);
    this.digestedSince = false;
  }

  /** Pages digested as they were released, not yet emitted. */
  private digestedSince = false;

  /**
   * Reads a page into its digest now; the feed is rebuilt and emitted with the next batch. A
   * page released (catch-up lets 2,000 go, one after the other) is read before it goes, but the
   * feed is not rebuilt for each: that was a rebuild of every digest per released page.
   */
  private digest(convId: string, od: OpenDoc, released = false): void {
    if (this.stopped) return;
    const ref = parseRoom(od.room);
    if (ref?.kind !== 'page') return;
    this.due.delete(od.room);
    const d = digestPage(od.doc, convId, ref.period, this.ctx.me, this.ctx.session.username);
    this.state = putDigest(this.state, od.room, d);
    if (released) {
      this.digestedSince = true;
      this.startTimer();
    }
  }

  private changed(save: boolean): void {
    this.result = buildActivity(this.state, this.ctx.me);
    const v = this.view();
    for (const l of [...this.listeners]) l(v);
    if (save && this.isLoaded) this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.saveTimer !== null || this.stopped) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.save();
    }, 300);
  }

  private save(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const state = { ...this.state, read: pruneRead(this.state, this.result) };
    return this.ctx.store.putMeta(KEY, state).catch(() => undefined);
  }

  /** Names and titles as they are now (they follow the directory). */
  private view(): ActivityView {
    const title = (c: string) => this.deps.titleFor(c) ?? 'Conversation';
    const items: ActivityItem[] = this.result.items.map((i) => ({
      ...i,
      conversationTitle: title(i.conversationId),
      actorName: this.deps.nameOf(i.actorId),
    }));
    const threads: FollowedThread[] = this.result.threads.map((t) => ({
      conversationId: t.conversationId,
      conversationTitle: title(t.conversationId),
      rootId: t.rootId,
      rootAuthorName: t.rootAuthorId === null ? null : this.deps.nameOf(t.rootAuthorId),
      rootText: t.rootText,
      reason: t.reason,
      replies: t.replies,
      unread: t.unread,
      lastReplyAt: t.lastReplyAt,
      lastReplyAuthorName: t.lastReplyAuthorId ? this.deps.nameOf(t.lastReplyAuthorId) : '',
      lastReplyText: t.lastReplyText,
    }));
    return {
      loaded: this.isLoaded,
      items,
      threads,
      unread: this.result.unread,
      threadsUnread: this.result.threadsUnread,
    };
  }

  /** Names or titles changed: emit again. */
  refresh(): void {
    if (this.listeners.size > 0) {
      const v = this.view();
      for (const l of [...this.listeners]) l(v);
    }
  }

  readonly observe: Observe<ActivityView> = (listener) => {
    this.listeners.add(listener);
    listener(this.view());
    return () => this.listeners.delete(listener);
  };

  async markRead(keys: string[] | 'all'): Promise<void> {
    await this.loaded;
    const add = keys === 'all' ? this.result.items.map((i) => i.key) : keys;
    if (keys === 'all') {
      for (const t of this.result.threads) add.push(...threadReplyKeys(this.state, t.conversationId, t.rootId));
    }
    this.state = { ...this.state, read: [...new Set([...this.state.read, ...add])] };
    this.changed(true);
    await this.save();
  }

  async markThreadRead(conversationId: string, rootId: string): Promise<void> {
    await this.markRead(threadReplyKeys(this.state, conversationId, rootId));
  }

  async follow(conversationId: string, rootId: string, on: boolean): Promise<void> {
    await this.loaded;
    const k = threadKey(conversationId, rootId);
    const follow = this.state.follow.filter((x) => x !== k);
    const unfollow = this.state.unfollow.filter((x) => x !== k);
    if (on) follow.push(k);
    else unfollow.push(k);
    this.state = { ...this.state, follow, unfollow };
    this.changed(true);
    await this.save();
  }

  following(conversationId: string, rootId: string): boolean {
    return this.result.following.has(threadKey(conversationId, rootId));
  }

  /** Forgets a conversation (removed and forgotten on this device). */
  forget(convId: string): void {
    const digests = Object.fromEntries(Object.entries(this.state.digests).filter(([, d]) => d.convId !== convId));
    this.state = { ...this.state, digests };
    this.changed(true);
  }

  /** Writes what is pending; the client closes after. */
  async close(): Promise<void> {
    if (this.timer !== null) this.drain();
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
      if (this.isLoaded) await this.save();
    }
    this.stopped = true;
  }
}
