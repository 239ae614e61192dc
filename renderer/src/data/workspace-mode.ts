// The previous release's mode, without accounts: the `workspace` document is the catalogue
// of conversations, and catch-up syncs every conversation's meta document plus the pages this
// device holds whose counts changed. Served by relays started with `--no-auth` (the client
// benchmark, bench/client; interop with stock y-websocket clients) and tested by
// renderer/test/data/sync.test.ts. See README.md, "Workspace mode".
import { pageRoom, parseRoom, workspaceRoom } from '../../../core/src/model/rooms';
import * as meta from '../../../core/src/model/meta';
import * as workspace from '../../../core/src/model/workspace';
import type { ClientContext } from './context';
import type { OpenDoc } from './docs';
import * as ws from './model';
import { convOfRoom } from './room-rules';
import type { Summaries } from './summaries';
import type { SyncState } from './sync-status';

export class WorkspaceMode {
  /** The workspace catalogue, held open while the client runs. */
  readonly doc: OpenDoc;
  /** Meta documents held open between catch-up and close (over a shared socket). */
  private readonly liveMetas = new Map<string, OpenDoc>();
  /** The newest page of each conversation in `liveMetas`, held open the same way. */
  private readonly livePages = new Map<string, OpenDoc>();

  /** `concurrency`: conversations whose meta documents sync at the same time (default 8). */
  constructor(
    private readonly ctx: ClientContext,
    private readonly sync: SyncState,
    private readonly summaries: Summaries,
    private readonly concurrency: number | undefined,
  ) {
    this.doc = ctx.host.acquire(workspaceRoom);
    this.doc.loaded.then(
      () => this.onLoaded(),
      (e: unknown) => ctx.errors.set(workspaceRoom, e instanceof Error ? e : new Error(String(e))),
    );
  }

  /** The catalogue's title of a conversation, while the catalogue is open. */
  catalogueTitle(convId: string): string | undefined {
    return this.doc.refs > 0
      ? workspace.readCatalogueEntry(convId, workspace.conversationsOf(this.doc.doc).get(convId))?.title
      : undefined;
  }

  private onLoaded(): void {
    if (this.ctx.closed) return;
    const doc = this.doc.doc;
    workspace.setProfile(doc, { user: this.ctx.me, name: this.ctx.session.displayName, at: this.ctx.now() });
    const refresh = () => {
      this.summaries.changed(); // names in the list follow the people in the workspace
      this.ctx.convChanged(null);
      const added: string[] = [];
      for (const info of workspace.listConversations(doc)) {
        const id = info.id;
        if (!this.summaries.has(id)) {
          this.summaries.put({
            id,
            title: info.title,
            createdAt: info.createdAt,
            lastMessage: null,
            unread: 0,
            activity: info.createdAt,
          });
          added.push(id);
        }
      }
      for (const id of added) this.followConversation(id);
    };
    refresh();
    doc.on('update', refresh);
  }

  /** A conversation that appeared while online and outside catch-up: sync its meta document. */
  private followConversation(convId: string): void {
    if (this.sync.progress !== null || this.ctx.host.connection !== 'online' || this.ctx.closed) return;
    const gen = this.sync.gen;
    void this.catchUpConversation(convId, [], () => gen === this.sync.gen && !this.ctx.closed, {
      done: 0,
      total: 0,
    });
  }

  /** Over a shared socket, the newest page of a followed conversation stays open. */
  followNewest(convId: string): void {
    const m = this.liveMetas.get(convId);
    if (!m || this.ctx.closed || !m.isLoaded) return;
    const newest = meta.listPeriods(m.doc)[0];
    if (newest === undefined) return;
    const room = pageRoom(convId, newest);
    const cur = this.livePages.get(convId);
    if (cur?.room === room) return;
    const p = this.ctx.host.acquire(room);
    this.summaries.watchPage(convId, p);
    this.livePages.set(convId, p);
    if (cur) this.ctx.host.release(cur);
  }

  /** Records the meta document's counts for a page once the page has synced. */
  notePageSynced(convId: string, period: number, page: OpenDoc, metaDoc: OpenDoc): void {
    const counts = ws.pageCounts(metaDoc.doc, period);
    if (ws.sameCounts(page.record.counts, counts)) return;
    page.record.counts = counts;
    this.ctx.records.set(page.room, page.record);
    this.ctx.store.putDocRecord(page.room, page.record).catch(() => undefined);
    void convId;
  }

