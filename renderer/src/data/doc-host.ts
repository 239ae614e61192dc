// Open documents: each is loaded from the local store, appends every update to it, and (when a
// relay is configured) is synced by a stock WebsocketProvider. Reference-counted: a document
// nobody uses is destroyed. See README.md (Persistence, Sync).
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { WebsocketProvider } from 'y-websocket';
import type { Connection } from './api';
import { FerryProvider, OpenDoc, type Transport } from './open-doc';
import { MAX_REBUILDS, REBUILT, swapInRebuilt, type Rewritten } from './rebuild';
import { COMPACT_ROWS, CorruptRecordError, type DocRecord, type LocalStore, type UpdateRow } from './store';
import { createSplitter, PIECE_BYTES, type Splitter } from './pieces';
import { yieldToMain } from './yield';

/** Origin of the updates applied while loading from disk: those are not written again. */
const LOAD = Symbol('ferry-load');

/** What the client tells the host about rooms (accounts): which may connect, and refusals. */
export interface RoomPolicy {
  /** True: keep this room local (not registered yet, removed, denied). */
  blocked(room: string): boolean;
  /** The relay closed the room for good (4403 not a member, removed from conversation, ...). */
  onRefused?(room: string, code: number, reason: string): void;
  /**
   * The relay refused an update of the room (y-websocket permission-denied). `held`: after a
   * rebuild, so this device's changes there are kept and no longer sent (the room receives).
   */
  onDenied?(room: string, reason: string, held: boolean): void;
  /** A refused room was rebuilt on a new clientID and my unsent entries re-sent. */
  onRecovered?(room: string, reason: string, rewritten: Rewritten): void;
  /** Who "mine" is when rebuilding: the signed-in user. */
  me?: string;
  now?: () => number;
}

type UpdateListener = (update: Uint8Array, origin: unknown, doc: Y.Doc) => void;
/** An update with no change: what `update` listeners get for the stored state (applyStored). */
const EMPTY_UPDATE = new Uint8Array([0, 0]);

/** Longest run of stored rows applied in one task while loading (the long-task line is 50 ms). */
const LOAD_SLICE_MS = 8;

/**
 * Applies a document's stored rows, in slices of at most LOAD_SLICE_MS with a yield between: a
 * busy page is stored in pieces (pieces.ts), so no task decodes all of it. Yjs encodes every
 * transaction again as an update for its `update` listeners, which for a stored page costs as
 * much as decoding it and tells the listeners nothing (the rows are on disk already): they are
 * set aside while the rows are applied, then told once, with an empty update and the LOAD origin
 * (issue 16). The document is not `loaded` before this resolves: nobody reads it half applied.
 */
export async function applyStored(
  doc: Y.Doc,
  rows: UpdateRow[],
  refused: Array<{ seq: number; reason: string }>,
): Promise<void> {
  const observers = (doc as unknown as { _observers: Map<string, Set<UpdateListener>> })._observers;
  const listeners = observers.get('update');
  observers.delete('update');
  try {
    let i = 0;
    while (i < rows.length) {
      if (i > 0) await yieldToMain();
      const until = performance.now() + LOAD_SLICE_MS;
      doc.transact(() => {
        do {
          const row = rows[i++] as UpdateRow;
          try {
            Y.applyUpdate(doc, row.data, LOAD);
          } catch (e) {
            refused.push({ seq: row.seq, reason: e instanceof Error ? e.message : String(e) });
          }
        } while (i < rows.length && performance.now() < until);
      }, LOAD);
    }
  } finally {
    // Listeners added meanwhile (by observers of the transaction, or between slices) are kept.
    const added = observers.get('update');
    if (listeners) {
      for (const f of added ?? []) listeners.add(f);
      observers.set('update', listeners);
    }
  }
  if (listeners && rows.length > 0) for (const f of [...listeners]) f(EMPTY_UPDATE, LOAD, doc);
}

/**
 * Whether a document's stored rows are worth compacting at load: rows appended since the last
 * compaction, or one snapshot large enough to be cut in pieces that a Ferry before pieces wrote.
 */
function worthCompacting(rows: UpdateRow[]): boolean {
  if (rows.length === 0) return false;
  if (rows.length === 1) return rows[0]?.p !== 1 && (rows[0]?.data.byteLength ?? 0) > PIECE_BYTES;
  return rows.some((r) => r.p !== 1);
}

/**
 * Counts per room, and the rooms whose count is above zero: the sync status sums those at every
 * change of every open document, and a catch-up of 2,000 rooms leaves 2,000 zeros behind
 * (issue 16: summing the whole map was a cost per room per room).
 */
export class PendingCounts extends Map<string, number> {
  private readonly positive = new Set<string>();

