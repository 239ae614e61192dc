// An in-memory FerryClient with seeded people and conversations, for screenshots and UI checks
// of the renderer without a relay or IndexedDB. Test-only: the app itself uses the data layer.
// `window.__ferryFake` lets a Playwright script switch connectivity, add remote messages, end
// the session and remove me from a conversation.

import {
  ApiError,
  type AuthStatus,
  type ChannelListing,
  type ConversationKind,
  type ConversationRole,
  type ConversationStore,
  type ConversationSummary,
  type ConversationView,
  type FerryClient,
  type DirectoryPerson,
  type Member,
  type SystemEventView,
  type FileView,
  type MessageView,
  type NewConversation,
  type Observe,
  type Person,
  type ReactionView,
  type Session,
  type SyncStatus,
  type Visibility,
} from '../../../src/data/api';
import type { AccountApi, AdminApi } from '../../../src/data/api';
import type { NotifyPref, NotifyPrefs } from '../../../src/data/api';
import { NotifyPrefsStore } from '../../../src/data/notify-prefs';
import { FakeFiles, fakeHash, pictureBlob, placeholderOf } from './fake-files';
import { FakePersonal } from './fake-personal';
import { mentionsIn } from '../../../../core/src/model/mentions';
import {
  GUEST_PROFILE_REASON,
  avatarProblem,
  statusProblem,
} from '../../../../core/src/model/workspace';
import { fakeAccount, fakeAdmin, type FakeAccountHost } from './fake-admin';
import { fakeSearch } from './fake-search';

type Listener<T> = (v: T) => void;

function subject<T>(get: () => T) {
  const listeners = new Set<Listener<T>>();
  const observe: Observe<T> = (l) => {
    listeners.add(l);
    l(get());
    return () => listeners.delete(l);
  };
  const notify = () => {
    const v = get();
    for (const l of [...listeners]) l(v);
  };
  return { observe, notify };
}

interface Conv {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  title: string;
  createdAt: number;
  members: Member[];
  topic?: string;
  description?: string;
  events?: SystemEventView[];
  archived: boolean;
  registered: boolean;
  removed: boolean;
  messages: MessageView[];
  readCount: number;
  /** Pinned messages: who pinned each and when (the view derives PinView and pinnedBy). */
  pins?: { messageId: string; by: { id: string; name: string }[]; at: number }[];
  /** How many of the oldest messages are still "on older pages" (not loaded). */
  hidden: number;
  loadingOlder: boolean;
  /** Thread replies (top-level messages are `messages`; a root's `thread` is kept in step). */
  replies?: MessageView[];
}

type SeedConv = Omit<
  Conv,
  'hidden' | 'loadingOlder' | 'archived' | 'registered' | 'removed' | 'visibility'
> &
  Partial<Pick<Conv, 'archived' | 'registered' | 'removed' | 'visibility'>>;

export interface FakeControls {
  setConnection(c: SyncStatus['connection']): void;
  setCatchUp(done: number, total: number): void;
  remote(conversationId: string, authorName: string, text: string): void;
  endSession(reason?: 'expired' | 'revoked' | 'disabled'): void;
  removeMe(conversationId: string): void;
  client: FakeClient;
}

const PAGE = 50;
const MIN = 60_000;

let counter = 0;
function id(at: number): string {
  counter += 1;
  return `${at.toString(36).padStart(9, '0')}-${counter.toString(36).padStart(4, '0')}-fake`;
}

const offline = () => new ApiError('offline', 'You are offline: this needs the server.');

export class FakeClient implements FerryClient {
  readonly session: Session;
  private convs: Conv[] = [];
  /** Everyone on the server (searchPeople); `people` is those I share a conversation with. */
  private directory: Person[] = [];
  private status: SyncStatus = {
    connection: 'online',
    pending: 0,
    catchUp: null,
    lastSyncedAt: Date.now(),
  };
  private authStatus: AuthStatus = { state: 'ok' };
  private drafts = new Map<string, string>();
  readonly personal = new FakePersonal(() =>
    [...this.drafts].flatMap(([id, text]) =>
      text.trim()
        ? [
            {
              conversationId: id.split(':')[0] ?? id,
              threadRoot: id.split(':')[2] ?? null,
              text,
              at: 0,
            },
          ]
        : [],
    ),
  );
  private syncSubject = subject(() => this.status);
  private authSubject = subject(() => this.authStatus);
  private listSubject = subject(() => this.summaries());
  private peopleSubject = subject(() => this.known());
  private convSubjects = new Map<string, ReturnType<typeof subject<ConversationView>>>();
  /** Calls made, for UI checks ("forget" was called with ...). */
  readonly calls: string[] = [];
  private readonly accountHost: FakeAccountHost = {
    session: {} as Session, // set in the constructor
    server: () => this.server(),
    calls: this.calls,
    rename: (displayName) => {
      (this as { session: Session }).session = { ...this.session, displayName };
      this.accountHost.session = this.session;
      this.peopleSubject.notify();
    },
  };
  readonly account: AccountApi = fakeAccount(this.accountHost);
  /** Files (issue 13): in memory (fake-files.ts). */
  readonly files = new FakeFiles((uploads) => this.setStatus({ uploads }));
  private readonly adminApi: AdminApi = fakeAdmin(this.accountHost, () => this.directory);
  get admin(): AdminApi | undefined {
    return this.session.role === 'admin' ? this.adminApi : undefined;
  }

  constructor(session: Session) {
    this.session = session;
    this.accountHost.session = session;
  }

