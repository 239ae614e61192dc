// createFerryClient: the implementation of api.ts's FerryClient over the local store (store.ts),
// open documents (docs.ts) and the core model. See README.md.
import { newId, type RandomBytes } from '../../../core/src/ids';
import { createClock, last as lastClockId, type Clock } from '../../../core/src/hlc';
import { metaRoom, pageRoom, parseRoom, workspaceRoom } from '../../../core/src/model/rooms';
import * as meta from '../../../core/src/model/meta';
import * as workspace from '../../../core/src/model/workspace';
import { MuxConnection, type WebSocketConstructor } from '../../../core/src/protocol/mux-client';
import {
  ApiError,
  type AuthStatus,
  type ChannelListing,
  type Connection,
  type ConversationRole,
  type ConversationStore,
  type ConversationSummary,
  type FerryClient,
  type NewConversation,
  type Observe,
  type Person,
  type Session,
  type SyncStatus,
} from './api';
import { ConversationImpl } from './conversation';
import { DocHost, type OpenDoc, type Transport } from './docs';
import * as ws from './model';
import { DB_NAME, LocalStore, type DocRecord, type SummaryRecord } from './store';
import { claimNode, type LocksLike } from './node';
import type { Backend, ServerInfo, SetupAdminInput, SignInInput, SignInResult } from '../ui/backend';

export interface FerryClientOptions {
  session: Session;
  /** The browser's `indexedDB` (or fake-indexeddb's IDBFactory in tests). */
  indexedDB: IDBFactory;
  /** A WebSocket constructor (the browser's, or `ws` in Node). Without one, no sync at all. */
  WebSocket?: unknown;
  /** A ready transport; takes precedence over `WebSocket`. */
  transport?: Transport;
  /** Sync every document over one `/_mux` socket (default true); false: one socket per document. */
  mux?: boolean;
  /** Where `online`/`offline`/`pagehide`/`visibilitychange` arrive (the window). */
  events?: EventTarget;
  /** Initial connectivity (navigator.onLine); default true. */
  online?: boolean;
  dbName?: string;
  now?: () => number;
  random?: RandomBytes;
  /** Conversations whose meta documents sync at the same time during catch-up. */
  catchUpConcurrency?: number;
  /** The browser's `navigator.locks`: lets the installation reuse its clock node ids (node.ts). */
  locks?: LocksLike;
}

const defaultRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

/** ws(s):// URL of the relay from its http(s):// URL (path kept, no trailing slash). */
export function relaySocketUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  else if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol !== 'ws:' && u.protocol !== 'wss:') {
    throw new Error(`The server URL must start with http(s)://, got ${serverUrl}`);
  }
  u.search = '';
  u.hash = '';
  return u.toString().replace(/\/+$/, '');
}

function observable<T>(get: () => T): { observe: Observe<T>; notify: () => void } {
  const listeners = new Set<(v: T) => void>();
  let scheduled = false;
  return {
    observe(listener) {
      listeners.add(listener);
      listener(get());
      return () => listeners.delete(listener);
    },
    notify() {
      if (scheduled || listeners.size === 0) return;
      scheduled = true;
      queueMicrotask(() => {
        scheduled = false;
        const v = get();
        for (const l of [...listeners]) l(v);
      });
    },
  };
}

/** One MuxConnection to the relay: every document's provider gets a virtual socket on it. */
export function muxTransport(url: string, WebSocket: WebSocketConstructor, online: boolean): Transport {
  const mux = new MuxConnection(url, { WebSocket, connect: online });
  // After a failed attempt the mux alternates 'disconnected' (back-off) and 'connecting'
  // (retry): both read as unreachable until a socket opens or the device goes offline, so the
  // status does not flicker at every retry.
  let failed = false;
  const toConnection = (s: string): Connection => {
    if (s === 'connected' || s === 'offline') {
      failed = false;
      return s === 'connected' ? 'online' : 'offline';
    }
    if (s === 'disconnected') failed = true;
    return failed ? 'unreachable' : 'connecting';
  };
  return {
    url: mux.url,
    WebSocket: mux.WebSocketPolyfill,
    shared: true,
    status: (listener) => mux.onStatus((s) => listener(toConnection(s))),
    goOffline: () => mux.goOffline(),
    goOnline: () => mux.goOnline(),
    close: () => mux.destroy(),
  };
}