  override set(room: string, n: number): this {
    if (n > 0) this.positive.add(room);
    else this.positive.delete(room);
    return super.set(room, n);
  }

  override delete(room: string): boolean {
    this.positive.delete(room);
    return super.delete(room);
  }

  override clear(): void {
    this.positive.clear();
    super.clear();
  }

  /** Rooms with a count above zero. */
  rooms(): IterableIterator<string> {
    return this.positive.values();
  }
}

export class DocHost {
  private readonly open = new Map<string, OpenDoc>();
  /** Cuts compacted snapshots in pieces (a worker, started with the first compaction). */
  private splitter: Splitter | null = null;
  policy: RoomPolicy | null = null;
  /** Unconfirmed local updates per room, including rooms not open now (from `doc:` records). */
  readonly pendingByRoom = new PendingCounts();
  private readonly listeners = new Set<() => void>();
  /** Released documents whose load has not finished: destroyed when it does, or at close. */
  private readonly dropping = new Set<OpenDoc>();
  private closed = false;
  private online: boolean;
  private transportStatus: Connection = 'offline';

  constructor(
    readonly store: LocalStore,
    private readonly transport: Transport | null,
    online: boolean,
  ) {
    this.online = online;
    transport?.status?.((c) => {
      this.transportStatus = c;
      this.emit();
    });
  }

  /** Called when the connection, pending counts or any open document's sync state changed. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }

  get connection(): Connection {
    if (!this.transport || !this.online) return 'offline';
    if (this.transport.status) return this.transportStatus;
    let any = false;
    for (const od of this.open.values()) {
      if (od.providerStatus === 'online') return 'online';
      if (od.provider) any = true;
    }
    return any ? 'connecting' : 'offline';
  }

  get shared(): boolean {
    return this.transport?.shared === true;
  }

  get pending(): number {
    let n = 0;
    for (const room of this.pendingByRoom.rooms()) n += this.pendingByRoom.get(room) ?? 0;
    return n;
  }

  isOpen(room: string): boolean {
    return this.open.has(room);
  }

  get(room: string): OpenDoc | undefined {
    return this.open.get(room);
  }

  /** Opens (or shares) a document; await `od.loaded` before reading it. */
  acquire(room: string): OpenDoc {
    let od = this.open.get(room);
    if (!od) {
      od = new OpenDoc(room);
      this.open.set(room, od);
      od.loaded = this.load(od);
    }
    od.refs++;
    return od;
  }

  release(od: OpenDoc): void {
    od.refs--;
    if (od.refs > 0 || this.open.get(od.room) !== od) return;
    // Unconfirmed local changes: stay connected until the relay confirms them (see onRelayState).
    if (this.transport && od.pending > 0 && od.provider && !od.refused && !od.denied) return;
    this.drop(od);
  }

  private drop(od: OpenDoc): void {
    this.open.delete(od.room);
    this.dropping.add(od);
    od.loaded.then(
      () => this.destroy(od),
      () => this.destroy(od),
    );
  }

  private destroy(od: OpenDoc): void {
    this.dropping.delete(od);
    if (od.refs > 0) return;
    od.provider?.destroy();
    od.provider = null;
    od.rebuild?.doc.destroy();
    od.rebuild = null;
    od.destroyAwareness();
    od.doc.destroy();
    this.emit();
  }

  private async load(od: OpenDoc): Promise<void> {
    const { rows, bad, record } = await this.store.readDoc(od.room);
    if (record) od.record = record;
    if (od.record.remoteSV) od.relaySV = Y.decodeStateVector(od.record.remoteSV);
    const refused: Array<{ seq: number; reason: string }> = [...bad];
    await applyStored(od.doc, rows, refused);
    od.rows = rows.length + bad.length;
    if (refused.length > 0) {
      od.error = new CorruptRecordError(
        od.room,
        refused.map((r) => r.seq),
        refused.map((r) => r.reason).join('; ').slice(0, 200),
      );
    } else if (worthCompacting(rows) && !this.closed) {
      // Rows from the last session (or an old uncut snapshot): one snapshot now, in pieces.
      // Pieces only, or one small row: nothing is written.
      this.compact(od);
    }
    this.pendingByRoom.set(od.room, od.pending);
    od.isLoaded = true;
    this.listen(od);
    if (this.mayConnect(od)) this.connect(od, this.transport as Transport);
    // What waits for `loaded` (views, the list's counts, indexing) runs in a task of its own:
    // the decode above is one task already (issue 16, no task over 50 ms).
    await yieldToMain();
  }

  /** The document's rows replaced by its snapshot, cut in pieces off the main thread. */
  private compact(od: OpenDoc): void {
    this.splitter ??= createSplitter();
    const split = this.splitter.split;
    this.store.compact(od.room, Y.encodeStateAsUpdate(od.doc), split).catch(() => undefined);
    od.rows = 1;
  }

