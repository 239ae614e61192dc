// createFerryClient: the implementation of api.ts's FerryClient over the local store (store.ts),
// open documents (docs.ts) and the core model. See README.md.
import * as Y from 'yjs';
import { dmConversationId, newId, type RandomBytes } from '../../../core/src/ids';
import { createClock, last as lastClockId, type Clock } from '../../../core/src/hlc';
import { can, type Action } from '../../../core/src/authz/permissions';
import { ModelError } from '../../../core/src/model/errors';
import { inboxRoom, metaRoom, pageRoom, parseRoom, periodOfMessage, workspaceRoom } from '../../../core/src/model/rooms';
import * as meta from '../../../core/src/model/meta';
import * as page from '../../../core/src/model/page';
import * as workspace from '../../../core/src/model/workspace';
import { PresenceTracker, type Presence } from './awareness';
import type { WebSocketConstructor } from '../../../core/src/protocol/mux-client';
import {
  ApiError,
  type AccountApi,
  type AdminApi,
  type AuthStatus,
  type ChannelListing,
  type Connection,
  type ConversationKind,
  type ConversationRole,
  type ConversationStore,
  type ConversationSummary,
  type FerryClient,
  type Member,
  type NewConversation,
  type NotifyPref,
  type NotifyPrefs,
  type Observe,
  type Person,
  type ProfileChange,
  type SearchResults,
  type Session,
  type SyncStatus,
  type Visibility,
} from './api';
import { ConversationImpl } from './conversation';
import type { ConversationHost, ConvState } from './conversation-host';
import { readDirectory, roomOfVersionKey, type Directory } from './directory';
import { DocHost, type OpenDoc, type Transport } from './docs';
import * as ws from './model';
import { DB_NAME, LocalStore, type DocRecord, type SummaryRecord } from './store';
import { claimNode, type LocksLike } from './node';
import { AuthedMux } from './socket';
import { createAccountApi, createAdminApi } from './admin';
import { SearchFeed, type SearchFeedOptions } from './search';
import { NotifyPrefsStore } from './notify-prefs';
import { unreadMentionCount } from '../../../core/src/model/mentions';
import type { Auth } from './auth';
import { observable } from './observable';
import { muxTransport, relaySocketUrl } from './transport';

export { muxTransport, relaySocketUrl } from './transport';
export { loadSession, saveSession } from './legacy-session';
export type { ConvState } from './conversation-host';

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
  /** Presence (awareness.ts): idle time before 'away' (default 5 min), whether the window is hidden. */
  presence?: { awayAfterMs?: number; hidden?: () => boolean };
  /** Initial connectivity (navigator.onLine); default true. */
  online?: boolean;
  dbName?: string;
  now?: () => number;
  random?: RandomBytes;
  /** Conversations whose meta documents sync at the same time during catch-up. */
  catchUpConcurrency?: number;
  /** The browser's `navigator.locks`: lets the installation reuse its clock node ids (node.ts). */
  locks?: LocksLike;
  /**
   * Accounts (issue 4): the signed-in session's tokens. With it the socket carries the access
   * token, conversations and people come from the directory document, membership calls the
   * relay's API. Without it (benchmarks, `--no-auth` relays) the previous release's workspace
   * catalogue is used.
   */
  auth?: Auth;
  /** After signOut(): forget the kept session (the backend's `current` record). */
  onSignedOut?: () => Promise<void>;
  /** The directory changed my name or role: keep it for the next (offline) start. */
  onProfile?: (session: Session) => void;
  /** Offline search (search.ts): false turns it off (benchmarks); default on, in a worker if any. */
  search?: false | SearchFeedOptions;
}

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

/** Meta keys of conversations created on this device and not yet registered with the relay. */
const UNREGISTERED = 'unregistered:';
const KNOWN_NAMES = 'names';
/** Meta record: the relay's document schema version, from GET /server (pins need 2). */
const RELAY_SCHEMA = 'relaySchema';

interface UnregisteredRecord {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  title: string;
  members: string[];
  createdAt: number;
  /** A final refusal (conflict, forbidden, invalid): not retried, shown on the conversation. */
  error?: string;
}

function asUnregistered(v: unknown): UnregisteredRecord | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Partial<UnregisteredRecord>;
  if (typeof r.id !== 'string' || (r.kind !== 'dm' && r.kind !== 'channel' && r.kind !== 'announcement')) return null;
  return {
    id: r.id,
    kind: r.kind,
    visibility: r.visibility === 'private' ? 'private' : 'open',
    title: typeof r.title === 'string' ? r.title : '',
    members: Array.isArray(r.members) ? r.members.filter((m): m is string => typeof m === 'string') : [],
    createdAt: typeof r.createdAt === 'number' ? r.createdAt : 0,
    ...(typeof r.error === 'string' ? { error: r.error } : {}),
  };
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
  /** Rooms the last catch-up synced (accounts: what changed since, not every conversation). */
  readonly lastCatchUp: readonly string[];
}

