// What a conversation (conversation.ts) needs from the client that opened it. The client
// implements it; conversation.ts depends on this interface only, so the two never import
// each other.
import type { Clock } from '../../../core/src/hlc';
import type { Action } from '../../../core/src/authz/permissions';
import type { ConversationKind, ConversationRole, Member } from './api';
import type { DocHost, OpenDoc } from './docs';
import type { SummaryRecord } from './store';
import type { Files } from './files/files';
import type { ScreenPrefetch } from './screen-cache';

/** What a conversation view shows of the conversation itself (client.convState). */
export interface ConvState {
  kind: ConversationKind;
  role: ConversationRole;
  archived: boolean;
  removed: boolean;
  /** Nothing may be written anywhere now, and why (offline past the workspace's limit). */
  readOnly: string | null;
  canPost: boolean;
  canModerate: boolean;
  members: Member[];
  error: string | null;
}

export interface ConversationHost {
  /** The open documents (acquire, release, connection). */
  readonly host: DocHost;
  /** The screen caches of the top of the list, read at start (screen-cache.ts). */
  readonly screens: ScreenPrefetch | null;
  /** My user id. */
  readonly me: string;
  /** Files: attachments are prepared and queued here before the message is written. */
  readonly files: Files;
  /** The clock that assigns message ids. */
  readonly clock: Clock;
  /** Errors of documents whose local copy has unreadable records, by room or conversation. */
  readonly errors: Map<string, Error>;
  now(): number;
  /** Persists the clock's newest id so a restart never issues a smaller one. */
  saveClock(): void;
  /** Called when a conversation's state (or, with null, names and people) changes. */
  onConvChange(listener: (convId: string | null) => void): () => void;
  /** The cached summary of a conversation (title, page index) before its meta document loads. */
  summaryOf(convId: string): SummaryRecord | undefined;
  /** The list's title of a conversation (a DM: the other person's name). */
  titleFor(convId: string): string | undefined;
  nameOf(user: string, fallback?: string): string;
  /** Acquires a conversation's meta document and keeps its summary in step with it. */
  holdMeta(convId: string): OpenDoc;
  /** Keeps the conversation's summary (and the search index) in step with one of its pages. */
  watchPage(convId: string, od: OpenDoc): void;
  /** Records the meta document's counts for a page once the page has synced (workspace mode). */
  notePageSynced(convId: string, period: number, page: OpenDoc, metaDoc: OpenDoc): void;
  /** What a conversation view shows about the conversation and what I may do in it. */
  convState(convId: string): ConvState;
  /** Throws ModelError('forbidden') unless I may do `action` here. */
  assertMay(convId: string, action: Action): void;
  /** Why pins cannot be written now, or null. */
  pinsUnavailable(): string | null;
}
