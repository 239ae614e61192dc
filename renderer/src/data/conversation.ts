// One open conversation: its meta document and the pages loaded so far (newest first, older on
// demand). Implements api.ts's ConversationStore: the writes (send, edit, remove, react, read
// markers, typing) and the view; the rest is in files named for it: pages.ts (which documents
// are open), message-views.ts and delivery.ts (what a message shows), pins.ts, thread-view.ts,
// lookup.ts.
import { isHlc, tick } from '../../../core/src/hlc';
import { periodOfMessage } from '../../../core/src/model/rooms';
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import { checkEmoji } from '../../../core/src/model/checks';
import { ModelError } from '../../../core/src/model/errors';
import { readEvents } from '../../../core/src/model/events';
import type * as Y from 'yjs';
import type {
  SystemEventView,
  ConversationStore,
  ConversationView,
  MessageLookup,
  MessageView,
  Observe,
  SendOptions,
  ThreadView,
} from './api';
import type { ConversationHost } from './conversation-host';
import type { OpenDoc } from './docs';
import { TypingTracker } from './awareness';
import { withSeenBy } from './delivery';
import { Lookups } from './lookup';
import { MessageViews } from './message-views';
import { ConversationPages } from './pages';
import { withBroadcastRoots } from './broadcast';
import { Pins } from './pins';
import { Threads } from './thread-view';
import { forwardRefOf } from './forwarding';
import { newestPageRooms, ScreenCache } from './screen-cache';

export { SCREENFUL } from './pages';

/** api.ts's view, plus the error of a document whose local copy has unreadable records. */
export interface ConversationViewExt extends ConversationView {
  error?: string;
}

/**
 * A room the relay closed for good, in words for people (issue 12); the detail (room, close code,
 * reason) goes to the log once. While the conversation shows as removed (4403) its banner says
 * it all: nothing more is added (null).
 */
const logged = new Set<string>();
function logOnce(detail: string): void {
  if (logged.has(detail)) return;
  logged.add(detail);
  console.warn(`[ferry] ${detail}`);
}

function refusal(room: string, r: { code: number; reason: string }, removed: boolean): string | null {
  logOnce(`relay closed ${room} (${r.code}${r.reason ? `: ${r.reason}` : ''})`);
  if (removed && r.code === 4403) return null;
  return 'The server stopped accepting changes to this conversation from this device. Your changes are kept here; ask an owner of the conversation if you should still be in it.';
}

/** A page or meta document this device could not read: the words, the detail logged. */
function unreadable(e: Error): string {
  logOnce(`local copy: ${e.message}`);
  return 'Part of this conversation could not be read on this device; the rest is shown and nothing is deleted. If it stays after a restart, use Help → Copy Diagnostics and send it to your administrator.';
}

export class ConversationImpl implements ConversationStore {
  private readonly offs: Array<() => void> = [];
  private readonly listeners = new Set<(v: ConversationViewExt) => void>();
  private scheduled = false;
  private closed = false;
  /** Messages being sent whose transactions have not completed yet. */
  private readonly unsaved = new Set<string>();
  /** Typing marks on the newest loaded page room (awareness.ts). */
  private readonly typingMarks: TypingTracker;
  private readonly pages: ConversationPages;
  private readonly views: MessageViews;
  private readonly pins: Pins;
  private readonly threads: Threads;
  private readonly lookups: Lookups;
  /** The screen cache (screen-cache.ts), shown until the newest pages are loaded. */
  private readonly screen: ScreenCache;

  constructor(
    private readonly client: ConversationHost,
    readonly id: string,
  ) {
    this.typingMarks = new TypingTracker(client.host, client.me, () => this.schedule(), () => client.now());
    this.pages = new ConversationPages(client, id, {
      changed: (period) => {
        if (period !== null) this.views.forget(period);
        this.schedule();
      },
      newest: (od) => this.typingMarks.use(od),
    });
    this.views = new MessageViews(client, id, this.pages, this.unsaved);
    this.pins = new Pins(client, id, this.pages, this.views);
    this.threads = new Threads(client, this.pages, this.views, (rootId) => this.reveal(rootId), () => this.schedule());
    this.lookups = new Lookups(client, id, this.pages, this.views, () => this.closed);
    this.screen = new ScreenCache(
      client.host.store.db,
      id,
      () => {
        if (!this.closed && !this.pages.ready) this.schedule();
      },
      newestPageRooms(id, client.summaryOf(id)?.periods),
      client.screens,
    );
    this.pages.gate = this.screen.settled;
    // Author names come from the directory (or workspace): rebuild the rows when it changes;
    // the conversation's own state (role, archived, removed, members) when it changes.
    this.offs.push(
      client.onConvChange((convId) => {
        if (convId !== null && convId !== this.id) return;
        this.views.forget();
        this.schedule();
      }),
    );
  }

  loadRecent(): Promise<void> {
    return this.pages.loadRecent();
  }

