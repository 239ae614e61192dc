// A stored document in pieces (issue 16, "no main-thread task over 50 ms"): a compacted page of a
// busy conversation is one Yjs update of thousands of structs, and applying it is one task of
// 100-270 ms on a loaded machine. `splitUpdate` cuts such a snapshot into updates that each apply
// completely on their own, in order: every piece holds, for each client, the next run of its
// structs, and everything those structs refer to (their left and right origins and their parent)
// is in the same piece or an earlier one. Applied one piece per task, no piece waits in Yjs's
// pending structs and no task decodes the whole page. The pieces are ordinary updates: a Ferry
// that applies every row of a document in one go reads them as it reads any rows.
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';

/** Structs per piece: ~ 3 ms of decoding on a quiet laptop (renderer/src/data/README.md). */
export const PIECE_STRUCTS = 1_000;
/** A stored snapshot above this size is worth cutting (~ 30 bytes a struct in a page). */
export const PIECE_BYTES = 48 * 1024;

type Struct = Y.Item | Y.GC | Y.Skip;

interface ClientRun {
  structs: Struct[];
  /** Structs of this client already in a piece. */
  cut: number;
}

/** Index of the struct holding `clock` (structs sorted by clock, contiguous), or -1. */
function indexOfClock(structs: Struct[], clock: number): number {
  let lo = 0;
  let hi = structs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = structs[mid] as Struct;
    if (clock < s.id.clock) hi = mid - 1;
    else if (clock >= s.id.clock + s.length) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Cuts a V1 update (a document's snapshot) into pieces of about `maxStructs` structs that apply
 * in order, each without waiting for a later one; the delete set goes with the last. Returns
 * `[update]` when it is small or holds what a snapshot does not (skipped ranges).
 */
export function splitUpdate(update: Uint8Array, maxStructs = PIECE_STRUCTS): Uint8Array[] {
  const { structs, ds } = Y.decodeUpdate(update);
  if (structs.length <= maxStructs) return [update];
  const runs = new Map<number, ClientRun>();
  for (const s of structs) {
    if (s instanceof Y.Skip) return [update];
    const run = runs.get(s.id.client);
    if (run) run.structs.push(s);
    else runs.set(s.id.client, { structs: [s], cut: 0 });
  }
  for (const run of runs.values()) {
    run.structs.sort((a, b) => a.id.clock - b.id.clock);
    for (let i = 1; i < run.structs.length; i++) {
      const prev = run.structs[i - 1] as Struct;
      if ((run.structs[i] as Struct).id.clock !== prev.id.clock + prev.length) return [update];
    }
  }

  const total = structs.length;
  const pieces: Uint8Array[] = [];
  const pending: Struct[] = [];
  /** Takes the structs of `run` up to and including index `upTo` into the current piece. */
  const take = (run: ClientRun, upTo: number): void => {
    for (let i = run.cut; i <= upTo; i++) pending.push(run.structs[i] as Struct);
    if (upTo >= run.cut) run.cut = upTo + 1;
  };
  const need = (id: Y.ID | null): void => {
    if (id === null) return;
    const run = runs.get(id.client);
    if (!run) return; // outside this update: already in the document it is applied to
    const i = indexOfClock(run.structs, id.clock);
    if (i >= run.cut) take(run, i);
  };
  let included = 0;
  while (included < total) {
    const from = new Map<number, number>();
    for (const [client, run] of runs) from.set(client, run.cut);
    // Each client advances by its share of a piece (its structs were written over the same
    // span of time as the others', roughly), then the piece is closed over what they refer to.
    for (const run of runs.values()) {
      const share = Math.ceil((run.structs.length * maxStructs) / total);
      take(run, Math.min(run.structs.length, run.cut + share) - 1);
    }
    while (pending.length > 0) {
      const s = pending.pop() as Struct;
      if (s instanceof Y.Item) {
        need(s.origin);
        need(s.rightOrigin);
        if (s.parent instanceof Y.ID) need(s.parent);
      }
    }
    const enc = new Y.UpdateEncoderV1();
    const clients = [...runs].filter(([client, run]) => run.cut > (from.get(client) ?? 0));
    encoding.writeVarUint(enc.restEncoder, clients.length);
    for (const [client, run] of clients) {
      const start = from.get(client) ?? 0;
      encoding.writeVarUint(enc.restEncoder, run.cut - start);
      enc.writeClient(client);
      encoding.writeVarUint(enc.restEncoder, (run.structs[start] as Struct).id.clock);
      for (let i = start; i < run.cut; i++) (run.structs[i] as Struct).write(enc, 0);
      included += run.cut - start;
    }
    encoding.writeVarUint(enc.restEncoder, 0); // the delete set: with the last piece
    pieces.push(enc.toUint8Array());
  }
  if (ds.clients.size > 0) {
    // The snapshot's delete set alone (every struct is below its own state vector).
    const deletions = Y.diffUpdate(update, Y.encodeStateVectorFromUpdate(update));
    pieces[pieces.length - 1] = Y.mergeUpdates([pieces[pieces.length - 1] as Uint8Array, deletions]);
  }
  return pieces;
}

/** Cuts snapshots into pieces off the main thread. */
export interface Splitter {
  split(update: Uint8Array): Promise<Uint8Array[]>;
  close(): void;
}

type Reply = { id: number; pieces?: Uint8Array[]; error?: string };

/**
 * A splitter backed by one module Worker (started with the first compaction, kept for the
 * client's life), or inline where Workers are missing (tests under Node) or the worker cannot
 * start: the same code either way. Decoding a page to cut it costs as much as applying it, which
 * is the long task the pieces are there to avoid.
 */
export function createSplitter(maxStructs = PIECE_STRUCTS): Splitter {
  const inline: Splitter = {
    split: (u) => Promise.resolve().then(() => splitUpdate(u, maxStructs)),
    close: () => undefined,
  };
  if (typeof Worker !== 'function') return inline;
  let worker: Worker | null = null;
  let broken = false;
  let next = 0;
  const waiting = new Map<number, { resolve: (p: Uint8Array[]) => void; reject: (e: Error) => void }>();
  const start = (): Worker => {
    const w = new Worker(new URL('./pieces-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (ev: MessageEvent<Reply>) => {
      const p = waiting.get(ev.data.id);
      if (!p) return;
      waiting.delete(ev.data.id);
      if (ev.data.pieces) p.resolve(ev.data.pieces);
      else p.reject(new Error(ev.data.error ?? 'cutting the snapshot failed'));
    };
    w.onerror = () => {
      // A worker that cannot start (a strict CSP, an old engine): cut inline from now on.
      for (const [, p] of waiting) p.reject(new Error('the pieces worker stopped'));
      waiting.clear();
      worker = null;
      broken = true;
    };
    return w;
  };
  return {
    split: (update) => {
      if (broken) return inline.split(update);
      worker ??= start();
      const id = ++next;
      const w = worker;
      return new Promise<Uint8Array[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        w.postMessage({ id, update, maxStructs });
      });
    },
    close: () => {
      worker?.terminate();
      worker = null;
      for (const [, p] of waiting) p.reject(new Error('closed'));
      waiting.clear();
    },
  };
}
