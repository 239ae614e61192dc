// The renderer's data API: everything Svelte components may know about data.
// Components import these types and call these methods; they never see a Y.Doc,
// a provider or IndexedDB. The implementation lives beside this file.
import type { DirectorySyncRecord } from '../../../core/src/protocol/identity';

/** Called with the current value at once, then on every change. Returns an unsubscribe. */
export type Observe<T> = (listener: (value: T) => void) => () => void;

export type WorkspaceRole = 'admin' | 'member' | 'guest';
export type ConversationKind = 'dm' | 'channel' | 'announcement';
export type Visibility = 'open' | 'private';
export type ConversationRole = 'owner' | 'moderator' | 'member';

/** The signed-in account on this device (kept locally: starting offline needs no network). */
export interface Session {
  userId: string;
  username: string;
  displayName: string;
  role: WorkspaceRole;
  /** http(s) URL of the relay; WebSocket URLs are derived from it. */
  serverUrl: string;
}

/**
 * ok: signed in (tokens may be refreshing in the background). ended: the relay ended the
 * session (revoked, expired, user disabled, password reset): local data is kept, the user
 * must sign in again to sync.
 */
export type AuthStatus =
  | { state: 'ok' }
  | { state: 'ended'; reason: 'expired' | 'revoked' | 'disabled' | 'unknown'; message: string };

/**
 * The workspace's offline limit (docs/identity.md, issue 15): `locked` while this device has
 * been offline longer than the workspace allows; everything stays readable, nothing new is
 * written, and `message` says why ("You have been offline for 15 days; …").
 */
export type OfflineLimit = { locked: false } | { locked: true; days: number; message: string };

/** An account as the relay's API returns it: who, without a profile. */
export interface AccountName {
  id: string;
  username: string;
  displayName: string;
}

export interface Person extends AccountName {
  /**
   * Their status text and avatar from the workspace `people` map (docs/messaging.md,
   * "Profiles"); null when unset or not valid. The avatar is only ever a checked
   * `data:image/(png|jpeg|webp);base64,` URL, never a remote one.
   */
  status: string | null;
  avatar: string | null;
}

/** Someone in the people directory (issue 12): their workspace role when the relay said it. */
export interface DirectoryPerson extends Person {
  role: WorkspaceRole | null;
}

/** What `setMyProfile` changes: a field not given is kept, null clears it. */
export interface ProfileChange {
  status?: string | null;
  avatar?: string | null;
}

export interface Member extends Person {
  role: ConversationRole;
}

/**
 * offline: this device has no network (or was told to stay off). connecting: dialling the relay.
 * unreachable: the network is up but the relay did not answer; retrying with back-off.
 */
export type Connection = 'offline' | 'connecting' | 'unreachable' | 'online';

export interface SyncStatus {
  connection: Connection;
  /** Local changes the relay has not confirmed as durably stored. */
  pending: number;
  /** Set while catching up after (re)connecting: documents done out of documents to sync. */
  catchUp: { done: number; total: number } | null;
  /** Last time everything was confirmed stored, ms since epoch. */
  lastSyncedAt: number | null;
  /** My files waiting for or in upload (docs/attachments.md); absent or null when none. */
  uploads?: { count: number; bytesLeft: number } | null;
}

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  /** For a DM: the other person's display name. */
  title: string;
  createdAt: number;
  /**
   * The newest message. `id` is what a notification opens at (absent only in a list cached
   * by an earlier release, until the conversation's newest page is read again).
   */
  lastMessage: {
    id?: string;
    text: string;
    authorName: string;
    /** The author's id (absent in a list cached by an earlier release). */
    authorId?: string;
    at: number;
    /** A reply: its thread's root. */
    threadRootId?: string;
    /**
     * A reply by someone else in a thread I started or replied in before it (judged on the
     * newest page: a root or earlier replies on an older page are not seen). Notifies under the
     * `mentions` preference too.
     */
    threadWithMe?: boolean;
  } | null;
  unread: number;
  /** Unread messages (of `unread`, newest page) that mention me, @channel or @here. */
  mentions: number;
  /** My role in it. */
  role: ConversationRole;
  archived: boolean;
  memberCount: number;
  /** For a DM: the other person's id. */
  dmWith: string | null;
  /** Created on this device while offline and not yet registered with the relay. */
  registered: boolean;
  /** I was removed (or left from another device) while this device still held it. */
  removed: boolean;
  /** My messages in it that never reached the relay (meaningful when removed). */
  undelivered: number;
}