  /**
   * After (re)connecting: the workspace, every conversation's meta document, pages with
   * unconfirmed local changes, and pages we hold whose counts changed. Never pages we never had.
   */
  async run(): Promise<void> {
    const { host } = this.ctx;
    const sync = this.sync;
    const gen = ++sync.gen;
    const live = () => gen === sync.gen && !this.ctx.closed;
    // Set before the first await: "online, nothing pending, no catch-up" must mean synced.
    sync.progress = { done: 0, total: 1 };
    sync.notify();
    await this.ctx.recordsLoaded;
    const ws0 = this.doc;
    await ws0.loaded.catch(() => undefined);
    // The workspace first: it names the conversations (some may be new to this device).
    await ws0.whenSynced();
    if (!live()) return;
    const convIds = new Set<string>([...this.summaries.ids(), ...workspace.conversationsOf(ws0.doc).keys()]);
    const pendingRooms = [...host.pendingByRoom.rooms()];
    for (const room of pendingRooms) {
      const convId = convOfRoom(room);
      if (convId) convIds.add(convId);
    }
    const state = { done: 1, total: 1 + convIds.size };
    sync.progress = state;
    sync.notify();
    const step = () => {
      if (!live()) return;
      state.done++;
      sync.notify();
    };
    const queue = [...convIds];
    const worker = async () => {
      while (live() && queue.length > 0) {
        const convId = queue.shift() as string;
        await this.catchUpConversation(convId, pendingRooms, live, state);
        step();
      }
    };
    const n = Math.max(1, this.concurrency ?? 8);
    await Promise.all(Array.from({ length: n }, worker));
    if (!live()) return;
    sync.progress = null;
    if (host.pending === 0) sync.lastSyncedAt = this.ctx.now();
    sync.notify();
    // Conversations the workspace named while catch-up ran were left for now (followConversation
    // waits for catch-up): follow them at once rather than at the next reconnect.
    for (const info of workspace.listConversations(ws0.doc)) {
      if (!convIds.has(info.id)) this.followConversation(info.id);
    }
  }

  private async catchUpConversation(
    convId: string,
    pendingRooms: string[],
    live: () => boolean,
    state: { done: number; total: number },
  ): Promise<void> {
    const { host, records } = this.ctx;
    const m = this.summaries.holdMeta(convId);
    try {
      await m.loaded;
      await m.whenSynced();
      if (!live()) return;
      const pages: number[] = [];
      for (const [room, rec] of records) {
        const ref = parseRoom(room);
        if (ref?.kind !== 'page' || ref.convId !== convId) continue;
        const changed = !ws.sameCounts(rec.counts, ws.pageCounts(m.doc, ref.period));
        if (changed || pendingRooms.includes(room)) pages.push(ref.period);
      }
      for (const room of pendingRooms) {
        const ref = parseRoom(room);
        if (ref?.kind === 'page' && ref.convId === convId && !pages.includes(ref.period)) pages.push(ref.period);
      }
      // The newest page: the conversation's preview and unread count are read from it (the
      // meta document changes only when a device first writes on a page).
      const newest = meta.listPeriods(m.doc)[0];
      if (newest !== undefined && !pages.includes(newest)) pages.push(newest);
      state.total += pages.length;
      for (const period of pages) {
        if (!live()) return;
        const p = host.acquire(pageRoom(convId, period));
        this.summaries.watchPage(convId, p);
        try {
          await p.loaded;
          await p.whenSynced();
          this.notePageSynced(convId, period, p, m);
        } finally {
          const cur = this.livePages.get(convId);
          if (period === newest && host.shared && live() && cur !== p) {
            this.livePages.set(convId, p); // followed live from now on
            if (cur) host.release(cur);
          } else host.release(p);
        }
        state.done++;
        this.sync.notify();
      }
    } finally {
      // Over a shared socket, meta documents (and their newest pages) stay live so the list
      // follows every conversation.
      if (host.shared && live() && !this.liveMetas.has(convId)) {
        this.liveMetas.set(convId, m);
        this.followNewest(convId);
      } else host.release(m);
    }
  }
}
