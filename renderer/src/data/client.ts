// createFerryClient and Client: the implementation of api.ts's FerryClient. Client is a thin
// facade: it wires the services (one file per concern: summaries, profiles, directory-sync,
// catch-up, workspace-mode, registration, membership, local-copy, permissions, relay-schema,
// room-rules, sync-status, session; see README.md) and answers FerryClient by delegating.
import type { RandomBytes } from '../../../core/src/ids';
import { createClock, last as lastClockId, type Clock } from '../../../core/src/hlc';
import type { Action } from '../../../core/src/authz/permissions';
import type { WebSocketConstructor } from '../../../core/src/protocol/mux-client';
import {
  ApiError,
  type AccountApi,
  type AdminApi,
  type AuthStatus,
  type ChannelListing,
  type ConversationRole,
  type ConversationStore,
  type ConversationSummary,
  type DirectoryPerson,
  type FerryClient,
  type NewConversation,
  type NotifyPref,
  type NotifyPrefs,
  type Observe,
  type OfflineLimit,
  type Person,
  type ProfileChange,
  type SearchResults,
  type Session,
  type SyncStatus,
} from './api';
import { createAccountApi, createAdminApi } from './admin';
import type { Presence } from './awareness';
import { CatchUp } from './catch-up';
import type { ClientContext } from './context';
import { ConversationImpl } from './conversation';
import type { ConversationHost, ConvState } from './conversation-host';
import { DirectorySync } from './directory-sync';
import { DocHost, type OpenDoc, type Transport } from './docs';
import { LocalCopy } from './local-copy';
import { Membership } from './membership';
import { PeopleDirectory } from './people-directory';
import { claimNode } from './node';
import { NotifyPrefsStore } from './notify-prefs';
import type { ClientExtras, FerryClientOptions } from './options';
import { Permissions } from './permissions';
import { Personal } from './personal';
import { Profiles } from './profiles';
import { Registration, UNREGISTERED, type UnregisteredRecord } from './registration';
import { relayApi, type RelayApi } from './relay-api';
import { RelaySchema } from './relay-schema';
import { RoomRules } from './room-rules';
import { SearchFeed } from './search';
import { newestPageRooms, PREFETCH_SCREENS, ScreenPrefetch } from './screen-cache';
import { ActivityFeed } from './activity';
import { SessionState } from './session';
import { AuthedMux } from './socket';
import { DB_NAME, LocalStore, type DocRecord, type SummaryRecord } from './store';
import { Summaries } from './summaries';
import { SyncState } from './sync-status';
import { whenIdle } from './yield';
import { muxTransport, relaySocketUrl } from './transport';
import { WorkspaceMode } from './workspace-mode';
import { Files } from './files/files';
import { fetchProviders } from './identity';
import { followGrace, OfflineGrace } from './offline-grace';

export { muxTransport, relaySocketUrl } from './transport';
export { loadSession, saveSession } from './legacy-session';
export type { ConvState } from './conversation-host';
export type { ClientExtras, FerryClientOptions } from './options';

const defaultRandom: RandomBytes = (n) => crypto.getRandomValues(new Uint8Array(n));

export async function createFerryClient(opts: FerryClientOptions): Promise<FerryClient & ClientExtras> {
  const store = await LocalStore.open(opts.indexedDB, opts.dbName ?? DB_NAME);
  // Only what the conversation list needs is read before the client exists.
  const [summaries, lastId, unregistered] = await Promise.all([
    store.getSummaries(),
    store.getMeta('clock'),
    store.metaWithPrefix(UNREGISTERED),
  ]);
  let transport: Transport | null = opts.transport ?? null;
  let authed: AuthedMux | null = null;
  if (!transport && opts.WebSocket) {
    const base = relaySocketUrl(opts.session.serverUrl);
    if (opts.auth) {
      authed = new AuthedMux({
        url: `${base}/_mux`,
        WebSocket: opts.WebSocket as WebSocketConstructor,
        auth: opts.auth,
        online: opts.online ?? true,
        ...(opts.now ? { now: opts.now } : {}),
      });
      transport = authed.transport();
    } else {
      transport =
        opts.mux === false
          ? { url: base, WebSocket: opts.WebSocket }
          : muxTransport(`${base}/_mux`, opts.WebSocket as WebSocketConstructor, opts.online ?? true);
    }
  }
  const random = opts.random ?? defaultRandom;
  // One node per running client (two windows never share one), reused across restarts where
  // Web Locks exist; `last` keeps ids monotonic.
  const claimed = await claimNode(store, random, opts.locks);
  const clock = createClock(claimed.node, typeof lastId === 'string' ? lastId : undefined);
  const client = new Client(opts, store, transport, summaries, clock, random, unregistered, authed);
  client.onClose(claimed.release);
  return client;
}