  sync: Observe<SyncStatus> = (l) => this.syncSubject.observe(l);
  auth: Observe<AuthStatus> = (l) => this.authSubject.observe(l);
  conversations: Observe<ConversationSummary[]> = (l) => this.listSubject.observe(l);
  people: Observe<Person[]> = (l) => this.peopleSubject.observe(l);
  /** The people directory (issue 12): everyone seeded, with a role. */
  directoryPeople: Observe<DirectoryPerson[]> = (l) =>
    this.peopleSubject.observe(() =>
      l(
        this.directory.map((p) => ({
          ...p,
          role: p.username === 'ada' ? ('admin' as const) : ('member' as const),
        })),
      ),
    );
  async refreshDirectory(): Promise<number> {
    await this.server();
    this.peopleSubject.notify();
    return this.directory.length;
  }
  private myStatus: string | null = null;
  private myAvatar: string | null = null;
  private readonly myProfileSubject = subject(() => this.me());
  myProfile: Observe<Person> = (l) => this.myProfileSubject.observe(l);

  /** Works offline, like the real client; refuses what core refuses, with its message. */
  profileUnavailable(): string | null {
    return this.session.role === 'guest' ? GUEST_PROFILE_REASON : null;
  }

  async setMyProfile(change: { status?: string | null; avatar?: string | null }): Promise<void> {
    this.calls.push(
      `setMyProfile ${change.status === undefined ? '' : `status=${JSON.stringify(change.status)}`}${change.avatar === undefined ? '' : ` avatar=${change.avatar === null ? 'null' : 'set'}`}`.trim(),
    );
    let status = change.status;
    if (typeof status === 'string') status = status.trim() || null;
    const sp = typeof status === 'string' ? statusProblem(status) : null;
    if (sp) throw new Error(`setProfile: ${sp}`);
    const ap = typeof change.avatar === 'string' ? avatarProblem(change.avatar) : null;
    if (ap) throw new Error(`setProfile: ${ap}`);
    if (status !== undefined) this.myStatus = status;
    if (change.avatar !== undefined) this.myAvatar = change.avatar;
    const me = this.me();
    this.directory = this.directory.map((p) => (p.id === me.id ? { ...p, ...me } : p));
    for (const c of this.convs) {
      c.members = c.members.map((m) => (m.id === me.id ? { ...m, ...me, role: m.role } : m));
    }
    this.peopleSubject.notify();
    this.myProfileSubject.notify();
    for (const c of this.convs) this.convSubjects.get(c.id)?.notify();
  }
  /** Presence of people by id (others: offline); who types where (names). Set by seeds/tests. */
  presenceOf = new Map<string, 'online' | 'away' | 'offline'>();
  typingIn = new Map<string, string[]>();
  private readonly presenceSubject = subject(() => {
    const out = new Map<string, 'online' | 'away' | 'offline'>();
    for (const p of this.directory) out.set(p.id, this.presenceOf.get(p.id) ?? 'offline');
    out.set(this.session.userId, 'online');
    return out;
  });
  presence: Observe<Map<string, 'online' | 'away' | 'offline'>> = (l) =>
    this.presenceSubject.observe(l);

  seed(convs: SeedConv[], directory: Person[]) {
    this.directory = directory;
    this.convs = convs.map((c) => ({
      archived: false,
      registered: true,
      removed: false,
      visibility: 'open',
      ...c,
      hidden: Math.max(0, c.messages.length - PAGE),
      loadingOlder: false,
    }));
    // What a removed conversation never delivered is not waiting to sync: it cannot be sent.
    const pending = convs
      .filter((c) => !c.removed)
      .flatMap((c) => c.messages)
      .filter((m) => m.delivery === 'pending');
    this.status = { ...this.status, pending: pending.length };
    this.listSubject.notify();
    this.peopleSubject.notify();
  }

  private me(): Person {
    const { userId: id, username, displayName } = this.session;
    return { id, username, displayName, status: this.myStatus, avatar: this.myAvatar };
  }

  private known(): Person[] {
    const ids = new Set([this.session.userId]);
    for (const c of this.convs) if (!c.removed) for (const m of c.members) ids.add(m.id);
    return this.directory.filter((p) => ids.has(p.id));
  }

  private myRole(c: Conv): ConversationRole {
    return c.members.find((m) => m.id === this.session.userId)?.role ?? 'member';
  }

  private canPost(c: Conv): boolean {
    if (c.removed || c.archived) return false;
    return c.kind !== 'announcement' || this.myRole(c) !== 'member';
  }

  private canModerate(c: Conv): boolean {
    return !c.removed && !c.archived && this.myRole(c) !== 'member' && c.kind !== 'dm';
  }

  private title(c: Conv): string {
    if (c.kind !== 'dm') return c.title;
    return c.members.find((m) => m.id !== this.session.userId)?.displayName ?? c.title;
  }

  private undelivered(c: Conv): number {
    return c.messages.filter((m) => m.mine && m.delivery === 'pending' && !m.deleted).length;
  }

  /** Of the last `unread` messages of others, those that mention me (core rules). */
  private unreadMentions(c: Conv, unread: number): number {
    if (unread === 0) return 0;
    const me = [{ id: this.session.userId, username: this.session.username }];
    return c.messages
      .filter((m) => !m.mine && !m.deleted)
      .slice(-unread)
      .filter((m) => {
        const found = mentionsIn(m.text, me);
        return found.channel || found.users.length > 0;
      }).length;
  }

  private summaries(): ConversationSummary[] {
    return this.convs
      .map((c) => {
        const last = c.messages.at(-1);
        const others = c.messages.filter((m) => !m.mine).length;
        return {
          id: c.id,
          kind: c.kind,
          visibility: c.visibility,
          title: this.title(c),
          createdAt: c.createdAt,
          lastMessage: last
            ? {
                id: last.id,
                text: last.deleted ? 'Message deleted' : last.text,
                authorName: last.mine ? 'You' : last.authorName,
                at: last.createdAt,
              }
            : null,
          unread: c.removed ? 0 : Math.max(0, others - c.readCount),
          mentions: c.removed ? 0 : this.unreadMentions(c, Math.max(0, others - c.readCount)),
          role: this.myRole(c),
          archived: c.archived,
          memberCount: c.members.length,
          dmWith:
            c.kind === 'dm'
              ? (c.members.find((m) => m.id !== this.session.userId)?.id ?? null)
              : null,
          registered: c.registered,
          removed: c.removed,
          undelivered: c.removed ? this.undelivered(c) : 0,
        };
      })
      .sort((a, b) => (b.lastMessage?.at ?? b.createdAt) - (a.lastMessage?.at ?? a.createdAt));
  }

