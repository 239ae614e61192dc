// One open conversation: its meta document and the pages loaded so far (newest first, older on
// demand). Implements api.ts's ConversationStore.
import { isHlc, tick } from '../../../core/src/hlc';
import { pageRoom, periodOf, periodOfMessage } from '../../../core/src/model/rooms';
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import { checkEmoji } from '../../../core/src/model/checks';
import { ModelError } from '../../../core/src/model/errors';
import type {
  ConversationStore,
  ConversationView,
  MessageLookup,
  MessageView,
  Observe,
  SendOptions,
  ThreadSummary,
  ThreadView,
  PinView,
  ReactionView,
} from './api';
import type { ConversationHost } from './conversation-host';
import type { OpenDoc } from './docs';
import { TypingTracker } from './awareness';

/** Pages are opened, newest first, until at least this many messages are loaded. */
export const SCREENFUL = 50;

/** api.ts's view, plus the error of a document whose local copy has unreadable records. */
export interface ConversationViewExt extends ConversationView {
  error?: string;
}

const refusal = (room: string, r: { code: number; reason: string }) =>
  `The relay refused "${room}" (${r.code}${r.reason ? `: ${r.reason}` : ''}); local changes are kept.`;

export class ConversationImpl implements ConversationStore {
  private meta: OpenDoc | null = null;
  private readonly pages = new Map<number, OpenDoc>();
  private readonly offs: Array<() => void> = [];
  private readonly listeners = new Set<(v: ConversationViewExt) => void>();
  private recent: Promise<void> | null = null;
  private loadingOlder = false;
  private scheduled = false;
  private closed = false;
  private cache = new Map<number, MessageView[]>();
  /** Messages being sent whose transactions have not completed yet. */
  private readonly unsaved = new Set<string>();
  /** Typing marks on the newest loaded page room (awareness.ts). */
  private readonly typingMarks: TypingTracker;

  constructor(
    private readonly client: ConversationHost,
    readonly id: string,
  ) {
    this.typingMarks = new TypingTracker(client.host, client.me, () => this.schedule(), () => client.now());
    // Author names come from the directory (or workspace): rebuild the rows when it changes;
    // the conversation's own state (role, archived, removed, members) when it changes.
    this.offs.push(
      client.onConvChange((convId) => {
        if (convId !== null && convId !== this.id) return;
        this.cache.clear();
        this.schedule();
      }),
    );
  }

  loadRecent(): Promise<void> {
    this.recent ??= this.doLoadRecent();
    return this.recent;
  }

  private async doLoadRecent(): Promise<void> {
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
    // This week's page, even if empty: the next send() then reaches its IndexedDB transaction
    // synchronously (a window closed right after Enter keeps the message).
    if (!this.closed) {
      await this.openPage(periodOf(this.client.now())).catch((e: unknown) => {
        this.client.errors.set(this.id, e instanceof Error ? e : new Error(String(e)));
      });
    }
    this.schedule();
  }

  /** Acquires the meta document (once) and follows its page index when it has loaded. */
  private ensureMeta(): OpenDoc {
    if (this.meta) return this.meta;
    const m = this.client.holdMeta(this.id);
    this.meta = m;
    m.loaded.then(
      () => {
        if (this.closed) return;
        const onMeta = () => {
          void this.followNewPages();
          this.schedule();
        };
        m.doc.on('update', onMeta);
        this.offs.push(() => m.doc.off('update', onMeta));
        void this.followNewPages();
      },
      () => undefined,
    );
    return m;
  }