export class Client implements FerryClient, ClientExtras, ConversationHost {
  readonly host: DocHost;
  readonly me: string;
  readonly now: () => number;
  readonly errors = new Map<string, Error>();
  readonly auth: Observe<AuthStatus>;
  readonly people: Observe<Person[]>;
  readonly myProfile: Observe<Person>;
  private readonly prefs: NotifyPrefsStore;
  readonly notifyPrefs: Observe<NotifyPrefs>;
  readonly presence: Observe<Map<string, Presence>>;
  /** On the workspace room: null while signed in as a guest (no presence shown or published). */
  private presenceTracker: PresenceTracker | null = null;
  private readonly presenceObs: { observe: Observe<Map<string, Presence>>; notify: () => void };
  private presenceOff: (() => void) | null = null;
  readonly sync: Observe<SyncStatus>;
  readonly conversations: Observe<ConversationSummary[]>;
  /** My own account on the relay (admin.ts); online only. */
  readonly account: AccountApi = createAccountApi((m, p, b) => this.api(m, p, b));
  private readonly adminApi: AdminApi = createAdminApi((m, p, b) => this.api(m, p, b));
  /** User administration, while my role (followed from the directory) is admin. */
  get admin(): AdminApi | undefined {
    return this.accounts && this.session.role === 'admin' ? this.adminApi : undefined;
  }
  lastCatchUp: string[] = [];
  /** Rooms synced by catch-up and by following the directory since start (diagnostics). */
  roomsSynced = 0;
  private readonly summaries = new Map<string, SummaryRecord>();
  /**
   * Every display name the directory has shown this device, kept when the person leaves: the
   * directory lists only people I share a conversation with now, but their messages and
   * reactions stay in history and keep their name (meta record `names`).
   */
  private readonly knownNames = new Map<string, string>();
  private readonly dirtySummaries = new Set<string>();
  private readonly records = new Map<string, DocRecord>();
  private readonly recordsLoaded: Promise<void>;
  /** Legacy (no accounts): the workspace catalogue. */
  private readonly workspace: OpenDoc | null = null;
  /** Accounts: the directory document `inbox/<me>`. */
  private readonly inbox: OpenDoc | null = null;
  private dir: Directory | null = null;
  private readonly unregistered = new Map<string, UnregisteredRecord>();
  private readonly watchedMetas = new WeakSet<OpenDoc>();
  private readonly watchedPages = new WeakSet<OpenDoc>();
  /** Meta documents held open between catch-up and close (legacy, over a shared socket). */
  private readonly liveMetas = new Map<string, OpenDoc>();
  /** The newest page of each conversation in `liveMetas`, held open the same way. */
  private readonly livePages = new Map<string, OpenDoc>();
  private readonly syncObs: { observe: Observe<SyncStatus>; notify: () => void };
  private readonly listObs: { observe: Observe<ConversationSummary[]>; notify: () => void };
  private readonly peopleObs: { observe: Observe<Person[]>; notify: () => void };
  private readonly myProfileObs: { observe: Observe<Person>; notify: () => void };
  /**
   * The workspace room (presence, and everyone's status and avatar), open unless I am a guest:
   * guests may not see everyone (docs/accounts.md, "Guests and the workspace").
   */
  private profiles: OpenDoc | null = null;
  private catchUp: { done: number; total: number } | null = null;
  private catchUpGen = 0;
  private lastSyncedAt: number | null = null;
  private lastConnection: Connection = 'offline';
  private online: boolean;
  private readonly removeEvents: Array<() => void> = [];
  private readonly closeHooks: Array<() => void> = [];
  private readonly convListeners = new Set<(convId: string | null) => void>();
  private closed = false;
  private following: Promise<void> | null = null;
  private followAgain = false;
  private caughtUp = false;
  /** Feeds the offline search index from page documents (search.ts); null when turned off. */
  readonly searchFeed: SearchFeed | null = null;

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
    for (const s of summaries) this.summaries.set(s.id, s);
    for (const v of unregistered.values()) {
      const r = asUnregistered(v);
      if (r) this.unregistered.set(r.id, r);
    }
    this.host = new DocHost(store, transport, opts.online ?? true);
    this.host.policy = {
      blocked: (room) => this.roomBlocked(room),
      onRefused: (room, code, reason) => this.onRoomRefused(room, code, reason),
      onDenied: (room, reason, held) => this.onRoomDenied(room, reason, held),
      onRecovered: (room, reason, rewritten) => this.onRoomRecovered(room, reason, rewritten),
      me: this.me,
      now: () => this.now(),
    };
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
    this.peopleObs = observable(() => this.peopleList());
    this.myProfileObs = observable(() => this.profileOf(this.me));
    this.prefs = new NotifyPrefsStore(store);
    this.notifyPrefs = this.prefs.observe;
    // Names seen in earlier runs, for people who have since left every shared conversation.
    void store.getMeta(KNOWN_NAMES).then(
      (kept) => {
        if (!kept || typeof kept !== 'object') return;
        for (const [id, name] of Object.entries(kept as Record<string, unknown>)) {
          if (typeof name === 'string' && !this.knownNames.has(id)) this.knownNames.set(id, name);
        }
        this.listObs.notify();
        this.convChanged(null);
      },
      () => undefined, // a cache: without it, former members read "Someone"
    );
    this.sync = this.syncObs.observe;
    this.conversations = this.listObs.observe;
    this.people = this.peopleObs.observe;
    this.myProfile = this.myProfileObs.observe;
    const authObj = opts.auth;
    this.auth = authObj
      ? authObj.observe
      : (listener) => {
          listener({ state: 'ok' });
          return () => undefined;
        };
    if (authObj) {
      const off = authObj.observe((s) => {
        if (s.state === 'ended') this.syncObs.notify();
      });
      this.removeEvents.push(off);
    }
    this.host.onChange(() => this.onHostChange());
    void this.loadRelaySchema();
    this.presenceObs = observable(() => this.presenceTracker?.value() ?? new Map<string, Presence>());
    this.presence = this.presenceObs.observe;
    this.followWorkspaceAccess();
    if (authObj) {
      this.inbox = this.host.acquire(inboxRoom(this.me));
      this.inbox.loaded.then(
        () => this.onInboxLoaded(),
        (e: unknown) => this.errors.set('inbox', e instanceof Error ? e : new Error(String(e))),
      );
    } else {
      this.workspace = this.host.acquire(workspaceRoom);
      this.workspace.loaded.then(
        () => this.onWorkspaceLoaded(),
        (e: unknown) => this.errors.set(workspaceRoom, e instanceof Error ? e : new Error(String(e))),
      );
    }
    if (opts.search !== false) {
      const src = {
        me: this.me,
        store,
        nameOf: (u: string) => this.nameOf(u),
        titleFor: (c: string) => this.titleFor(c),
        people: () => this.peopleList(),
        conversations: () => this.list(),
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
    return this.currentSession ?? this.opts.session;
  }

  private currentSession: Session | null = null;

  private followProfile(): void {
    const me = this.dir?.me;
    const s = this.session;
    if (!me || me.id !== s.userId) return;
    if (me.displayName === s.displayName && me.role === s.role && me.username === s.username) return;
    this.currentSession = { ...s, displayName: me.displayName, role: me.role, username: me.username };
    this.opts.onProfile?.(this.currentSession);
    if (me.role !== s.role) this.followWorkspaceAccess();
  }

  // ---- the workspace room: profiles and presence (docs/accounts.md, "Guests and the workspace") ----

  private get isGuest(): boolean {
    return this.accounts && this.session.role === 'guest';
  }

  /** Opens the workspace room for an admin or member; a guest closes it and deletes its copy. */
  private followWorkspaceAccess(): void {
    if (this.closed) return;
    if (this.isGuest) this.closeProfiles(true);
    else this.openProfiles();
  }

  private readonly onPeople = (): void => {
    this.peopleObs.notify();
    this.myProfileObs.notify();
    this.convChanged(null);
  };

  private openProfiles(): void {
    if (this.profiles) return;
    // Presence on the workspace room's awareness: awareness.ts. Its `people` map holds
    // everyone's status and avatar (docs/messaging.md, "Profiles").
    const od = this.host.acquire(workspaceRoom);
    this.profiles = od;
    workspace.peopleOf(od.doc).observe(this.onPeople);
    this.presenceTracker = new PresenceTracker(
      this.host,
      od,
      this.me,
      () => this.peopleList().map((p) => p.id),
      { events: this.opts.events, ...this.opts.presence },
    );
    this.presenceOff = this.presenceTracker.observe(() => this.presenceObs.notify());
    this.onPeople();
  }

  /**
   * Stops presence and closes the workspace room; `forget`: deletes this device's copy of it
   * (a guest keeps nothing of people they may not see, also from before they were one).
   */
  private closeProfiles(forget: boolean): void {
    const od = this.profiles;
    this.profiles = null;
    this.presenceOff?.();
    this.presenceOff = null;
    this.presenceTracker?.close();
    this.presenceTracker = null;
    if (od) {
      workspace.peopleOf(od.doc).unobserve(this.onPeople);
      this.host.release(od);
    }
    if (forget) {
      // After the load (whose compaction would write the copy back), else at once.
      const forgetCopy = () => (this.closed ? undefined : this.store.deleteDocs([workspaceRoom]).catch(() => undefined));
      if (!od || od.isLoaded) void forgetCopy();
      else void od.loaded.then(forgetCopy, forgetCopy);
    }
    this.presenceObs.notify();
    this.onPeople();
  }

  /** Why I cannot set my status and picture now, or null (guests: no workspace). */
  profileUnavailable(): string | null {
    return this.isGuest ? workspace.GUEST_PROFILE_REASON : null;
  }

  private get accounts(): boolean {
    return this.opts.auth !== undefined;
  }

  /**
   * Local changes still to send: not those of conversations I was removed from (they can never
   * be sent; they show as `undelivered`) nor of documents the relay refused (`denied`).
   */
  private pendingCount(): number {
    let n = 0;
    for (const [room, k] of this.host.pendingByRoom) {
      if (k <= 0) continue;
      const convId = this.convOfRoom(room);
      if (convId && this.summaries.get(convId)?.removed) continue;
      const open = this.host.get(room);
      if (open ? open.denied : this.records.get(room)?.held) continue;
      n += k;
    }
    return n;
  }

  private syncStatus(): SyncStatus {
    return {
      connection: this.opts.auth?.ended ? 'offline' : this.host.connection,
      pending: this.pendingCount(),
      catchUp: this.catchUp ? { ...this.catchUp } : null,
      lastSyncedAt: this.lastSyncedAt,
    };
  }

  private list(): ConversationSummary[] {
    return [...this.summaries.values()]
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
                authorName: lm.authorId ? this.nameOf(lm.authorId, lm.authorName) : lm.authorName,
              }
            : null,
          unread: s.removed ? 0 : s.unread,
          mentions: s.removed ? 0 : (s.mentions ?? 0),
          role: s.role ?? (this.accounts ? 'member' : 'owner'),
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
    const s = this.summaries.get(convId);
    return s ? this.titleOf(s) : undefined;
  }