/**
 * Thrown by online-only operations (membership, browsing, search of people). `code`:
 * 'offline' | 'unreachable' | 'forbidden' | 'not-found' | 'conflict' | 'invalid' |
 * 'rate-limited' | 'session-ended' | 'unauthenticated' | 'too-large' | 'error'.
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** Seconds to wait before retrying (rate-limited, locked). */
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ChannelListing {
  id: string;
  title: string;
  /** Schema 3: '' when none. */
  topic: string;
  description: string;
  kind: ConversationKind;
  visibility: Visibility;
  memberCount: number;
  joined: boolean;
}

export interface NewConversation {
  kind: 'channel' | 'announcement';
  title: string;
  visibility: Visibility;
  /** Invited at creation (besides me, the owner). */
  members: string[];
}

/** all: every message notifies; mentions: only @me, @channel, @here; mute: nothing, no count. */
export type NotifyPref = 'all' | 'mentions' | 'mute';

/** This device's notification settings (never synced). Absent conversation: the default. */
export interface NotifyPrefs {
  /** Do not disturb: no notifications at all (badges still count). */
  dnd: boolean;
  conversations: Record<string, NotifyPref>;
}

/** pending: on this device's disk only. stored: durably stored by the relay. */
export type Delivery = 'pending' | 'stored';

/** One emoji under a message: who reacted with it. */
export interface ReactionView {
  emoji: string;
  count: number;
  /** I reacted with it (clicking the chip removes mine). */
  mine: boolean;
  /** Who reacted, earliest first; people removed since still count (reactions are history). */
  by: { id: string; name: string }[];
}

export interface MessageView {
  id: string;
  authorId: string;
  authorName: string;
  text: string;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
  /** The thread root this message replies to (docs/messaging.md "Threads"); null: top level. */
  parentId: string | null;
  /** The message it quotes (show it through `lookup`: as it is now); null when none. */
  quoteId: string | null;
  /**
   * A thread reply also sent to the channel (schema 3, docs/messaging.md "Also send to channel"):
   * it is in the main timeline too. Absent or false otherwise.
   */
  broadcast?: boolean;
  /** On such a reply in the main timeline: its root as loaded (null: not on this device). */
  broadcastRoot?: { id: string; authorName: string; text: string; deleted: boolean } | null;
  /** On a thread root with replies: their summary from the loaded pages (exact; see README). */
  thread: ThreadSummary | null;
  /** Written while this device (the author's) had no connection. */
  writtenOffline: boolean;
  mine: boolean;
  delivery: Delivery;
  /** My own message, in a conversation I may still write in. */
  canEdit: boolean;
  /** My own message, or I moderate the conversation (a moderator deletion). */
  canDelete: boolean;
  /** Grouped by emoji in the order each was first used (the same on every replica). */
  reactions: ReactionView[];
  /**
   * On my own messages: the people (not me) for whom this is the newest of my messages they have
   * read (core readBy); empty elsewhere. Show "Seen by …" under the newest one that has any.
   */
  seenBy: { id: string; name: string }[];
  /** Who pinned it (docs/messaging.md, "Pins"), earliest first; empty when not pinned. */
  pinnedBy: { id: string; name: string }[];
  /** A forward's origin (docs/messaging.md, "Forwarded messages"); `text` is then the comment. */
  forward?: ForwardView | null;
  /** Attached files (schema 4, docs/attachments.md); `text` is then the caption, maybe ''. */
  files?: FileView[];
}

/** Where a forwarded message came from, as it was when forwarded (a copy, not a live quote). */
export interface ForwardView {
  conversationId: string;
  messageId: string;
  authorId: string;
  authorName: string;
  /** The origin conversation's title then; '' for a direct message. */
  title: string;
  text: string;
  at: number;
}

/** What `send` forwards: a message of another conversation, as its view shows it. */
export interface ForwardSource {
  conversationId: string;
  /** That conversation's title ('' for a direct message). */
  title: string;
  message: Pick<
    MessageView,
    'id' | 'authorId' | 'authorName' | 'text' | 'createdAt' | 'deleted' | 'forward'
  >;
}

/** A pinned message of the conversation (the meta document's `pins`: there offline). */
export interface PinView {
  messageId: string;
  /** Who pinned it, earliest first. */
  by: { id: string; name: string }[];
  /** When it was last pinned (ms): the list is newest first. */
  at: number;
  /** I pinned it. */
  mine: boolean;
  /** I may unpin it: my own pin, or I moderate (then every pin of it goes). */
  canUnpin: boolean;
}

