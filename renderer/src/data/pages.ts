// The documents one open conversation holds: its meta document and the page documents loaded so
// far (newest first until a screenful, older on demand, newer ones as the page index grows), plus
// pages held only while a lookup observes them. See README.md (Conversations).
import { pageRoom, periodOf, periodOfMessage } from '../../../core/src/model/rooms';
import { wallOf } from '../../../core/src/hlc';
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import type { ConversationHost } from './conversation-host';
import type { OpenDoc } from './docs';

/** Pages are opened, newest first, until at least this many messages are loaded. */
export const SCREENFUL = 50;
/**
 * A message written this recently (by its id's clock) that is not here yet, online, may still
 * be on its way (a link copied a moment ago on another device): `reveal` waits for it up to
 * IN_FLIGHT_WAIT_MS before saying it is missing.
 */
export const IN_FLIGHT_MS = 2 * 60_000;
export const IN_FLIGHT_WAIT_MS = 10_000;

/** What the conversation hears from its documents. */
export interface PageEvents {
  /** A page's content or sync state changed (its cached views are stale); null: anything else. */
  changed(period: number | null): void;
  /** The newest page opened so far (typing marks follow it). */
  newest(od: OpenDoc): void;
}

export class ConversationPages {
  private metaDoc: OpenDoc | null = null;
  /** The view's pages, by period. */
  readonly pages = new Map<number, OpenDoc>();
  /** Pages opened for lookups only (older than the view's pages): held while observed. */
  private readonly side = new Map<number, { od: OpenDoc; users: number }>();
  private readonly offs: Array<() => void> = [];
  private recent: Promise<void> | null = null;
  private following: Promise<void> = Promise.resolve();
  private closed = false;
  loadingOlder = false;
  /** The newest pages are loaded (a screenful, or all there is): the view is the documents'. */
  ready = false;

  constructor(
    private readonly client: ConversationHost,
    readonly id: string,
    private readonly events: PageEvents,
  ) {}

  /** The meta document, once acquired. */
  get meta(): OpenDoc | null {
    return this.metaDoc;
  }

  loadRecent(): Promise<void> {
    this.recent ??= this.doLoadRecent();
    return this.recent;
  }

  /** Awaited before the first page is read: the screen cache shows first (screen-cache.ts). */
  gate: Promise<void> = Promise.resolve();

  private async doLoadRecent(): Promise<void> {
    await this.gate;
    // With the summary's cached page index the newest pages load and show first, and the meta
    // document (small: it is not rewritten per message) only after them.
    const cached = this.client.summaryOf(this.id)?.periods;
    if (cached && cached.length > 0) {
      await this.serial(() => this.fillScreen(cached));
      if (!this.closed) this.ensureMeta();
    } else {
      await this.ensureMeta().loaded;
      await this.following;
    }
    this.ready = true;
    this.events.changed(null);
    // This week's page, even if empty: the next send() then reaches its IndexedDB transaction
    // synchronously (a window closed right after Enter keeps the message).
    if (!this.closed) {
      await this.openPage(periodOf(this.client.now())).catch((e: unknown) => {
        this.client.errors.set(this.id, e instanceof Error ? e : new Error(String(e)));
      });
    }
    this.events.changed(null);
  }

  /** Acquires the meta document (once) and follows its page index when it has loaded. */
  ensureMeta(): OpenDoc {
    if (this.metaDoc) return this.metaDoc;
    const m = this.client.holdMeta(this.id);
    this.metaDoc = m;
    m.loaded.then(
      () => {
        if (this.closed) return;
        const onMeta = () => {
          void this.followNewPages();
          this.events.changed(null);
        };
        m.doc.on('update', onMeta);
        this.offs.push(() => m.doc.off('update', onMeta));
        void this.followNewPages();
        // Its stored content arrived before this listener (pins, title, read markers): the
        // view shown so far was built without it (pages first when the index is cached).
        this.events.changed(null);
      },
      () => undefined,
    );
    return m;
  }

  /** The page index: the meta document's once loaded, else the summary's cached copy. */
  periods(): number[] {
    if (this.metaDoc?.isLoaded) return meta.listPeriods(this.metaDoc.doc);
    return this.client.summaryOf(this.id)?.periods ?? [];
  }

  private async fillScreen(periods: number[]): Promise<void> {
    let count = 0;
    for (const p of this.pages.values()) count += page.messagesOf(p.doc).size;
    for (const period of periods) {
      if (count >= SCREENFUL || this.closed) break;
      if (this.pages.has(period)) continue;
      const p = await this.openPage(period);
      count += page.messagesOf(p.doc).size;
    }
  }

  /**
   * Loads pages newer than the oldest loaded one that appeared in the index (someone wrote),
   * then older ones while fewer than a screenful of messages is loaded. Serialized.
   */
  private serial(fn: () => Promise<void>): Promise<void> {
    this.following = this.following.then(fn).catch((e: unknown) => {
      this.client.errors.set(this.id, e instanceof Error ? e : new Error(String(e)));
    });
    return this.following;
  }

  private followNewPages(): Promise<void> {
    return this.serial(async () => {
      if (!this.metaDoc || this.closed) return;
      const periods = meta.listPeriods(this.metaDoc.doc);
      const oldest = this.oldestLoaded();
      for (const period of periods) {
        if (period > oldest && !this.pages.has(period)) await this.openPage(period);
      }
      await this.fillScreen(periods);
    });
  }

