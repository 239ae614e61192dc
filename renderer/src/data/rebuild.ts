// Rebuilding a document the relay refused (README.md, "Recovering from a refused update"): the
// relay's state, plus this device's own entries the relay does not have, written again through
// the model. Every entry has exactly one owner (core schema.ts), so "mine" is well defined.
// `rewriteMine` is a helper core could hold one day; it lives here because only the app rebuilds
// documents. `swapInRebuilt` puts the rebuilt document behind its OpenDoc; DocHost (doc-host.ts)
// decides when (onDenied, finishRebuild) and stores the result.
import * as Y from 'yjs';
import * as page from '../../../core/src/model/page';
import * as meta from '../../../core/src/model/meta';
import { SCHEMA, rootsOf, validateEntry } from '../../../core/src/model/schema';
import { parseRoom, type RoomRef } from '../../../core/src/model/rooms';
import type { OpenDoc } from './open-doc';
import type { DocRecord } from './store';

/** Origin of the one `update` consumers get when their document was rebuilt. */
export const REBUILT = Symbol('ferry-rebuilt');

/**
 * Rebuilds of one room (after a refusal) before a further refusal is taken as final: the re-sent
 * entries themselves were refused (archived, announcement, removed), so the room is `held`.
 */
export const MAX_REBUILDS = 1;

type Listener = (...args: unknown[]) => void;

/**
 * Moves what consumers registered on `old` (its events, and its root types' observers) to
 * `next`: a rebuilt document replaces `old` behind its OpenDoc (README, "Recovering").
 */
function moveListeners(old: Y.Doc, next: Y.Doc): Listener[] {
  const observers = (old as unknown as { _observers: Map<string, Set<Listener>> })._observers;
  const updates = [...(observers.get('update') ?? [])];
  for (const [name, set] of observers) for (const f of set) next.on(name as 'update', f);
  observers.clear();
  for (const [name, type] of old.share) {
    if (!(type instanceof Y.Map)) continue;
    const target = next.getMap<unknown>(name);
    for (const f of type._eH.l.splice(0)) target.observe(f);
    for (const f of type._dEH.l.splice(0)) target.observeDeep(f);
  }
  return updates;
}

/** What `swapInRebuilt` did. */
export interface Swapped {
  /** The refusal recovered from. */
  reason: string;
  rewritten: Rewritten;
  /** The consumers' `update` listeners, now on the fresh document: each gets one REBUILT update. */
  consumers: Listener[];
}

/**
 * The fresh document holds the relay's state: writes my entries the relay lacks into it and puts
 * it in place of the refused one behind `od` (consumers' listeners carried over, the host's own
 * removed), with the record it now has. The caller listens, stores it and tells the consumers.
 */
export function swapInRebuilt(od: OpenDoc, fresh: Y.Doc, me: string | undefined, now: number): Swapped {
  const old = od.doc;
  const reason = od.record.denied ?? 'refused by the relay';
  const relaySV = Y.decodeStateVector(Y.encodeStateVector(fresh));
  // The clientIDs the refused state was written with: the relay's coverage of them means
  // nothing (another user's items may sit on them).
  const untrusted = new Set<number>(od.record.pending.map(([client]) => client));
  untrusted.add(old.clientID);
  const ref = parseRoom(od.room);
  const rewritten =
    ref && me ? rewriteMine(ref, old, fresh, me, relaySV, untrusted, now) : { messages: 0, entries: 0 };
  if (od.hostListener) old.off('update', od.hostListener);
  const consumers = moveListeners(old, fresh);
  od.setDoc(fresh);
  const written = Y.getState(fresh.store, fresh.clientID);
  const record: DocRecord = {
    remoteSV: Y.encodeStateVector(relaySV),
    pending: written > 0 ? [[fresh.clientID, written]] : [],
    rebuilds: (od.record.rebuilds ?? 0) + 1,
  };
  if (od.record.counts) record.counts = od.record.counts;
  if (od.record.version !== undefined) record.version = od.record.version;
  od.record = record;
  od.relaySV = relaySV;
  od.error = null;
  od.rows = 1;
  return { reason, rewritten, consumers };
}

export interface Rewritten {
  /** My messages added again, edited again or deleted again. */
  messages: number;
  /** Other entries of mine (reactions, read markers, page index, pins, profile). */
  entries: number;
}

/**
 * Writes into `into` (holding the relay's state, `relaySV`) my entries of `from` that the relay
 * does not have. `untrusted`: clientIDs whose coverage by the relay's state vector means nothing
 * (the refused ones: another user's items may sit on them). Never changes others' entries, never
 * undoes a deletion the relay has (a moderator's tombstone, a pin a moderator removed).
 */