/** Reads the saved session (null on first run). */
export async function loadSession(indexedDB: IDBFactory, dbName = DB_NAME): Promise<Session | null> {
  const store = await LocalStore.open(indexedDB, dbName);
  try {
    const s = (await store.getMeta('session')) as Partial<Session> | undefined;
    if (s && typeof s.userId === 'string' && typeof s.serverUrl === 'string' && typeof s.displayName === 'string') {
      return {
        userId: s.userId,
        serverUrl: s.serverUrl,
        displayName: s.displayName,
        username: typeof s.username === 'string' ? s.username : s.userId,
        role: s.role === 'admin' || s.role === 'guest' ? s.role : 'member',
      };
    }
    return null;
  } finally {
    await store.close();
  }
}

/**
 * Saves the first-run answers (or changes them). The user id is minted locally once and kept
 * (accounts come later); the server URL is checked here so a typo is refused with a clear error.
 */
export async function saveSession(
  indexedDB: IDBFactory,
  input: { serverUrl: string; displayName: string; userId?: string },
  dbName = DB_NAME,
  random: RandomBytes = defaultRandom,
): Promise<Session> {
  const displayName = input.displayName.trim();
  if (displayName.length === 0 || displayName.length > 100) {
    throw new Error('The display name must be 1 to 100 characters.');
  }
  relaySocketUrl(input.serverUrl);
  const store = await LocalStore.open(indexedDB, dbName);
  try {
    const prev = (await store.getMeta('session')) as Partial<Session> | undefined;
    const userId = input.userId ?? prev?.userId ?? newId(random);
    const session: Session = {
      userId,
      username: prev?.username ?? userId.toLowerCase(),
      role: prev?.role ?? 'member',
      serverUrl: input.serverUrl.trim().replace(/\/+$/, ''),
      displayName,
    };
    await store.putMeta('session', session);
    return session;
  } finally {
    await store.close();
  }
}

export async function createFerryClient(opts: FerryClientOptions): Promise<FerryClient & ClientExtras> {
  const store = await LocalStore.open(opts.indexedDB, opts.dbName ?? DB_NAME);
  // Only what the conversation list needs is read before the client exists.
  const [summaries, lastId] = await Promise.all([store.getSummaries(), store.getMeta('clock')]);
  let transport: Transport | null = opts.transport ?? null;
  if (!transport && opts.WebSocket) {
    const base = relaySocketUrl(opts.session.serverUrl);
    transport =
      opts.mux === false
        ? { url: base, WebSocket: opts.WebSocket }
        : muxTransport(`${base}/_mux`, opts.WebSocket as WebSocketConstructor, opts.online ?? true);
  }
  const random = opts.random ?? defaultRandom;
  // One node per running client (two windows never share one), reused across restarts where
  // Web Locks exist; `last` keeps ids monotonic.
  const claimed = await claimNode(store, random, opts.locks);
  const clock = createClock(claimed.node, typeof lastId === 'string' ? lastId : undefined);
  const client = new Client(opts, store, transport, summaries, clock, random);
  client.onClose(claimed.release);
  return client;
}

/** Beyond api.ts: what tests, benchmarks and diagnostics use. */
export interface ClientExtras {
  /** Bytes and rows held in the local store. */
  storedBytes(): Promise<{ updates: number; rows: number; other: number }>;
  /** Resolves when sync status says everything is confirmed (or rejects after `timeoutMs`). */
  whenSettled(timeoutMs?: number): Promise<void>;
  /** Goes offline/online now, as the window's events do. */
  setOnline(online: boolean): void;
  /** Errors of documents whose local copy has unreadable records. */
  readonly errors: ReadonlyMap<string, Error>;
}