  private mayConnect(od: OpenDoc): boolean {
    return (
      this.transport !== null &&
      od.refs > 0 &&
      !this.closed &&
      od.isLoaded &&
      od.provider === null &&
      !(this.policy?.blocked(od.room) ?? false)
    );
  }

  /** Connects the open documents that may now (a conversation was registered). */
  reconsider(): void {
    for (const od of this.open.values()) {
      if (od.refused && od.provider && !(this.policy?.blocked(od.room) ?? false)) {
        // Refused before (e.g. 4403 while not a member), allowed now (added again).
        od.refused = null;
        od.provider.connect();
      } else if (this.mayConnect(od)) {
        od.refused = null;
        this.connect(od, this.transport as Transport);
      }
    }
  }

  /** Stops syncing rooms the policy now blocks (removed): local copies stay. */
  disconnectBlocked(): void {
    for (const od of this.open.values()) {
      if (od.provider && this.policy?.blocked(od.room)) {
        od.provider.destroy();
        od.provider = null;
        od.rebuild?.doc.destroy();
        od.rebuild = null;
        od.providerStatus = 'offline';
        od.synced = false;
        od.emitState();
      }
    }
    this.emit();
  }

  private listen(od: OpenDoc): void {
    od.hostListener = (update: Uint8Array, origin: unknown) => this.onUpdate(od, update, origin);
    od.doc.on('update', od.hostListener);
  }

  private onUpdate(od: OpenDoc, update: Uint8Array, origin: unknown): void {
    if (origin === LOAD) return;
    // A late update from the relay after close: not stored, the relay sends it again next time.
    // (A local write after close reaches the store, which refuses it loudly.)
    if (this.closed && origin instanceof WebsocketProvider) return;
    let record: DocRecord | undefined;
    if (origin !== od.provider || od.provider === null) {
      const client = od.doc.clientID;
      od.record.pending.push([client, Y.getState(od.doc.store, client)]);
      record = od.record;
      this.pendingByRoom.set(od.room, od.pending);
    }
    od.lastWrite = this.store.append(od.room, update, record);
    od.rows++;
    if (od.rows > COMPACT_ROWS && !od.error) this.compact(od);
    if (record) this.emit();
  }

  private connect(od: OpenDoc, transport: Transport): void {
    // Refused before (now, or by a previous release that stopped the room for good): sync a
    // fresh document on a new clientID first and rebuild from it (finishRebuild).
    const rebuilding = od.record.denied !== undefined && od.record.held === undefined;
    const doc = rebuilding ? new Y.Doc() : od.doc;
    const provider = new FerryProvider(transport.url, od.room, doc, {
      connect: this.online,
      disableBc: true,
      awareness: od.awareness,
      WebSocketPolyfill: transport.WebSocket as typeof WebSocket,
      maxBackoffTime: 10_000,
      // 4401 (token expired, session ended) is about the socket, not the room: the client
      // refreshes and reconnects the mux, the room waits for it. Other 44xx are final.
      shouldReconnect: (event) => event.code === 4401 || !(event.code >= 4400 && event.code < 4500),
    });
    const auth = provider.messageHandlers[2];
    if (auth) {
      provider.messageHandlers[2] = (_encoder, decoder) => {
        // y-websocket's auth message: 0 = permission denied, then the reason.
        const denied = decoding.readVarUint(decoder) === 0;
        const reason = denied ? decoding.readVarString(decoder) : '';
        if (denied && od.provider === provider) this.onDenied(od, reason);
      };
    }
    const sync = provider.messageHandlers[0];
    if (sync) {
      provider.messageHandlers[0] = (encoder, decoder, p, emitSynced, type) => {
        // Peek: a sync step 1 from the relay is its state vector, sent after each durable write.
        const peek = decoding.createDecoder(decoder.arr);
        peek.pos = decoder.pos;
        if (decoding.readVarUint(peek) === 0) {
          // While rebuilding, the relay's state vector is about the fresh document.
          if (od.rebuild?.provider !== provider) {
            this.onRelayState(od, Y.decodeStateVector(decoding.readVarUint8Array(peek)));
          }
          // Held: receive only; answering would send the refused entries again.
          if (od.record.held !== undefined) return;
        }
        sync(encoder, decoder, p, emitSynced, type);
      };
    }
    provider.on('status', ({ status }) => {
      od.providerStatus =
        status === 'connected' ? 'online' : status === 'connecting' ? 'connecting' : 'offline';
      // After the provider's open steps (its own announcement is skipped: no local state yet).
      if (status === 'connected') queueMicrotask(() => od.republish());
      this.emit();
    });
    provider.on('closed', (event: { code: number; reason: string }) => {
      od.refused = { code: event.code, reason: event.reason };
      od.emitState();
      this.emit();
      this.policy?.onRefused?.(od.room, event.code, event.reason);
    });
    provider.on('sync', (synced: boolean) => {
      if (od.rebuild?.provider === provider) {
        if (synced) this.finishRebuild(od);
        return;
      }
      od.synced = synced;
      od.emitState();
      this.emit();
    });
    if (od.record.held !== undefined) doc.off('update', provider._updateHandler); // receive only
    if (rebuilding) od.rebuild = { provider, doc };
    od.provider = provider;
  }