  private find(id: string): Conv {
    const c = this.convs.find((x) => x.id === id);
    if (!c) throw new ApiError('not-found', `No conversation ${id}`);
    return c;
  }

  private view(c: Conv): ConversationView {
    const canPost = this.canPost(c);
    const canModerate = this.canModerate(c);
    return {
      id: c.id,
      title: this.title(c),
      kind: c.kind,
      role: this.myRole(c),
      archived: c.archived,
      removed: c.removed,
      canPost,
      canModerate,
      canReact: !c.removed && !c.archived,
      ...this.pinsOf(c, canPost, canModerate),
      members: c.members,
      topic: c.topic ?? '',
      description: c.description ?? '',
      events: c.events ?? [],
      messages: c.messages.slice(c.hidden).map((m) => ({
        ...m,
        canEdit: m.mine && !m.deleted && canPost,
        canDelete: !m.deleted && ((m.mine && canPost) || canModerate),
        pinnedBy: c.pins?.find((p) => p.messageId === m.id)?.by ?? [],
      })),
      hasOlder: c.hidden > 0,
      loadingOlder: c.loadingOlder,
      typing: this.typingIn.get(c.id) ?? [],
    };
  }

  /** Why pins are unavailable (an older relay), for UI checks; null: available. */
  pinsUnavailable: string | null = null;

  /** As the real client does when the relay turns out older than schema 2 (or is upgraded). */
  setPinsUnavailable(reason: string | null): void {
    this.pinsUnavailable = reason;
    for (const c of this.convs) this.convSubjects.get(c.id)?.notify();
  }

  private pinsOf(
    c: Conv,
    canPost: boolean,
    canModerate: boolean,
  ): Pick<ConversationView, 'pins' | 'canPin' | 'pinsUnavailable'> {
    const me = this.session.userId;
    const pins = [...(c.pins ?? [])]
      .sort((a, b) => b.at - a.at)
      .map((p) => {
        const mine = p.by.some((u) => u.id === me);
        return { ...p, mine, canUnpin: !c.removed && !c.archived && (mine || canModerate) };
      });
    return {
      pins,
      canPin: canPost && this.pinsUnavailable === null,
      pinsUnavailable: canPost ? this.pinsUnavailable : null,
    };
  }

  /** Issue 13 screenshots (`?files`): a message in c-field with images, a PDF, a voice
   *  message and a risky name, and one of Priya's still "uploading…". */
  async seedFiles(): Promise<void> {
    const c = this.convs.find((x) => x.id === 'c-field');
    if (!c) return;
    const at = Date.now() - 60_000;
    const pics = await Promise.all(
      [
        [1200, 800, 200],
        [800, 1000, 20],
        [1000, 1000, 140],
      ].map(async ([w, h, hue], i) =>
        this.files.seed(
          {
            hash: fakeHash(100 + i),
            name: `harbour-${i + 1}.png`,
            size: 240_000 + i * 51_000,
            type: 'image/png',
            kind: 'image',
            width: w,
            height: h,
            placeholder: await placeholderOf(hue as number),
          },
          await pictureBlob(w as number, h as number, hue as number),
        ),
      ),
    );
    const pdf = this.files.seed(
      {
        hash: fakeHash(200),
        name: 'Inspection report 2026-11.pdf',
        size: 1_840_000,
        type: 'application/pdf',
        kind: 'file',
      },
      new Blob(['%PDF-1.4 fake'], { type: 'application/pdf' }),
    );
    const exe = this.files.seed(
      {
        hash: fakeHash(201),
        name: 'invoice_fdp.exe',
        size: 73_000,
        type: 'application/octet-stream',
        kind: 'file',
      },
      new Blob(['MZ'], { type: 'application/octet-stream' }),
    );
    const wave = Array.from({ length: 64 }, (_, i) => Math.abs(Math.sin(i / 3)) * 0.8 + 0.1);
    const voice = this.files.seed(
      {
        hash: fakeHash(300),
        name: 'Voice message.webm',
        size: 41_000,
        type: 'audio/webm',
        kind: 'voice',
        durationMs: 14_000,
        waveform: wave,
      },
      new Blob([], { type: 'audio/webm' }),
    );
    const waiting = this.files.seed(
      {
        hash: fakeHash(400),
        name: 'deck-photo.jpg',
        size: 3_100_000,
        type: 'image/jpeg',
        kind: 'image',
        width: 1600,
        height: 900,
        placeholder: await placeholderOf(280),
      },
      null,
      { state: 'waiting' },
    );
    const withFiles = (
      authorId: string,
      name: string,
      t: number,
      text: string,
      files: FileView[],
    ) => {
      const m = { ...message(authorId, name, t, text, false), files };
      for (const f of files)
        this.files.all.push({ messageId: m.id, authorName: name, at: t, file: f });
      return m;
    };
    c.messages = [
      ...c.messages,
      withFiles(
        'u-ingrid',
        'Ingrid Solberg',
        at,
        'Photos from the harbour inspection, and the report.',
        [...pics, pdf],
      ),
      withFiles('u-ingrid', 'Ingrid Solberg', at + 1000, '', [voice, exe]),
      withFiles('u-priya', 'Priya Raman', at + 30_000, 'Deck photo coming', [waiting]),
    ];
    this.changed(c);
  }

  private changed(c: Conv) {
    this.convSubjects.get(c.id)?.notify();
    this.listSubject.notify();
    this.peopleSubject.notify();
  }

  private setStatus(patch: Partial<SyncStatus>) {
    this.status = { ...this.status, ...patch };
    this.syncSubject.notify();
  }

  private get online(): boolean {
    return this.status.connection === 'online' && this.authStatus.state === 'ok';
  }

