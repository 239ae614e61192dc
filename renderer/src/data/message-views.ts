// What a conversation shows of its messages: one MessageView per message on a loaded page (cached
// per page until it changes), with its reactions, pins and delivery, and the names of the people
// in it (kept while the conversation is open: a reaction outlives its author's membership).
import * as page from '../../../core/src/model/page';
import type { MessageView, ReactionView } from './api';
import type { ConversationHost } from './conversation-host';
import { deliveryOf } from './delivery';
import { forwardView } from './forwarding';
import { fileView } from './files/view';
import type { OpenDoc } from './docs';
import type { ConversationPages } from './pages';
import { yieldToMain } from './yield';

/** Longest stretch of view building before the main thread is given back (ms). */
const SLICE_MS = 8;

export class MessageViews {
  private cache = new Map<number, MessageView[]>();
  /** Pages (by period) whose cached views include a reply. */
  private readonly withReplies = new Set<number>();
  /** Bumped whenever cached views are dropped: a slice-by-slice build started before is stale. */
  private generation = 0;
  /** Names seen while this conversation was open: a reaction outlives its author's membership. */
  private readonly names = new Map<string, string>();
  /** Who pinned each message, from the last view (the view itself is always current). */
  pinnedIndex = new Map<string, { id: string; name: string }[]>();

  constructor(
    private readonly client: ConversationHost,
    private readonly id: string,
    private readonly pages: ConversationPages,
    /** Messages being sent whose transactions have not completed yet: left out. */
    private readonly unsaved: ReadonlySet<string>,
  ) {}

  /** A page's views are stale (all pages': no period). */
  forget(period?: number): void {
    this.generation++;
    if (period === undefined) {
      this.cache.clear();
      this.withReplies.clear();
    } else {
      this.cache.delete(period);
      this.withReplies.delete(period);
    }
  }

  /** A person's name, remembered for when the directory no longer lists them. */
  nameFor(id: string): string {
    const known = this.client.nameOf(id, '');
    if (known) this.names.set(id, known);
    return known || this.names.get(id) || 'Someone';
  }

  /** A person's name, or the one remembered (without remembering it). */
  nameSeen(id: string): string {
    return this.client.nameOf(id, '') || this.names.get(id) || 'Someone';
  }

  messageView(
    p: OpenDoc,
    msg: page.Message,
    st = this.client.convState(this.id),
    reactions: page.Reaction[] = page.listReactions(p.doc, msg.id),
  ): MessageView {
    const delivery = deliveryOf(p, msg, this.client.me);
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
      ...(msg.broadcast ? { broadcast: true } : {}),
      thread: null,
      writtenOffline: msg.offline,
      mine: msg.author === this.client.me,
      delivery,
      canEdit: msg.author === this.client.me && !msg.deleted && !msg.readOnly && !st.removed && !st.archived,
      canDelete:
        !msg.deleted && !st.removed && !st.archived && (msg.author === this.client.me || st.canModerate),
      reactions: reactions.map((r) => this.reactionView(r)),
      seenBy: [],
      pinnedBy: this.pinnedIndex.get(msg.id) ?? [],
      forward: msg.forward ? forwardView(msg.forward) : null,
      ...(msg.files.length > 0 ? { files: msg.files.map(fileView) } : {}),
    };
  }

  private reactionView(r: page.Reaction): ReactionView {
    return {
      emoji: r.emoji,
      count: r.users.length,
      mine: r.users.includes(this.client.me),
      by: r.users.map((id) => ({ id, name: this.nameFor(id) })),
    };
  }

  pageViews(period: number, p: OpenDoc): MessageView[] {
    let list = this.cache.get(period);
    if (!list) {
      const st = this.client.convState(this.id);
      const reactions = page.listAllReactions(p.doc);
      list = page.listMessages(p.doc).map((msg) => this.messageView(p, msg, st, reactions.get(msg.id) ?? []));
      this.cache.set(period, list);
      if (list.some((v) => v.parentId !== null)) this.withReplies.add(period);
    }
    return list;
  }

  /**
   * Builds the views of loaded pages that have none yet, a slice at a time, giving the main
   * thread back every SLICE_MS (issue 16: a page of ~1,000 messages is one long task otherwise).
   * Whatever changes meanwhile drops the build; `pageViews` then builds what is missing at once.
   */
  async prepare(pages: ReadonlyMap<number, OpenDoc>): Promise<void> {
    for (const [period, p] of [...pages]) {
      if (this.cache.has(period) || !p.isLoaded) continue;
      const generation = this.generation;
      const st = this.client.convState(this.id);
      const reactions = page.listAllReactions(p.doc);
      const messages = page.listMessages(p.doc);
      const list: MessageView[] = [];
      let since = performance.now();
      for (const msg of messages) {
        list.push(this.messageView(p, msg, st, reactions.get(msg.id) ?? []));
        if (performance.now() - since < SLICE_MS) continue;
        await yieldToMain();
        if (this.generation !== generation) return;
        since = performance.now();
      }
      if (this.generation !== generation || this.cache.has(period)) return;
      this.cache.set(period, list);
      if (list.some((v) => v.parentId !== null)) this.withReplies.add(period);
      await yieldToMain();
      if (this.generation !== generation) return;
    }
  }

  /** Whether any of these loaded pages holds a reply (their views are built if they were not). */
  hasReplies(periods: number[]): boolean {
    let any = false;
    for (const period of periods) {
      const p = this.pages.pages.get(period);
      if (p) this.pageViews(period, p);
      if (this.withReplies.has(period)) any = true;
    }
    return any;
  }

  /** Every loaded message (not the unsaved ones), ascending, with the page it is on. */
  allViews(periods: number[]): { views: MessageView[]; docOf: Map<string, OpenDoc> } {
    const views: MessageView[] = [];
    const docOf = new Map<string, OpenDoc>();
    for (const period of periods) {
      const p = this.pages.pages.get(period) as OpenDoc;
      for (const v of this.pageViews(period, p)) {
        if (this.unsaved.size > 0 && this.unsaved.has(v.id)) continue;
        views.push(v);
        docOf.set(v.id, p);
      }
    }
    return { views, docOf };
  }
}