export class Client implements FerryClient, ClientExtras, ConversationHost {
  readonly host: DocHost;
  readonly me: string;
  readonly now: () => number;
  readonly errors = new Map<string, Error>();
  readonly auth: Observe<AuthStatus>;
  readonly people: Observe<Person[]>;
  readonly myProfile: Observe<Person>;
  readonly notifyPrefs: Observe<NotifyPrefs>;
  readonly presence: Observe<Map<string, Presence>>;
  readonly sync: Observe<SyncStatus>;
  readonly conversations: Observe<ConversationSummary[]>;
  /** My own account on the relay (admin.ts); online only. */
  readonly account: AccountApi = createAccountApi((m, p, b) => this.api(m, p, b));
  private readonly adminApi: AdminApi = createAdminApi((m, p, b) => this.api(m, p, b));
  /** Feeds the offline search index from page documents (search.ts); null when turned off. */
  readonly searchFeed: SearchFeed | null = null;
  readonly screens: ScreenPrefetch;
  /** Activity and followed threads from the pages this client follows (activity.ts). */
  readonly activity: ActivityFeed;

  // ---- the services (each one file, see README.md) ----
  private readonly ctx: ClientContext;
  private readonly sessionState: SessionState;
  private readonly summaries: Summaries;
  private readonly profiles: Profiles;
  private readonly prefs: NotifyPrefsStore;
  private readonly syncState: SyncState;
  private readonly rooms: RoomRules;
  private readonly relaySchema: RelaySchema;
  /** Saved messages, unread marks, reminders (`self/<me>`) and drafts (personal.ts). */
  readonly personal: Personal;
  private readonly registration: Registration;
  private readonly local: LocalCopy;
  private readonly membership: Membership;
  private readonly peopleDirectory: PeopleDirectory;
  readonly directoryPeople: Observe<DirectoryPerson[]>;
  private readonly permissions: Permissions;
  /** Accounts: the directory and the catch-up that follows it; null in workspace mode. */
  private readonly directory: DirectorySync | null = null;
  private readonly catchUp: CatchUp | null = null;
  /** Workspace mode (no accounts): the catalogue and its catch-up; null when signed in. */
  private readonly workspaceMode: WorkspaceMode | null = null;
  private readonly api: RelayApi;
  /** Files, images and voice messages (files/files.ts). */
  readonly files: Files;
  /** Accounts: the workspace's offline limit (offline-grace.ts); null in workspace mode. */
  private readonly grace: OfflineGrace | null = null;
  private readonly graceLink: { online(): void; close(): void } | null = null;
  readonly offlineLimit: Observe<OfflineLimit>;

  private readonly records = new Map<string, DocRecord>();
  private readonly recordsLoaded: Promise<void>;
  private online: boolean;
  private readonly removeEvents: Array<() => void> = [];
  private readonly closeHooks: Array<() => void> = [];
  private readonly convListeners = new Set<(convId: string | null) => void>();
  private closed = false;