  /** Online-only operations: a short wait like a round trip, or ApiError('offline'). */
  private async server(): Promise<void> {
    if (!this.online) throw offline();
    await new Promise((r) => setTimeout(r, 150));
  }

  private deliver() {
    if (!this.online) return;
    setTimeout(() => {
      if (!this.online) return;
      for (const c of this.convs) {
        if (c.removed) continue;
        let any = !c.registered;
        c.registered = true;
        c.messages = c.messages.map((m) => {
          if (m.delivery !== 'pending') return m;
          any = true;
          return { ...m, delivery: 'stored' };
        });
        if (any) this.changed(c);
      }
      this.setStatus({ pending: 0, lastSyncedAt: Date.now() });
    }, 700);
  }

  controls(): FakeControls {
    return {
      client: this,
      setConnection: (connection) => {
        this.setStatus({ connection });
        this.deliver();
      },
      setCatchUp: (done, total) => this.setStatus({ catchUp: total > 0 ? { done, total } : null }),
      remote: (conversationId, authorName, text) => {
        const c = this.find(conversationId);
        const at = Date.now();
        c.messages = [...c.messages, message(`u-${authorName}`, authorName, at, text, false)];
        this.changed(c);
      },
      endSession: (reason = 'revoked') => {
        this.authStatus = {
          state: 'ended',
          reason,
          message: reason === 'disabled' ? 'Your account was disabled.' : 'Your session ended.',
        };
        this.authSubject.notify();
      },
      removeMe: (conversationId) => {
        const c = this.find(conversationId);
        c.removed = true;
        this.changed(c);
      },
    };
  }

  async createConversation(input: NewConversation): Promise<string> {
    const title = input.title.trim();
    if (!title) throw new ApiError('invalid', 'Give the channel a name.');
    const cid = `c${Math.random().toString(36).slice(2, 10)}`;
    const invited = this.directory.filter((p) => input.members.includes(p.id));
    this.convs.push({
      id: cid,
      kind: input.kind,
      visibility: input.visibility,
      title,
      createdAt: Date.now(),
      members: [
        { ...this.me(), role: 'owner' },
        ...invited.map((p) => ({ ...p, role: 'member' as const })),
      ],
      archived: false,
      registered: this.online,
      removed: false,
      messages: [],
      readCount: 0,
      hidden: 0,
      loadingOlder: false,
    });
    this.listSubject.notify();
    this.peopleSubject.notify();
    return cid;
  }

  async openDm(userId: string): Promise<string> {
    const existing = this.convs.find(
      (c) => c.kind === 'dm' && c.members.some((m) => m.id === userId),
    );
    if (existing) return existing.id;
    const other = this.directory.find((p) => p.id === userId);
    if (!other) throw new ApiError('not-found', 'No such person.');
    const cid = `dm-${userId}`;
    this.convs.push({
      id: cid,
      kind: 'dm',
      visibility: 'private',
      title: other.displayName,
      createdAt: Date.now(),
      members: [
        { ...this.me(), role: 'member' },
        { ...other, role: 'member' },
      ],
      archived: false,
      registered: this.online,
      removed: false,
      messages: [],
      readCount: 0,
      hidden: 0,
      loadingOlder: false,
    });
    this.listSubject.notify();
    return cid;
  }

  async searchPeople(query: string): Promise<Person[]> {
    this.calls.push(`searchPeople ${query}`);
    await this.server();
    const q = query.trim().toLowerCase();
    return this.directory.filter(
      (p) =>
        p.id !== this.session.userId &&
        (!q || p.username.includes(q) || p.displayName.toLowerCase().includes(q)),
    );
  }

  async browseChannels(): Promise<ChannelListing[]> {
    await this.server();
    const mine = this.convs
      .filter((c) => c.kind !== 'dm' && c.visibility === 'open' && !c.removed && !c.archived)
      .map((c) => ({
        id: c.id,
        title: c.title,
        kind: c.kind,
        visibility: c.visibility,
        memberCount: c.members.length,
        topic: c.topic ?? '',
        description: c.description ?? '',
        joined: true,
      }));
    return [...mine, ...this.others.filter((o) => !this.convs.some((c) => c.id === o.id))];
  }

  /** Open channels on the server that I am not in (for the channel browser). */
  private others: ChannelListing[] = [
    {
      id: 'c-boats',
      title: 'Boat maintenance',
      topic: 'Haul-out on the 14th',
      description: 'Engines, hulls and the spare-parts list for the fleet.',
      kind: 'channel',
      visibility: 'open',
      memberCount: 14,
      joined: false,
    },
    {
      id: 'c-news',
      title: 'Company news',
      topic: '',
      description: 'Announcements from the office. Read-only for most of us.',
      kind: 'announcement',
      visibility: 'open',
      memberCount: 212,
      joined: false,
    },
    {
      id: 'c-lunch',
      title: 'Lunch in Tromsø',
      topic: '',
      description: '',
      kind: 'channel',
      visibility: 'open',
      memberCount: 31,
      joined: false,
    },
  ];

  async join(conversationId: string): Promise<void> {
    await this.server();
    const listing = this.others.find((o) => o.id === conversationId);
    if (!listing) throw new ApiError('not-found', 'This channel no longer exists.');
    this.convs.push({
      id: listing.id,
      kind: listing.kind,
      visibility: listing.visibility,
      title: listing.title,
      createdAt: Date.now(),
      members: [{ ...this.me(), role: 'member' }],
      archived: false,
      registered: true,
      removed: false,
      messages: [],
      readCount: 0,
      hidden: 0,
      loadingOlder: false,
    });
    this.listSubject.notify();
  }

  async leave(conversationId: string): Promise<void> {
    await this.server();
    this.convs = this.convs.filter((c) => c.id !== conversationId);
    this.listSubject.notify();
    this.peopleSubject.notify();
  }