  /** The page index: the meta document's once loaded, else the summary's cached copy. */
  private periods(): number[] {
    if (this.meta?.isLoaded) return meta.listPeriods(this.meta.doc);
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

  private following: Promise<void> = Promise.resolve();

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
      if (!this.meta || this.closed) return;
      const periods = meta.listPeriods(this.meta.doc);
      const oldest = this.oldestLoaded();
      for (const period of periods) {
        if (period > oldest && !this.pages.has(period)) await this.openPage(period);
      }
      await this.fillScreen(periods);
    });
  }

  private oldestLoaded(): number {
    let oldest = Infinity;
    for (const p of this.pages.keys()) oldest = Math.min(oldest, p);
    return oldest;
  }

  private async openPage(period: number): Promise<OpenDoc> {
    const have = this.pages.get(period);
    if (have) {
      await have.loaded;
      return have;
    }
    const od = this.client.host.acquire(pageRoom(this.id, period));
    this.pages.set(period, od);
    this.client.watchPage(this.id, od); // the list's preview and unread follow the newest page
    const onUpdate = () => {
      this.cache.delete(period);
      this.schedule();
    };
    od.doc.on('update', onUpdate);
    const offState = od.onState(() => {
      this.cache.delete(period);
      this.schedule();
      if (od.synced && this.meta) this.client.notePageSynced(this.id, period, od, this.meta);
    });
    this.offs.push(() => {
      od.doc.off('update', onUpdate);
      offState();
    });
    if (period >= Math.max(...this.pages.keys())) this.typingMarks.use(od);
    await od.loaded;
    if (od.error) this.client.errors.set(od.room, od.error);
    this.cache.delete(period);
    this.schedule();
    return od;
  }

  async loadBefore(): Promise<boolean> {
    await this.loadRecent();
    if (this.closed) return false;
    const oldest = this.oldestLoaded();
    const older = this.periods().find((p) => p < oldest);
    if (older === undefined) return false;
    this.loadingOlder = true;
    this.schedule();
    try {
      await this.openPage(older);
    } finally {
      this.loadingOlder = false;
      this.schedule();
    }
    return true;
  }

  private async writable(): Promise<OpenDoc> {
    await this.loadRecent();
    if (this.closed) throw new Error('This conversation was closed.');
    const m = this.ensureMeta();
    await m.loaded;
    return m;
  }

  /** A message on a page this store holds (the view's or a lookup's). */
  private known(messageId: string): page.Message | undefined {
    let period: number;
    try {
      period = periodOfMessage(messageId);
    } catch {
      return undefined;
    }
    const od = this.pages.get(period) ?? this.side.get(period)?.od;
    return od?.isLoaded ? page.getMessage(od.doc, messageId) : undefined;
  }

  /** Checks a reply's parent and a quote; the parent given as a reply means its root. */
  private sendTargets(options: SendOptions): { parent?: string; quote?: string } {
    const out: { parent?: string; quote?: string } = {};
    if (options.parent !== undefined) {
      if (!isHlc(options.parent)) throw new ModelError('invalid', `send: not a message id: ${JSON.stringify(options.parent)}`);
      const root = this.known(options.parent);
      if (!root) throw new ModelError('not-found', 'The message this replies to is not on this device.');
      out.parent = root.parent ?? root.id;
    }
    if (options.quote !== undefined) {
      if (!isHlc(options.quote)) throw new ModelError('invalid', `send: not a message id: ${JSON.stringify(options.quote)}`);
      const q = this.known(options.quote);
      if (!q) throw new ModelError('not-found', 'The quoted message is not on this device.');
      if (q.deleted) throw new ModelError('invalid', 'A deleted message cannot be quoted.');
      out.quote = q.id;
    }
    return out;
  }

  async send(text: string, options: SendOptions = {}): Promise<MessageView> {
    this.client.assertMay(this.id, 'post');
    const m = await this.writable();
    const targets = this.sendTargets(options);
    const now = this.client.now();
    const id = tick(this.client.clock, now);
    const period = periodOfMessage(id);
    const p = await this.openPage(period);
    const offline = this.client.host.connection !== 'online';
    this.typingMarks.set(false);
    // Shown only once on disk: the view leaves it out until its transactions complete.
    this.unsaved.add(id);
    try {
      page.addMessage(p.doc, {
        id,
        author: this.client.me,
        text,
        createdAt: now,
        ...targets,
        ...(offline ? { offline } : {}),
      });
    } catch (e) {
      this.unsaved.delete(id); // refused before anything was written (empty, too long, ...)
      throw e;
    }
    // Replying reads the page (a write only if others wrote since the last marker); the page
    // index gets an entry only for this device's first message on the page.
    meta.markRead(p.doc, this.client.me, now);
    const pageWrite = p.lastWrite;
    meta.recordMessage(m.doc, { period, author: this.client.me, id, text, at: now });
    const metaWrite = m.lastWrite;
    this.client.saveClock();
    try {
      await Promise.all([pageWrite, metaWrite]);
    } finally {
      this.unsaved.delete(id);
      this.schedule();
    }
    const view = this.messageView(p, page.getMessage(p.doc, id) as page.Message);
    return view;
  }

  private async ownPage(messageId: string): Promise<OpenDoc> {
    await this.writable();
    return this.openPage(periodOfMessage(messageId));
  }

  // The list's preview is read from the page, so an edit or deletion is one page write.
  async edit(messageId: string, text: string): Promise<void> {
    this.client.assertMay(this.id, 'edit-own');
    const p = await this.ownPage(messageId);
    page.editMessage(p.doc, messageId, this.client.me, text, this.client.now());
    await p.lastWrite;
  }

  /** My own message, or (as an owner or moderator) anyone's: core's moderator tombstone. */
  async remove(messageId: string): Promise<void> {
    const p = await this.ownPage(messageId);
    const msg = page.getMessage(p.doc, messageId);
    const others = msg !== undefined && msg.author !== this.client.me;
    this.client.assertMay(this.id, others ? 'delete-others' : 'delete-own');
    page.deleteMessage(p.doc, messageId, this.client.me, this.client.now(), others ? { moderator: true } : {});
    await p.lastWrite;
  }

  /**
   * Adds or removes my reaction on the message's own page (key `<messageId>|<emoji>|<me>`: only
   * mine, so concurrent reactions of others merge without conflict). Everything is checked
   * before anything is written.
   */
  async react(messageId: string, emoji: string, on: boolean): Promise<void> {
    if (!isHlc(messageId)) throw new ModelError('invalid', `react: not a message id: ${JSON.stringify(messageId)}`);
    checkEmoji(emoji, 'react');
    this.client.assertMay(this.id, 'react');
    const p = await this.ownPage(messageId);
    page.react(p.doc, messageId, emoji, this.client.me, on, this.client.now());
    await p.lastWrite;
  }

  /**
   * Pins or unpins in the meta document (key `<messageId>|<me>`: only mine, so others' pins
   * merge without conflict); a moderator's or owner's unpin removes every pin of the message
   * (core `unpinAll`, which the relay allows them only). Everything is checked before anything
   * is written.
   */
  async pin(messageId: string, on: boolean): Promise<void> {
    if (!isHlc(messageId)) throw new ModelError('invalid', `pin: not a message id: ${JSON.stringify(messageId)}`);
    if (typeof on !== 'boolean') throw new ModelError('invalid', 'pin: on must be true or false');
    const st = this.client.convState(this.id);
    // Pinning needs the right to post; unpinning my own pin only a live conversation.
    if (on || st.removed || st.archived) this.client.assertMay(this.id, 'pin');
    const unavailable = this.client.pinsUnavailable();
    if (unavailable) throw new ModelError('forbidden', unavailable);
    const m = await this.writable();
    if (on) {
      const held = this.holdPage(periodOfMessage(messageId));
      try {
        await held.od.loaded;
        const msg = page.getMessage(held.od.doc, messageId);
        if (!msg) throw new ModelError('not-found', 'That message is not on this device, so it cannot be pinned.');
        if (msg.deleted) throw new ModelError('invalid', 'A deleted message cannot be pinned.');
      } finally {
        held.release();
      }
      meta.pin(m.doc, { message: messageId, user: this.client.me, at: this.client.now() });
    } else if (this.mayUnpinOthers()) {
      meta.unpinAll(m.doc, messageId);
    } else {
      meta.unpin(m.doc, { message: messageId, user: this.client.me });
    }
    await m.lastWrite;
  }

  private mayUnpinOthers(): boolean {
    try {
      this.client.assertMay(this.id, 'unpin-others');
      return this.client.convState(this.id).canModerate;
    } catch {
      return false;
    }
  }

  private mayPin(): boolean {
    try {
      this.client.assertMay(this.id, 'pin');
      return true;
    } catch {
      return false;
    }
  }

  /** Who pinned each message, from the last view (the view itself is always current). */
  private pinnedIndex = new Map<string, { id: string; name: string }[]>();
  private pinsKey = '';

  private pinViews(): PinView[] {
    const m = this.meta;
    if (!m?.isLoaded) return [];
    const st = this.client.convState(this.id);
    const live = !st.removed && !st.archived;
    const others = live && this.mayUnpinOthers();
    const name = (id: string) => {
      const known = this.client.nameOf(id, '');
      if (known) this.names.set(id, known);
      return known || this.names.get(id) || 'Someone';
    };
    return meta.listPins(m.doc).map((p) => {
      const mine = p.by.includes(this.client.me);
      return {
        messageId: p.messageId,
        by: p.by.map((id) => ({ id, name: name(id) })),
        at: p.at,
        mine,
        canUnpin: live && (mine || others),
      };
    });
  }

  /** Message views are cached per page: the pinned ones (and the formerly pinned) are copied. */
  private withPins(messages: MessageView[], pins: PinView[]): MessageView[] {
    const index = new Map(pins.map((p) => [p.messageId, p.by]));
    this.pinnedIndex = index;
    return messages.map((v) => {
      const by = index.get(v.id);
      if (!by && v.pinnedBy.length === 0) return v;
      const want = by ?? [];
      const same = want.length === v.pinnedBy.length && want.every((p, i) => v.pinnedBy[i]?.id === p.id && v.pinnedBy[i]?.name === p.name);
      return same ? v : { ...v, pinnedBy: want };
    });
  }

  /** Read markers live on the pages: marks every loaded page (writes only where others wrote). */
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
    const m = od ? page.getMessage(od.doc, messageId) : undefined;
    return m !== undefined && !m.deleted;
  }

  /** Pages opened for lookups only (older than the view's pages): held while observed. */
  private readonly side = new Map<number, { od: OpenDoc; users: number }>();

  /** The open page of a period: the view's own, or a side page held until `release`. */
  private holdPage(period: number): { od: OpenDoc; release: () => void } {
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

  /** The lookup state of a message on an open page (see api.ts MessageLookup). */
  private lookupState(od: OpenDoc, messageId: string): MessageLookup {
    if (!od.isLoaded) return { state: 'loading' };
    const msg = page.getMessage(od.doc, messageId);
    if (msg) return { state: 'found', message: this.messageView(od, msg) };
    const settled =
      od.synced || od.refused !== null || od.error !== null || this.client.host.connection !== 'online';
    return settled ? { state: 'missing' } : { state: 'loading' };
  }

  lookup(messageId: string): Observe<MessageLookup> {
    return (listener) => {
      let period: number;
      try {
        if (!isHlc(messageId)) throw new Error('not a message id');
        period = periodOfMessage(messageId);
      } catch {
        listener({ state: 'missing' });
        return () => undefined;
      }
      if (this.closed) {
        listener({ state: 'missing' });
        return () => undefined;
      }
      const held = this.holdPage(period);
      const od = held.od;
      let last = '';
      let stopped = false;
      const emit = () => {
        if (stopped || this.closed) return;
        const v = this.lookupState(od, messageId);
        // Rebuilt on every page update: only changes reach the listener.
        const key = JSON.stringify(v);
        if (key === last) return;
        last = key;
        listener(v);
      };
      let queued = false;
      const later = () => {
        if (queued) return;
        queued = true;
        queueMicrotask(() => {
          queued = false;
          emit();
        });
      };
      od.doc.on('update', later);
      const offState = od.onState(later);
      const offHost = this.client.host.onChange(later);
      const offConv = this.client.onConvChange((convId) => {
        if (convId === null || convId === this.id) later();
      });
      void od.loaded.then(later, later);
      emit();
      return () => {
        stopped = true;
        od.doc.off('update', later);
        offState();
        offHost();
        offConv();
        held.release();
      };
    };
  }

  markRead(): void {
    if (this.closed || this.client.convState(this.id).removed) return;
    for (const p of this.pages.values()) {
      void p.loaded.then(() => {
        if (!this.closed && p.refs > 0) meta.markRead(p.doc, this.client.me, this.client.now());
      });
    }
  }

  setTyping(on: boolean): void {
    if (this.closed || (on && !this.client.convState(this.id).canPost)) return;
    this.typingMarks.set(on);
  }

  /**
   * seenBy: each reader (not me) on the newest of my messages their page read marker reached.
   * Message views are cached: the ones with readers are copied.
   */
  private withSeenBy(messages: MessageView[], docOf: Map<string, OpenDoc>): MessageView[] {
    const assigned = new Set<string>([this.client.me]);
    const out = messages.slice();
    for (let i = out.length - 1; i >= 0; i--) {
      const v = out[i] as MessageView;
      const p = docOf.get(v.id);
      if (!v.mine || v.deleted || !p) continue;
      const readers = meta.readBy(p.doc, v.id).filter((u) => !assigned.has(u));
      if (readers.length === 0) continue;
      for (const u of readers) assigned.add(u);
      out[i] = { ...v, seenBy: readers.map((id) => ({ id, name: this.client.nameOf(id, '') || this.names.get(id) || 'Someone' })) };
    }
    return out;
  }

  private messageView(
    p: OpenDoc,
    msg: page.Message,
    st = this.client.convState(this.id),
    reactions: page.Reaction[] = page.listReactions(p.doc, msg.id),
  ): MessageView {
    let stored: boolean;
    // Stored as it is now: an edit or delete made offline is pending until the relay has it.
    // Only this device's unconfirmed writes can be pending: an item of a writer with no
    // unconfirmed update here (someone else's, e.g. a moderator's deletion) came from the relay.
    const mineUnconfirmed = new Set(p.record.pending.map(([client]) => client));
    const sv = p.relaySV;
    try {
      stored = page
        .messageItemIds(p.doc, msg.id)
        .every((item) => !mineUnconfirmed.has(item.client) || (sv !== null && page.isStored(sv, item)));
      if (!sv && mineUnconfirmed.size === 0 && msg.author === this.client.me) stored = false; // never synced
    } catch {
      stored = false;
    }
    return {
      id: msg.id,
      authorId: msg.author,
      authorName: this.client.nameOf(msg.author),
      text: msg.text,
      createdAt: msg.createdAt,
      editedAt: msg.editedAt,
      deleted: msg.deleted,
      parentId: msg.parent,
      quoteId: msg.quote,
      thread: null,
      writtenOffline: msg.offline,
      mine: msg.author === this.client.me,
      delivery: stored ? 'stored' : 'pending',
      canEdit: msg.author === this.client.me && !msg.deleted && !msg.readOnly && !st.removed && !st.archived,
      canDelete:
        !msg.deleted && !st.removed && !st.archived && (msg.author === this.client.me || st.canModerate),
      reactions: reactions.map((r) => this.reactionView(r)),
      seenBy: [],
      pinnedBy: this.pinnedIndex.get(msg.id) ?? [],
    };
  }

  /** Names seen while this conversation was open: a reaction outlives its author's membership. */
  private readonly names = new Map<string, string>();

  private reactionView(r: page.Reaction): ReactionView {
    const name = (id: string) => {
      const known = this.client.nameOf(id, '');
      if (known) this.names.set(id, known);
      return known || this.names.get(id) || 'Someone';
    };
    return {
      emoji: r.emoji,
      count: r.users.length,
      mine: r.users.includes(this.client.me),
      by: r.users.map((id) => ({ id, name: name(id) })),
    };
  }

  /** Whether I may add or remove reactions here (core's `can` through the client). */
  private mayReact(): boolean {
    try {
      this.client.assertMay(this.id, 'react');
      return true;
    } catch {
      return false;
    }
  }

  private pageViews(period: number, p: OpenDoc): MessageView[] {
    let list = this.cache.get(period);
    if (!list) {
      const st = this.client.convState(this.id);
      const reactions = page.listAllReactions(p.doc);
      list = page.listMessages(p.doc).map((msg) => this.messageView(p, msg, st, reactions.get(msg.id) ?? []));
      this.cache.set(period, list);
    }
    return list;
  }

  view(): ConversationViewExt {
    // Pins first: when they changed, the cached message views are rebuilt with the new marks.
    const pins = this.pinViews();
    const pinsKey = JSON.stringify(pins.map((p) => [p.messageId, p.by]));
    if (pinsKey !== this.pinsKey) {
      this.pinsKey = pinsKey;
      this.pinnedIndex = new Map(pins.map((p) => [p.messageId, p.by]));
      this.cache.clear();
    }
    const periods = [...this.pages.keys()].sort((a, b) => a - b);
    let messages: MessageView[] = [];
    const docOf = new Map<string, OpenDoc>();
    const errors: string[] = [];
    const threads = this.threadSummaries(periods);
    for (const period of periods) {
      const p = this.pages.get(period) as OpenDoc;
      if (p.error) errors.push(p.error.message);
      if (p.refused) errors.push(refusal(p.room, p.refused));
      for (const v of this.pageViews(period, p)) {
        // Top level only: replies are in their thread (thread()), counted on their root.
        if (v.parentId !== null || (this.unsaved.size > 0 && this.unsaved.has(v.id))) continue;
        const thread = threads.get(v.id);
        messages.push(thread ? { ...v, thread } : v);
        docOf.set(v.id, p);
      }
    }
    messages = this.withSeenBy(messages, docOf);
    messages = this.withPins(messages, pins);
    const mayPin = this.mayPin();
    const m = this.meta;
    if (m?.error) errors.unshift(m.error.message);
    if (m?.refused) errors.unshift(refusal(m.room, m.refused));
    const info = m?.isLoaded ? meta.readInfo(m.doc) : null;
    const oldest = this.oldestLoaded();
    const st = this.client.convState(this.id);
    if (st.error) errors.unshift(st.error);
    for (const od of [m, ...this.pages.values()]) {
      // Held after a rebuild (docs.ts): the summary's sentence says it, else this one.
      if (od?.denied && !st.error) {
        errors.push(`The server refused changes from this device (${od.denied}); they are kept on this device, marked not delivered.`);
      }
    }
    const view: ConversationViewExt = {
      id: this.id,
      title: this.client.titleFor(this.id) ?? info?.title ?? '',
      kind: st.kind,
      role: st.role,
      archived: st.archived,
      removed: st.removed,
      canPost: st.canPost,
      canModerate: st.canModerate,
      canReact: this.mayReact(),
      pins,
      canPin: mayPin && this.client.pinsUnavailable() === null,
      pinsUnavailable: mayPin ? this.client.pinsUnavailable() : null,
      members: st.members,
      messages,
      hasOlder: this.periods().some((p) => p < oldest),
      loadingOlder: this.loadingOlder,
      typing: this.typingMarks.typing().map((u) => this.client.nameOf(u, '') || this.names.get(u) || 'Someone'),
    };
    if (errors.length > 0) view.error = errors.join(' ');
    return view;
  }

  private schedule(): void {
    if (this.scheduled || this.closed || (this.listeners.size === 0 && this.threadObs.size === 0)) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (this.closed) return;
      if (this.listeners.size > 0) {
        const v = this.view();
        for (const l of [...this.listeners]) l(v);
      }
      for (const t of [...this.threadObs]) this.emitThread(t);
    });
  }

  /** Every loaded message (not the unsaved ones), ascending, with the page it is on. */
  private allViews(periods: number[]): { views: MessageView[]; docOf: Map<string, OpenDoc> } {
    const views: MessageView[] = [];
    const docOf = new Map<string, OpenDoc>();
    for (const period of periods) {
      const p = this.pages.get(period) as OpenDoc;
      for (const v of this.pageViews(period, p)) {
        if (this.unsaved.size > 0 && this.unsaved.has(v.id)) continue;
        views.push(v);
        docOf.set(v.id, p);
      }
    }
    return { views, docOf };
  }

  private static threadMessage(v: MessageView): page.ThreadMessage {
    return { id: v.id, author: v.authorId, parent: v.parentId, deleted: v.deleted, createdAt: v.createdAt };
  }

  /**
   * Per thread root, its summary from the loaded pages (core threadSummaries), names and my
   * unread replies (by others, past my read marker on their page) added.
   */
  private threadSummaries(periods: number[]): Map<string, ThreadSummary> {
    const { views, docOf } = this.allViews(periods);
    const out = new Map<string, ThreadSummary>();
    if (!views.some((v) => v.parentId !== null)) return out;
    const plain = views.map(ConversationImpl.threadMessage);
    const byId = new Map(plain.map((m) => [m.id, m]));
    const unread = new Map<string, number>();
    const markers = new Map<OpenDoc, string | null>();
    for (const m of plain) {
      if (m.parent === null || m.deleted || m.author === this.client.me) continue;
      const p = docOf.get(m.id) as OpenDoc;
      if (!markers.has(p)) markers.set(p, meta.readMarker(p.doc, this.client.me)?.id ?? null);
      const marker = markers.get(p) ?? null;
      if (marker !== null && m.id <= marker) continue;
      const root = page.rootOf(m, byId);
      unread.set(root, (unread.get(root) ?? 0) + 1);
    }
    for (const [root, s] of page.threadSummaries(plain)) {
      out.set(root, {
        count: s.count,
        lastReplyAt: s.lastAt ?? 0,
        repliers: s.repliers.map((id) => ({ id, name: this.nameFor(id) })),
        unread: unread.get(root) ?? 0,
      });
    }
    return out;
  }

  private nameFor(id: string): string {
    const known = this.client.nameOf(id, '');
    if (known) this.names.set(id, known);
    return known || this.names.get(id) || 'Someone';
  }

  /** Open thread observers: `ready` once the pages from the root's period onwards are loaded. */
  private readonly threadObs = new Set<{
    rootId: string;
    ready: boolean;
    last: string;
    listener: (v: ThreadView) => void;
  }>();

  private threadView(rootId: string, ready: boolean): ThreadView {
    const loading: ThreadView = { state: 'loading', root: null, replies: [] };
    if (!ready) return loading;
    let period: number;
    try {
      period = periodOfMessage(rootId);
    } catch {
      return { state: 'missing', root: null, replies: [] };
    }
    const periods = [...this.pages.keys()].sort((a, b) => a - b);
    const { views } = this.allViews(periods);
    const root = views.find((v) => v.id === rootId);
    if (!root) {
      const od = this.pages.get(period);
      const settled =
        !od || od.synced || od.refused !== null || od.error !== null || this.client.host.connection !== 'online';
      return settled ? { state: 'missing', root: null, replies: [] } : loading;
    }
    const plain = views.map(ConversationImpl.threadMessage);
    const byId = new Map(plain.map((m) => [m.id, m]));
    const replies = views.filter(
      (v, i) => v.parentId !== null && page.rootOf(plain[i] as page.ThreadMessage, byId) === rootId,
    );
    const thread = this.threadSummaries(periods).get(rootId) ?? null;
    return { state: 'ready', root: thread ? { ...root, thread } : root, replies };
  }

  private emitThread(t: { rootId: string; ready: boolean; last: string; listener: (v: ThreadView) => void }): void {
    const v = this.threadView(t.rootId, t.ready);
    const key = JSON.stringify(v);
    if (key === t.last) return;
    t.last = key;
    t.listener(v);
  }

  thread(rootId: string): Observe<ThreadView> {
    return (listener) => {
      const entry = { rootId, ready: false, last: '', listener };
      this.threadObs.add(entry);
      this.emitThread(entry);
      // The same contiguous pages as reveal(): every reply sorts after its root.
      void this.reveal(rootId)
        .catch(() => false)
        .then(() => {
          entry.ready = true;
          if (this.threadObs.has(entry)) this.emitThread(entry);
          this.schedule();
        });
      return () => {
        this.threadObs.delete(entry);
      };
    };
  }

  observe: Observe<ConversationViewExt> = (listener) => {
    this.listeners.add(listener);
    listener(this.view());
    return () => this.listeners.delete(listener);
  };

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.typingMarks.close();
    for (const off of this.offs.splice(0)) off();
    this.listeners.clear();
    this.threadObs.clear();
    for (const p of this.pages.values()) this.client.host.release(p);
    this.pages.clear();
    for (const s of this.side.values()) this.client.host.release(s.od);
    this.side.clear();
    if (this.meta) this.client.host.release(this.meta);
    this.meta = null;
  }
}