export class Client implements FerryClient, ClientExtras {
  readonly host: DocHost;
  readonly me: string;
  readonly now: () => number;
  readonly errors = new Map<string, Error>();
  private readonly summaries = new Map<string, SummaryRecord>();
  private readonly dirtySummaries = new Set<string>();
  private readonly records = new Map<string, DocRecord>();
  private readonly recordsLoaded: Promise<void>;
  private readonly workspace: OpenDoc;
  private readonly watchedMetas = new WeakSet<OpenDoc>();
  private readonly watchedPages = new WeakSet<OpenDoc>();
  /** Meta documents held open between catch-up and close (only over a shared socket). */
  private readonly liveMetas = new Map<string, OpenDoc>();
  /** The newest page of each conversation in `liveMetas`, held open the same way. */
  private readonly livePages = new Map<string, OpenDoc>();
  private readonly syncObs: { observe: Observe<SyncStatus>; notify: () => void };
  private readonly listObs: { observe: Observe<ConversationSummary[]>; notify: () => void };
  private catchUp: { done: number; total: number } | null = null;
  private catchUpGen = 0;
  private lastSyncedAt: number | null = null;
  private lastConnection: Connection = 'offline';
  private readonly removeEvents: Array<() => void> = [];
  private readonly closeHooks: Array<() => void> = [];
  private closed = false;

  constructor(
    readonly opts: FerryClientOptions,
    readonly store: LocalStore,
    transport: Transport | null,
    summaries: SummaryRecord[],
    readonly clock: Clock,
    readonly random: RandomBytes,
  ) {
    this.me = opts.session.userId;
    this.now = opts.now ?? (() => Date.now());
    for (const s of summaries) this.summaries.set(s.id, s);
    this.host = new DocHost(store, transport, opts.online ?? true);
    // Document records (relay state vectors, unconfirmed changes) are read after the list.
    this.recordsLoaded = store.docRecords().then(
      (records) => {
        for (const [room, rec] of records) {
          if (!this.records.has(room)) this.records.set(room, rec);
          if (rec.pending.length > 0 && !this.host.pendingByRoom.has(room)) {
            this.host.pendingByRoom.set(room, rec.pending.length);
          }
        }
        this.syncObs.notify();
      },
      (e: unknown) => {
        this.errors.set('records', e instanceof Error ? e : new Error(String(e)));
      },
    );
    this.syncObs = observable(() => this.syncStatus());
    this.listObs = observable(() => this.list());
    this.sync = this.syncObs.observe;
    this.conversations = this.listObs.observe;
    this.host.onChange(() => this.onHostChange());
    this.workspace = this.host.acquire(workspaceRoom);
    this.workspace.loaded.then(
      () => this.onWorkspaceLoaded(),
      (e: unknown) => this.errors.set(workspaceRoom, e instanceof Error ? e : new Error(String(e))),
    );
    const ev = opts.events;
    if (ev) {
      const on = (name: string, fn: () => void) => {
        ev.addEventListener(name, fn);
        this.removeEvents.push(() => ev.removeEventListener(name, fn));
      };
      on('online', () => this.setOnline(true));
      on('offline', () => this.setOnline(false));
      // Every write is already a started transaction; these only wait for them to complete.
      on('pagehide', () => void this.store.flush());
      on('visibilitychange', () => void this.store.flush());
    }
  }

  readonly sync: Observe<SyncStatus>;
  readonly conversations: Observe<ConversationSummary[]>;

  get session(): Session {
    return this.opts.session;
  }

  private syncStatus(): SyncStatus {
    return {
      connection: this.host.connection,
      pending: this.host.pending,
      catchUp: this.catchUp ? { ...this.catchUp } : null,
      lastSyncedAt: this.lastSyncedAt,
    };
  }

