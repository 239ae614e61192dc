// Yjs clientID bindings and the quarantine, per room (docs/accounts.md, "Enforced
// authorship"): who first wrote with each clientID in a room, and which clientIDs of a user's
// refused updates are refused at once from then on. Used by authz.ts (binding, checks) and
// directory.ts (the relay's own clientID in each inbox).
import type { SqlDb } from './db/sql';

/**
 * Yjs clientID bindings and the quarantine (migration 3: `client_ids`, `quarantine`), per
 * room: a clientID only names items inside one document. Binding per room (not per relay)
 * keeps accidental collisions of clients' random 32-bit clientIDs at the scale of one
 * document's writers, where a relay-wide table would make them likely over years of device
 * sessions, and nobody can reserve clientIDs in rooms they cannot write.
 *
 * A clientID is bound only by an accepted write that the document applied with structs of
 * that clientID (`Authz.checkUpdate`): naming a clientID in a refused, pending or empty
 * update (a Skip) reserves nothing. The quarantine holds only clientIDs bound to the user
 * whose update was refused, so it can never be used against anyone else. Bindings in use are
 * cached (least recently used evicted first); the database is the truth.
 */
export class ClientIds {
  private readonly cache = new Map<string, Held>();
  private readonly s;
  private readonly bindTx: (room: string, ids: number[], user: string, at: number) => void;

  constructor(
    db: SqlDb,
    private readonly maxCached = 100_000,
  ) {
    this.s = {
      owner: db.prepare<[string, number], { user: string }>(
        'SELECT user FROM client_ids WHERE room = ? AND client_id = ?',
      ),
      quarantined: db.prepare<[string, number], { user: string }>(
        'SELECT user FROM quarantine WHERE room = ? AND client_id = ?',
      ),
      bind: db.prepare<[string, number, string, number]>(
        'INSERT OR IGNORE INTO client_ids (room, client_id, user, bound_at) VALUES (?, ?, ?, ?)',
      ),
      quarantine: db.prepare<[string, number, string, number, string]>(
        'INSERT OR IGNORE INTO quarantine (room, client_id, user, at, reason) VALUES (?, ?, ?, ?, ?)',
      ),
    };
    // One transaction (one fsync) for every clientID an update brings.
    this.bindTx = db.transaction((room: string, ids: number[], user: string, at: number) => {
      for (const id of ids) this.s.bind.run(room, id, user, at);
    });
  }

  /**
   * Who a clientID is bound to in a room (null: nobody yet), and for whom it is quarantined
   * (null: nobody). Cached while either is known.
   */
  lookup(room: string, clientId: number): Held {
    const k = key(room, clientId);
    const cached = this.cache.get(k);
    if (cached) {
      this.remember(k, cached);
      return cached;
    }
    const found: Held = {
      user: this.s.owner.get(room, clientId)?.user ?? null,
      quarantinedFor: this.s.quarantined.get(room, clientId)?.user ?? null,
    };
    if (found.user !== null || found.quarantinedFor !== null) this.remember(k, found);
    return found;
  }

  owner(room: string, clientId: number): string | null {
    return this.lookup(room, clientId).user;
  }

  /** Binds clientIDs in a room to `user`, in one transaction (those bound already keep theirs). */
  bindAll(room: string, clientIds: readonly number[], user: string): void {
    if (clientIds.length === 0) return;
    this.bindTx(room, [...clientIds], user, Date.now());
    for (const id of clientIds) this.cache.delete(key(room, id));
  }

  bind(room: string, clientId: number, user: string): void {
    this.bindAll(room, [clientId], user);
  }

  /**
   * Quarantines a clientID for `user` after their refused update: their later updates with it
   * are refused at once. It holds against `user` only, so naming someone else's (unbound)
   * clientID in a refused update reserves nothing against them. One row per room and clientID.
   */
  quarantine(room: string, clientId: number, user: string, reason: string): void {
    const held = this.lookup(room, clientId);
    if ((held.user !== null && held.user !== user) || held.quarantinedFor !== null) return;
    this.s.quarantine.run(room, clientId, user, Date.now(), reason.slice(0, 500));
    this.remember(key(room, clientId), { user: held.user, quarantinedFor: user });
  }

  /** Entries cached in memory, for tests of the bound. */
  get held(): number {
    return this.cache.size;
  }

  private remember(k: string, held: Held): void {
    this.cache.delete(k);
    this.cache.set(k, held);
    if (this.cache.size > this.maxCached) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
  }
}

export interface Held {
  user: string | null;
  quarantinedFor: string | null;
}

function key(room: string, clientId: number): string {
  return `${clientId}@${room}`;
}