export interface ConversationView {
  id: string;
  title: string;
  kind: ConversationKind;
  /** My role in it. */
  role: ConversationRole;
  archived: boolean;
  removed: boolean;
  /**
   * Nothing may be written anywhere now, and why in words: offline longer than the workspace
   * allows (docs/identity.md, issue 15). Null or absent: only the flags below apply.
   */
  readOnly?: string | null;
  /** False in an announcement channel for plain members, when archived, when removed, when read-only. */
  canPost: boolean;
  /** May delete others' messages. */
  canModerate: boolean;
  /** May add or remove my reactions (core `can(…, 'react')`: not when archived or removed). */
  canReact: boolean;
  /** Pinned messages, the most recently pinned first (show each through `lookup`). */
  pins: PinView[];
  /** May pin (core `can(…, 'pin')`: whoever may post) and pins are available here. */
  canPin: boolean;
  /**
   * Why pinning is unavailable although I may post, e.g. the relay runs a schema older than 2
   * (read from GET /server); null when it is available.
   */
  pinsUnavailable: string | null;
  members: Member[];
  /** The channel's topic and description (schema 3, from the directory); '' when none. */
  topic: string;
  description: string;
  /**
   * Joins, leaves, additions, removals, renames and topic changes, oldest first: written by
   * the relay alone into the meta document (docs/messaging.md), shown as quiet system lines.
   */
  events: SystemEventView[];
  /**
   * Top-level messages (replies are in `thread()`), ascending by id (hybrid logical clock): the
   * same order on every replica.
   */
  messages: MessageView[];
  hasOlder: boolean;
  loadingOlder: boolean;
  /** Names of the others typing here now (awareness on the newest page room; never me). */
  typing: string[];
}

/** A relay-written system event, names resolved (docs/messaging.md). */
export interface SystemEventView {
  id: string;
  kind: 'joined' | 'left' | 'added' | 'removed' | 'renamed' | 'topic';
  at: number;
  actorId: string;
  actorName: string;
  /** I did it / it was done to me (the line says "You" / "you"). */
  mine: boolean;
  aboutMe: boolean;
  userId?: string;
  userName?: string;
  /** The new title (`renamed`) or topic (`topic`; '' when cleared). */
  text?: string;
}

/** A thread root's replies, as its row in the timeline shows them. */
export interface ThreadSummary {
  /** Replies that are not deleted. */
  count: number;
  lastReplyAt: number;
  /** Distinct repliers, the most recent first, at most three. */
  repliers: { id: string; name: string }[];
  /** Replies by others that my read marker on their page has not reached. */
  unread: number;
}

/** `ConversationStore.thread(rootId)`: the root and its replies. */
export interface ThreadView {
  /** loading: pages from the root's period onwards are being read (and synced, online). */
  state: 'loading' | 'missing' | 'ready';
  /** The root (a tombstone when deleted: its replies stay readable); null unless ready. */
  root: MessageView | null;
  /** Ascending by id; a reply to a reply (another page) is shown here, in its root's thread. */
  replies: MessageView[];
}

/** What a message sent with `send` replies to or quotes. */
export interface SendOptions {
  /** Reply in this thread (a reply's id: its root's thread). */
  parent?: string;
  /** Quote this message (not deleted; of this conversation). */
  quote?: string;
  /** With `parent`: also show the reply in the channel's main timeline (one message). */
  alsoToChannel?: boolean;
  /** Forward this message (written `v: 3`; the text is the comment and may be empty). */
  forward?: ForwardSource;
  /**
   * Attach these (1..10; `v: 4`; the text is the caption and may be empty). The data layer
   * hashes, measures and queues each file durably BEFORE it writes the message, so the message
   * shows at once (offline too) and the bytes upload when the relay is reachable. Rejects with
   * ApiError 'too-large' (the relay's limit said) before writing anything.
   */
  files?: Attachment[];
}

/**
 * A message looked up by id (a quote, a pin, a notification): `loading` until its page is read
 * from disk (and, online, synced); `missing` when it is not on this device offline or not on
 * the page once synced (a bad id is missing at once).
 */
export type MessageLookup =
  | { state: 'loading' }
  | { state: 'missing' }
  | { state: 'found'; message: MessageView };