  async invite(conversationId: string, userIds: string[]): Promise<void> {
    await this.server();
    const c = this.find(conversationId);
    const add = this.directory.filter(
      (p) => userIds.includes(p.id) && !c.members.some((m) => m.id === p.id),
    );
    c.members = [...c.members, ...add.map((p) => ({ ...p, role: 'member' as const }))];
    this.changed(c);
  }

  async removeMember(conversationId: string, userId: string): Promise<void> {
    await this.server();
    const c = this.find(conversationId);
    const target = c.members.find((m) => m.id === userId);
    if (target?.role === 'owner' && this.myRole(c) !== 'owner') {
      throw new ApiError('forbidden', 'Only an owner can remove an owner.');
    }
    c.members = c.members.filter((m) => m.id !== userId);
    this.changed(c);
  }

  async setRole(conversationId: string, userId: string, role: ConversationRole): Promise<void> {
    await this.server();
    const c = this.find(conversationId);
    c.members = c.members.map((m) => (m.id === userId ? { ...m, role } : m));
    this.changed(c);
  }

  async rename(conversationId: string, title: string): Promise<void> {
    await this.server();
    if (!title.trim()) throw new ApiError('invalid', 'A name needs at least one character.');
    const c = this.find(conversationId);
    c.title = title.trim();
    this.changed(c);
  }

  async setChannelInfo(
    conversationId: string,
    info: { topic?: string; description?: string },
  ): Promise<void> {
    await this.server();
    const c = this.find(conversationId);
    if (info.topic !== undefined) c.topic = info.topic.trim();
    if (info.description !== undefined) c.description = info.description.trim();
    this.changed(c);
  }

  async setArchived(conversationId: string, archived: boolean): Promise<void> {
    await this.server();
    const c = this.find(conversationId);
    c.archived = archived;
    this.changed(c);
  }

  async exportConversation(
    conversationId: string,
  ): Promise<{ filename: string; json: string; text: string }> {
    const c = this.find(conversationId);
    const rows = c.messages.map((m) => ({
      id: m.id,
      author: m.authorName,
      at: new Date(m.createdAt).toISOString(),
      text: m.text,
      undelivered: m.mine && m.delivery === 'pending',
    }));
    return {
      filename: `ferry-${c.title.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase()}`,
      json: JSON.stringify({ conversation: { id: c.id, title: c.title }, messages: rows }, null, 2),
      text: rows
        .map((r) => `[${r.at}] ${r.author}${r.undelivered ? ' (not delivered)' : ''}: ${r.text}`)
        .join('\n'),
    };
  }

  async forget(conversationId: string): Promise<void> {
    this.calls.push(`forget ${conversationId}`);
    this.convs = this.convs.filter((c) => c.id !== conversationId);
    this.listSubject.notify();
  }

  /** Seed: replies in a thread (their root's summary follows; the newest counts as unread). */
  seedReplies(conversationId: string, rootId: string, replies: MessageView[]): void {
    const c = this.find(conversationId);
    for (const r of replies) addReply(c, { ...r, parentId: rootId }, this.session.userId);
  }

  /** Seed: the message starting with `textStart` quotes `quoteId`. */
  seedQuote(conversationId: string, textStart: string, quoteId: string): void {
    const c = this.find(conversationId);
    c.messages = c.messages.map((m) => (m.text.startsWith(textStart) ? { ...m, quoteId } : m));
  }

  open(conversationId: string): ConversationStore {
    const c = this.find(conversationId);
    let s = this.convSubjects.get(c.id);
    if (!s) {
      s = subject(() => this.view(c));
      this.convSubjects.set(c.id, s);
    }
    const subj = s;
    const mutate = (messageId: string, fn: (m: MessageView) => MessageView) => {
      c.messages = c.messages.map((m) => (m.id === messageId ? fn(m) : m));
      if (c.replies) c.replies = c.replies.map((m) => (m.id === messageId ? fn(m) : m));
      const pending = this.status.pending + 1;
      this.setStatus({ pending });
      this.changed(c);
      this.deliver();
    };
    return {
      id: c.id,
      loadRecent: async () => undefined,
      loadBefore: async () => {
        if (c.hidden === 0) return false;
        c.loadingOlder = true;
        this.changed(c);
        await new Promise((r) => setTimeout(r, 250));
        c.hidden = Math.max(0, c.hidden - PAGE);
        c.loadingOlder = false;
        this.changed(c);
        return true;
      },
      send: async (text: string, options = {}) => {
        // Lets the UI check show what a failed write does (the composer keeps the text).
        if (text.includes('#fail')) throw new Error('The disk is full: the message was not saved.');
        if (!this.canPost(c)) throw new ApiError('forbidden', 'You cannot post here.');
        const at = Date.now();
        const problem = options.files ? this.files.problem(options.files.map((f) => f.file)) : null;
        if (problem) throw new ApiError('too-large', problem);
        const files = options.files
          ? await Promise.all(options.files.map((f) => this.files.attach(f, this.online)))
          : undefined;
        const m = {
          ...message(this.session.userId, this.session.displayName, at, text, true, {
            writtenOffline: !this.online,
            delivery: 'pending',
            quoteId: options.quote ?? null,
          }),
          ...(files ? { files } : {}),
        };
        for (const f of files ?? [])
          this.files.all.push({ messageId: m.id, authorName: m.authorName, at, file: f });
        if (options.parent !== undefined) {
          const root = c.messages.find((x) => x.id === options.parent);
          if (!root) throw new ApiError('not-found', 'The message this replies to is not here.');
          addReply(c, { ...m, parentId: root.id }, this.session.userId);
        } else c.messages = [...c.messages, m];
        this.setStatus({ pending: this.status.pending + 1 });
        this.changed(c);
        this.deliver();
        return m;
      },
      edit: async (messageId, text) =>
        mutate(messageId, (m) => ({ ...m, text, editedAt: Date.now(), delivery: 'pending' })),
      remove: async (messageId) =>
        mutate(messageId, (m) => ({ ...m, text: '', deleted: true, delivery: 'pending' })),
      react: async (messageId, emoji, on) => {
        if (c.removed || c.archived) throw new ApiError('forbidden', 'You cannot react here.');
        const me = { id: this.session.userId, name: this.session.displayName };
        c.messages = c.messages.map((m) =>
          m.id === messageId ? { ...m, reactions: toggleReaction(m.reactions, emoji, me, on) } : m,
        );
        this.changed(c);
      },
      pin: async (messageId, on) => {
        this.calls.push(`pin ${messageId} ${on}`);
        if (on && !this.canPost(c)) throw new ApiError('forbidden', 'You cannot pin here.');
        if (this.pinsUnavailable) throw new ApiError('forbidden', this.pinsUnavailable);
        const me = { id: this.session.userId, name: this.session.displayName };
        const pins = c.pins ?? [];
        const has = pins.find((p) => p.messageId === messageId);
        if (on) {
          const m = c.messages.find((x) => x.id === messageId);
          if (!m || m.deleted) throw new ApiError('invalid', 'A deleted message cannot be pinned.');
          if (has?.by.some((u) => u.id === me.id)) return;
          c.pins = has
            ? pins.map((p) => (p === has ? { ...p, by: [...p.by, me], at: Date.now() } : p))
            : [...pins, { messageId, by: [me], at: Date.now() }];
        } else if (has) {
          const by = this.canModerate(c) ? [] : has.by.filter((u) => u.id !== me.id);
          c.pins =
            by.length > 0
              ? pins.map((p) => (p === has ? { ...p, by } : p))
              : pins.filter((p) => p !== has);
        }
        this.changed(c);
      },
      reveal: async (messageId) => {
        const at = c.messages.findIndex((m) => m.id === messageId);
        if (at < 0) return false;
        if (at < c.hidden) {
          c.hidden = at;
          this.changed(c);
        }
        return true;
      },
      lookup: (messageId) => (l) =>
        subj.observe(() => {
          const m = [...c.messages, ...(c.replies ?? [])].find((x) => x.id === messageId);
          l(m ? { state: 'found', message: m } : { state: 'missing' });
        }),
      thread: (rootId) => (l) =>
        subj.observe(() => {
          const root = c.messages.find((x) => x.id === rootId);
          l(
            root
              ? {
                  state: 'ready',
                  root,
                  replies: (c.replies ?? []).filter((r) => r.parentId === rootId),
                }
              : { state: 'missing', root: null, replies: [] },
          );
        }),
      markRead: () => {
        const others = c.messages.filter((m) => !m.mine).length;
        if (c.readCount !== others) {
          c.readCount = others;
          this.listSubject.notify();
        }
      },
      setTyping: () => undefined,
      observe: (l) => subj.observe(l),
      close: () => undefined,
    };
  }

