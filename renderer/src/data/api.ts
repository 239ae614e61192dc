// The renderer's data API: everything Svelte components may know about data.
// Components import these types and call these methods; they never see a Y.Doc,
// a provider or IndexedDB. The implementation lives beside this file.

/** Called with the current value at once, then on every change. Returns an unsubscribe. */
export type Observe<T> = (listener: (value: T) => void) => () => void;

export interface Session {
  userId: string;
  displayName: string;
  /** http(s) URL of the relay; WebSocket URLs are derived from it. */
  serverUrl: string;
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
  title: string;
  createdAt: number;
  lastMessage: { text: string; authorName: string; at: number } | null;
  unread: number;
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
}

export interface ConversationView {
  id: string;
  title: string;
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
  conversations: Observe<ConversationSummary[]>;
  createConversation(title: string): Promise<string>;
  open(conversationId: string): ConversationStore;
  getDraft(conversationId: string): Promise<string>;
  setDraft(conversationId: string, text: string): Promise<void>;
  /** Flushes everything to disk and closes connections. */
  close(): Promise<void>;
}