  private titleOf(s: SummaryRecord): string {
    if (s.kind === 'dm' && s.dmWith) return this.nameOf(s.dmWith, s.title || 'Direct message');
    return s.title;
  }

  /**
   * Status and avatar from the workspace `people` map; for a guest, from the directory, where
   * the relay copies those of the people a guest may see. Invalid values read as null (core).
   */
  private extrasOf(user: string): { status: string | null; avatar: string | null } {
    const p = this.profiles
      ? workspace.readProfile(user, workspace.peopleOf(this.profiles.doc).get(user))
      : this.dir?.people.get(user);
    return { status: p?.status ?? null, avatar: p?.avatar ?? null };
  }

  private profileOf(user: string): Person {
    const p = this.dir?.people.get(user);
    if (p) return { id: user, username: p.username, displayName: p.displayName, ...this.extrasOf(user) };
    if (user === this.me) {
      return { id: user, username: this.session.username, displayName: this.session.displayName, ...this.extrasOf(user) };
    }
    return { id: user, username: '', displayName: this.nameOf(user), ...this.extrasOf(user) };
  }

  async setMyProfile(change: ProfileChange): Promise<void> {
    const unavailable = this.profileUnavailable();
    if (unavailable) throw new ModelError('forbidden', unavailable);
    this.openProfiles();
    const profiles = this.profiles as OpenDoc | null;
    if (!profiles) throw new ModelError('forbidden', workspace.GUEST_PROFILE_REASON);
    await profiles.loaded;
    workspace.setProfile(profiles.doc, {
      user: this.me,
      name: this.session.displayName,
      at: this.now(),
      ...(change.status !== undefined ? { status: change.status } : {}),
      ...(change.avatar !== undefined ? { avatar: change.avatar } : {}),
    });
    await profiles.lastWrite;
  }

  private peopleList(): Person[] {
    const out = new Map<string, Person>();
    if (this.dir) {
      for (const [id, p] of this.dir.people) {
        out.set(id, { id, username: p.username, displayName: p.displayName, ...this.extrasOf(id) });
      }
    }
    if (!out.has(this.me)) out.set(this.me, this.profileOf(this.me));
    return [...out.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || (a.id < b.id ? -1 : 1));
  }

  private onHostChange(): void {
    const c = this.syncStatus().connection;
    if (c === 'online' && this.lastConnection !== 'online') {
      void this.runCatchUp();
      void this.checkRelaySchema();
    }
    if (c !== 'online') this.catchUpGen++;
    if (c !== 'online' && this.catchUp) this.catchUp = null;
    this.lastConnection = c;
    if (c === 'online' && this.pendingCount() === 0 && this.catchUp === null) this.lastSyncedAt = this.now();
    this.syncObs.notify();
  }

  setOnline(online: boolean): void {
    this.online = online;
    this.host.setOnline(online);
  }

  nameOf(user: string, fallback = 'Someone'): string {
    const p = this.dir?.people.get(user);
    if (p) return p.displayName;
    if (user === this.me) return this.session.displayName;
    const known = this.knownNames.get(user);
    if (known) return known;
    if (this.workspace && this.workspace.refs > 0) return workspace.profileName(this.workspace.doc, user) || fallback;
    return fallback;
  }

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

  // ---- the relay's document schema (docs/messaging.md, "Schema version 2") ----

  /** GET /server `schema` (1 when absent: a version-1 relay); null until first learned. */
  private relaySchema: number | null = null;
  private relaySchemaRead = false;

  /** Reads the schema kept from an earlier run (a device starting offline still knows it). */
  private async loadRelaySchema(): Promise<void> {
    const kept = await this.store.getMeta(RELAY_SCHEMA).catch(() => undefined);
    this.relaySchemaRead = true;
    if (this.relaySchema === null && typeof kept === 'number' && Number.isInteger(kept) && kept >= 1) {
      this.relaySchema = kept;
      this.convChanged(null);
    }
  }

  /** Set once this run has the relay's answer: asked again only while it says less than 2. */
  private relaySchemaAsked = false;

  /**
   * Asks the relay its schema and keeps it on disk: at the first connect of this run, and at
   * every connect while it is unknown or below 2 (the relay may have been upgraded). Not at
   * every reconnect: GET /server counts against the relay's per-address budget of anonymous
   * calls, which an office behind one NAT shares with its sign-in screens.
   */
  private async checkRelaySchema(): Promise<void> {
    if (!this.opts.auth) return;
    if (this.relaySchemaAsked && this.relaySchema !== null && this.relaySchema >= 2) return;
    let info: unknown;
    try {
      info = await this.api<unknown>('GET', '/server');
    } catch {
      return; // asked again at the next connect; the kept value stands meanwhile
    }
    this.relaySchemaAsked = true;
    const raw = typeof info === 'object' && info !== null ? (info as { schema?: unknown }).schema : undefined;
    const schema = typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 ? raw : 1;
    if (this.closed || schema === this.relaySchema) return;
    this.relaySchema = schema;
    this.store.putMeta(RELAY_SCHEMA, schema).catch(() => undefined);
    this.convChanged(null);
  }

  /**
   * Why pins cannot be written now, or null: an older relay refuses the `pins` root and would
   * quarantine the writer (docs/messaging.md), so pins wait until it says schema 2 or newer.
   * Without accounts (benchmark relays) there is no GET /server to ask: available.
   */
  pinsUnavailable(): string | null {
    if (!this.opts.auth) return null;
    if (this.relaySchema === null) {
      return this.relaySchemaRead
        ? 'Pins become available once this device has reached the server.'
        : 'Checking whether the server supports pins…';
    }
    if (this.relaySchema < 2) return 'Pins need a newer server: ask your administrator to update Ferry on the server.';
    return null;
  }

  // ---- rooms and the relay's answers ----