  /** The real search engine over the fake's messages (fake-search.ts). */
  readonly search = fakeSearch({
    convs: () =>
      this.convs.map((c) => ({
        ...c,
        title: this.summaries().find((s) => s.id === c.id)?.title ?? c.title,
      })),
    people: () => this.directory,
    summaries: () => this.summaries(),
  });

  private readonly meta = new Map<string, unknown>();
  private readonly prefs = new NotifyPrefsStore({
    getMeta: async (key) => this.meta.get(key),
    putMeta: async (key, value) => void this.meta.set(key, value),
  });
  notifyPrefs: Observe<NotifyPrefs> = (l) => this.prefs.observe(l);
  setNotifyPref(conversationId: string, pref: NotifyPref | null): Promise<void> {
    return this.prefs.setConversation(conversationId, pref);
  }
  setDnd(on: boolean): Promise<void> {
    return this.prefs.setDnd(on);
  }

  async getDraft(conversationId: string): Promise<string> {
    return this.drafts.get(conversationId) ?? '';
  }
  async setDraft(conversationId: string, text: string): Promise<void> {
    this.drafts.set(conversationId, text);
    this.personal.changed();
  }
  async signOut(): Promise<void> {
    this.calls.push('signOut');
    this.authStatus = { state: 'ended', reason: 'revoked', message: 'Signed out.' };
  }
  async close(): Promise<void> {}
}

/** Adds a reply and updates its root's thread summary (my own replies are never unread). */
function addReply(c: Conv, reply: MessageView, me: string): void {
  c.replies = [...(c.replies ?? []), reply];
  const mine = c.replies.filter((r) => r.parentId === reply.parentId && !r.deleted);
  const repliers: { id: string; name: string }[] = [];
  for (const r of [...mine].reverse()) {
    if (repliers.length < 3 && !repliers.some((p) => p.id === r.authorId)) {
      repliers.push({ id: r.authorId, name: r.authorName });
    }
  }
  c.messages = c.messages.map((m) =>
    m.id === reply.parentId
      ? {
          ...m,
          thread: {
            count: mine.length,
            lastReplyAt: reply.createdAt,
            repliers,
            unread: reply.authorId === me ? 0 : (m.thread?.unread ?? 0) + 1,
          },
        }
      : m,
  );
}

/** Adds or removes `who` under `emoji`, keeping the order emoji were first used. */
function toggleReaction(
  list: ReactionView[],
  emoji: string,
  who: { id: string; name: string },
  on: boolean,
): ReactionView[] {
  const has = list.find((r) => r.emoji === emoji);
  if (on && has?.by.some((p) => p.id === who.id)) return list;
  if (on && !has) return [...list, { emoji, count: 1, mine: true, by: [who] }];
  return list
    .map((r) => {
      if (r.emoji !== emoji) return r;
      const by = on ? [...r.by, who] : r.by.filter((p) => p.id !== who.id);
      return { ...r, by, count: by.length, mine: on };
    })
    .filter((r) => r.count > 0);
}

function message(
  authorId: string,
  authorName: string,
  at: number,
  text: string,
  mine: boolean,
  extra: Partial<MessageView> = {},
): MessageView {
  return {
    id: id(at),
    authorId,
    authorName,
    text,
    createdAt: at,
    editedAt: null,
    deleted: false,
    parentId: null,
    quoteId: null,
    thread: null,
    writtenOffline: false,
    mine,
    delivery: 'stored',
    canEdit: mine,
    canDelete: mine,
    reactions: [],
    seenBy: [],
    pinnedBy: [],
    ...extra,
  };
}

