// The renderer's data API: everything Svelte components may know about data.
// Components import these types and call these methods; they never see a Y.Doc,
// a provider or IndexedDB. The implementation lives beside this file.

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

export interface Person {
  id: string;
  username: string;
  displayName: string;
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
}

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  /** For a DM: the other person's display name. */
  title: string;
  createdAt: number;
  lastMessage: { text: string; authorName: string; at: number } | null;
  unread: number;
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

/** pending: on this device's disk only. stored: durably stored by the relay. */
export type Delivery = 'pending' | 'stored';

export interface MessageView {
  id: string;
  authorId: string;
  authorName: string;
  text: string;
  createdAt: number;
  editedAt: number | null;
  deleted: boolean;
  /** Written while this device (the author's) had no connection. */
  writtenOffline: boolean;
  mine: boolean;
  delivery: Delivery;
  /** My own message, in a conversation I may still write in. */
  canEdit: boolean;
  /** My own message, or I moderate the conversation (a moderator deletion). */
  canDelete: boolean;
}

export interface ConversationView {
  id: string;
  title: string;
  kind: ConversationKind;
  /** My role in it. */
  role: ConversationRole;
  archived: boolean;
  removed: boolean;
  /** False in an announcement channel for plain members, when archived, when removed. */
  canPost: boolean;
  /** May delete others' messages. */
  canModerate: boolean;
  members: Member[];
  /** Ascending by id (hybrid logical clock): the same order on every replica. */
  messages: MessageView[];
  hasOlder: boolean;
  loadingOlder: boolean;
}

export interface ConversationStore {
  readonly id: string;
  /** Opens the meta document and the newest page(s); resolves once they are loaded from disk. */
  loadRecent(): Promise<void>;
  /** Loads the next older page. Resolves to false when there is nothing older. */
  loadBefore(): Promise<boolean>;
  /** Resolves once the message is on this device's disk. */
  send(text: string): Promise<MessageView>;
  edit(messageId: string, text: string): Promise<void>;
  remove(messageId: string): Promise<void>;
  markRead(): void;
  observe: Observe<ConversationView>;
  /** Releases documents and subscriptions. */
  close(): void;
}

export interface FerryClient {
  readonly session: Session;
  sync: Observe<SyncStatus>;
  auth: Observe<AuthStatus>;
  conversations: Observe<ConversationSummary[]>;
  /** Everyone I share a conversation with, plus me (from the directory document; offline). */
  people: Observe<Person[]>;
  /** Works offline: the conversation exists at once and is registered on reconnect. */
  createConversation(input: NewConversation): Promise<string>;
  /** The DM with that person (deterministic id); works offline. */
  openDm(userId: string): Promise<string>;
  open(conversationId: string): ConversationStore;
  /** Online only (ApiError 'offline' otherwise). */
  searchPeople(query: string): Promise<Person[]>;
  browseChannels(): Promise<ChannelListing[]>;
  join(conversationId: string): Promise<void>;
  leave(conversationId: string): Promise<void>;
  invite(conversationId: string, userIds: string[]): Promise<void>;
  removeMember(conversationId: string, userId: string): Promise<void>;
  setRole(conversationId: string, userId: string, role: ConversationRole): Promise<void>;
  rename(conversationId: string, title: string): Promise<void>;
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
  /** Revokes the session on the relay (if reachable), wipes tokens; local data kept. */
  signOut(): Promise<void>;
  /** Flushes everything to disk and closes connections. */
  close(): Promise<void>;
}