  private convOfRoom(room: string): string | null {
    const ref = parseRoom(room);
    return ref && (ref.kind === 'meta' || ref.kind === 'page') ? ref.convId : null;
  }

  /** Rooms of conversations not registered yet, or that I was removed from, stay local. */
  private roomBlocked(room: string): boolean {
    const convId = this.convOfRoom(room);
    if (!convId) return false;
    const s = this.summaries.get(convId);
    return s?.removed === true || s?.registered === false;
  }

  private onRoomRefused(room: string, code: number, reason: string): void {
    // Made a guest while the workspace was open: no error, the directory brings the role.
    if (room === workspaceRoom && reason === workspace.GUEST_WORKSPACE_REFUSAL) return this.closeProfiles(true);
    const convId = this.convOfRoom(room);
    if (!convId) {
      this.errors.set(room, new Error(`The relay refused ${room} (${code}: ${reason}).`));
      return;
    }
    if (code === 4403) this.markRemoved(convId);
  }

  /**
   * The relay refused a change of this device (docs.ts rebuilds the document and resends, see
   * README "Recovering from a refused update"); `held`: refused again after that, kept here.
   */
  private onRoomDenied(room: string, reason: string, held: boolean): void {
    const convId = this.convOfRoom(room);
    if (!convId) {
      if (held) this.errors.set(room, new Error(`The server refused changes from this device in ${room} (${reason}); they are kept on this device and no longer sent.`));
      return;
    }
    const s = this.summaries.get(convId);
    if (s) {
      this.putSummary({
        ...s,
        error: held
          ? `The server refused your changes here again (${reason}). They are kept on this device, marked not delivered; export the conversation to keep a copy. New messages still arrive.`
          : `The server refused a change from this device (${reason}). Ferry is sending it again.`,
      });
    }
    this.syncObs.notify();
    this.convChanged(convId);
  }

  private onRoomRecovered(room: string, reason: string, rewritten: { messages: number; entries: number }): void {
    const kept = this.records.get(room);
    if (kept) delete kept.denied; // rebuilt: the open document's record is current
    this.syncObs.notify();
    const convId = this.convOfRoom(room);
    if (!convId) {
      this.errors.delete(room);
      this.peopleObs.notify(); // the workspace room: profiles read from the rebuilt document
      this.myProfileObs.notify();
      return;
    }
    const n = rewritten.messages;
    const what =
      n > 0
        ? `Ferry re-sent your ${n === 1 ? 'unsent message' : `${n} unsent messages`}.`
        : rewritten.entries > 0
          ? 'Ferry re-sent your unsent changes.'
          : 'Nothing of yours was waiting to be sent.';
    const s = this.summaries.get(convId);
    if (s) this.putSummary({ ...s, error: `The server refused a change from this device (${reason}). ${what}` });
    this.convChanged(convId);
  }

  // ---- the directory (accounts) ----

  private onInboxLoaded(): void {
    if (this.closed || !this.inbox) return;
    const doc = this.inbox.doc;
    this.applyDirectory();
    doc.on('update', () => {
      this.applyDirectory();
      if (this.caughtUp) this.follow();
    });
  }

  /** The directory is the source of conversations, members, people and roles. */
  private applyDirectory(): void {
    if (!this.inbox) return;
    const dir = readDirectory(this.inbox.doc);
    this.dir = dir;
    let namesChanged = false;
    for (const [id, p] of dir.people) {
      if (this.knownNames.get(id) === p.displayName) continue;
      this.knownNames.set(id, p.displayName);
      namesChanged = true;
    }
    if (namesChanged) {
      this.store.putMeta(KNOWN_NAMES, Object.fromEntries(this.knownNames)).catch(() => undefined);
    }
    this.followProfile();
    let unblocked = false;
    for (const [id, c] of dir.conversations) {
      const prev = this.summaries.get(id);
      const members = dir.members.get(id) ?? prev?.members ?? [];
      const act = dir.activity.get(id);
      const dmWith = c.kind === 'dm' ? (members.find((m) => m.id !== this.me)?.id ?? prev?.dmWith ?? null) : null;
      let lastMessage = prev?.lastMessage ?? null;
      const newestHeld = this.newestPageOpen(id, prev);
      if (act?.preview && !newestHeld && (!lastMessage || act.at >= lastMessage.at)) {
        lastMessage = {
          id: act.preview.id,
          text: act.preview.text,
          authorId: act.preview.author,
          authorName: this.nameOf(act.preview.author),
          at: act.at,
        };
      }
      if (prev?.removed || prev?.registered === false) unblocked = true;
      const next: SummaryRecord = {
        id,
        title: c.title || prev?.title || '',
        createdAt: c.createdAt || prev?.createdAt || 0,
        lastMessage,
        unread: prev?.unread ?? 0,
        activity: Math.max(c.createdAt, act?.at ?? 0, lastMessage?.at ?? 0, prev?.activity ?? 0),
        ...(prev?.periods ? { periods: prev.periods } : {}),
        kind: c.kind,
        visibility: c.visibility,
        role: c.role,
        archived: c.archived,
        createdBy: c.createdBy,
        members,
        dmWith,
        registered: true,
        listed: true,
        removed: false,
        undelivered: 0,
      };
      if (prev?.error && !prev.error.startsWith('Not registered')) next.error = prev.error;
      this.putSummary(next);
      if (this.unregistered.has(id)) {
        this.unregistered.delete(id);
        this.store.deleteMeta(UNREGISTERED + id).catch(() => undefined);
      }
    }
    // Listed before and gone now: I was removed (or left from another device). Judged only
    // on a directory that has its profile: an empty document is one not synced yet.
    if (dir.me) {
      for (const s of [...this.summaries.values()]) {
        if (s.listed && !s.removed && !dir.conversations.has(s.id)) this.markRemoved(s.id);
      }
    }
    if (unblocked) this.host.reconsider();
    this.peopleObs.notify();
    this.listObs.notify();
    this.convChanged(null);
  }

  private newestPageOpen(convId: string, s: SummaryRecord | undefined): boolean {
    const newest = s?.periods?.[0];
    return newest !== undefined && this.host.get(pageRoom(convId, newest))?.isLoaded === true;
  }

  private putSummary(next: SummaryRecord): void {
    const prev = this.summaries.get(next.id);
    if (prev && JSON.stringify(prev) === JSON.stringify(next)) return;
    this.summaries.set(next.id, next);
    this.dirtySummaries.add(next.id);
    this.flushSummaries();
    this.convChanged(next.id);
  }

  /** I am no longer a member: keep everything, stop syncing it, count what never arrived. */
  private markRemoved(convId: string): void {
    const s = this.summaries.get(convId);
    if (!s || s.removed) return;
    this.putSummary({ ...s, removed: true });
    this.host.disconnectBlocked();
    this.syncObs.notify(); // its changes no longer count as pending
    void this.countUndelivered(convId);
  }

  /** My messages in a conversation's local pages that the relay never confirmed. */
  async countUndelivered(convId: string): Promise<number> {
    const pages = await this.localPages(convId);
    let n = 0;
    for (const { doc, relaySV } of pages) {
      for (const m of page.listMessages(doc)) {
        if (m.author === this.me && !this.isDelivered(doc, m.id, relaySV)) n++;
      }
    }
    const s = this.summaries.get(convId);
    if (s && (s.undelivered ?? 0) !== n) this.putSummary({ ...s, undelivered: n });
    return n;
  }