/** A 64×64 PNG (a sunset), for seeded avatars. */
const SUNSET_PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAABf0lEQVR42u3V0SpEYRTF8fUQ3+MopUjUhESdmKahCU1oQl9oQhOa0IQmNKGJ0vIinsmVU+fGFVlnl3Z99bvaN/u/rzZGMrqG0SW6hrEqXcN4ja5hsk7XML1K11Bp0DXMrtE1zG/QNSw26RqyTbqG5W26hlqLrmFlh66hsUfXsB7pGpr7dA1bh7T1+THzM9t1aLVp5df076yWYveIJv5UXzDZi3jC8oT6QvnVOOiwJLm+UHI72qcso2R9oUwAjs8pM6kvyA3odCkzPEBuwNkFNYb1BS0D3StqzA/QMnDZo8b8AC0DvWtqzA/QMnBzS435AVoG+n1qzA/QMnB/R435AVoGBg/UmB+gZeBpQI35AVoGho/UmB+gZeD1mRrzA7QMvA0pM6yXG/D+QpnhAXIDQjWGegwTMUzFUIlhLoaFGLLoZQ7X9fkcruvzOVzX53O4rs/ncF2fz+G6Pp/DdX0+T38g/YH0B9IfSH8g/YH0B9IfSH8g/YH0B9IfSH/gv+ZfGVuK1WZHhfkAAAAASUVORK5CYII=';

