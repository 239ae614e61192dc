// Which hybrid-logical-clock node id this client writes with.
//
// The model keys per-device entries of a conversation's meta document by node (`last` and
// `pages`: `<userId>|<node>`), so a node id minted at every start would add keys to every
// conversation the person writes in, for ever. Instead the installation keeps the node ids it
// has used (in the local store's meta) and a starting client takes the first one no other
// running window holds, by a Web Lock on its name. Two windows at once get two nodes (they
// must: the same node and the same millisecond would give two messages one id). Where Web
// Locks are missing (an insecure origin, tests under Node), a node is minted per start as before.
import { newId, type RandomBytes } from '../../../core/src/ids';
import type { LocalStore } from './store';

/** The part of the browser's LockManager used here (`navigator.locks`). */
export interface LocksLike {
  request(
    name: string,
    options: { ifAvailable: true },
    callback: (lock: unknown) => Promise<void> | void,
  ): Promise<unknown>;
}

export interface ClaimedNode {
  node: string;
  /** Lets another window take this node once this client has closed. */
  release(): void;
}

const KNOWN = 'nodes';

/** Holds the lock `name` until release() if no one holds it now; null if someone does. */
function tryLock(locks: LocksLike, name: string): Promise<(() => void) | null> {
  return new Promise((resolve, reject) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return;
        }
        return new Promise<void>((done) => resolve(done));
      })
      .catch(reject);
  });
}

export async function claimNode(
  store: LocalStore,
  random: RandomBytes,
  locks: LocksLike | undefined,
): Promise<ClaimedNode> {
  if (!locks) return { node: newId(random), release: () => {} };
  const stored = await store.getMeta(KNOWN);
  const known = Array.isArray(stored) ? stored.filter((n): n is string => typeof n === 'string') : [];
  for (const node of known) {
    const release = await tryLock(locks, `ferry-node:${node}`);
    if (release) return { node, release };
  }
  const node = newId(random);
  const release = await tryLock(locks, `ferry-node:${node}`);
  await store.putMeta(KNOWN, [...known, node]);
  return { node, release: release ?? (() => {}) };
}
