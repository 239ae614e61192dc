// Threads of one conversation: each root's summary (replies, repliers, my unread replies) from the
// loaded pages, and the observed thread views (a root and its replies). See README.md
// (Conversations, Threads).
import { periodOfMessage } from '../../../core/src/model/rooms';
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import type { MessageView, Observe, ThreadSummary, ThreadView } from './api';
import type { ConversationHost } from './conversation-host';
import type { OpenDoc } from './docs';
import type { MessageViews } from './message-views';
import type { ConversationPages } from './pages';

function threadMessage(v: MessageView): page.ThreadMessage {
  return { id: v.id, author: v.authorId, parent: v.parentId, deleted: v.deleted, createdAt: v.createdAt };
}

interface ThreadObserver {
  rootId: string;
  ready: boolean;
  last: string;
  listener: (v: ThreadView) => void;
}

export class Threads {
  /** Open thread observers: `ready` once the pages from the root's period onwards are loaded. */
  private readonly observers = new Set<ThreadObserver>();

  constructor(
    private readonly client: ConversationHost,
    private readonly pages: ConversationPages,
    private readonly views: MessageViews,
    /** Loads the pages from the newest down to a message's (ConversationStore.reveal). */
    private readonly reveal: (messageId: string) => Promise<boolean>,
    private readonly schedule: () => void,
  ) {}

  /** Someone observes a thread. */
  get observed(): boolean {
    return this.observers.size > 0;
  }

  /**
   * Per thread root, its summary from the loaded pages (core threadSummaries), names and my
   * unread replies (by others, past my read marker on their page) added.
   */
  summaries(periods: number[]): Map<string, ThreadSummary> {
    const out = new Map<string, ThreadSummary>();
    // No reply on any loaded page (most pages): no list of every loaded message to build.
    if (!this.views.hasReplies(periods)) return out;
    const { views, docOf } = this.views.allViews(periods);
    if (!views.some((v) => v.parentId !== null)) return out;
    const plain = views.map(threadMessage);
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
        repliers: s.repliers.map((id) => ({ id, name: this.views.nameFor(id) })),
        unread: unread.get(root) ?? 0,
      });
    }
    return out;
  }

  private view(rootId: string, ready: boolean): ThreadView {
    const loading: ThreadView = { state: 'loading', root: null, replies: [] };
    if (!ready) return loading;
    let period: number;
    try {
      period = periodOfMessage(rootId);
    } catch {
      return { state: 'missing', root: null, replies: [] };
    }
    const periods = [...this.pages.pages.keys()].sort((a, b) => a - b);
    const { views } = this.views.allViews(periods);
    const root = views.find((v) => v.id === rootId);
    if (!root) {
      const od = this.pages.pages.get(period);
      const settled =
        !od || od.synced || od.refused !== null || od.error !== null || this.client.host.connection !== 'online';
      return settled ? { state: 'missing', root: null, replies: [] } : loading;
    }
    const plain = views.map(threadMessage);
    const byId = new Map(plain.map((m) => [m.id, m]));
    const replies = views.filter(
      (v, i) => v.parentId !== null && page.rootOf(plain[i] as page.ThreadMessage, byId) === rootId,
    );
    const thread = this.summaries(periods).get(rootId) ?? null;
    return { state: 'ready', root: thread ? { ...root, thread } : root, replies };
  }

  private emit(t: ThreadObserver): void {
    const v = this.view(t.rootId, t.ready);
    const key = JSON.stringify(v);
    if (key === t.last) return;
    t.last = key;
    t.listener(v);
  }

  /** Every observed thread whose view changed hears it. */
  emitAll(): void {
    for (const t of [...this.observers]) this.emit(t);
  }

  thread(rootId: string): Observe<ThreadView> {
    return (listener) => {
      const entry = { rootId, ready: false, last: '', listener };
      this.observers.add(entry);
      this.emit(entry);
      // The same contiguous pages as reveal(): every reply sorts after its root.
      void this.reveal(rootId)
        .catch(() => false)
        .then(() => {
          entry.ready = true;
          if (this.observers.has(entry)) this.emit(entry);
          this.schedule();
        });
      return () => {
        this.observers.delete(entry);
      };
    };
  }

  close(): void {
    this.observers.clear();
  }
}