/** Seed data: a field team, a release, IT, a ship's crew, DMs. Times relative to `now`. */
export function seeded(session: Session, now = Date.now()): FakeClient {
  const client = new FakeClient(session);
  const person = (
    id: string,
    username: string,
    displayName: string,
    status: string | null = null,
    avatar: string | null = null,
  ): Person => ({ id, username, displayName, status, avatar });
  const dir = {
    ingrid: person('u-ingrid', 'ingrid', 'Ingrid Solberg', 'On the boat until Friday 🚤'),
    marcus: person('u-marcus', 'marcus', 'Marcus Chen'),
    priya: person('u-priya', 'priya', 'Priya Raman', 'Reviewing the release notes', SUNSET_PNG),
    tom: person('u-tom', 'tom', 'Tom Okafor'),
    lena: person('u-lena', 'lena', 'Lena Haugen'),
    omar: person('u-omar', 'omar', 'Omar Aziz', null, SUNSET_PNG),
    me: person(session.userId, session.username, session.displayName),
  };
  const people = {
    ingrid: { id: 'u-ingrid', name: 'Ingrid Solberg' },
    marcus: { id: 'u-marcus', name: 'Marcus Chen' },
    priya: { id: 'u-priya', name: 'Priya Raman' },
    tom: { id: 'u-tom', name: 'Tom Okafor' },
    me: { id: session.userId, name: session.displayName },
  };
  type Who = keyof typeof people;
  const mk = (who: Who, at: number, text: string, extra: Partial<MessageView> = {}): MessageView =>
    message(people[who].id, people[who].name, at, text, who === 'me', extra);
  const member = (p: Person, role: ConversationRole = 'member'): Member => ({ ...p, role });
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  const t = (daysAgo: number, h: number, m: number) =>
    today.getTime() - daysAgo * 86_400_000 + h * 3_600_000 + m * MIN;
  const clamp = (at: number) => Math.min(at, now - MIN);

  const lines = [
    'Tide tables for the week are in the shared folder.',
    'Station 2 battery at 78%, swapping it on the next visit.',
    'Logged the afternoon readings, nothing unusual.',
    'The spare anemometer arrived, leaving it in the boat shed.',
    'Fog rolled in around noon, we stayed on the north transect.',
    'Uploaded the photos of the mooring, the chain looks fine.',
    'Can someone double-check the GPS offsets on line 7?',
    'Done, offsets match the survey from March.',
    'Heading back early tomorrow, weather window closes at 15:00.',
    'Great work today everyone.',
  ];
  const history: MessageView[] = [];
  const names: Who[] = ['ingrid', 'marcus', 'priya', 'me'];
  for (let i = 0; i < 240; i++) {
    const who = names[(i * 7) % 4] as Who;
    const day = 9 - Math.floor(i / 30);
    history.push(mk(who, t(day, 8, (i % 30) * 17), lines[i % lines.length] ?? ''));
  }

  const field: MessageView[] = [
    ...history,
    mk(
      'ingrid',
      t(1, 16, 2),
      'Boat is loaded. We lose coverage past the fjord mouth, so expect silence until tomorrow morning.',
    ),
    mk(
      'ingrid',
      t(1, 16, 3),
      'Checklist is in the shared drive: https://files.corp.example/field/checklist-v3.pdf',
    ),
    mk('marcus', t(1, 16, 20), 'Safe trip! I will keep the station log open tonight.', {
      reactions: [
        { emoji: '👍', count: 2, mine: true, by: [people.ingrid, people.me] },
        { emoji: '🙏', count: 1, mine: false, by: [people.ingrid] },
      ],
    }),
    mk(
      'ingrid',
      clamp(t(0, 7, 41)),
      'Morning from the station. Wrote these on the way out while we had no signal:',
      { writtenOffline: true },
    ),
    mk(
      'ingrid',
      clamp(t(0, 7, 42)),
      'Sensor 4 is reading 0.3 °C high again.\nSwapped the cable, still drifting. Can someone pull last week’s calibration?',
      { writtenOffline: true, editedAt: clamp(t(0, 9, 10)) },
    ),
    mk(
      'marcus',
      clamp(t(0, 9, 12)),
      'On it. Calibration from the 19th is attached to the ticket, values look sane.',
    ),
    mk('marcus', clamp(t(0, 9, 13)), '', { deleted: true }),
    mk(
      'me',
      clamp(t(0, 9, 30)),
      'Thanks both. I will compare against the spare unit this afternoon and post the numbers here.',
    ),
    mk(
      'me',
      clamp(now - 4 * MIN),
      'Numbers are in: the spare reads within 0.05 °C. Looks like sensor 4 itself.',
      { writtenOffline: true },
    ),
    mk('me', clamp(now - 2 * MIN), 'Ordering a replacement now, ETA Thursday.', {
      delivery: 'pending',
    }),
  ];

  client.seed(
    [
      {
        id: 'c-field',
        kind: 'channel',
        title: 'Field team Norway',
        createdAt: t(30, 9, 0),
        members: [
          member(dir.ingrid, 'owner'),
          member(dir.me, 'moderator'),
          member(dir.marcus),
          member(dir.priya),
        ],
        messages: field,
        readCount: field.filter((m) => !m.mine).length,
        // Pinned: the checklist (by Ingrid) and the sensor question (by Marcus and me).
        pins: [
          { messageId: field[history.length + 1]?.id ?? '', by: [people.ingrid], at: t(1, 16, 5) },
          {
            messageId: field[history.length + 4]?.id ?? '',
            by: [people.marcus, people.me],
            at: clamp(t(0, 8, 0)),
          },
        ],
      },
      {
        id: 'c-release',
        kind: 'channel',
        visibility: 'private',
        title: 'Release 0.2 planning',
        topic: 'Ship 0.2 on Thursday · agenda in the pinned message',
        description: 'Planning the 0.2 release: scope, dates and who does what.',
        createdAt: t(12, 9, 0),
        members: [member(dir.me, 'owner'), member(dir.priya, 'moderator'), member(dir.tom)],
        messages: [
          mk('priya', clamp(t(0, 10, 5)), 'Draft agenda for Thursday is up.'),
          mk('tom', clamp(t(0, 10, 30)), 'Can we cover the offline editing bugs first?'),
          mk(
            'priya',
            clamp(now - 25 * MIN),
            'Yes, moved them to the top. Installer signing is second.',
          ),
        ],
        readCount: 0,
      },
      {
        id: 'c-aurora',
        kind: 'announcement',
        title: 'Bridge crew — MV Aurora',
        createdAt: t(40, 9, 0),
        members: [member(dir.tom, 'owner'), member(dir.me), member(dir.marcus)],
        messages: [
          mk(
            'tom',
            clamp(now - 52 * MIN),
            'Satellite window opens at 14:00 UTC, we will sync then.',
          ),
        ],
        readCount: 0,
      },
      {
        id: 'dm-marcus',
        kind: 'dm',
        visibility: 'private',
        title: 'Marcus Chen',
        createdAt: t(50, 9, 0),
        members: [member(dir.me), member(dir.marcus)],
        messages: [
          mk('me', t(1, 11, 0), 'Is the relay maintenance still on for Saturday?'),
          mk('marcus', t(1, 11, 40), 'Yes, 06:00–07:00. The app keeps working offline during it.'),
        ],
        readCount: 1,
      },
      {
        id: 'dm-priya',
        kind: 'dm',
        visibility: 'private',
        title: 'Priya Raman',
        createdAt: t(8, 9, 0),
        members: [member(dir.me), member(dir.priya)],
        messages: [
          mk('priya', t(2, 15, 0), 'Can you review the installer notes when you have a minute?'),
        ],
        readCount: 0,
      },
      {
        id: 'c-survey',
        kind: 'channel',
        visibility: 'private',
        title: 'Survey 2025',
        createdAt: t(70, 9, 0),
        members: [member(dir.ingrid, 'owner'), member(dir.me)],
        removed: true,
        messages: [
          mk('ingrid', t(4, 9, 0), 'Wrapping up this channel, the survey is done.'),
          mk('me', t(3, 18, 20), 'Final depth readings from the last dive are attached below.', {
            delivery: 'pending',
            writtenOffline: true,
          }),
          mk('me', t(3, 18, 21), 'Line 7: 41.2 m, line 8: 39.8 m, line 9: 44.0 m.', {
            delivery: 'pending',
            writtenOffline: true,
          }),
        ],
        readCount: 1,
      },
      {
        id: 'c-design',
        kind: 'channel',
        title: 'Design reviews',
        createdAt: t(60, 9, 0),
        archived: true,
        members: [member(dir.priya, 'owner'), member(dir.me)],
        messages: [mk('priya', t(3, 15, 0), 'Dark theme contrast looks much better now.')],
        readCount: 1,
      },
      {
        id: 'c-new',
        kind: 'channel',
        visibility: 'private',
        title: 'Procurement',
        createdAt: t(0, 9, 0),
        registered: false,
        members: [member(dir.me, 'owner'), member(dir.omar)],
        messages: [],
        readCount: 0,
      },
    ],
    Object.values(dir),
  );
  // Awareness: who is around, who types, who has seen my newest message in the field channel.
  client.presenceOf.set(people.ingrid.id, 'online');
  client.presenceOf.set(people.marcus.id, 'away');
  client.presenceOf.set(people.tom.id, 'online');
  client.typingIn.set('c-field', [people.ingrid.name]);
  const lastMine = [...field].reverse().find((m) => m.mine);
  if (lastMine) lastMine.seenBy = [people.ingrid, people.marcus];
  // A thread on Ingrid's sensor question, and my newest message quoting it (threads).
  const sensor = field.find((m) => m.text.startsWith('Sensor 4'));
  if (sensor) {
    client.seedReplies('c-field', sensor.id, [
      mk('marcus', clamp(t(0, 9, 20)), 'Pulled it: the offset on the 19th was +0.28 °C.'),
      mk('priya', clamp(t(0, 9, 31)), 'Could be the new cable run. I have a spare in the van.'),
      mk('ingrid', clamp(t(0, 9, 40)), '@priya yes please, bring it tomorrow.'),
    ]);
    client.seedQuote('c-field', 'Numbers are in', sensor.id);
  }
  return client;
}