export function rewriteMine(
  room: RoomRef,
  from: Y.Doc,
  into: Y.Doc,
  me: string,
  relaySV: Map<number, number>,
  untrusted: ReadonlySet<number>,
  now: number,
): Rewritten {
  const out: Rewritten = { messages: 0, entries: 0 };
  if (room.kind === 'inbox') return out; // the relay alone writes it
  const fromSV = Y.decodeStateVector(Y.encodeStateVector(from));
  /** The relay stored this item of mine (so a difference is not mine to resend). */
  const relayHas = (item: Y.Item | undefined): boolean =>
    item !== undefined && !untrusted.has(item.id.client) && (relaySV.get(item.id.client) ?? 0) > item.id.clock;
  /** This device held the relay's item (so its absence here is my removal). */
  const iHad = (item: Y.Item | undefined): boolean =>
    item !== undefined && !untrusted.has(item.id.client) && (fromSV.get(item.id.client) ?? 0) > item.id.clock;
  into.transact(() => {
    for (const root of rootsOf(room.kind)) {
      if (!from.share.has(root)) continue;
      const rule = SCHEMA[room.kind][root];
      if (!rule) continue;
      const mine = from.getMap<unknown>(root);
      const theirs = into.getMap<unknown>(root);
      if (room.kind === 'meta' && root === 'info') {
        const info = meta.readInfo(from);
        if (info && info.createdBy === me && !info.readOnly && theirs.size === 0) {
          meta.initConversation(into, { title: info.title, createdBy: me, createdAt: info.createdAt });
          out.entries++;
        }
        continue;
      }
      const keys = new Set<string>([...mine._map.keys(), ...theirs._map.keys()]);
      for (const key of keys) {
        const a = mine.get(key);
        const b = theirs.get(key);
        if (rule.owner(key, b, a, theirs.size > 0 ? theirs : null, mine, room) !== me) continue;
        if (room.kind === 'page' && root === 'messages') {
          try {
            out.messages += rewriteMessage(into, key, a, b, me, mine._map.get(key), relayHas, now);
          } catch {
            // The model refuses it now (e.g. its thread root became a reply): not re-sent.
          }
          continue;
        }
        if (mine.has(key)) {
          if (theirs.has(key) && JSON.stringify(a) === JSON.stringify(b)) continue;
          // Stored by the relay and changed or removed there since (by me elsewhere, or by a
          // moderator): the relay's is the newer state.
          if (relayHas(mine._map.get(key))) continue;
          const value: unknown = a instanceof Y.AbstractType ? undefined : structuredClone(a);
          if (value === undefined || validateEntry(room, root, key, value, theirs)) continue;
          theirs.set(key, value);
          out.entries++;
        } else if (theirs.has(key) && rule.removable && iHad(theirs._map.get(key))) {
          theirs.delete(key); // I removed it here after the relay had it (an unsent removal)
          out.entries++;
        }
      }
    }
  });
  return out;
}

/** One message of mine: 1 when something of it was written again. */
function rewriteMessage(
  into: Y.Doc,
  id: string,
  mineValue: unknown,
  theirValue: unknown,
  me: string,
  mineItem: Y.Item | undefined,
  relayHas: (item: Y.Item | undefined) => boolean,
  now: number,
): number {
  const mine = page.readMessage(id, mineValue);
  if (!mine || mine.author !== me || mine.readOnly) return 0;
  const theirs = page.readMessage(id, theirValue);
  if (!theirs) {
    if (mine.deleted || relayHas(mineItem)) return 0; // deleted before it was ever sent
    page.addMessage(into, {
      id,
      author: me,
      text: mine.text,
      createdAt: mine.createdAt,
      ...(mine.parent !== null ? { parent: mine.parent } : {}),
      ...(mine.quote !== null ? { quote: mine.quote } : {}),
      ...(mine.broadcast ? { broadcast: true } : {}),
      ...(mine.forward !== null ? { forward: mine.forward } : {}),
      ...(mine.offline ? { offline: true } : {}),
    });
    if (mine.editedAt !== null) page.editMessage(into, id, me, mine.text, mine.editedAt);
    return 1;
  }
  // The relay's copy is deleted (by me elsewhere, or a moderator's tombstone): final.
  if (theirs.deleted) return 0;
  if (mine.deleted) {
    page.deleteMessage(into, id, me, mine.deletedAt ?? now);
    return 1;
  }
  if (mine.text !== theirs.text && (mine.editedAt ?? 0) > (theirs.editedAt ?? 0)) {
    page.editMessage(into, id, me, mine.text, mine.editedAt ?? now);
    return 1;
  }
  return 0;
}