export interface ConversationStore {
  readonly id: string;
  /** Opens the meta document and the newest page(s); resolves once they are loaded from disk. */
  loadRecent(): Promise<void>;
  /** Loads the next older page. Resolves to false when there is nothing older. */
  loadBefore(): Promise<boolean>;
  /**
   * Resolves once the message is on this device's disk. With `parent` it is a reply in that
   * thread (written `v: 1`); with `quote` it quotes a message (written `v: 2`). Throws, writing
   * nothing, when the parent or quoted message is not known on this device or was deleted
   * (quote), besides the usual checks.
   */
  send(text: string, options?: SendOptions): Promise<MessageView>;
  edit(messageId: string, text: string): Promise<void>;
  remove(messageId: string): Promise<void>;
  /**
   * Adds (`on`) or removes my reaction; resolves once it is on this device's disk (synced when
   * the relay is reachable). Idempotent. Throws (writing nothing) on an invalid emoji, a deleted
   * or unknown message, or where I may not react.
   */
  react(messageId: string, emoji: string, on: boolean): Promise<void>;
  /**
   * Pins (`on`) or unpins the message in the meta document; resolves once it is on this
   * device's disk (works offline, merges). Unpinning removes my pin, or, as a moderator or owner,
   * every pin of the message. Throws (writing nothing) on an unknown or deleted message (to pin),
   * where I may not pin, or while `pinsUnavailable`.
   */
  pin(messageId: string, on: boolean): Promise<void>;
  markRead(): void;
  /**
   * Tells the others I am typing (`on`) or stopped (sent, left the composer). Throttled to one
   * awareness update per 2 s; clears itself 5 s after the last call with `on`.
   */
  setTyping(on: boolean): void;
  /**
   * Loads the page holding that message (and the pages between it and the newest) so the view
   * holds it; resolves true when the message is in the view (false: not on this device).
   */
  reveal(messageId: string): Promise<boolean>;
  /**
   * Any message of this conversation by id: loads the page of its period on demand (not into
   * `messages`) and keeps it open while observed; follows edits, deletion and sync.
   */
  lookup(messageId: string): Observe<MessageLookup>;
  /**
   * A thread: loads every page from the root's period to the newest (the same contiguous pages
   * as `reveal`), so its replies are all there; follows new replies, edits and deletions.
   */
  thread(rootId: string): Observe<ThreadView>;
  observe: Observe<ConversationView>;
  /** Releases documents and subscriptions. */
  close(): void;
}

/** One search result: a message, with its snippet's matched ranges (render as text spans). */
export interface SearchHit {
  conversationId: string;
  conversationTitle: string;
  messageId: string;
  authorId: string;
  authorName: string;
  at: number;
  /** Plain text around the first match (never HTML). */
  snippet: string;
  /** Matched parts of `snippet`: [start, end) offsets, sorted, not overlapping. */
  ranges: [number, number][];
  /** The snippet starts after / ends before the message does (show an ellipsis). */
  cutStart: boolean;
  cutEnd: boolean;
}

export interface SearchResults {
  /** Best first (ties newest first); at most 50. */
  hits: SearchHit[];
  /** Matches in all. */
  total: number;
  /** What the query did with odd input (unknown names, bad dates, an unclosed quote). */
  notes: string[];
  tookMs: number;
  /** A newer search replaced this one: ignore it. */
  cancelled: boolean;
  /** This device is still indexing what it holds: results may be incomplete. */
  indexing: boolean;
}

