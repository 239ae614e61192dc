// One open document: its Y.Doc (replaced in place when rebuilt), its own awareness, its stored
// record and sync state as DocHost keeps them, and the provider class that syncs it. See README.md
// (Persistence, Sync, Awareness).
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { WebsocketProvider } from 'y-websocket';
import type { Connection } from './api';
import type { CorruptRecordError, DocRecord } from './store';

/**
 * The stock provider, with an awareness that is not the document's (README, Awareness): y-websocket
 * announces `doc.clientID` in `disconnectBc` (called on every disconnect, BroadcastChannel or
 * not); with our own awareness that would name the document's clientID (and throw, since that id
 * is not in the awareness). Our state is withdrawn through the awareness itself instead.
 */
export class FerryProvider extends WebsocketProvider {
  override disconnectBc(): void {
    // Only a state I published is withdrawn: Awareness sends a removal even for a state that is
    // already null, and that was a frame for every room closed (a catch-up of 1,000
    // conversations closes 2,000 rooms: 2,000 frames of the relay's per-user budget for nothing).
    if (this.wsconnected && this.awareness.getLocalState() !== null) this.awareness.setLocalState(null);
  }
}

/** What a provider needs to reach the relay: a base URL and a WebSocket class (real or virtual). */
export interface Transport {
  /** The `serverUrl` given to WebsocketProvider; it appends `/<room>`. */
  url: string;
  /** A WebSocket constructor: the browser's, `ws`, or the mux's virtual socket class. */
  WebSocket: unknown;
  /** Many documents share one socket (the mux): keeping documents live is cheap. */
  shared?: boolean;
  /** Connection of the shared socket, when there is one (the mux); else derived from providers. */
  status?: (listener: (c: Connection) => void) => () => void;
  goOffline?: () => void;
  goOnline?: () => void;
  close?: () => void;
}

export class OpenDoc {
  // The room's name as the guid: Yjs would otherwise draw a random UUID per document (31 calls
  // to getRandomValues), a cost a catch-up of hundreds of rooms paid for nothing; a guid only
  // names subdocuments, which Ferry does not use.
  private current: Y.Doc;
  /** The document; replaced (same OpenDoc, listeners carried over) when it is rebuilt. */
  get doc(): Y.Doc {
    return this.current;
  }
  /** @internal DocHost only. */
  setDoc(doc: Y.Doc): void {
    this.current = doc;
  }
  private ownAwareness: Awareness | null = null;
  /**
   * This room's awareness, over its own small Y.Doc: its clientID is never a document's, so
   * announcing presence or typing never tells anyone which clientID this device writes with.
   */
  get awareness(): Awareness {
    if (!this.ownAwareness) {
      this.ownAwareness = new Awareness(new Y.Doc({ guid: `awareness:${this.room}` }));
      this.ownAwareness.setLocalState(null); // published only while connected (announce)
    }
    return this.ownAwareness;
  }
  /** My awareness state here, published whenever the room is connected. */
  private announced: Record<string, unknown> | null = null;
  announce(state: Record<string, unknown> | null): void {
    this.announced = state;
    if (this.provider?.wsconnected) this.awareness.setLocalState(state);
  }
  /** @internal The room (re)connected: publish my state (after the provider's own open steps). */
  republish(): void {
    if (this.provider?.wsconnected && this.announced !== null) this.awareness.setLocalState(this.announced);
  }
  /** @internal */
  destroyAwareness(): void {
    this.ownAwareness?.destroy();
    this.ownAwareness = null;
  }
  /** A rebuild in progress: the provider syncing the fresh document (README, "Recovering"). */
  rebuild: { provider: WebsocketProvider; doc: Y.Doc } | null = null;
  /** The host's own update listener on the current document. */
  hostListener: ((update: Uint8Array, origin: unknown) => void) | null = null;
  refs = 0;
  rows = 0;
  error: CorruptRecordError | null = null;
  record: DocRecord = { remoteSV: null, pending: [] };
  relaySV: Map<number, number> | null = null;
  provider: WebsocketProvider | null = null;
  providerStatus: Connection = 'offline';
  synced = false;
  lastWrite: Promise<void> = Promise.resolve();
  loaded!: Promise<void>;
  /** True once `loaded` has resolved: the document holds what the disk had. */
  isLoaded = false;
  private readonly listeners = new Set<() => void>();
  private readonly syncWaiters: Array<() => void> = [];

  constructor(readonly room: string) {
    this.current = new Y.Doc({ guid: room });
  }

  /** Called on relay confirmations and sync state changes (not on content: use doc events). */
  onState(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The relay closed this room for good (e.g. 4403 not allowed); the provider stopped. */
  refused: { code: number; reason: string } | null = null;

  /**
   * Why this device's changes here are no longer sent: the relay refused them again after a
   * rebuild (`held`); they stay on this device, not delivered. Null while syncing normally or
   * while a first refusal is being recovered from.
   */
  get denied(): string | null {
    return this.record.held ?? null;
  }

  emitState(): void {
    for (const l of [...this.listeners]) l();
    if (this.synced || this.refused) this.syncWaiters.splice(0).forEach((w) => w());
  }

  /** Resolves once the relay answered our first sync after connecting (or refused the room). */
  whenSynced(): Promise<void> {
    if (this.synced || this.refused) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Number of local updates the relay has not confirmed. */
  get pending(): number {
    return this.record.pending.length;
  }
}
