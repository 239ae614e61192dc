// A cheap y-websocket client for load generation: it speaks the same frames as the stock
// WebsocketProvider (sync step 1/2, updates, awareness, query-awareness) over `ws`, but keeps
// no Y.Doc, so one process can hold a thousand of them. It keeps only the updates it wrote
// itself, to answer the server's sync step 1 as a real client would.
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';

const MSG_SYNC = 0;
const MSG_AWARENESS = 1;
const MSG_AUTH = 2;
const MSG_QUERY_AWARENESS = 3;
const SYNC_STEP1 = 0;
const SYNC_STEP2 = 1;
const SYNC_UPDATE = 2;

const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());

export interface WireClientOptions {
  /** The Yjs clientID this client announces in its awareness state. */
  clientId: number;
  /**
   * Announce an awareness state on open, as a stock WebsocketProvider does once the app has set
   * a local state field (the user's name): clock 1, so servers accept and broadcast it. (The
   * provider's initial state {} has clock 0, which servers ignore as not newer.)
   */
  awareness?: boolean;
  /** Called with every document update the server forwards (not sync step 2). */
  onUpdate?: (update: Uint8Array) => void;
  /**
   * Called with the state vector of every sync step 1 the server sends: Ferry's relay sends one
   * after each durable commit of this client's updates (its acknowledgement).
   */
  onServerState?: (stateVector: Map<number, number>) => void;
}

export class WireClient {
  /** Resolves when the server's sync step 2 arrived (what the stock client calls "synced"). */
  readonly synced: Promise<void>;
  /** Resolves when the socket is closed, for whatever reason. */
  readonly closed: Promise<void>;
  awarenessFrames = 0;
  updateFrames = 0;
  private readonly ws: WebSocket;
  private state: Uint8Array = EMPTY_UPDATE;
  private awarenessClock = 1;

  constructor(
    url: string,
    private readonly options: WireClientOptions,
  ) {
    this.ws = new WebSocket(url);
    this.ws.binaryType = 'nodebuffer';
    let resolveSynced: () => void = () => {};
    let rejectSynced: (error: Error) => void = () => {};
    let isSynced = false;
    this.synced = new Promise<void>((resolve, reject) => {
      resolveSynced = () => {
        isSynced = true;
        resolve();
      };
      rejectSynced = reject;
    });
    // A rejection nobody awaits must not crash the run; callers that care await `synced`.
    this.synced.catch(() => {});
    this.closed = new Promise<void>((resolve) => {
      this.ws.on('close', (code, reason) => {
        if (!isSynced) rejectSynced(new Error(`closed before sync: ${code} ${String(reason)}`));
        resolve();
      });
    });
    this.ws.on('error', (error) => {
      if (!isSynced) rejectSynced(error);
    });
    this.ws.on('open', () => {
      this.send((e) => {
        encoding.writeVarUint(e, MSG_SYNC);
        encoding.writeVarUint(e, SYNC_STEP1);
        encoding.writeVarUint8Array(e, Y.encodeStateVectorFromUpdate(this.state));
      });
      if (options.awareness) this.sendAwareness();
    });
    this.ws.on('message', (data: Buffer) => {
      const decoder = decoding.createDecoder(
        new Uint8Array(data.buffer, data.byteOffset, data.length),
      );
      const type = decoding.readVarUint(decoder);
      if (type === MSG_SYNC) {
        const step = decoding.readVarUint(decoder);
        const payload = decoding.readVarUint8Array(decoder);
        if (step === SYNC_STEP1) {
          options.onServerState?.(Y.decodeStateVector(payload));
          this.send((e) => {
            encoding.writeVarUint(e, MSG_SYNC);
            encoding.writeVarUint(e, SYNC_STEP2);
            encoding.writeVarUint8Array(e, Y.diffUpdate(this.state, payload));
          });
        } else if (step === SYNC_STEP2) {
          resolveSynced();
        } else if (step === SYNC_UPDATE) {
          this.updateFrames++;
          options.onUpdate?.(payload);
        }
      } else if (type === MSG_AWARENESS) {
        this.awarenessFrames++;
      } else if (type === MSG_QUERY_AWARENESS) {
        if (options.awareness) this.sendAwareness();
      } else if (type === MSG_AUTH) {
        rejectSynced(new Error('permission denied by the server'));
      }
    });
  }

  /** Sends a document update this client wrote, and remembers it for later sync steps. */
  sendUpdate(update: Uint8Array): void {
    this.state = Y.mergeUpdates([this.state, update]);
    this.send((e) => {
      encoding.writeVarUint(e, MSG_SYNC);
      encoding.writeVarUint(e, SYNC_UPDATE);
      encoding.writeVarUint8Array(e, update);
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      this.ws.close();
    }
    return this.closed;
  }

  /** Drops the connection without a close handshake (like a client that vanished). */
  terminate(): Promise<void> {
    this.ws.terminate();
    return this.closed;
  }

  private sendAwareness(): void {
    // An awareness update for one client: count, then clientID, clock, JSON state.
    const state = { user: { name: `bench ${this.options.clientId}` } };
    const update = encoding.encode((e) => {
      encoding.writeVarUint(e, 1);
      encoding.writeVarUint(e, this.options.clientId);
      encoding.writeVarUint(e, this.awarenessClock++);
      encoding.writeVarString(e, JSON.stringify(state));
    });
    this.send((e) => {
      encoding.writeVarUint(e, MSG_AWARENESS);
      encoding.writeVarUint8Array(e, update);
    });
  }

  private send(write: (encoder: encoding.Encoder) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encoding.encode(write));
  }
}