  loadBefore(): Promise<boolean> {
    return this.pages.loadBefore();
  }

  /** A message on a page this store holds (the view's or a lookup's). */
  private known(messageId: string): page.Message | undefined {
    let period: number;
    try {
      period = periodOfMessage(messageId);
    } catch {
      return undefined;
    }
    const od = this.pages.pageOf(period);
    return od?.isLoaded ? page.getMessage(od.doc, messageId) : undefined;
  }

  /** Checks a reply's parent and a quote; the parent given as a reply means its root. */
  private sendTargets(options: SendOptions): { parent?: string; quote?: string; broadcast?: boolean } {
    const out: { parent?: string; quote?: string; broadcast?: boolean } = {};
    if (options.alsoToChannel === true) {
      if (options.parent === undefined) throw new ModelError('invalid', 'Only a thread reply can also be sent to the channel.');
      out.broadcast = true;
    }
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
    const m = await this.pages.writable();
    const targets = this.sendTargets(options);
    const forward = options.forward ? forwardRefOf(options.forward) : undefined;
    // Files are checked, hashed and measured before anything is written (ApiError 'too-large').
    const prepared = options.files && options.files.length > 0 ? await this.client.files.prepare(options.files) : null;
    const files = prepared?.map((f) => f.ref);
    const now = this.client.now();
    const id = tick(this.client.clock, now);
    const period = periodOfMessage(id);
    const p = await this.pages.openPage(period);
    const offline = this.client.host.connection !== 'online';
    this.typingMarks.set(false);
    // The queue is on disk before the message is: a message never names a file this device lost.
    if (prepared) await this.client.files.enqueue(this.id, id, prepared);
    // Shown only once on disk: the view leaves it out until its transactions complete.
    this.unsaved.add(id);
    try {
      page.addMessage(p.doc, {
        id,
        author: this.client.me,
        text,
        createdAt: now,
        ...targets,
        ...(forward ? { forward } : {}),
        ...(files ? { files } : {}),
        ...(offline ? { offline } : {}),
      });
    } catch (e) {
      this.unsaved.delete(id); // refused before anything was written (empty, too long, ...)
      if (prepared) await this.client.files.dequeue(this.id, id);
      throw e;
    }
    // Replying reads the page (a write only if others wrote since the last marker); the page
    // index gets an entry only for this device's first message on the page.
    meta.markRead(p.doc, this.client.me, now);
    const pageWrite = p.lastWrite;
    const preview = text || (forward?.text ?? '') || (files ? files.map((f) => f.name).join(', ') : '');
    meta.recordMessage(m.doc, { period, author: this.client.me, id, text: preview, at: now });
    const metaWrite = m.lastWrite;
    this.client.saveClock();
    try {
      await Promise.all([pageWrite, metaWrite]);
    } finally {
      this.unsaved.delete(id);
      this.schedule();
    }
    if (prepared) this.client.files.sent();
    const view = this.views.messageView(p, page.getMessage(p.doc, id) as page.Message);
    return view;
  }

  // The list's preview is read from the page, so an edit or deletion is one page write.
  async edit(messageId: string, text: string): Promise<void> {
    this.client.assertMay(this.id, 'edit-own');
    const p = await this.pages.ownPage(messageId);
    page.editMessage(p.doc, messageId, this.client.me, text, this.client.now());
    await p.lastWrite;
  }

  /** My own message, or (as an owner or moderator) anyone's: core's moderator tombstone. */
  async remove(messageId: string): Promise<void> {
    const p = await this.pages.ownPage(messageId);
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
    const p = await this.pages.ownPage(messageId);
    page.react(p.doc, messageId, emoji, this.client.me, on, this.client.now());
    await p.lastWrite;
  }

  /**
   * Pins or unpins in the meta document (key `<messageId>|<me>`: only mine, so others' pins
   * merge without conflict); see pins.ts.
   */
  pin(messageId: string, on: boolean): Promise<void> {
    return this.pins.pin(messageId, on);
  }

  /** Loads every page from the newest down to the message's; true if it is there, not deleted. */
  reveal(messageId: string): Promise<boolean> {
    return this.pages.reveal(messageId);
  }

  lookup(messageId: string): Observe<MessageLookup> {
    return this.lookups.lookup(messageId);
  }

  markRead(): void {
    if (this.closed || this.client.convState(this.id).removed) return;
    for (const p of this.pages.pages.values()) {
      void p.loaded.then(() => {
        if (!this.closed && p.refs > 0) meta.markRead(p.doc, this.client.me, this.client.now());
      });
    }
  }