  private list(): ConversationSummary[] {
    return [...this.summaries.values()]
      .sort((a, b) => b.activity - a.activity || (a.id < b.id ? -1 : 1))
      .map(({ id, title, createdAt, lastMessage: lm, unread }) => ({
        id,
        kind: 'channel' as const,
        visibility: 'open' as const,
        role: 'member' as const,
        archived: false,
        memberCount: 0,
        dmWith: null,
        registered: true,
        removed: false,
        undelivered: 0,
        title,
        createdAt,
        lastMessage: lm
          ? {
              text: lm.text,
              at: lm.at,
              authorName: lm.authorId && this.workspace.isLoaded ? this.nameOf(lm.authorId) : lm.authorName,
            }
          : null,
        unread,
      }));
  }

  private onHostChange(): void {
    const c = this.host.connection;
    if (c === 'online' && this.lastConnection !== 'online') void this.runCatchUp();
    if (c !== 'online') this.catchUpGen++;
    if (c !== 'online' && this.catchUp) this.catchUp = null;
    this.lastConnection = c;
    if (c === 'online' && this.host.pending === 0 && this.catchUp === null) this.lastSyncedAt = this.now();
    this.syncObs.notify();
  }

  setOnline(online: boolean): void {
    this.host.setOnline(online);
  }

  nameOf(user: string): string {
    if (user === this.me) return this.session.displayName;
    return (this.workspace.refs > 0 && workspace.profileName(this.workspace.doc, user)) || 'Someone';
  }

  private onWorkspaceLoaded(): void {
    if (this.closed) return;
    const doc = this.workspace.doc;
    workspace.setProfile(doc, { user: this.me, name: this.session.displayName, at: this.now() });
    const refresh = () => {
      this.listObs.notify(); // names in the list follow the people in the workspace
      for (const l of [...this.workspaceListeners]) l();
      let changed = false;
      const added: string[] = [];
      for (const info of workspace.listConversations(doc)) {
        const id = info.id;
        const s = this.summaries.get(id);
        if (!s) {
          this.summaries.set(id, {
            id,
            title: info.title,
            createdAt: info.createdAt,
            lastMessage: null,
            unread: 0,
            activity: info.createdAt,
          });
          this.dirtySummaries.add(id);
          added.push(id);
          changed = true;
        }
      }
      if (changed) this.flushSummaries();
      for (const id of added) this.followConversation(id);
    };
    refresh();
    doc.on('update', refresh);
  }

  private readonly workspaceListeners = new Set<() => void>();

  /** Called when the workspace document changes (people's names, the catalogue). */
  onWorkspaceChange(listener: () => void): () => void {
    this.workspaceListeners.add(listener);
    return () => this.workspaceListeners.delete(listener);
  }

  /** A conversation that appeared while online and outside catch-up: sync its meta document. */
  private followConversation(convId: string): void {
    if (this.catchUp !== null || this.host.connection !== 'online' || this.closed) return;
    const gen = this.catchUpGen;
    void this.catchUpConversation(convId, [], () => gen === this.catchUpGen && !this.closed, {
      done: 0,
      total: 0,
    });
  }