  private isDelivered(doc: Y.Doc, messageId: string, sv: Map<number, number> | null): boolean {
    if (!sv) return false;
    try {
      return page.messageItemIds(doc, messageId).every((item) => page.isStored(sv, item));
    } catch {
      return false;
    }
  }

  /** Every page of a conversation this device holds, read from what is open or from disk. */
  private async localPages(
    convId: string,
  ): Promise<Array<{ room: string; period: number; doc: Y.Doc; relaySV: Map<number, number> | null }>> {
    await this.recordsLoaded;
    const rooms = new Set(await this.store.roomsWithPrefix(`conv/${convId}/`));
    for (const room of this.records.keys()) if (room.startsWith(`conv/${convId}/`)) rooms.add(room);
    const out: Array<{ room: string; period: number; doc: Y.Doc; relaySV: Map<number, number> | null }> = [];
    for (const room of rooms) {
      const ref = parseRoom(room);
      if (ref?.kind !== 'page') continue;
      const open = this.host.get(room);
      if (open?.isLoaded) {
        out.push({ room, period: ref.period, doc: open.doc, relaySV: open.relaySV });
        continue;
      }
      const { rows, record } = await this.store.readDoc(room);
      const doc = new Y.Doc();
      for (const row of rows) {
        try {
          Y.applyUpdate(doc, row.data);
        } catch {
          // an unreadable row is reported when the document is opened; the export skips it
        }
      }
      const sv = record?.remoteSV ? Y.decodeStateVector(record.remoteSV) : null;
      out.push({ room, period: ref.period, doc, relaySV: sv });
    }
    return out.sort((a, b) => a.period - b.period);
  }

  /** What a conversation view shows about the conversation and what I may do in it. */
  convState(convId: string): ConvState {
    const s = this.summaries.get(convId);
    const kind = s?.kind ?? 'channel';
    const role: ConversationRole = s?.role ?? (this.accounts ? 'member' : 'owner');
    const archived = s?.archived ?? false;
    const removed = s?.removed ?? false;
    const may = (action: Action) =>
      !removed &&
      (!this.accounts ||
        can(
          { workspaceRole: this.session.role, convRole: s ? role : null },
          action,
          { kind, visibility: s?.visibility ?? 'open', archived },
        ));
    const members: Member[] = (s?.members ?? []).map((m) => {
      const p = this.dir?.people.get(m.id);
      return {
        id: m.id,
        role: m.role,
        username: p?.username ?? '',
        displayName: p?.displayName ?? this.nameOf(m.id),
        ...this.extrasOf(m.id),
      };
    });
    let error: string | null = s?.error ?? null;
    const unreg = this.unregistered.get(convId);
    if (unreg?.error) error = unreg.error;
    return {
      kind,
      role,
      archived,
      removed,
      canPost: may('post'),
      canModerate: this.accounts ? may('delete-others') : false,
      members,
      error,
    };
  }

  /** Throws ModelError('forbidden') unless I may do `action` here (the relay would refuse it). */
  assertMay(convId: string, action: Action): void {
    if (!this.accounts) return;
    const st = this.convState(convId);
    if (st.removed) {
      throw new ModelError('forbidden', 'You are no longer a member of this conversation; nothing can be sent to it.');
    }
    const s = this.summaries.get(convId);
    const ok = can(
      { workspaceRole: this.session.role, convRole: s ? st.role : null },
      action,
      { kind: st.kind, visibility: s?.visibility ?? 'open', archived: st.archived },
    );
    if (ok) return;
    if (st.archived) throw new ModelError('forbidden', 'This conversation is archived: it is read-only.');
    if (action === 'post' && st.kind === 'announcement') {
      throw new ModelError('forbidden', 'Only owners and moderators post in an announcement channel.');
    }
    if (action === 'delete-others') throw new ModelError('forbidden', "Only owners and moderators delete others' messages.");
    if (action === 'pin' && st.kind === 'announcement') {
      throw new ModelError('forbidden', 'Only owners and moderators pin in an announcement channel.');
    }
    if (action === 'unpin-others') throw new ModelError('forbidden', "Only owners and moderators remove others' pins.");
    throw new ModelError('forbidden', 'You are not allowed to do that in this conversation.');
  }

  // ---- legacy workspace catalogue (no accounts) ----