  setTyping(on: boolean): void {
    if (this.closed || (on && !this.client.convState(this.id).canPost)) return;
    this.typingMarks.set(on);
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

  view(): ConversationViewExt {
    // Pins first: when they changed, the cached message views are rebuilt with the new marks.
    const pins = this.pins.current();
    const st = this.client.convState(this.id);
    const periods = [...this.pages.pages.keys()].sort((a, b) => a - b);
    let messages: MessageView[] = [];
    const docOf = new Map<string, OpenDoc>();
    const errors: string[] = [];
    // Until the newest pages are loaded, the screen cache if there is a valid one (no views
    // are built from half-loaded pages meanwhile).
    const cached = this.pages.ready ? null : this.screen.views(this.client.me, (u) => this.client.nameOf(u));
    const fromCache = cached !== null;
    const threads = fromCache ? new Map() : this.threads.summaries(periods);
    if (cached) messages = cached;
    for (const period of fromCache ? [] : periods) {
      const p = this.pages.pages.get(period) as OpenDoc;
      if (p.error) errors.push(unreadable(p.error));
      const refused = p.refused ? refusal(p.room, p.refused, st.removed) : null;
      if (refused) errors.push(refused);
      for (const v of this.views.pageViews(period, p)) {
        // Top level only: replies are in their thread (thread()), counted on their root; a reply
        // also sent to the channel shows here too (broadcast.ts names its root).
        if ((v.parentId !== null && v.broadcast !== true) || (this.unsaved.size > 0 && this.unsaved.has(v.id))) continue;
        const thread = threads.get(v.id);
        messages.push(thread ? { ...v, thread } : v);
        docOf.set(v.id, p);
      }
    }
    messages = withSeenBy(messages, docOf, this.client.me, (id) => this.views.nameSeen(id));
    messages = withBroadcastRoots(messages);
    messages = this.pins.withPins(messages, pins);
    const mayPin = this.pins.mayPin();
    const m = this.pages.meta;
    if (m?.error) errors.unshift(unreadable(m.error));
    const metaRefused = m?.refused ? refusal(m.room, m.refused, st.removed) : null;
    if (metaRefused) errors.unshift(metaRefused);
    const info = m?.isLoaded ? meta.readInfo(m.doc) : null;
    const oldest = this.pages.oldestLoaded();
    const summary = this.client.summaryOf(this.id);
    if (st.error) errors.unshift(st.error);
    for (const od of [m, ...this.pages.pages.values()]) {
      // Held after a rebuild (docs.ts): the summary's sentence says it, else this one.
      if (od?.denied && !st.error) {
        logOnce(`${od.room} denied: ${od.denied}`);
        errors.push('The server refused some changes from this device. They are kept here, marked not delivered.');
      }
    }
    const view: ConversationViewExt = {
      id: this.id,
      title: this.client.titleFor(this.id) ?? info?.title ?? '',
      kind: st.kind,
      role: st.role,
      archived: st.archived,
      removed: st.removed,
      readOnly: st.readOnly,
      canPost: st.canPost,
      canModerate: st.canModerate,
      canReact: this.mayReact(),
      pins,
      canPin: mayPin && this.client.pinsUnavailable() === null,
      pinsUnavailable: mayPin ? this.client.pinsUnavailable() : null,
      members: st.members,
      topic: summary?.topic ?? '',
      description: summary?.description ?? '',
      events: m?.isLoaded ? this.eventViews(m.doc) : [],
      messages,
      hasOlder: this.pages.periods().some((p) => p < oldest),
      loadingOlder: this.pages.loadingOlder,
      typing: this.typingMarks.typing().map((u) => this.views.nameSeen(u)),
    };
    if (errors.length > 0) view.error = errors.join(' ');
    else if (!cached && this.pages.ready) this.screen.keep(messages);
    return view;
  }

  /** The relay's system events, names resolved (read each time: they are few, at most 200). */
  private eventViews(doc: Y.Doc): SystemEventView[] {
    return readEvents(doc).map((e) => ({
      id: e.id,
      kind: e.kind,
      at: e.at,
      actorId: e.actor,
      actorName: this.views.nameSeen(e.actor),
      mine: e.actor === this.client.me,
      aboutMe: e.user === this.client.me,
      ...(e.user !== undefined ? { userId: e.user, userName: this.views.nameSeen(e.user) } : {}),
      ...(e.text !== undefined ? { text: e.text } : {}),
    }));
  }

  private schedule(): void {
    if (this.scheduled || this.closed || (this.listeners.size === 0 && !this.threads.observed)) return;
    this.scheduled = true;
    // Views of newly loaded pages are built in slices first (message-views.ts); with nothing to
    // build this stays within the microtask queue.
    const emit = () => {
      this.scheduled = false;
      if (this.closed) return;
      if (this.listeners.size > 0) {
        const v = this.view();
        for (const l of [...this.listeners]) l(v);
      }
      this.threads.emitAll();
    };
    this.views.prepare(this.pages.ready ? this.pages.pages : new Map()).then(emit, emit);
  }

  thread(rootId: string): Observe<ThreadView> {
    return this.threads.thread(rootId);
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
    this.threads.close();
    this.pages.close();
  }
}