  /** Acquires a conversation's meta document and keeps its summary in step with it. */
  holdMeta(convId: string): OpenDoc {
    const od = this.host.acquire(metaRoom(convId));
    if (!this.watchedMetas.has(od)) {
      this.watchedMetas.add(od);
      od.loaded.then(
        () => {
          if (od.error) this.errors.set(od.room, od.error);
          this.updateSummary(convId);
          od.doc.on('update', () => {
            this.updateSummary(convId);
            this.followNewest(convId);
          });
        },
        (e: unknown) => this.errors.set(od.room, e instanceof Error ? e : new Error(String(e))),
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
    od.loaded.then(
      () => {
        this.updateSummary(convId);
        od.doc.on('update', () => this.updateSummary(convId));
      },
      () => undefined,
    );
  }

  /** Over a shared socket, the newest page of a followed conversation stays open (live list). */
  private followNewest(convId: string): void {
    const m = this.liveMetas.get(convId);
    if (!m || this.closed || !m.isLoaded) return;
    const newest = meta.listPeriods(m.doc)[0];
    if (newest === undefined) return;
    const room = pageRoom(convId, newest);
    const cur = this.livePages.get(convId);
    if (cur?.room === room) return;
    const p = this.host.acquire(room);
    this.watchPage(convId, p);
    this.livePages.set(convId, p);
    if (cur) this.host.release(cur);
  }

  /**
   * Rebuilds a conversation's summary from what is open: title and page index from the meta
   * document, preview and unread count from the index's newest page. What is not open keeps
   * its cached value.
   */
  private updateSummary(convId: string): void {
    const m = this.host.get(metaRoom(convId));
    const metaDoc = m?.isLoaded ? m.doc : null;
    const info = metaDoc ? meta.readInfo(metaDoc) : null;
    const prev = this.summaries.get(convId);
    const title = info?.title ?? prev?.title ?? workspace.readCatalogueEntry(convId, workspace.conversationsOf(this.workspace.doc).get(convId))?.title;
    if (title === undefined) return;
    const createdAt = info?.createdAt ?? prev?.createdAt ?? 0;
    const periods = metaDoc ? meta.listPeriods(metaDoc) : (prev?.periods ?? []);
    const newest = periods[0];
    const p = newest === undefined ? undefined : this.host.get(pageRoom(convId, newest));
    let lastMessage = prev?.lastMessage ?? null;
    let unread = prev?.unread ?? 0;
    if (p?.isLoaded) {
      const lm = meta.lastMessage(p.doc);
      lastMessage = lm
        ? { text: lm.deleted ? '' : lm.text, authorName: this.nameOf(lm.author), at: lm.at, authorId: lm.author }
        : null;
      unread = meta.unreadCount(p.doc, this.me);
    }
    const next: SummaryRecord = {
      id: convId,
      title,
      createdAt,
      lastMessage,
      unread,
      activity: Math.max(createdAt, lastMessage?.at ?? 0),
      periods,
    };
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
    this.summaries.set(convId, next);
    this.dirtySummaries.add(convId);
    this.flushSummaries();
  }

  private flushScheduled = false;
  private flushSummaries(): void {
    this.listObs.notify();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (this.closed) return;
      const list = [...this.dirtySummaries].flatMap((id) => this.summaries.get(id) ?? []);
      this.dirtySummaries.clear();
      if (list.length > 0) this.store.putSummaries(list).catch(() => undefined);
    });
  }

  /** The cached summary of a conversation (title, page index) before its meta document loads. */
  summaryOf(convId: string): SummaryRecord | undefined {
    return this.summaries.get(convId);
  }

  /** Records the meta document's counts for a page once the page has synced (catch-up uses it). */
  notePageSynced(convId: string, period: number, page: OpenDoc, metaDoc: OpenDoc): void {
    const counts = ws.pageCounts(metaDoc.doc, period);
    if (ws.sameCounts(page.record.counts, counts)) return;
    page.record.counts = counts;
    this.records.set(page.room, page.record);
    this.store.putDocRecord(page.room, page.record).catch(() => undefined);
    void convId;
  }