export interface FerryClient {
  readonly session: Session;
  sync: Observe<SyncStatus>;
  auth: Observe<AuthStatus>;
  /** Offline past the workspace's limit: read-only until back online (absent: no limit known). */
  offlineLimit?: Observe<OfflineLimit>;
  conversations: Observe<ConversationSummary[]>;
  /** Everyone I share a conversation with, plus me (from the directory document; offline). */
  people: Observe<Person[]>;
  /** My own profile (name from the directory; status and avatar from the workspace). */
  myProfile: Observe<Person>;
  /**
   * Sets my status and/or avatar (not given: kept; null: cleared). Works offline: written to
   * this device at once and synced when online. Rejects with a clear message (ModelError) on a
   * status over 100 characters or more than one line, or an avatar that is not a
   * `data:image/(png|jpeg|webp);base64,` URL of at most 48,000 characters; nothing is written.
   */
  setMyProfile(change: ProfileChange): Promise<void>;
  /**
   * Why `setMyProfile` is refused now, or null: a guest has no workspace room, where statuses
   * and pictures live (docs/accounts.md, "Guests and the workspace").
   */
  profileUnavailable(): string | null;
  /**
   * Everyone in `people` (and anyone else seen on the shared workspace room): online, away (idle
   * or window hidden) or offline (no socket: theirs or mine). Awareness, never stored. Signed in
   * as a guest: empty (presence is not shown to guests); a person missing from it has no mark.
   */
  presence: Observe<Map<string, 'online' | 'away' | 'offline'>>;
  /** Notification preferences of this device (local store; works offline). */
  notifyPrefs: Observe<NotifyPrefs>;
  /** `null`: back to the default (DMs all, channels mentions only). */
  setNotifyPref(conversationId: string, pref: NotifyPref | null): Promise<void>;
  setDnd(on: boolean): Promise<void>;
  /** Works offline: the conversation exists at once and is registered on reconnect. */
  createConversation(input: NewConversation): Promise<string>;
  /** The DM with that person (deterministic id); works offline. */
  openDm(userId: string): Promise<string>;
  open(conversationId: string): ConversationStore;
  /** Files, images and voice messages: limits, transfers, the download cache (issue 13). */
  readonly files: FilesApi;
  /** Online only (ApiError 'offline' otherwise). */
  searchPeople(query: string): Promise<Person[]>;
  /**
   * Everyone in the workspace this device knows of (offline: people I share a conversation
   * with, and the relay's last list kept on this device); a guest only ever gets whom they may
   * see. `refreshDirectory` asks the relay (online only) and keeps the answer.
   */
  directoryPeople: Observe<DirectoryPerson[]>;
  refreshDirectory(query?: string): Promise<number>;
  browseChannels(): Promise<ChannelListing[]>;
  join(conversationId: string): Promise<void>;
  leave(conversationId: string): Promise<void>;
  invite(conversationId: string, userIds: string[]): Promise<void>;
  removeMember(conversationId: string, userId: string): Promise<void>;
  setRole(conversationId: string, userId: string, role: ConversationRole): Promise<void>;
  rename(conversationId: string, title: string): Promise<void>;
  /** A channel's topic and/or description ('' clears); owners and admins, online only. */
  setChannelInfo(conversationId: string, info: { topic?: string; description?: string }): Promise<void>;
  setArchived(conversationId: string, archived: boolean): Promise<void>;
  /**
   * Everything this device holds of a conversation, my undelivered messages marked:
   * `{ filename, json, text }` ready to save. Works offline, also for removed conversations.
   */
  exportConversation(conversationId: string): Promise<{ filename: string; json: string; text: string }>;
  /** Forgets a removed conversation's local copy (only after the user confirmed). */
  forget(conversationId: string): Promise<void>;
  getDraft(conversationId: string): Promise<string>;
  setDraft(conversationId: string, text: string): Promise<void>;
  /** Saved messages, unread marks, reminders and drafts: mine, on every device (PersonalApi). */
  readonly personal: PersonalApi;
  /**
   * Full-text search over every message on this device (offline; renderer/src/search). Words,
   * "phrases", from:, in:, before:/after:/on:YYYY-MM-DD. A newer call answers the older one
   * `cancelled`. Rejects only when the index failed (the message says why).
   */
  search(query: string): Promise<SearchResults>;
  /** Activity and followed threads (activity.ts); absent in a client that does not keep them. */
  readonly activity?: ActivityApi;
  /** My own account on the relay (online only: ApiError 'offline' otherwise). */
  readonly account: AccountApi;
  /** User administration; present only while my workspace role is `admin` (online only). */
  readonly admin?: AdminApi;
  /** Revokes the session on the relay (if reachable), wipes tokens; local data kept. */
  signOut(): Promise<void>;
  /** Flushes everything to disk and closes connections. */
  close(): Promise<void>;
}

// ---- files, images and voice messages (docs/attachments.md; renderer/src/data/files/) ----

export type FileKind = 'image' | 'voice' | 'file';

/** A file attached to a message, as readers see it (from the message's reference). */
export interface FileView {
  /** SHA-256, the file's id on the relay. */
  hash: string;
  /** Clean display name (core `cleanFileName`). */
  name: string;
  size: number;
  /** MIME type the sender's device sniffed. Never trust it to decide what runs: nothing does. */
  type: string;
  kind: FileKind;
  /** An image's pixel size: reserve the box before the bytes arrive (no layout jump). */
  width?: number;
  height?: number;
  /** A tiny placeholder of an image as a data: URL (decoded ThumbHash), drawn at once. */
  placeholder?: string;
  /** A voice message's duration (ms) and waveform (64 values 0..1). */
  durationMs?: number;
  waveform?: number[];
}

/** Something to attach when sending (SendOptions.files). */
export interface Attachment {
  /** The bytes: a File from a picker, a drop or a paste, or a recorded Blob. */
  file: Blob;
  /** Name to show (cleaned by the data layer); a File's own name when absent. */
  name?: string;
  /** A recorded voice message (MediaRecorder, Opus): its duration and 64-value waveform. */
  voice?: { durationMs: number; waveform: number[] };
}

/** Where a file's bytes are, for the one who looks at it. */
export type FileTransfer =
  /** On this device (my own queued file, or downloaded): opens with no network. */
  | { state: 'local' }
  /** Mine, waiting for the relay (offline, or queued behind others). */
  | { state: 'queued'; sent: number; total: number }
  | { state: 'uploading'; sent: number; total: number }
  /** Mine, stopped: `error` in plain words; `retry` offered when it can help. */
  | { state: 'failed'; error: string; retryable: boolean }
  /** Stored on the relay, not on this device yet. */
  | { state: 'remote' }
  | { state: 'downloading'; received: number; total: number }
  /** Someone else's file their device has not uploaded yet ("uploading…"). */
  | { state: 'waiting' }
  /** Cannot be had (removed from the conversation, deleted): `error` says so. */
  | { state: 'unavailable'; error: string };

