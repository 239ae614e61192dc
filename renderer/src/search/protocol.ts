// Messages between the page (index.ts) and the search worker (worker.ts). Every request has
// an id; every request gets exactly one response with that id, and errors come back as
// responses ({ ok: false }), never as exceptions in the worker.
import type { EngineQuery, EngineStats, QueryResult, SearchDoc } from './engine';

export type Request =
  | { id: number; type: 'init'; dbName: string | null }
  | { id: number; type: 'upsert'; docs: SearchDoc[] }
  | { id: number; type: 'remove'; ids: string[] }
  | { id: number; type: 'removeConversation'; convId: string }
  | {
      id: number;
      type: 'indexPage';
      convId: string;
      room: string;
      docs: SearchDoc[];
      mark: string | number;
    }
  | { id: number; type: 'marks' }
  | { id: number; type: 'query'; query: EngineQuery }
  | { id: number; type: 'cancel'; target: number }
  | { id: number; type: 'stats' }
  | { id: number; type: 'flush'; snapshot: boolean }
  | { id: number; type: 'close' };

export type ErrorCode =
  /** The request was malformed (a bad document, an unknown type). Nothing was changed. */
  | 'bad-request'
  /** Sent before init finished, or after close. */
  | 'not-ready'
  /** A newer query replaced this one, or cancel was sent for it. */
  | 'cancelled'
  /** IndexedDB failed; the in-memory index still has the change. */
  | 'storage'
  /** The worker died or could not start. */
  | 'worker'
  | 'internal';

export interface SearchError {
  code: ErrorCode;
  message: string;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: SearchError };

export interface InitInfo {
  docs: number;
  rooms: number;
  /** Why a saved index was dropped on open (corrupt, other version), or null. */
  dropped: string | null;
  /** The index came from a snapshot (true) or was built from the saved rows (false). */
  fromSnapshot: boolean;
  loadMs: number;
  /** Set by the page side: the index runs in a worker. */
  worker?: boolean;
  /** Set by the page side: why it runs on the page although a worker was asked for. */
  fallback?: string | null;
}

export interface Stats extends EngineStats {
  rooms: number;
  /** Changes held in memory that the next flush writes. */
  pending: number;
  persisted: boolean;
  lastFlushMs: number | null;
  flushError: string | null;
}

export interface Responses {
  init: InitInfo;
  upsert: number;
  remove: number;
  removeConversation: number;
  indexPage: { added: number; removed: number };
  marks: Record<string, string | number>;
  query: QueryResult;
  cancel: boolean;
  stats: Stats;
  flush: boolean;
  close: true;
}

export type Response = { id: number } & Result<unknown>;