  /**
   * After (re)connecting: the workspace, every conversation's meta document, pages with
   * unconfirmed local changes, and pages we hold whose counts changed. Never pages we never had.
   */
  private async runCatchUp(): Promise<void> {
    const gen = ++this.catchUpGen;
    const live = () => gen === this.catchUpGen && !this.closed;
    // Set before the first await: "online, nothing pending, no catch-up" must mean synced.
    this.catchUp = { done: 0, total: 1 };
    this.syncObs.notify();
    await this.recordsLoaded;
    await this.workspace.loaded.catch(() => undefined);
    // The workspace first: it names the conversations (some may be new to this device).
    await this.workspace.whenSynced();
    if (!live()) return;
    const convIds = new Set<string>([...this.summaries.keys(), ...workspace.conversationsOf(this.workspace.doc).keys()]);
    const pendingRooms = [...this.host.pendingByRoom].filter(([, n]) => n > 0).map(([r]) => r);
    for (const room of pendingRooms) {
      const ref = parseRoom(room);
      if (ref && ref.kind !== 'workspace') convIds.add(ref.convId);
    }
    const state = { done: 1, total: 1 + convIds.size };
    this.catchUp = state;
    this.syncObs.notify();
    const step = () => {
      if (!live()) return;
      state.done++;
      this.syncObs.notify();
    };
    const queue = [...convIds];
    const worker = async () => {
      while (live() && queue.length > 0) {
        const convId = queue.shift() as string;
        await this.catchUpConversation(convId, pendingRooms, live, state);
        step();
      }
    };
    const n = Math.max(1, this.opts.catchUpConcurrency ?? 8);
    await Promise.all(Array.from({ length: n }, worker));
    if (!live()) return;
    this.catchUp = null;
    if (this.host.pending === 0) this.lastSyncedAt = this.now();
    this.syncObs.notify();
  }

  private async catchUpConversation(
    convId: string,
    pendingRooms: string[],
    live: () => boolean,
    state: { done: number; total: number },
  ): Promise<void> {
    const m = this.holdMeta(convId);
    try {
      await m.loaded;
      await m.whenSynced();
      if (!live()) return;
      const pages: number[] = [];
      for (const [room, rec] of this.records) {
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
        const p = this.host.acquire(pageRoom(convId, period));
        this.watchPage(convId, p);
        try {
          await p.loaded;
          await p.whenSynced();
          this.notePageSynced(convId, period, p, m);
        } finally {
          const cur = this.livePages.get(convId);
          if (period === newest && this.host.shared && live() && cur !== p) {
            this.livePages.set(convId, p); // followed live from now on
            if (cur) this.host.release(cur);
          } else this.host.release(p);
        }
        state.done++;
        this.syncObs.notify();
      }
    } finally {
      // Over a shared socket, meta documents (and their newest pages) stay live so the list
      // follows every conversation.
      if (this.host.shared && live() && !this.liveMetas.has(convId)) {
        this.liveMetas.set(convId, m);
        this.followNewest(convId);
      } else this.host.release(m);
    }
  }

  async createConversation(input: NewConversation | string): Promise<string> {
    const title = typeof input === 'string' ? input : input.title;
    const t = title.trim();
    if (t.length === 0 || t.length > 200) throw new Error('A conversation title must be 1 to 200 characters.');
    await this.workspace.loaded;
    const id = newId(this.random);
    const at = this.now();
    const m = this.holdMeta(id);
    try {
      await m.loaded;
      meta.initConversation(m.doc, { title: t, createdBy: this.me, createdAt: at });
      const w1 = m.lastWrite;
      workspace.registerConversation(this.workspace.doc, { id, title: t, createdBy: this.me, createdAt: at });
      const w2 = this.workspace.lastWrite;
      await Promise.all([w1, w2]);
      this.updateSummary(id);
      await this.store.flush();
    } finally {
      this.host.release(m);
    }
    return id;
  }

  open(conversationId: string): ConversationStore {
    return new ConversationImpl(this, conversationId);
  }

  // Issue 4 placeholders: implemented in the next commits (renderer/src/data/README.md).
  readonly auth: Observe<AuthStatus> = (listener) => {
    listener({ state: 'ok' });
    return () => undefined;
  };

  readonly people: Observe<Person[]> = (listener) => {
    listener([]);
    return () => undefined;
  };

  private notYet(): never {
    throw new ApiError('error', 'Not implemented yet.');
  }