/** A file of a conversation, for its details panel. */
export interface ConversationFile {
  messageId: string;
  authorName: string;
  at: number;
  file: FileView;
}

export interface FilesApi {
  /** The relay's limits (from GET /server; the last known offline); null before first contact. */
  limits: Observe<{ maxFileBytes: number } | null>;
  /** Why these could not be sent (too many, over the limit: the limit said), or null. */
  problem(files: readonly Blob[]): string | null;
  /** Where a file's bytes are; updates as it uploads/downloads. */
  transfer(hash: string): Observe<FileTransfer>;
  /**
   * The bytes: from this device, or downloaded (resuming with Range) and kept in the cache.
   * Rejects with ApiError ('offline', 'waiting', 'unavailable') saying why in plain words.
   */
  open(conversationId: string, file: FileView): Promise<Blob>;
  /** Stops my upload and deletes its message (a cancelled file is never half-sent). */
  cancel(conversationId: string, messageId: string): Promise<void>;
  /** Tries a failed upload again now. */
  retry(hash: string): void;
  /** Images, voice messages and files of a conversation (loaded pages), newest first. */
  list(conversationId: string): Promise<ConversationFile[]>;
  /** Conversations whose files are kept on this device (downloaded as they arrive, never evicted). */
  keptOffline: Observe<ReadonlySet<string>>;
  keepOffline(conversationId: string, on: boolean): Promise<void>;
  /** The download cache: bytes used and the limit (a setting, default 1 GB). */
  cache: Observe<{ bytes: number; limit: number }>;
  setCacheLimit(bytes: number): Promise<void>;
}

// ---- activity and followed threads (renderer/src/data/activity.ts) ----

/** Someone mentioned me, replied in a thread I follow, or reacted to my message. */
export interface ActivityItem {
  key: string;
  kind: 'mention' | 'reply' | 'reaction';
  conversationId: string;
  conversationTitle: string;
  /** The message to open (a reaction: my message that got it). */
  messageId: string;
  /** Its thread's root when the message is a reply: open the thread panel on it. */
  rootId: string | null;
  actorId: string;
  actorName: string;
  emoji: string | null;
  /** Plain text excerpt of the message (a reaction: of my message). */
  text: string;
  at: number;
  unread: boolean;
}

/** A thread I follow: I started it, replied in it, was mentioned in it, or followed it. */
export interface FollowedThread {
  conversationId: string;
  conversationTitle: string;
  rootId: string;
  /** Null when the root's page is not on this device. */
  rootAuthorName: string | null;
  rootText: string | null;
  reason: 'started' | 'replied' | 'mentioned' | 'followed';
  replies: number;
  /** Replies by others I have not read. */
  unread: number;
  lastReplyAt: number;
  lastReplyAuthorName: string;
  lastReplyText: string;
}

export interface ActivityView {
  /** False until the stored index was read at start. */
  loaded: boolean;
  /** Newest first. */
  items: ActivityItem[];
  /** Newest activity first. */
  threads: FollowedThread[];
  /** Unread items. */
  unread: number;
  /** Unread replies over the followed threads. */
  threadsUnread: number;
}

export interface ActivityApi {
  observe: Observe<ActivityView>;
  /** Marks items read on this device (`all`: every item). */
  markRead(keys: string[] | 'all'): Promise<void>;
  /** A followed thread was opened: its replies are read. */
  markThreadRead(conversationId: string, rootId: string): Promise<void>;
  /** Follow or unfollow a thread on this device. */
  follow(conversationId: string, rootId: string, on: boolean): Promise<void>;
  /** Whether I follow the thread (started, replied, mentioned or by hand; not unfollowed). */
  following(conversationId: string, rootId: string): boolean;
}

// ---- accounts: my own account and user administration (renderer/src/data/admin.ts) ----

/** A signed-in device of a user (`/me/sessions`, `/admin/sessions`). Times in ms. */
export interface DeviceSession {
  id: string;
  userId: string;
  /** How the device named itself at sign-in ("Ferry desktop (Linux x86_64)"); '' when unknown. */
  device: string;
  ip: string | null;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  /** This device's own session (only in my own list). */
  current: boolean;
}