  /**
   * The fresh document holds the relay's state: write my entries the relay lacks into it, put it
   * in place of the refused one (listeners carried over), replace the stored rows, resend.
   */
  private finishRebuild(od: OpenDoc): void {
    const r = od.rebuild;
    if (!r || this.closed) return;
    od.rebuild = null;
    const fresh = r.doc;
    const now = this.policy?.now?.() ?? Date.now();
    const { reason, rewritten, consumers } = swapInRebuilt(od, fresh, this.policy?.me, now);
    this.listen(od);
    od.lastWrite = this.store.replaceDoc(od.room, Y.encodeStateAsUpdate(fresh), od.record);
    od.lastWrite.catch(() => undefined);
    this.pendingByRoom.set(od.room, od.pending);
    // Every view re-reads the document now in place.
    const all = Y.encodeStateAsUpdate(fresh);
    for (const f of consumers) f(all, REBUILT, fresh, null);
    od.synced = true;
    od.emitState();
    this.emit();
    this.policy?.onRecovered?.(od.room, reason, rewritten);
  }

  /**
   * permission-denied: stop sending this document and rebuild it on a new clientID (README,
   * "Recovering from a refused update"); after MAX_REBUILDS, hold it (receive only).
   */
  private onDenied(od: OpenDoc, reason: string): void {
    const provider = od.provider;
    if (!provider) return;
    if (/rate.?limit/i.test(reason)) {
      // Dropped without quarantine: the next sync sends it again.
      provider.disconnect();
      setTimeout(() => {
        if (od.provider === provider && !this.closed) provider.connect();
      }, 2_000);
      return;
    }
    provider.destroy();
    od.provider = null;
    od.providerStatus = 'offline';
    od.synced = false;
    const fresh = od.rebuild?.doc;
    od.rebuild = null;
    fresh?.destroy();
    const why = reason || 'refused by the relay';
    const held = (od.record.rebuilds ?? 0) >= MAX_REBUILDS;
    if (held) {
      od.record.held = why;
      delete od.record.denied;
    } else {
      od.record.denied = why;
    }
    // Stored before anything else: a restart rebuilds (or holds) rather than resending.
    this.store.putDocRecord(od.room, od.record).catch(() => undefined);
    od.emitState();
    this.emit();
    this.policy?.onDenied?.(od.room, why, held);
    // Rebuild now (or, held, go on receiving): a fresh provider.
    if (this.mayConnect(od)) this.connect(od, this.transport as Transport);
  }

  private onRelayState(od: OpenDoc, sv: Map<number, number>): void {
    if (this.closed) return;
    od.relaySV = sv;
    const before = od.record.pending.length;
    od.record.pending = od.record.pending.filter(([c, clock]) => (sv.get(c) ?? 0) < clock);
    od.record.remoteSV = Y.encodeStateVector(sv);
    // Everything of mine confirmed since a rebuild: a later refusal may rebuild again.
    if (od.pending === 0 && od.record.rebuilds !== undefined && od.record.held === undefined) {
      delete od.record.rebuilds;
    }
    // Written with the other rooms' acknowledgements in one transaction (LocalStore).
    this.store.putDocRecordSoon(od.room, od.record);
    this.pendingByRoom.set(od.room, od.pending);
    od.emitState();
    if (before !== od.pending) this.emit();
    if (od.refs === 0 && od.pending === 0 && this.open.get(od.room) === od) this.drop(od);
  }

  setOnline(online: boolean): void {
    if (this.online === online) return;
    this.online = online;
    if (online) this.transport?.goOnline?.();
    else this.transport?.goOffline?.();
    for (const od of this.open.values()) {
      if (!od.provider) continue;
      if (online) od.provider.connect();
      else od.provider.disconnect();
    }
    this.emit();
  }

  /** Waits for every write started so far, then closes providers (documents stay readable). */
  async close(): Promise<void> {
    this.closed = true;
    for (const od of [...this.open.values(), ...this.dropping]) {
      od.provider?.destroy();
      od.provider = null;
      od.rebuild = null;
    }
    this.transport?.close?.();
    await this.store.flush();
    this.splitter?.close();
  }
}