  async openDm(_userId: string): Promise<string> {
    return this.notYet();
  }
  async searchPeople(_query: string): Promise<Person[]> {
    return this.notYet();
  }
  async browseChannels(): Promise<ChannelListing[]> {
    return this.notYet();
  }
  async join(_conversationId: string): Promise<void> {
    return this.notYet();
  }
  async leave(_conversationId: string): Promise<void> {
    return this.notYet();
  }
  async invite(_conversationId: string, _userIds: string[]): Promise<void> {
    return this.notYet();
  }
  async removeMember(_conversationId: string, _userId: string): Promise<void> {
    return this.notYet();
  }
  async setRole(_conversationId: string, _userId: string, _role: ConversationRole): Promise<void> {
    return this.notYet();
  }
  async rename(_conversationId: string, _title: string): Promise<void> {
    return this.notYet();
  }
  async setArchived(_conversationId: string, _archived: boolean): Promise<void> {
    return this.notYet();
  }
  async exportConversation(_conversationId: string): Promise<{ filename: string; json: string; text: string }> {
    return this.notYet();
  }
  async forget(_conversationId: string): Promise<void> {
    return this.notYet();
  }
  async signOut(): Promise<void> {
    return this.notYet();
  }

  /** Persists the clock's newest id so a restart never issues a smaller one. */
  saveClock(): void {
    this.store.putMeta('clock', lastClockId(this.clock)).catch(() => undefined);
  }

  getDraft(conversationId: string): Promise<string> {
    return this.store.getDraft(conversationId);
  }

  setDraft(conversationId: string, text: string): Promise<void> {
    return this.store.putDraft(conversationId, text);
  }

  storedBytes(): Promise<{ updates: number; rows: number; other: number }> {
    return this.store.storedBytes();
  }

  whenSettled(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let off = () => {};
      const timer = setTimeout(() => {
        off();
        reject(new Error(`not settled after ${timeoutMs} ms: ${JSON.stringify(this.syncStatus())}`));
      }, timeoutMs);
      off = this.sync((s) => {
        if (s.connection === 'online' && s.pending === 0 && s.catchUp === null) {
          clearTimeout(timer);
          queueMicrotask(() => off());
          resolve();
        }
      });
    });
  }

  /** Runs `fn` after close() has flushed and released everything. */
  onClose(fn: () => void): void {
    this.closeHooks.push(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.catchUpGen++;
    for (const r of this.removeEvents) r();
    await this.host.close();
    await this.store.close();
    for (const fn of this.closeHooks) fn();
  }
}

/** What the browser gives the data layer; defaults to the real window's. */
export interface BrowserEnv {
  indexedDB: IDBFactory;
  locks?: LocksLike;
  WebSocket?: unknown;
  events?: EventTarget;
  online?: boolean;
  dbName?: string;
}

/**
 * The UI's Backend (renderer/src/ui/backend.ts), structurally: `restore()` opens the kept
 * session's client (null on first run), `start()` saves the first-run answers and opens it.
 */
export function browserBackend(env?: BrowserEnv): Backend {
  const e: BrowserEnv = env ?? {
    indexedDB: globalThis.indexedDB,
    WebSocket: globalThis.WebSocket,
    events: globalThis as unknown as EventTarget,
    online: globalThis.navigator?.onLine ?? true,
    ...(globalThis.navigator?.locks ? { locks: globalThis.navigator.locks } : {}),
  };
  const open = (session: Session) =>
    createFerryClient({
      session,
      indexedDB: e.indexedDB,
      ...(e.WebSocket ? { WebSocket: e.WebSocket } : {}),
      ...(e.events ? { events: e.events } : {}),
      ...(e.online === undefined ? {} : { online: e.online }),
      ...(e.dbName ? { dbName: e.dbName } : {}),
      ...(e.locks ? { locks: e.locks } : {}),
    });
  return {
    async restore() {
      const session = await loadSession(e.indexedDB, e.dbName);
      return session ? open(session) : null;
    },
    async serverInfo(_serverUrl: string): Promise<ServerInfo> {
      throw new ApiError('error', 'Not implemented yet.');
    },
    async signIn(_input: SignInInput): Promise<SignInResult> {
      throw new ApiError('error', 'Not implemented yet.');
    },
    async setupAdmin(_input: SetupAdminInput): Promise<SignInResult> {
      throw new ApiError('error', 'Not implemented yet.');
    },
  };
}