/**
 * Where an account signs in (issue 15): a Ferry password, the company directory (LDAP) or
 * single sign-on (OIDC). Directory accounts are renamed and given passwords in the directory,
 * never in Ferry. Relays from before issue 15 say nothing: `local`.
 */
export type AccountSource = 'local' | 'ldap' | 'oidc';

/** My account as the relay has it (`GET /me`). */
export interface AccountStatus {
  user: AccountName & { role: WorkspaceRole; source: AccountSource; email: string | null };
  totp: { enabled: boolean; recoveryCodesLeft: number };
}

/** A started two-factor enrolment: the secret as text and as an `otpauth://totp/…` URI. */
export interface TotpEnrolment {
  secret: string;
  uri: string;
}

/** Every call is online only; failures are ApiError with a message to show as is. */
export interface AccountApi {
  status(): Promise<AccountStatus>;
  /** 1–64 characters, no control characters. Resolves with the saved name. */
  updateProfile(input: { displayName: string }): Promise<AccountName>;
  /** The new password needs at least 10 characters; every other session of mine ends. */
  changePassword(currentPassword: string, newPassword: string): Promise<void>;
  /** Starts (or restarts) enrolment; nothing changes for sign-in until `enableTotp`. */
  setupTotp(): Promise<TotpEnrolment>;
  /** Confirms with a current code; resolves with the ten recovery codes, shown this once. */
  enableTotp(code: string): Promise<string[]>;
  /** Needs the password and a current code or an unused recovery code. */
  disableTotp(input: { password: string; code?: string; recoveryCode?: string }): Promise<void>;
  /** My live sessions, newest first, `current` on this device's. */
  listSessions(): Promise<DeviceSession[]>;
  /** Signs that device out (its sockets close at once). */
  revokeSession(sessionId: string): Promise<void>;
}

/** A user as an admin sees them (`/admin/users`). */
export interface AdminUser {
  id: string;
  username: string;
  displayName: string;
  role: WorkspaceRole;
  disabled: boolean;
  /** Two-factor on. */
  totp: boolean;
  createdAt: number;
  /** Locked after too many failed sign-ins until then (ms); null when not locked. */
  lockedUntil: number | null;
  /** The password was set by an admin and is still to be changed by the person. */
  mustChangePassword: boolean;
  /** Where they sign in; not `local`: name and password are managed by the company directory. */
  source: AccountSource;
  email: string | null;
}

export interface NewUser {
  username: string;
  displayName?: string;
  role?: WorkspaceRole;
  /** Omit to have the relay generate one (returned this once). */
  password?: string;
}

/** Workspace admins only (the relay answers 403 `forbidden` to anyone else). Online only. */
export interface AdminApi {
  /** Everyone, disabled users included, sorted by username. */
  listUsers(): Promise<AdminUser[]>;
  /** `password` is the generated (or given) password: show it once, it is not kept anywhere. */
  createUser(input: NewUser): Promise<{ user: AdminUser; password: string }>;
  /** Disabling signs the user out everywhere at once. The last active admin cannot be demoted or disabled ('conflict'). */
  updateUser(userId: string, patch: { role?: WorkspaceRole; disabled?: boolean; displayName?: string }): Promise<AdminUser>;
  /** Sets a new password (generated when omitted) and ends every session of the user; resolves with it. */
  resetPassword(userId: string, password?: string): Promise<string>;
  /** Turns two-factor off for a user who lost their device. */
  resetTotp(userId: string): Promise<void>;
  /** Live sessions of one user (or everyone). */
  listSessions(userId?: string): Promise<DeviceSession[]>;
  revokeSession(sessionId: string): Promise<void>;
  /** Lifts a sign-in lock at once (audited on the relay); resolves with the user as now. */
  unlockUser(userId: string): Promise<AdminUser>;
  /** Invite links (renderer/src/data/invites.ts): active ones and those ended in the last month. */
  listInvites(): Promise<InviteLink[]>;
  /** `token` is shown this once (the relay keeps only its hash): the link is built from it. */
  createInvite(input: NewInvite): Promise<{ invite: InviteLink; token: string }>;
  revokeInvite(inviteId: string): Promise<InviteLink>;
  /** Company sign-in (identity-admin.ts, issue 15); absent where the client has no such page. */
  readonly identity?: IdentityAdminApi;
}

// ---- company sign-in: what a relay offers, and how a single sign-on comes back (issue 15) ----

/** What `GET /api/v1/auth/providers` says (an old relay without it: local only, no limit). */
export interface Providers {
  /** Who may sign in with a local password: everyone, or admins only (break-glass). */
  local: 'everyone' | 'admins';
  ldap: { label: string } | null;
  oidc: { label: string } | null;
  /** Days a device may write while the relay has not accepted its session; null: no limit. */
  offlineGraceDays: number | null;
}