  private onWorkspaceLoaded(): void {
    if (this.closed || !this.workspace) return;
    const doc = this.workspace.doc;
    workspace.setProfile(doc, { user: this.me, name: this.session.displayName, at: this.now() });
    const refresh = () => {
      this.listObs.notify(); // names in the list follow the people in the workspace
      this.convChanged(null);
      const added: string[] = [];
      for (const info of workspace.listConversations(doc)) {
        const id = info.id;
        if (!this.summaries.has(id)) {
          this.putSummary({
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
    this.searchFeed?.watch(convId, od);
    od.loaded.then(
      () => {
        this.updateSummary(convId);
        od.doc.on('update', () => this.updateSummary(convId));
      },
      () => undefined,
    );
  }

  /** Legacy: over a shared socket, the newest page of a followed conversation stays open. */
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
   * Rebuilds a conversation's summary from what is open: page index from the meta document,
   * preview and unread count from the index's newest page. What is not open keeps its cached
   * value; the directory's fields are not touched here.
   */
  private updateSummary(convId: string): void {
    const m = this.host.get(metaRoom(convId));
    const metaDoc = m?.isLoaded ? m.doc : null;
    const info = metaDoc ? meta.readInfo(metaDoc) : null;
    const prev = this.summaries.get(convId);
    const catalogue =
      this.workspace && this.workspace.refs > 0
        ? workspace.readCatalogueEntry(convId, workspace.conversationsOf(this.workspace.doc).get(convId))?.title
        : undefined;
    const title = (prev?.listed ? prev.title : undefined) ?? info?.title ?? prev?.title ?? catalogue;
    if (title === undefined) return;
    const createdAt = prev?.createdAt || info?.createdAt || 0;
    const periods = metaDoc ? meta.listPeriods(metaDoc) : (prev?.periods ?? []);
    const newest = periods[0];
    const p = newest === undefined ? undefined : this.host.get(pageRoom(convId, newest));
    let lastMessage = prev?.lastMessage ?? null;
    let unread = prev?.unread ?? 0;
    let mentions = prev?.mentions ?? 0;
    if (p?.isLoaded) {
      const lm = meta.lastMessage(p.doc);
      // A reply: its root, and whether it answers a thread I am in (it notifies me then).
      let rc = lm ? page.replyContext(p.doc, lm.id, this.me) : null;
      if (rc && !rc.involves && lm && lm.author !== this.me && newest !== undefined) {
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
            authorName: this.nameOf(lm.author),
            at: lm.at,
            authorId: lm.author,
            ...(rc ? { threadRootId: rc.root, ...(rc.involves ? { threadWithMe: true } : {}) } : {}),
          }
        : null;
      unread = meta.unreadCount(p.doc, this.me);
      mentions = unread > 0 ? unreadMentionCount(p.doc, this.me, this.session.username) : 0;
    }
    this.putSummary({
      ...(prev ?? {}),
      id: convId,
      title,
      createdAt,
      lastMessage,
      unread,
      mentions,
      activity: Math.max(createdAt, lastMessage?.at ?? 0, prev?.activity ?? 0),
      periods,
    });
  }

  /**
   * Threads whose root is on an older page than the newest (docs/messaging.md "Threads"):
   * whether I started or replied in them there, read from the root's page when it is open or on
   * this device's disk; never fetched from the relay. `true` is kept; `false` only for the
   * reply it was judged for (I may reply later).
   */
  private readonly olderThreads = new Map<string, { involves: boolean; reply: string } | 'reading'>();

  private olderThreadInvolves(convId: string, rootId: string, replyId: string, newest: number): boolean | 'reading' {
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
    const od = this.host.get(room);
    if (od?.isLoaded) {
      const involves = page.threadInvolves(od.doc, rootId, this.me);
      this.olderThreads.set(key, { involves, reply: replyId });
      return involves;
    }
    this.olderThreads.set(key, 'reading');
    this.store.readDoc(room).then(
      ({ rows }) => {
        const doc = new Y.Doc();
        try {
          for (const row of rows) Y.applyUpdate(doc, row.data);
          return page.threadInvolves(doc, rootId, this.me);
        } catch {
          return false; // a damaged record: judged as not mine, the page itself reports it
        } finally {
          doc.destroy();
        }
      },
      () => false,
    ).then((involves) => {
      this.olderThreads.set(key, { involves, reply: replyId });
      if (!this.closed) this.updateSummary(convId);
    });
    return 'reading';
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

  /** Records the meta document's counts for a page once the page has synced (legacy catch-up). */
  notePageSynced(convId: string, period: number, page: OpenDoc, metaDoc: OpenDoc): void {
    if (this.accounts) return;
    const counts = ws.pageCounts(metaDoc.doc, period);
    if (ws.sameCounts(page.record.counts, counts)) return;
    page.record.counts = counts;
    this.records.set(page.room, page.record);
    this.store.putDocRecord(page.room, page.record).catch(() => undefined);
    void convId;
  }

  // ---- catch-up ----

  private async runCatchUp(): Promise<void> {
    if (this.accounts) return this.runDirectoryCatchUp();
    return this.runLegacyCatchUp();
  }

  /**
   * Accounts: register what was created offline, sync the directory, then only the rooms whose
   * version changed since this device last synced them, plus rooms with local changes.
   */
  private async runDirectoryCatchUp(): Promise<void> {
    const gen = ++this.catchUpGen;
    const live = () => gen === this.catchUpGen && !this.closed;
    this.catchUp = { done: 0, total: 1 };
    this.syncObs.notify();
    await this.recordsLoaded;
    const inbox = this.inbox as OpenDoc;
    await inbox.loaded.catch(() => undefined);
    // Conversations created offline exist on the relay before their rooms are opened.
    await this.registerPending();
    if (!live()) return;
    await inbox.whenSynced();
    if (!live()) return;
    this.applyDirectory();
    const rooms = this.changedRooms();
    const state = { done: 1, total: 1 + rooms.length };
    this.catchUp = state;
    this.syncObs.notify();
    this.lastCatchUp = rooms.map((r) => r.room);
    await this.syncRooms(rooms, live, () => {
      state.done++;
      this.syncObs.notify();
    });
    if (!live()) return;
    this.catchUp = null;
    this.caughtUp = true;
    if (this.pendingCount() === 0) this.lastSyncedAt = this.now();
    this.syncObs.notify();
    // The directory may have changed while those rooms synced (follow() waits for catch-up):
    // sync what it announced meanwhile now, not at its next change.
    this.follow();
  }

  /** While online after catch-up: the directory changed, sync what it says changed. */
  private follow(): void {
    if (this.closed || this.catchUp !== null || this.syncStatus().connection !== 'online') return;
    if (this.following) {
      this.followAgain = true;
      return;
    }
    const gen = this.catchUpGen;
    const live = () => gen === this.catchUpGen && !this.closed;
    this.following = (async () => {
      do {
        this.followAgain = false;
        await this.syncRooms(this.changedRooms(), live, () => undefined);
      } while (this.followAgain && live());
    })().finally(() => {
      this.following = null;
    });
  }

  /**
   * Rooms to sync: a room whose version in the directory differs from the one recorded when
   * this device last synced it, if this device holds it, or it is the conversation's newest
   * page (the list's preview and unread count), or the meta document of a conversation never
   * synced here; plus rooms with local changes the relay has not confirmed.
   */
  private changedRooms(): Array<{ room: string; convId: string; version: number | null; period: number | null }> {
    const out = new Map<string, { room: string; convId: string; version: number | null; period: number | null }>();
    const dir = this.dir;
    if (dir) {
      for (const [convId] of dir.conversations) {
        const s = this.summaries.get(convId);
        if (s?.removed || s?.registered === false) continue;
        const versions = dir.activity.get(convId)?.versions ?? {};
        let newest = -1;
        for (const key of Object.keys(versions)) {
          const r = roomOfVersionKey(convId, key);
          if (r?.kind === 'page' && r.period > newest) newest = r.period;
        }
        for (const [key, version] of Object.entries(versions)) {
          const r = roomOfVersionKey(convId, key);
          if (!r) continue;
          const room = r.kind === 'meta' ? metaRoom(convId) : pageRoom(convId, r.period);
          const rec = this.records.get(room);
          if (rec?.version === version) continue;
          const wanted = rec !== undefined || (r.kind === 'page' && r.period === newest) || r.kind === 'meta';
          if (wanted) out.set(room, { room, convId, version, period: r.kind === 'page' ? r.period : null });
        }
      }
    }
    for (const [room, n] of this.host.pendingByRoom) {
      if (n <= 0 || out.has(room) || this.roomBlocked(room)) continue;
      const ref = parseRoom(room);
      if (ref?.kind === 'meta' || ref?.kind === 'page') {
        out.set(room, { room, convId: ref.convId, version: null, period: ref.kind === 'page' ? ref.period : null });
      }
    }
    return [...out.values()];
  }

  private async syncRooms(
    rooms: Array<{ room: string; convId: string; version: number | null; period: number | null }>,
    live: () => boolean,
    step: () => void,
  ): Promise<void> {
    const queue = [...rooms];
    const worker = async () => {
      while (live() && queue.length > 0) {
        const r = queue.shift() as (typeof rooms)[number];
        this.roomsSynced++;
        const od = r.period === null ? this.holdMeta(r.convId) : this.host.acquire(r.room);
        if (r.period !== null) this.watchPage(r.convId, od);
        try {
          await od.loaded;
          await od.whenSynced();
          if (live() && od.synced && !od.refused && r.version !== null) {
            od.record.version = r.version;
            this.records.set(r.room, od.record);
            await this.store.putDocRecord(r.room, od.record).catch(() => undefined);
          }
          if (r.period === null) this.updateSummary(r.convId);
        } finally {
          this.host.release(od);
        }
        step();
      }
    };
    const n = Math.max(1, this.opts.catchUpConcurrency ?? 8);
    await Promise.all(Array.from({ length: n }, worker));
  }

  /**
   * Legacy: after (re)connecting: the workspace, every conversation's meta document, pages with
   * unconfirmed local changes, and pages we hold whose counts changed. Never pages we never had.
   */
  private async runLegacyCatchUp(): Promise<void> {
    const gen = ++this.catchUpGen;
    const live = () => gen === this.catchUpGen && !this.closed;
    // Set before the first await: "online, nothing pending, no catch-up" must mean synced.
    this.catchUp = { done: 0, total: 1 };
    this.syncObs.notify();
    await this.recordsLoaded;
    const ws0 = this.workspace as OpenDoc;
    await ws0.loaded.catch(() => undefined);
    // The workspace first: it names the conversations (some may be new to this device).
    await ws0.whenSynced();
    if (!live()) return;
    const convIds = new Set<string>([...this.summaries.keys(), ...workspace.conversationsOf(ws0.doc).keys()]);
    const pendingRooms = [...this.host.pendingByRoom].filter(([, n]) => n > 0).map(([r]) => r);
    for (const room of pendingRooms) {
      const convId = this.convOfRoom(room);
      if (convId) convIds.add(convId);
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

  // ---- conversations ----

  async createConversation(input: NewConversation | string): Promise<string> {
    const spec: NewConversation =
      typeof input === 'string' ? { kind: 'channel', title: input, visibility: 'open', members: [] } : input;
    const t = spec.title.trim();
    if (t.length === 0 || t.length > 200) throw new ModelError('invalid', 'A conversation title must be 1 to 200 characters.');
    if (spec.kind !== 'channel' && spec.kind !== 'announcement') {
      throw new ModelError('invalid', 'A new conversation is a channel or an announcement channel (use openDm for a DM).');
    }
    if (this.accounts && this.session.role === 'guest') {
      throw new ModelError('forbidden', 'Guests cannot create conversations.');
    }
    const id = newId(this.random);
    const at = this.now();
    if (this.accounts) {
      const rec: UnregisteredRecord = {
        id,
        kind: spec.kind,
        visibility: spec.visibility === 'private' ? 'private' : 'open',
        title: t,
        members: [...new Set(spec.members.filter((m) => m !== this.me))],
        createdAt: at,
      };
      // Before any room is opened: the record makes them local until registered.
      await this.addUnregistered(rec);
    } else if (this.workspace) {
      await this.workspace.loaded;
    }
    const m = this.holdMeta(id);
    try {
      await m.loaded;
      meta.initConversation(m.doc, { title: t, createdBy: this.me, createdAt: at });
      const writes = [m.lastWrite];
      if (this.workspace) {
        workspace.registerConversation(this.workspace.doc, { id, title: t, createdBy: this.me, createdAt: at });
        writes.push(this.workspace.lastWrite);
      }
      await Promise.all(writes);
      this.updateSummary(id);
      await this.store.flush();
    } finally {
      this.host.release(m);
    }
    if (this.accounts) void this.registerPending();
    return id;
  }

  private async addUnregistered(rec: UnregisteredRecord): Promise<void> {
    this.unregistered.set(rec.id, rec);
    const members = [
      { id: this.me, role: 'owner' as const },
      ...rec.members.map((id) => ({ id, role: (rec.kind === 'dm' ? 'owner' : 'member') as ConversationRole })),
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    this.putSummary({
      id: rec.id,
      title: rec.title,
      createdAt: rec.createdAt,
      lastMessage: null,
      unread: 0,
      activity: rec.createdAt,
      kind: rec.kind,
      visibility: rec.visibility,
      role: 'owner',
      archived: false,
      createdBy: this.me,
      members,
      dmWith: rec.kind === 'dm' ? (rec.members[0] ?? null) : null,
      registered: false,
      listed: false,
      removed: false,
      undelivered: 0,
    });
    await this.store.putMeta(UNREGISTERED + rec.id, rec);
  }

  async openDm(userId: string): Promise<string> {
    if (!this.accounts) throw new ApiError('unauthenticated', 'Direct messages need an account on the server.');
    if (userId === this.me) throw new ModelError('invalid', 'A direct message needs another person.');
    const id = dmConversationId(this.me, userId);
    const s = this.summaries.get(id);
    if (s && !s.removed) return id;
    if (!s) {
      await this.addUnregistered({
        id,
        kind: 'dm',
        visibility: 'private',
        title: this.nameOf(userId, 'Direct message'),
        members: [userId],
        createdAt: this.now(),
      });
      void this.registerPending();
    }
    return id;
  }

  private registering: Promise<void> | null = null;

  /** POST /conversations for each conversation created offline (before its rooms open). */
  private registerAgain = false;

  private registerPending(): Promise<void> {
    if (!this.opts.auth || this.opts.auth.ended) return Promise.resolve();
    if (this.registering) {
      this.registerAgain = true;
      return this.registering;
    }
    this.registerAgain = false;
    this.registering = (async () => {
      const tried = new Set<string>();
      // Conversations created while this runs are registered by this run too.
      for (;;) {
        const rec = [...this.unregistered.values()].find((r) => !r.error && !tried.has(r.id));
        if (!rec || this.closed) return;
        tried.add(rec.id);
        const body: Record<string, unknown> = { id: rec.id, kind: rec.kind, members: rec.members };
        if (rec.kind !== 'dm') {
          body.title = rec.title;
          body.visibility = rec.visibility;
        }
        try {
          await this.api('POST', '/conversations', body);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          if (['offline', 'unreachable', 'rate-limited', 'session-ended', 'error', 'unauthenticated'].includes(e.code)) return;
          // conflict, forbidden, invalid...: final; kept locally with the reason, nothing dropped.
          const failed = { ...rec, error: `The server did not accept this conversation: ${e.message}` };
          this.unregistered.set(rec.id, failed);
          await this.store.putMeta(UNREGISTERED + rec.id, failed);
          this.convChanged(rec.id);
          continue;
        }
        this.unregistered.delete(rec.id);
        await this.store.deleteMeta(UNREGISTERED + rec.id);
        const s = this.summaries.get(rec.id);
        if (s) this.putSummary({ ...s, registered: true });
        this.host.reconsider();
      }
    })().finally(() => {
      this.registering = null;
      if (this.registerAgain && !this.closed) void this.registerPending();
    });
    return this.registering;
  }

  open(conversationId: string): ConversationStore {
    return new ConversationImpl(this, conversationId);
  }

  /** Persists the clock's newest id so a restart never issues a smaller one. */
  saveClock(): void {
    this.store.putMeta('clock', lastClockId(this.clock)).catch(() => undefined);
  }

  // ---- the relay's API (online only) ----

  private async api<T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const auth = this.opts.auth;
    if (!auth) throw new ApiError('unauthenticated', 'This needs an account on the server.');
    if (auth.ended) throw new ApiError('session-ended', auth.status.state === 'ended' ? auth.status.message : 'Your session ended.');
    if (!this.online) throw new ApiError('offline', 'You are offline. This needs a connection to the server.');
    return auth.api<T>(method, path, body);
  }

  async searchPeople(query: string): Promise<Person[]> {
    const v = await this.api<unknown>('GET', `/users?q=${encodeURIComponent(query.trim())}`);
    const list = Array.isArray(v) ? v : ((v as { users?: unknown } | null)?.users ?? []);
    return (Array.isArray(list) ? list : []).flatMap((u: unknown) => {
      const o = u as Partial<Person> | null;
      return o && typeof o.id === 'string' && typeof o.displayName === 'string'
        ? [
            {
              id: o.id,
              username: typeof o.username === 'string' ? o.username : '',
              displayName: o.displayName,
              ...this.extrasOf(o.id),
            },
          ]
        : [];
    });
  }

  async browseChannels(): Promise<ChannelListing[]> {
    const v = await this.api<unknown>('GET', '/conversations?browse=open');
    const list = Array.isArray(v) ? v : ((v as { conversations?: unknown } | null)?.conversations ?? []);
    return (Array.isArray(list) ? list : []).flatMap((c: unknown) => {
      const o = c as Record<string, unknown> | null;
      if (!o || typeof o.id !== 'string') return [];
      const kind = o.kind === 'announcement' ? 'announcement' : 'channel';
      const mine = this.summaries.get(o.id);
      return [
        {
          id: o.id,
          title: typeof o.title === 'string' ? o.title : '',
          kind,
          visibility: o.visibility === 'private' ? 'private' : 'open',
          memberCount:
            typeof o.memberCount === 'number' ? o.memberCount : Array.isArray(o.members) ? o.members.length : 0,
          joined: typeof o.joined === 'boolean' ? o.joined : mine !== undefined && !mine.removed,
        } satisfies ChannelListing,
      ];
    });
  }

  async join(conversationId: string): Promise<void> {
    await this.api('POST', `/conversations/${conversationId}/join`, {});
  }

  async leave(conversationId: string): Promise<void> {
    await this.api('POST', `/conversations/${conversationId}/leave`, {});
    // Left from this device: gone from the list (its local copy stays until forgotten),
    // unless some of my messages never reached the relay: then it shows as removed.
    const s = this.summaries.get(conversationId);
    if (!s) return;
    const undelivered = await this.countUndelivered(conversationId);
    const cur = this.summaries.get(conversationId) ?? s;
    this.putSummary({ ...cur, listed: false, removed: true, undelivered, ...(undelivered === 0 ? { hidden: true } : {}) });
    this.host.disconnectBlocked();
  }

  async invite(conversationId: string, userIds: string[]): Promise<void> {
    await this.api('POST', `/conversations/${conversationId}/members`, { userIds });
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.api('DELETE', `/conversations/${conversationId}/members/${userId}`);
  }

  async setRole(conversationId: string, userId: string, role: ConversationRole): Promise<void> {
    await this.api('PATCH', `/conversations/${conversationId}/members/${userId}`, { role });
  }

  async rename(conversationId: string, title: string): Promise<void> {
    const t = title.trim();
    if (t.length === 0 || t.length > 200) throw new ApiError('invalid', 'A conversation title must be 1 to 200 characters.');
    await this.api('PATCH', `/conversations/${conversationId}`, { title: t });
  }

  async setArchived(conversationId: string, archived: boolean): Promise<void> {
    await this.api('PATCH', `/conversations/${conversationId}`, { archived });
  }

  // ---- export and forget ----

  async exportConversation(conversationId: string): Promise<{ filename: string; json: string; text: string }> {
    const s = this.summaries.get(conversationId);
    const title = s ? this.titleOf(s) : conversationId;
    const pages = await this.localPages(conversationId);
    const messages: Array<{
      id: string;
      author: string;
      authorName: string;
      text: string;
      createdAt: number;
      editedAt: number | null;
      deleted: boolean;
      delivered: boolean;
    }> = [];
    for (const p of pages) {
      for (const m of page.listMessages(p.doc)) {
        messages.push({
          id: m.id,
          author: m.author,
          authorName: this.nameOf(m.author),
          text: m.text,
          createdAt: m.createdAt,
          editedAt: m.editedAt,
          deleted: m.deleted,
          // Others' messages came from the relay; mine are delivered once it stored them.
          delivered: m.author !== this.me || this.isDelivered(p.doc, m.id, p.relaySV),
        });
      }
    }
    messages.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const exportedAt = this.now();
    const json = JSON.stringify(
      {
        format: 'ferry-conversation-export',
        version: 1,
        exportedAt: new Date(exportedAt).toISOString(),
        conversation: {
          id: conversationId,
          title,
          kind: s?.kind ?? 'channel',
          removed: s?.removed ?? false,
          serverUrl: this.session.serverUrl,
        },
        exportedBy: { id: this.me, username: this.session.username, displayName: this.session.displayName },
        messages: messages.map((m) => ({
          ...m,
          createdAt: new Date(m.createdAt).toISOString(),
          editedAt: m.editedAt === null ? null : new Date(m.editedAt).toISOString(),
        })),
        undelivered: messages.filter((m) => !m.delivered).length,
      },
      null,
      2,
    );
    const lines = [
      `${title} (exported ${new Date(exportedAt).toISOString()} from ${this.session.serverUrl})`,
      s?.removed ? 'You are no longer a member of this conversation.' : '',
      '',
      ...messages.map(
        (m) =>
          `[${new Date(m.createdAt).toISOString()}] ${m.authorName}: ${m.deleted ? '(deleted)' : m.text}` +
          (m.editedAt !== null && !m.deleted ? ' (edited)' : '') +
          (m.delivered ? '' : '  [NOT DELIVERED]'),
      ),
    ];
    const safe = title.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'conversation';
    const day = new Date(exportedAt).toISOString().slice(0, 10);
    return { filename: `ferry-${safe}-${day}`, json, text: lines.filter((l, i) => l !== '' || i > 1).join('\n') + '\n' };
  }

  async forget(conversationId: string): Promise<void> {
    const s = this.summaries.get(conversationId);
    if (!s?.removed) {
      throw new ApiError('invalid', 'Only a conversation you are no longer a member of can be forgotten on this device.');
    }
    await this.recordsLoaded;
    const rooms = new Set(await this.store.roomsWithPrefix(`conv/${conversationId}`));
    for (const room of this.records.keys()) if (this.convOfRoom(room) === conversationId) rooms.add(room);
    await this.store.deleteDocs([...rooms]);
    await this.searchFeed?.forget(conversationId);
    for (const room of rooms) {
      this.records.delete(room);
      this.host.pendingByRoom.delete(room);
    }
    this.summaries.delete(conversationId);
    this.dirtySummaries.delete(conversationId);
    this.unregistered.delete(conversationId);
    await Promise.all([this.store.deleteSummary(conversationId), this.store.deleteMeta(UNREGISTERED + conversationId)]);
    this.listObs.notify();
    this.syncObs.notify();
    this.convChanged(conversationId);
  }

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
    return this.store.putDraft(conversationId, text);
  }

  async signOut(): Promise<void> {
    await this.opts.auth?.signOut();
    await this.opts.onSignedOut?.();
    this.setOnline(false);
    this.syncObs.notify();
  }

  storedBytes(): Promise<{ updates: number; rows: number; other: number }> {
    return this.store.storedBytes();
  }

  /** Resolves once no catch-up and no directory-driven sync is running (tests). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.following) await this.following;
      else if (this.catchUp !== null) await this.whenSettled(30_000);
      else return;
    }
  }

  /** The authenticated socket (accounts), for tests and diagnostics. */
  get socket(): AuthedMux | null {
    return this.authed;
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
    this.closeProfiles(false);
    await this.searchFeed?.close();
    await this.host.close();
    await this.store.close();
    for (const fn of this.closeHooks) fn();
  }
}