  constructor(
    readonly opts: FerryClientOptions,
    readonly store: LocalStore,
    transport: Transport | null,
    summaries: SummaryRecord[],
    readonly clock: Clock,
    readonly random: RandomBytes,
    unregistered: Map<string, unknown> = new Map(),
    private readonly authed: AuthedMux | null = null,
  ) {
    this.me = opts.session.userId;
    this.now = opts.now ?? (() => Date.now());
    this.online = opts.online ?? true;
    const authObj = opts.auth;
    this.api = relayApi(authObj, () => this.online);
    this.host = new DocHost(store, transport, opts.online ?? true);
    this.host.policy = {
      blocked: (room) => this.rooms.blocked(room) || this.personal.blocked(room),
      onRefused: (room, code, reason) => this.rooms.refused(room, code, reason),
      onDenied: (room, reason, held) => this.rooms.denied(room, reason, held),
      onRecovered: (room, reason, rewritten) => this.rooms.recovered(room, reason, rewritten),
      me: this.me,
      now: () => this.now(),
    };
    // Document records (relay state vectors, unconfirmed changes; one per document) are read
    // after the list and the first screen, when the main thread is idle: nothing either shows
    // needs them, and sync (catch-up, local copies) awaits them.
    this.recordsLoaded = whenIdle().then(() => store.docRecords()).then(
      (records) => {
        for (const [room, rec] of records) {
          if (!this.records.has(room)) this.records.set(room, rec);
          if (rec.pending.length > 0 && !this.host.pendingByRoom.has(room)) {
            this.host.pendingByRoom.set(room, rec.pending.length);
          }
        }
        this.syncState.notify();
      },
      (e: unknown) => {
        this.errors.set('records', e instanceof Error ? e : new Error(String(e)));
      },
    );
    const sessionNow = () => this.session;
    const closedNow = () => this.closed;
    this.ctx = {
      me: this.me,
      get session() {
        return sessionNow();
      },
      accounts: authObj !== undefined,
      store,
      host: this.host,
      errors: this.errors,
      records: this.records,
      recordsLoaded: this.recordsLoaded,
      get closed() {
        return closedNow();
      },
      now: () => this.now(),
      convChanged: (convId) => this.convChanged(convId),
      syncChanged: () => this.syncState.notify(),
      writeBlocked: () => {
        const g = this.grace?.state;
        return g?.locked ? g.message : null;
      },
    };
    const ctx = this.ctx;
    const nameOf = (user: string, fallback?: string) => this.profiles.nameOf(user, fallback);
    this.activity = new ActivityFeed(ctx, { nameOf: (u) => this.nameOf(u), titleFor: (c) => this.titleFor(c) });
    this.sessionState = new SessionState(opts.session, opts.onProfile, () => this.profiles.followAccess());
    this.summaries = new Summaries(
      ctx,
      {
        nameOf,
        catalogueTitle: (convId) => this.workspaceMode?.catalogueTitle(convId),
        onMetaUpdate: (convId) => this.workspaceMode?.followNewest(convId),
        onPage: (convId, od) => {
          this.searchFeed?.watch(convId, od);
          this.activity.watch(convId, od);
          this.files.watch(convId, od);
        },
      },
      summaries,
    );
    // The top of the list opens from memory: its screen caches are read now (screen-cache.ts),
    // in the list's order (newest activity first), from the stored summaries.
    const top = summaries
      .filter((r) => !r.hidden)
      .sort((a, b) => b.activity - a.activity || (a.id < b.id ? -1 : 1))
      .slice(0, PREFETCH_SCREENS);
    this.screens = new ScreenPrefetch(
      store.db,
      store,
      top.map((r) => ({ id: r.id, rooms: newestPageRooms(r.id, r.periods) })),
    );
    this.files = new Files({
      store,
      serverUrl: opts.session.serverUrl,
      fetch: opts.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      auth: authObj
        ? { token: () => authObj.token(Math.min(5_000, authObj.margin())), invalidate: () => authObj.invalidate() }
        : null,
      online: () => this.host.connection === 'online' && !authObj?.ended,
      now: () => this.now(),
      nameOf: (u) => this.nameOf(u),
      removed: (convId) => this.summaries.get(convId)?.removed === true,
      removeMessage: async (convId, messageId) => {
        const conv = this.open(convId);
        try {
          await conv.remove(messageId);
        } finally {
          conv.close();
        }
      },
      syncChanged: () => this.syncState?.notify(),
    });
    this.syncState = new SyncState(
      ctx,
      this.summaries,
      authObj,
      () => {
        this.runCatchUp().catch((e: unknown) => {
          // Closed while it awaited the relay: what it would still write waits for the next start.
          if (!this.closed) throw e;
        });
        void this.relaySchema.check();
        this.graceLink?.online();
      },
      () => this.files.uploads(),
    );
    this.syncState.onConnection = (online) => {
      this.files.connectionChanged(online);
      this.grace?.check();
    };
    if (authObj) {
      // Past the limit offline, every conversation turns read-only and says why (permissions.ts).
      this.grace = new OfflineGrace(store, this.now, () => this.syncState.status().connection === 'online', () =>
        this.convChanged(null),
      );
      const http = { fetch: opts.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init)) };
      this.graceLink = followGrace(
        this.grace,
        authObj,
        async () => (await fetchProviders(http, opts.session.serverUrl)).offlineGraceDays,
        opts.offlineGraceDays,
      );
    }
    const grace = this.grace;
    this.offlineLimit = grace
      ? grace.observe
      : (listener) => {
          listener({ locked: false });
          return () => undefined;
        };
    this.prefs = new NotifyPrefsStore(store);
    this.notifyPrefs = this.prefs.observe;
    this.profiles = new Profiles(
      ctx,
      { events: opts.events, presence: opts.presence },
      {
        directory: () => this.directory?.dir ?? null,
        catalogue: () => this.workspaceMode?.doc ?? null,
        onNamesLoaded: () => {
          this.summaries.changed();
          this.activity.refresh();
          this.convChanged(null);
        },
      },
    );
    this.registration = new Registration(
      ctx,
      this.summaries,
      { auth: authObj, api: this.api, random, catalogue: () => this.workspaceMode?.doc ?? null, nameOf },
      unregistered,
    );
    this.local = new LocalCopy(ctx, this.summaries, this.registration, { nameOf, searchFeed: () => this.searchFeed });
    this.membership = new Membership(ctx, this.summaries, this.profiles, this.local, this.api);
    this.peopleDirectory = new PeopleDirectory(ctx, this.profiles, this.api);
    this.directoryPeople = this.peopleDirectory.observe;
    this.permissions = new Permissions(ctx, this.summaries, this.profiles, this.registration);
    this.rooms = new RoomRules(ctx, this.summaries, {
      markRemoved: (convId) => this.membership.markRemoved(convId),
      closeWorkspace: () => this.profiles.close(true),
      profilesChanged: () => this.profiles.changed(),
    });
    this.relaySchema = new RelaySchema(ctx, authObj ? this.api : null, (info) => this.files.serverInfo(info));
    this.personal = new Personal(ctx, { relaySchema: () => this.relaySchema.version });
    this.convListeners.add((id) => {
      if (id === null) this.personal.schemaChanged();
    });
    this.sync = this.syncState.observe;
    this.conversations = this.summaries.observe;
    this.people = this.profiles.people;
    this.myProfile = this.profiles.myProfile;
    this.presence = this.profiles.presence;
    this.auth = authObj
      ? authObj.observe
      : (listener) => {
          listener({ state: 'ok' });
          return () => undefined;
        };
    if (authObj) {
      const off = authObj.observe((s) => {
        if (s.state === 'ended') this.syncState.notify();
      });
      this.removeEvents.push(off);
    }
    this.host.onChange(() => this.syncState.hostChanged());
    void this.relaySchema.load();
    this.profiles.followAccess();
    if (authObj) {
      this.directory = new DirectorySync(ctx, this.summaries, this.profiles, {
        followMe: (me) => this.sessionState.follow(me),
        registered: (convId) => this.registration.registered(convId),
        markRemoved: (convId) => this.membership.markRemoved(convId),
        onUpdate: () => this.catchUp?.directoryChanged(),
      });
      this.catchUp = new CatchUp(ctx, this.syncState, this.summaries, this.directory, {
        registerPending: () => this.registration.registerPending(),
        blocked: (room) => this.rooms.blocked(room),
        ...(opts.catchUpConcurrency !== undefined ? { concurrency: opts.catchUpConcurrency } : {}),
      });
    } else {
      this.workspaceMode = new WorkspaceMode(ctx, this.syncState, this.summaries, opts.catchUpConcurrency);
    }
    if (opts.search !== false) {
      const src = {
        me: this.me,
        store,
        nameOf: (u: string) => this.nameOf(u),
        titleFor: (c: string) => this.titleFor(c),
        people: () => this.profiles.list(),
        conversations: () => this.summaries.list(),
        openDoc: (room: string) => {
          const od = this.host.get(room);
          return od?.isLoaded ? od.doc : null;
        },
      };
      this.searchFeed = new SearchFeed(src, opts.indexedDB, opts.search ?? {});
    }
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

  /** The signed-in user; name and role follow the directory's `me` profile once it has one. */
  get session(): Session {
    return this.sessionState.value;
  }

  /** User administration, while my role (followed from the directory) is admin. */
  get admin(): AdminApi | undefined {
    return this.opts.auth !== undefined && this.session.role === 'admin' ? this.adminApi : undefined;
  }

  /** Rooms the last catch-up synced (accounts: what changed since, not every conversation). */
  get lastCatchUp(): readonly string[] {
    return this.catchUp?.lastCatchUp ?? [];
  }

  /** Rooms synced by catch-up and by following the directory since start (diagnostics). */
  get roomsSynced(): number {
    return this.catchUp?.roomsSynced ?? 0;
  }

  /** The authenticated socket (accounts), for tests and diagnostics. */
  get socket(): AuthedMux | null {
    return this.authed;
  }

  private runCatchUp(): Promise<void> {
    if (this.catchUp) return this.catchUp.run();
    return (this.workspaceMode as WorkspaceMode).run();
  }

  setOnline(online: boolean): void {
    this.online = online;
    this.host.setOnline(online);
  }

  // ---- names, people, profiles (profiles.ts) ----

  nameOf(user: string, fallback = 'Someone'): string {
    return this.profiles.nameOf(user, fallback);
  }

  /** Why I cannot set my status and picture now, or null (guests: no workspace). */
  profileUnavailable(): string | null {
    return this.profiles.unavailable();
  }

  setMyProfile(change: ProfileChange): Promise<void> {
    return this.profiles.setMine(change);
  }

  // ---- what conversations (conversation.ts) ask: ConversationHost ----

  /** Called when a conversation's state (or, with null, names and people) changes. */
  onConvChange(listener: (convId: string | null) => void): () => void {
    this.convListeners.add(listener);
    return () => this.convListeners.delete(listener);
  }

  /** Kept for conversation.ts: names follow the directory (or workspace). */
  onWorkspaceChange(listener: () => void): () => void {
    return this.onConvChange((id) => {
      if (id === null) listener();
    });
  }

  private convChanged(convId: string | null): void {
    for (const l of [...this.convListeners]) l(convId);
  }

  /** The title the list shows (a DM: the other person's name), or undefined if unknown. */
  titleFor(convId: string): string | undefined {
    return this.summaries.titleFor(convId);
  }

  /** The cached summary of a conversation (title, page index) before its meta document loads. */
  summaryOf(convId: string): SummaryRecord | undefined {
    return this.summaries.get(convId);
  }

  holdMeta(convId: string): OpenDoc {
    return this.summaries.holdMeta(convId);
  }

  watchPage(convId: string, od: OpenDoc): void {
    this.summaries.watchPage(convId, od);
  }

  /** Records the meta document's counts for a page once the page has synced (workspace mode). */
  notePageSynced(convId: string, period: number, page: OpenDoc, metaDoc: OpenDoc): void {
    this.workspaceMode?.notePageSynced(convId, period, page, metaDoc);
  }

  convState(convId: string): ConvState {
    return this.permissions.convState(convId);
  }

  assertMay(convId: string, action: Action): void {
    this.permissions.assertMay(convId, action);
  }

  pinsUnavailable(): string | null {
    return this.relaySchema.pinsUnavailable();
  }

  /** Persists the clock's newest id so a restart never issues a smaller one. */
  saveClock(): void {
    this.store.putMeta('clock', lastClockId(this.clock)).catch(() => undefined);
  }

  // ---- conversations ----

  open(conversationId: string): ConversationStore {
    return new ConversationImpl(this, conversationId);
  }

  createConversation(input: NewConversation | string): Promise<string> {
    return this.registration.create(input);
  }

  openDm(userId: string): Promise<string> {
    return this.registration.openDm(userId);
  }

  /** Keeps a conversation as created here and not registered yet (a test makes one by hand). */
  addUnregistered(rec: UnregisteredRecord): Promise<void> {
    return this.registration.add(rec);
  }

  /** My messages in a conversation's local pages that the relay never confirmed. */
  countUndelivered(convId: string): Promise<number> {
    return this.local.countUndelivered(convId);
  }

  exportConversation(conversationId: string): Promise<{ filename: string; json: string; text: string }> {
    return this.local.exportConversation(conversationId);
  }

  forget(conversationId: string): Promise<void> {
    this.activity.forget(conversationId);
    return this.local.forget(conversationId);
  }

  // ---- membership (membership.ts; the relay's API, online only) ----

  searchPeople(query: string): Promise<Person[]> {
    return this.membership.searchPeople(query);
  }

  refreshDirectory(query = ''): Promise<number> {
    return this.peopleDirectory.refresh(query);
  }

  browseChannels(): Promise<ChannelListing[]> {
    return this.membership.browseChannels();
  }

  join(conversationId: string): Promise<void> {
    return this.membership.join(conversationId);
  }

  leave(conversationId: string): Promise<void> {
    return this.membership.leave(conversationId);
  }

  invite(conversationId: string, userIds: string[]): Promise<void> {
    return this.membership.invite(conversationId, userIds);
  }

  removeMember(conversationId: string, userId: string): Promise<void> {
    return this.membership.removeMember(conversationId, userId);
  }

  setRole(conversationId: string, userId: string, role: ConversationRole): Promise<void> {
    return this.membership.setRole(conversationId, userId, role);
  }

  rename(conversationId: string, title: string): Promise<void> {
    return this.membership.rename(conversationId, title);
  }

  setArchived(conversationId: string, archived: boolean): Promise<void> {
    return this.membership.setArchived(conversationId, archived);
  }

  setChannelInfo(conversationId: string, info: { topic?: string; description?: string }): Promise<void> {
    return this.membership.setChannelInfo(conversationId, info);
  }

  // ---- search, notifications, drafts ----

  async search(query: string): Promise<SearchResults> {
    if (!this.searchFeed) throw new ApiError('error', 'Search is turned off on this device.');
    return this.searchFeed.query(query);
  }

  setNotifyPref(conversationId: string, pref: NotifyPref | null): Promise<void> {
    return this.prefs.setConversation(conversationId, pref);
  }

  setDnd(on: boolean): Promise<void> {
    return this.prefs.setDnd(on);
  }

  getDraft(conversationId: string): Promise<string> {
    return this.store.getDraft(conversationId);
  }

  setDraft(conversationId: string, text: string): Promise<void> {
    return this.store.putDraft(conversationId, text).then(() => this.personal.draftsChanged());
  }

  // ---- the session and the client's life ----

  async signOut(): Promise<void> {
    await this.opts.auth?.signOut();
    await this.opts.onSignedOut?.();
    this.setOnline(false);
    this.syncState.notify();
  }

  storedBytes(): Promise<{ updates: number; rows: number; other: number }> {
    return this.store.storedBytes();
  }

  /** Resolves once no catch-up and no directory-driven sync is running (tests). */
  async idle(): Promise<void> {
    if (this.catchUp) return this.catchUp.idle();
    while (this.syncState.progress !== null) await this.whenSettled(30_000);
  }

  whenSettled(timeoutMs = 10_000): Promise<void> {
    return this.syncState.whenSettled(timeoutMs);
  }

  /** Runs `fn` after close() has flushed and released everything. */
  onClose(fn: () => void): void {
    this.closeHooks.push(fn);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.syncState.gen++;
    for (const r of this.removeEvents) r();
    this.peopleDirectory.close();
    this.graceLink?.close();
    this.profiles.close(false);
    this.personal.close();
    this.files.close();
    await this.searchFeed?.close();
    await this.activity.close();
    this.summaries.writeRemaining();
    await this.host.close();
    await this.store.close();
    for (const fn of this.closeHooks) fn();
  }
}
