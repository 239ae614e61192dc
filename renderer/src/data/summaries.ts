// The conversation list: one SummaryRecord per conversation (kept in the store so the list
// shows at once, offline), its order and titles, and how it follows the open documents: the
// page index from the meta document, the preview, unread and mention counts from the newest
// page (README.md, "The conversation list").
import * as Y from 'yjs';
import { metaRoom, pageRoom, parseRoom, periodOfMessage } from '../../../core/src/model/rooms';
import * as meta from '../../../core/src/model/meta';
import * as page from '../../../core/src/model/page';
import type { ConversationSummary, Observe } from './api';
import type { ClientContext } from './context';
import type { OpenDoc } from './docs';
import { observable } from './observable';
import type { PageCounts } from './records';
import type { SummaryRecord } from './store';
import { countsOfPage, readPageCounts, sumCounts } from './unread';
import { yieldToMain } from './yield';

/** Summaries stored per task (writeDirty). */
const SUMMARY_SLICE = 100;

/** How long a catch-up gathers documents' changes before the list follows them. */
const BATCH_MS = 50;
/** Longest slice of summary updates in one task (the long-task threshold is 50 ms). */
const SLICE_MS = 12;

/** Lets the page paint and handle input between slices of work. */
export function yieldToPage(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export interface SummariesDeps {
  nameOf(user: string, fallback?: string): string;
  /** Workspace mode: the catalogue's title of a conversation. */
  catalogueTitle(convId: string): string | undefined;
  /** A meta document held through holdMeta changed (workspace mode follows its newest page). */
  onMetaUpdate(convId: string): void;
  /** A page document is watched from now on (the search index follows it). */
  onPage(convId: string, od: OpenDoc): void;
}

export class Summaries {
  private readonly byId = new Map<string, SummaryRecord>();
  private readonly dirty = new Set<string>();
  private readonly watchedMetas = new WeakSet<OpenDoc>();
  private readonly watchedPages = new WeakSet<OpenDoc>();
  /** Periods of the pages watched per conversation (a page may load before the index names it). */
  private readonly watchedPeriods = new Map<string, Set<number>>();
  private readonly listObs: { observe: Observe<ConversationSummary[]>; notify: () => void };
  private flushScheduled = false;
  /** While > 0 (a catch-up runs), documents' changes are applied to summaries in batches. */
  private holds = 0;
  private readonly later = new Set<string>();
  private laterTimer: ReturnType<typeof setTimeout> | null = null;
  private draining: Promise<void> | null = null;
  /** The list, as the UI sees it. */
  readonly observe: Observe<ConversationSummary[]>;

  constructor(
    private readonly ctx: ClientContext,
    private readonly deps: SummariesDeps,
    initial: SummaryRecord[],
  ) {
    for (const s of initial) this.byId.set(s.id, s);
    this.listObs = observable(() => this.list());
    this.observe = this.listObs.observe;
  }

  /** The cached summary of a conversation (title, page index) before its meta document loads. */
  get(convId: string): SummaryRecord | undefined {
    return this.byId.get(convId);
  }

  has(convId: string): boolean {
    return this.byId.has(convId);
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  values(): SummaryRecord[] {
    return [...this.byId.values()];
  }

  /** Names or something else the list shows changed: emit it again. */
  changed(): void {
    this.listObs.notify();
  }

  put(next: SummaryRecord): void {
    const prev = this.byId.get(next.id);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
    this.byId.set(next.id, next);
    this.dirty.add(next.id);
    this.flush();
    this.ctx.convChanged(next.id);
  }

  /** Forgets a conversation here (the caller deletes its stored row). */
  drop(convId: string): void {
    this.byId.delete(convId);
    this.dirty.delete(convId);
  }

  private flush(): void {
    this.listObs.notify();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => this.writeDirty());
  }

  /**
   * Stores the changed summaries, SUMMARY_SLICE per task: a catch-up changes every
   * conversation's at once, and putting a thousand in one transaction cloned them all in one
   * long task (0.2 s of a 1,000-conversation catch-up). A summary changed again meanwhile is
   * still dirty and stored as it is then.
   */
  private writeDirty(all = false): void {
    this.flushScheduled = false;
    if (this.ctx.closed && !all) return;
    const list: SummaryRecord[] = [];
    for (const id of this.dirty) {
      if (!all && list.length >= SUMMARY_SLICE) break;
      this.dirty.delete(id);
      const s = this.byId.get(id);
      if (s) list.push(s);
    }
    if (list.length > 0) this.ctx.store.putSummaries(list).catch(() => undefined);
    if (this.dirty.size > 0 && !all) {
      this.flushScheduled = true;
      void yieldToMain().then(() => this.writeDirty());
    }
  }

  /** Closing: stores what is still changed, at once (before the store closes). */
  writeRemaining(): void {
    this.writeDirty(true);
  }

  list(): ConversationSummary[] {
    return [...this.byId.values()]
      .filter((s) => !s.hidden)
      .sort((a, b) => b.activity - a.activity || (a.id < b.id ? -1 : 1))
      .map((s) => {
        const lm = s.lastMessage;
        return {
          id: s.id,
          kind: s.kind ?? 'channel',
          visibility: s.visibility ?? 'open',
          title: this.titleOf(s),
          createdAt: s.createdAt,
          lastMessage: lm
            ? {
                ...(lm.id !== undefined ? { id: lm.id } : {}),
                ...(lm.threadRootId !== undefined ? { threadRootId: lm.threadRootId } : {}),
                ...(lm.threadWithMe ? { threadWithMe: true } : {}),
                text: lm.text,
                at: lm.at,
                ...(lm.authorId ? { authorId: lm.authorId } : {}),
                authorName: lm.authorId ? this.deps.nameOf(lm.authorId, lm.authorName) : lm.authorName,
              }
            : null,
          unread: s.removed ? 0 : s.unread,
          mentions: s.removed ? 0 : (s.mentions ?? 0),
          role: s.role ?? (this.ctx.accounts ? 'member' : 'owner'),
          archived: s.archived ?? false,
          memberCount: s.members?.length ?? 0,
          dmWith: s.dmWith ?? null,
          registered: s.registered !== false,
          removed: s.removed ?? false,
          undelivered: s.undelivered ?? 0,
        };
      });
  }

  /** The title the list shows (a DM: the other person's name), or undefined if unknown. */
  titleFor(convId: string): string | undefined {
    const s = this.byId.get(convId);
    return s ? this.titleOf(s) : undefined;
  }

  titleOf(s: SummaryRecord): string {
    if (s.kind === 'dm' && s.dmWith) return this.deps.nameOf(s.dmWith, s.title || 'Direct message');
    return s.title;
  }

  /** Whether this device has the conversation's newest page open and loaded. */
  newestPageOpen(convId: string, s: SummaryRecord | undefined): boolean {
    const newest = s?.periods?.[0];
    return newest !== undefined && this.ctx.host.get(pageRoom(convId, newest))?.isLoaded === true;
  }

  /** Acquires a conversation's meta document and keeps its summary in step with it. */
  holdMeta(convId: string): OpenDoc {
    const od = this.ctx.host.acquire(metaRoom(convId));
    if (!this.watchedMetas.has(od)) {
      this.watchedMetas.add(od);
      od.loaded.then(
        () => {
          if (od.error) this.ctx.errors.set(od.room, od.error);
          this.docChanged(convId);
          od.doc.on('update', () => {
            this.docChanged(convId);
            this.deps.onMetaUpdate(convId);
          });
        },
        (e: unknown) => this.ctx.errors.set(od.room, e instanceof Error ? e : new Error(String(e))),
      );
    }
    return od;
  }

  /**
   * Keeps the conversation's summary in step with one of its pages (the preview and unread
   * count come from the newest page of the index; see README.md).
   */
  watchPage(convId: string, od: OpenDoc): void {
    if (this.watchedPages.has(od)) return;
    this.watchedPages.add(od);
    const ref = parseRoom(od.room);
    if (ref?.kind === 'page') {
      const set = this.watchedPeriods.get(convId) ?? new Set<number>();
      set.add(ref.period);
      this.watchedPeriods.set(convId, set);
    }
    this.deps.onPage(convId, od);
    // Before the load: its transaction counts as a change. Moves with the listeners on a rebuild.
    od.doc.on('afterTransaction', this.bumpVersion);
    od.loaded.then(
      () => {
        this.docChanged(convId);
        od.doc.on('update', () => this.docChanged(convId));
      },
      () => undefined,
    );
  }

  /**
   * A document of the conversation changed: its summary follows at once, or, while a catch-up
   * holds the list (`hold`), in the next batch: hundreds of rooms arriving one per task would
   * otherwise rebuild, sort and store the whole list once per room (README.md, "Catch-up").
   */
  docChanged(convId: string): void {
    if (this.holds === 0) {
      this.update(convId);
      return;
    }
    this.later.add(convId);
    if (this.laterTimer === null && this.draining === null) {
      this.laterTimer = setTimeout(() => {
        this.laterTimer = null;
        void this.drain();
      }, BATCH_MS);
    }
  }

  /** Batch summary updates until `release` (nested holds count). */
  hold(): void {
    this.holds++;
  }

  /** Ends a hold; resolves once every held update reached the list. */
  async release(): Promise<void> {
    this.holds = Math.max(0, this.holds - 1);
    await this.flushHeld();
  }

  /** Applies the held updates now (before their documents are released); resolves when done. */
  async flushHeld(): Promise<void> {
    if (this.laterTimer !== null) clearTimeout(this.laterTimer);
    this.laterTimer = null;
    await this.drain();
    if (this.later.size > 0) await this.drain();
  }

  /** Applies the waiting updates in slices of at most SLICE_MS, yielding to the page between. */
  private drain(): Promise<void> {
    if (this.draining) return this.draining;
    this.draining = (async () => {
      while (this.later.size > 0 && !this.ctx.closed) {
        const until = performance.now() + SLICE_MS;
        for (const convId of this.later) {
          this.later.delete(convId);
          this.update(convId);
          if (performance.now() >= until) break;
        }
        if (this.later.size > 0) await yieldToPage();
      }
    })().finally(() => {
      this.draining = null;
      // A change that came between the last slice and here: its own drain.
      if (this.later.size > 0 && !this.ctx.closed && this.laterTimer === null) {
        this.laterTimer = setTimeout(() => {
          this.laterTimer = null;
          void this.drain();
        }, 0);
      }
    });
    return this.draining;
  }

  /**
   * Rebuilds a conversation's summary from what is open: page index from the meta document,
   * preview from the newest page, unread and mention counts summed over the pages from the
   * newest back to the one holding my read marker (unread.ts). The newest page is the newest of
   * the index and of the pages loaded here (a page may sync before the meta document naming
   * it). What is not open keeps its cached value; the directory's fields are not touched here.
   */
  update(convId: string): void {
    const { host, me } = this.ctx;
    const m = host.get(metaRoom(convId));
    const metaDoc = m?.isLoaded ? m.doc : null;
    const info = metaDoc ? meta.readInfo(metaDoc) : null;
    const prev = this.byId.get(convId);
    const catalogue = this.deps.catalogueTitle(convId);
    const title = (prev?.listed ? prev.title : undefined) ?? info?.title ?? prev?.title ?? catalogue;
    if (title === undefined) return;
    const createdAt = prev?.createdAt || info?.createdAt || 0;
    const periods = metaDoc ? meta.listPeriods(metaDoc) : (prev?.periods ?? []);
    const pageCounts = readPageCounts(prev?.pageCounts);
    for (const period of this.watchedPeriods.get(convId) ?? []) {
      const od = host.get(pageRoom(convId, period));
      const c = od?.isLoaded ? this.countsOf(od.doc, me) : null;
      if (c) pageCounts[period] = c;
    }
    const newest = Math.max(periods[0] ?? -Infinity, ...Object.keys(pageCounts).map(Number));
    const p = Number.isFinite(newest) ? host.get(pageRoom(convId, newest)) : undefined;
    let lastMessage = prev?.lastMessage ?? null;
    let unread = prev?.unread ?? 0;
    let mentions = prev?.mentions ?? 0;
    let kept = Object.keys(pageCounts).length > 0 ? pageCounts : undefined;
    // Without the newest page's counts (not loaded here yet), the cached sums stay.
    if (pageCounts[newest]) ({ unread, mentions, kept } = sumCounts(pageCounts, newest));
    if (p?.isLoaded) {
      const lm = meta.lastMessage(p.doc);
      // A reply: its root, and whether it answers a thread I am in (it notifies me then).
      let rc = lm ? page.replyContext(p.doc, lm.id, me) : null;
      if (rc && !rc.involves && lm && lm.author !== me) {
        const older = this.olderThreadInvolves(convId, rc.root, lm.id, newest);
        // Being read from this device's disk: the summary (and its unread count, which is what
        // raises a notification) waits for the answer, then this runs again.
        if (older === 'reading') return;
        if (older) rc = { ...rc, involves: true };
      }
      lastMessage = lm
        ? {
            id: lm.id,
            text: lm.deleted ? '' : lm.text,
            authorName: this.deps.nameOf(lm.author),
            at: lm.at,
            authorId: lm.author,
            ...(rc ? { threadRootId: rc.root, ...(rc.involves ? { threadWithMe: true } : {}) } : {}),
          }
        : null;
    }
    this.put({
      ...(prev ?? {}),
      id: convId,
      title,
      createdAt,
      lastMessage,
      unread,
      mentions,
      ...(kept ? { pageCounts: kept } : {}),
      activity: Math.max(createdAt, lastMessage?.at ?? 0, prev?.activity ?? 0),
      periods,
    });
  }

  /**
   * A loaded page's counts, computed again only after the page changed (issue 16: every page
   * loaded while scrolling up used to count every loaded page's messages again).
   */
  private countsOf(doc: Y.Doc, me: string): PageCounts | null {
    const version = this.pageVersions.get(doc) ?? 0;
    const known = this.counted.get(doc);
    if (known && known.version === version) return known.counts;
    const counts = countsOfPage(doc, me, this.ctx.session.username);
    this.counted.set(doc, { version, counts });
    return counts;
  }

  private readonly counted = new WeakMap<Y.Doc, { version: number; counts: PageCounts | null }>();
  /** Transactions seen per page document (any change: content, read markers, deletions). */
  private readonly pageVersions = new WeakMap<Y.Doc, number>();
  private readonly bumpVersion = (tx: Y.Transaction) => {
    this.pageVersions.set(tx.doc, (this.pageVersions.get(tx.doc) ?? 0) + 1);
  };

  /**
   * Threads whose root is on an older page than the newest (docs/messaging.md "Threads"):
   * whether I started or replied in them there, read from the root's page when it is open or on
   * this device's disk; never fetched from the relay. `true` is kept; `false` only for the
   * reply it was judged for (I may reply later).
   */
  private readonly olderThreads = new Map<string, { involves: boolean; reply: string } | 'reading'>();

  private olderThreadInvolves(convId: string, rootId: string, replyId: string, newest: number): boolean | 'reading' {
    const { me } = this.ctx;
    let period: number;
    try {
      period = periodOfMessage(rootId);
    } catch {
      return false;
    }
    if (period >= newest) return false; // on the newest page: replyContext judged it
    const key = `${convId}|${rootId}`;
    const known = this.olderThreads.get(key);
    if (known === 'reading') return known;
    if (known && (known.involves || known.reply === replyId)) return known.involves;
    const room = pageRoom(convId, period);
    const od = this.ctx.host.get(room);
    if (od?.isLoaded) {
      const involves = page.threadInvolves(od.doc, rootId, me);
      this.olderThreads.set(key, { involves, reply: replyId });
      return involves;
    }
    this.olderThreads.set(key, 'reading');
    // The newest page stays open until the summary is read again with the answer: a catch-up
    // releases the rooms it synced once the list has read them, and this read returned early,
    // so a page released meanwhile would never give its counts (the reply stayed unread 0).
    const held = this.ctx.host.acquire(pageRoom(convId, newest));
    this.ctx.store
      .readDoc(room)
      .then(
        ({ rows }) => {
          const doc = new Y.Doc();
          try {
            for (const row of rows) Y.applyUpdate(doc, row.data);
            return page.threadInvolves(doc, rootId, me);
          } catch {
            return false; // a damaged record: judged as not mine, the page itself reports it
          } finally {
            doc.destroy();
          }
        },
        () => false,
      )
      .then((involves) => {
        this.olderThreads.set(key, { involves, reply: replyId });
        try {
          if (!this.ctx.closed) this.update(convId);
        } finally {
          this.ctx.host.release(held);
        }
      });
    return 'reading';
  }
}