  oldestLoaded(): number {
    let oldest = Infinity;
    for (const p of this.pages.keys()) oldest = Math.min(oldest, p);
    return oldest;
  }

  async openPage(period: number): Promise<OpenDoc> {
    const have = this.pages.get(period);
    if (have) {
      await have.loaded;
      return have;
    }
    const od = this.client.host.acquire(pageRoom(this.id, period));
    this.pages.set(period, od);
    this.client.watchPage(this.id, od); // the list's preview and unread follow the newest page
    const onUpdate = () => {
      this.events.changed(period);
    };
    od.doc.on('update', onUpdate);
    const offState = od.onState(() => {
      this.events.changed(period);
      if (od.synced && this.metaDoc) this.client.notePageSynced(this.id, period, od, this.metaDoc);
    });
    this.offs.push(() => {
      od.doc.off('update', onUpdate);
      offState();
    });
    if (period >= Math.max(...this.pages.keys())) this.events.newest(od);
    await od.loaded;
    if (od.error) this.client.errors.set(od.room, od.error);
    this.events.changed(period);
    return od;
  }

  async loadBefore(): Promise<boolean> {
    await this.loadRecent();
    if (this.closed) return false;
    const oldest = this.oldestLoaded();
    const older = this.periods().find((p) => p < oldest);
    if (older === undefined) return false;
    this.loadingOlder = true;
    this.events.changed(null);
    try {
      await this.openPage(older);
    } finally {
      this.loadingOlder = false;
      this.events.changed(null);
    }
    return true;
  }

  /** The meta document, loaded, once the recent pages are: where a write starts. */
  async writable(): Promise<OpenDoc> {
    await this.loadRecent();
    if (this.closed) throw new Error('This conversation was closed.');
    const m = this.ensureMeta();
    await m.loaded;
    return m;
  }

  /** The page of a message of mine to change (its own page, opened if needed). */
  async ownPage(messageId: string): Promise<OpenDoc> {
    await this.writable();
    return this.openPage(periodOfMessage(messageId));
  }

  /** The open page of a period, the view's or a lookup's. */
  pageOf(period: number): OpenDoc | undefined {
    return this.pages.get(period) ?? this.side.get(period)?.od;
  }

  /** Every page from the newest down to the message's (the view stays contiguous). */
  async reveal(messageId: string): Promise<boolean> {
    await this.loadRecent();
    let target: number;
    try {
      target = periodOfMessage(messageId);
    } catch {
      return false;
    }
    // Every page from the newest down to the message's: the view stays contiguous.
    while (!this.closed && this.oldestLoaded() > target && (await this.loadBefore()));
    if (this.closed) return false;
    if (!this.pages.has(target)) await this.openPage(target);
    const od = this.pages.get(target);
    if (!od) return false;
    // A link or notification can arrive before its message does (written a moment ago on
    // another device): online, the page's first sync decides, not what the disk had.
    if (!page.getMessage(od.doc, messageId)) await this.settled(od);
    if (!page.getMessage(od.doc, messageId) && this.client.now() - wallOf(messageId) < IN_FLIGHT_MS) {
      await this.arrival(od, messageId);
    }
    const m = page.getMessage(od.doc, messageId);
    return m !== undefined && !m.deleted;
  }

  /** Resolves when the message is on the page, this device is not online, or after a while. */
  private arrival(od: OpenDoc, messageId: string): Promise<void> {
    const host = this.client.host;
    return new Promise((resolve) => {
      const check = () => {
        const done =
          this.closed || host.connection !== 'online' || page.getMessage(od.doc, messageId);
        if (done) finish();
      };
      const finish = () => {
        clearTimeout(timer);
        od.doc.off('update', check);
        offHost();
        resolve();
      };
      const timer = setTimeout(finish, IN_FLIGHT_WAIT_MS);
      od.doc.on('update', check);
      const offHost = host.onChange(check);
      check();
    });
  }

  /**
   * Resolves once the relay has answered the page's first sync, refused it, or this device is
   * not online (then what is on the disk is all there is to show).
   */
  private settled(od: OpenDoc): Promise<void> {
    const host = this.client.host;
    const done = () =>
      this.closed || od.synced || od.refused !== null || od.error !== null || host.connection !== 'online';
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        offState();
        offHost();
        resolve();
      };
      const offState = od.onState(check);
      const offHost = host.onChange(check);
    });
  }

  /** The open page of a period: the view's own, or a side page held until `release`. */
  holdPage(period: number): { od: OpenDoc; release: () => void } {
    const own = this.pages.get(period);
    if (own) return { od: own, release: () => undefined };
    let s = this.side.get(period);
    if (!s) {
      s = { od: this.client.host.acquire(pageRoom(this.id, period)), users: 0 };
      this.side.set(period, s);
    }
    const held = s;
    held.users++;
    let released = false;
    return {
      od: held.od,
      release: () => {
        if (released) return;
        released = true;
        held.users--;
        if (held.users === 0 && this.side.get(period) === held) {
          this.side.delete(period);
          if (!this.closed) this.client.host.release(held.od);
        }
      },
    };
  }

  /** Releases every document. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.offs.splice(0)) off();
    for (const p of this.pages.values()) this.client.host.release(p);
    this.pages.clear();
    for (const s of this.side.values()) this.client.host.release(s.od);
    this.side.clear();
    if (this.metaDoc) this.client.host.release(this.metaDoc);
    this.metaDoc = null;
  }
}