/** The issuer's answer as the relay hands it back to the app. */
export type AuthReturn = { kind: 'code'; code: string } | { kind: 'error'; error: string; message: string };

// ---- company sign-in, as admins see it (renderer/src/data/identity-admin.ts, issue 15) ----

/** One directory sync (`identity_syncs`): the relay's record, shared through core. */
export type IdentitySync = DirectorySyncRecord;

/** `GET /admin/identity`: each sign-in source, its accounts, the last directory syncs. */
export interface IdentityOverview {
  localSignIn: 'everyone' | 'admins';
  offlineGraceDays: number | null;
  local: { accounts: number };
  ldap: null | { label: string; url: string; syncEverySeconds: number; accounts: number; syncs: IdentitySync[] };
  oidc: null | { label: string; issuer: string; createAccounts: boolean; accounts: number };
}

/** What "Test sign-in as…" found: the person as the directory describes them, and what Ferry would give them. */
export interface IdentityTestSignIn {
  person: { externalId: string; username: string; displayName: string; email: string | null; disabled: boolean; groups: string[] };
  role: WorkspaceRole | null;
  channels: string[];
}

/** Workspace admins only, online only. Failures are ApiError with the relay's words. */
export interface IdentityAdminApi {
  /** The sources; a relay from before issue 15 answers local only (`ldap`, `oidc` null). */
  overview(): Promise<IdentityOverview>;
  /** Connects, binds as the service account, runs one search; resolves with the relay's words. */
  testConnection(): Promise<string>;
  /** Binds as that person and maps them, creating nothing. The password only passes through. */
  testSignIn(username: string, password: string): Promise<IdentityTestSignIn>;
  /** Syncs now; resolves with the sync's row (ok or not, with its error in words). */
  syncNow(): Promise<IdentitySync>;
}

/** An invite link as admins see it (`/admin/invites`). Times in ms. */
export interface InviteLink {
  id: string;
  role: 'member' | 'guest';
  createdByName: string;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  uses: number;
  state: 'active' | 'expired' | 'used-up' | 'revoked';
}

export interface NewInvite {
  role: 'member' | 'guest';
  /** 1 hour to 30 days. */
  expiresInHours: number;
  /** 1 to 100 people. */
  maxUses: number;
}

// ---- personal state (docs/messaging.md, "Personal state"): data/personal.ts ----

/** A saved message (show it through a conversation store's `lookup`). */
export interface SavedItem {
  conversationId: string;
  messageId: string;
  /** When it was saved (ms). */
  at: number;
}

export interface ReminderItem {
  conversationId: string;
  messageId: string;
  /** When it was set (ms). */
  at: number;
  /** When it fires (ms). */
  due: number;
  /** When it was marked done; null while pending. */
  done: number | null;
}

/** "Unread from here": the sidebar badge shows at least `count`; opening it clears the mark. */
export interface UnreadMarkView {
  conversationId: string;
  /** The first message to show as unread; null: the conversation as a whole. */
  from: string | null;
  count: number;
  at: number;
}

/** A draft on this device (drafts do not sync; see docs/messaging.md). */
export interface DraftItem {
  conversationId: string;
  /** The thread's root when it is a thread reply's draft. */
  threadRoot: string | null;
  text: string;
  /** When it was last written (ms). */
  at: number;
}

export interface PersonalState {
  /** False until the local copy has been read. */
  loaded: boolean;
  saved: SavedItem[];
  /** Pending ones first (soonest due first), then done ones. */
  reminders: ReminderItem[];
  unread: ReadonlyMap<string, UnreadMarkView>;
  drafts: DraftItem[];
}

export interface PersonalApi {
  state: Observe<PersonalState>;
  save(conversationId: string, messageId: string): Promise<void>;
  unsave(conversationId: string, messageId: string): Promise<void>;
  /** Unread from `from` on (null: the whole conversation), `count` messages from there. */
  markUnread(conversationId: string, from: string | null, count: number): Promise<void>;
  /** Read again: the mark goes (every device). */
  clearUnread(conversationId: string): Promise<void>;
  /** Sets or moves the reminder on a message (`due`: ms, at most a year ahead). */
  remind(conversationId: string, messageId: string, due: number): Promise<void>;
  finishReminder(conversationId: string, messageId: string): Promise<void>;
  cancelReminder(conversationId: string, messageId: string): Promise<void>;
  /**
   * Called when a reminder falls due on this device (offline too), once per reminder and due
   * time per device; reminders that fell due while nobody listened come at once.
   */
  onReminderDue(listener: (r: ReminderItem) => void): () => void;
}
