// Socket and room authorization and enforced authorship (docs/accounts.md, "Sockets" and
// "Enforced authorship"): the `RelayHooks` the relay runs with accounts on.
//
// Every update, before it is applied: its Yjs clientIDs are bound to the sender (first use
// binds, persisted; one bound to someone else is refused; a quarantined one is refused at
// once), then core's update checker (one per loaded room, kept with the room's document)
// lists the problems and core's policy judges them with the sender's role in the
// conversation. A refusal is not applied, stored or forwarded, is answered with
// permission-denied, audited (`update.refused`) and quarantines the update's clientIDs, so
// the sender's later updates built on it are refused at once instead of held as pending.
import type Database from 'better-sqlite3';
import type { IncomingMessage } from 'node:http';
import type * as Y from 'yjs';
import { judge } from '../../core/src/authz/policy';
import { CloseCode } from '../../core/src/protocol/messages';
import { RELAY_USER, parseRoom, type RoomRef } from '../../core/src/model/rooms';
import { createUpdateChecker, type UpdateChecker } from '../../core/src/model/schema';
import { MalformedUpdateError, updateClientIds } from '../../core/src/model/updates';
import { endedMessage } from './accounts/service';
import type { AuditSink, Conversations } from './conversations/service';
import type {
  HttpRefusal,
  AuthRefusal,
  Principal,
  RelayControl,
  RelayHooks,
  UpdateVerdict,
} from './hooks';
import { TokenBuckets, type BucketSpec } from './limits';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import { FrameError } from './relay';

/** What the socket layer needs from the accounts service (relay-accounts' `Accounts`). */
export interface AccessVerifier {
  verifyAccess(
    token: string,
  ): Promise<
    | { userId: string; sessionId: string; role: 'admin' | 'member' | 'guest'; exp: number }
    | 'token expired'
    | 'session ended'
    | 'not authenticated'
  >;
  onSessionEnded(
    listener: (e: { sessionId: string; userId: string; reason: string }) => void,
  ): () => void;
}

/** The socket principal with accounts on. */
export interface UserPrincipal extends Principal {
  sessionId: string;
  role: 'admin' | 'member' | 'guest';
  expiresAt: number;
}

export interface AuthzLimits {
  upgradesPerAddress: BucketSpec;
  upgradesPerUser: BucketSpec;
  updatesPerUser: BucketSpec;
}

export interface AuthzOptions {
  db: Database.Database;
  conversations: Conversations;
  audit: AuditSink;
  metrics: Metrics;
  log: Logger;
  accounts: AccessVerifier;
  limits: AuthzLimits;
  /** Called when a user opens their inbox, so the directory is complete before it syncs. */
  onInboxOpen?: (userId: string) => void;
}

/**
 * Yjs clientID bindings and the quarantine (migration 3: `client_ids`, `quarantine`), per
 * room: a clientID only names items inside one document. Binding per room (not per relay)
 * keeps accidental collisions of clients' random 32-bit clientIDs at the scale of one
 * document's writers, where a relay-wide table would make them likely over years of device
 * sessions, and nobody can reserve clientIDs in rooms they cannot write. The quarantine is
 * small and held in memory; bindings are cached as they are used.
 */
export class ClientIds {
  private readonly owners = new Map<string, string>();
  private readonly quarantined = new Map<string, string>();
  private readonly s;

  constructor(db: Database.Database) {
    this.s = {
      owner: db.prepare<[string, number], { user: string }>(
        'SELECT user FROM client_ids WHERE room = ? AND client_id = ?',
      ),
      bind: db.prepare<[string, number, string, number]>(
        'INSERT OR IGNORE INTO client_ids (room, client_id, user, bound_at) VALUES (?, ?, ?, ?)',
      ),
      quarantine: db.prepare<[string, number, string, number, string]>(
        'INSERT OR IGNORE INTO quarantine (room, client_id, user, at, reason) VALUES (?, ?, ?, ?, ?)',
      ),
    };
    const rows = db
      .prepare<[], { room: string; client_id: number; user: string }>(
        'SELECT room, client_id, user FROM quarantine',
      )
      .all();
    for (const r of rows) this.quarantined.set(key(r.room, r.client_id), r.user);
  }

  owner(room: string, clientId: number): string | null {
    const cached = this.owners.get(key(room, clientId));
    if (cached !== undefined) return cached;
    const user = this.s.owner.get(room, clientId)?.user ?? null;
    if (user !== null) this.remember(room, clientId, user);
    return user;
  }

  /** Binds a clientID in a room to `user` (no-op if it is bound already). */
  bind(room: string, clientId: number, user: string): void {
    this.s.bind.run(room, clientId, user, Date.now());
    this.remember(room, clientId, this.s.owner.get(room, clientId)?.user ?? user);
  }

  isQuarantined(room: string, clientId: number): boolean {
    return this.quarantined.has(key(room, clientId));
  }

  quarantine(room: string, clientId: number, user: string, reason: string): void {
    if (this.quarantined.has(key(room, clientId))) return;
    this.s.quarantine.run(room, clientId, user, Date.now(), reason.slice(0, 500));
    this.quarantined.set(key(room, clientId), user);
  }

  private remember(room: string, clientId: number, user: string): void {
    // Bounded cache: a relay sees a few clientIDs per device session.
    if (this.owners.size >= 100_000) this.owners.clear();
    this.owners.set(key(room, clientId), user);
  }
}

function key(room: string, clientId: number): string {
  return `${clientId}@${room}`;
}

/** The conversation a room belongs to, if any. */
function convOf(ref: RoomRef): string | null {
  return ref.kind === 'meta' || ref.kind === 'page' ? ref.convId : null;
}

/** Every room name of a conversation: `conv/<id>` and its pages. */
export function isConversationRoom(room: string, convId: string): boolean {
  return room === `conv/${convId}` || room.startsWith(`conv/${convId}/`);
}

/** The bearer token of an upgrade: `Authorization: Bearer …`, else `?token=`. */
export function upgradeToken(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    if (m) return m[1] ?? null;
  }
  const q = (req.url ?? '').split('?')[1];
  if (!q) return null;
  return new URLSearchParams(q).get('token');
}

export class Authz {
  readonly clientIds: ClientIds;
  private readonly checkers = new WeakMap<Y.Doc, UpdateChecker>();
  private readonly upgradesByAddress: TokenBuckets;
  private readonly upgradesByUser: TokenBuckets;
  private readonly updatesByUser: TokenBuckets;
  private control: RelayControl | null = null;
  private readonly detach: Array<() => void> = [];

  constructor(readonly options: AuthzOptions) {
    this.clientIds = new ClientIds(options.db);
    this.upgradesByAddress = new TokenBuckets(options.limits.upgradesPerAddress);
    this.upgradesByUser = new TokenBuckets(options.limits.upgradesPerUser);
    this.updatesByUser = new TokenBuckets(options.limits.updatesPerUser);
  }

  /** The hooks to pass to `startRelay`. */
  hooks(): RelayHooks {
    return {
      authenticate: (req) => this.authenticate(req),
      reauthenticate: (principal, token) => this.reauthenticate(principal, token),
      authorizeRoom: (principal, room) => this.authorizeRoom(principal, room),
      checkUpdate: (input) => this.checkUpdate(input),
      attach: (control) => this.attach(control),
    };
  }

  // ---- sockets ----

  private limited(what: string): void {
    this.options.metrics.rateLimited.inc({ what });
  }

  async authenticate(req: IncomingMessage): Promise<UserPrincipal | AuthRefusal | HttpRefusal> {
    const address = req.socket.remoteAddress ?? '';
    const byAddress = this.upgradesByAddress.take(address);
    if (!byAddress.ok) {
      this.limited('upgrade_address');
      return { status: 429, retryAfterS: byAddress.retryAfterMs / 1000 };
    }
    const token = upgradeToken(req);
    if (!token) return { refused: 'not authenticated' };
    const result = await this.verify(token);
    if ('refused' in result) return result;
    const byUser = this.upgradesByUser.take(result.id);
    if (!byUser.ok) {
      this.limited('upgrade_user');
      return { status: 429, retryAfterS: byUser.retryAfterMs / 1000 };
    }
    return result;
  }

  private async verify(token: string): Promise<UserPrincipal | AuthRefusal> {
    const info = await this.options.accounts.verifyAccess(token);
    if (typeof info === 'string') return { refused: info };
    return { id: info.userId, sessionId: info.sessionId, role: info.role, expiresAt: info.exp };
  }

  async reauthenticate(principal: Principal, token: string): Promise<Principal | AuthRefusal> {
    const next = await this.verify(token);
    if ('refused' in next) return next;
    if (next.id !== principal.id) return { refused: 'token belongs to another user' };
    return next;
  }

  /** `workspace`: any active user; `inbox/<id>`: that user; conversation rooms: members. */
  authorizeRoom(principal: Principal, room: string): true | string {
    const ref = parseRoom(room);
    if (!ref) return 'no such room';
    if (ref.kind === 'workspace') return true;
    if (ref.kind === 'inbox') {
      if (ref.userId !== principal.id) return 'not your inbox';
      this.options.onInboxOpen?.(principal.id);
      return true;
    }
    const convId = convOf(ref);
    if (convId && this.options.conversations.db.roleOf(convId, principal.id) !== null) return true;
    return 'not a member';
  }

  attach(control: RelayControl): void {
    this.control = control;
    const { accounts, conversations, log } = this.options;
    this.detach.push(
      accounts.onSessionEnded((e) => {
        const disabled = e.reason === 'user disabled';
        // "session ended: <why>" (the app matches the prefix and shows the why).
        const n = control.closeSockets(
          (p) => p.sessionId === e.sessionId || (disabled && p.id === e.userId),
          CloseCode.unauthorized,
          `session ended: ${endedMessage(e.reason).split(';')[0] ?? ''}`,
        );
        if (n > 0)
          log.info(
            { user: e.userId, reason: e.reason, sockets: n },
            'session ended; sockets closed',
          );
      }),
      conversations.onChange((e) => {
        for (const { user, reason } of e.removed) {
          const why = reason === 'left' ? 'left conversation' : 'removed from conversation';
          control.relay.closeRooms(
            user,
            (room) => isConversationRoom(room, e.convId),
            CloseCode.forbidden,
            why,
          );
        }
      }),
    );
  }

  close(): void {
    for (const d of this.detach.splice(0)) d();
  }

  // ---- enforced authorship ----

  private checkerFor(ref: RoomRef, doc: Y.Doc): UpdateChecker {
    let checker = this.checkers.get(doc);
    if (!checker) {
      const created = createUpdateChecker(ref, doc);
      checker = created;
      this.checkers.set(doc, created);
      doc.on('destroy', () => created.destroy());
    }
    return checker;
  }

  checkUpdate(input: {
    principal: Principal;
    room: string;
    update: Uint8Array;
    doc: Y.Doc;
  }): UpdateVerdict {
    const { principal, room, update, doc } = input;
    const user = principal.id;
    let ids;
    try {
      ids = updateClientIds(update);
    } catch (e) {
      if (e instanceof MalformedUpdateError) {
        throw new FrameError(CloseCode.protocolError, 'malformed update', 'malformed');
      }
      throw e;
    }
    // A stock client's empty sync step 2 (or a re-sent empty delete set): nothing to check.
    if (ids.structs.length === 0 && ids.deletes.length === 0) return { ok: true };

    const limit = this.updatesByUser.take(user);
    if (!limit.ok) {
      // Dropped without quarantine: the client re-sends it on its next sync.
      this.limited('updates');
      return { ok: false, rule: 'rate-limited', reason: 'rate limited' };
    }
    for (const id of ids.structs) {
      if (this.clientIds.isQuarantined(room, id)) {
        return { ok: false, rule: 'quarantined', reason: `clientID ${id} is quarantined` };
      }
    }
    const ref = parseRoom(room);
    if (!ref) return this.refuse(input, ids.structs, 'unknown-room', '', 'no such room');
    const unbound: number[] = [];
    for (const id of ids.structs) {
      const owner = this.clientIds.owner(room, id);
      if (owner === null) unbound.push(id);
      else if (owner !== user) {
        return this.refuse(input, [], 'client-id', '', `clientID ${id} belongs to another user`);
      }
    }
    // First use binds: one small write per new clientID (a client's document instance), on
    // its first write; known ones are answered from memory, so the hot path writes nothing.
    for (const id of unbound) this.clientIds.bind(room, id, user);

    const checked = this.checkerFor(ref, doc).inspect(update, user);
    if (checked.problems.some((p) => p.rule === 'pending')) {
      // Builds on changes the relay lacks (e.g. typed before the offline changes were sent):
      // dropped, and the sender re-sends everything missing with the relay's state vector.
      this.options.log.debug({ room, user, problems: checked.problems }, 'update needs resync');
      return { ok: false, rule: 'pending', reason: 'missing dependencies', resync: true };
    }
    const convId = convOf(ref);
    const db = this.options.conversations.db;
    const conv = convId ? db.conversation(convId) : null;
    const judged = judge(checked, {
      room: ref,
      sender: user,
      convRole: convId ? db.roleOf(convId, user) : null,
      kind: conv?.kind ?? null,
      archived: conv ? conv.archivedAt !== null : false,
    });
    if (!judged.ok) {
      return this.refuse(input, ids.structs, judged.rule, judged.path, judged.message);
    }
    for (const id of judged.moderated) {
      this.options.audit.append({
        actor: user,
        action: 'message.moderated',
        target: room,
        detail: { message: id },
      });
    }
    // A moderator's or owner's unpin of someone else's pin (docs/messaging.md, "Pins").
    for (const key of judged.unpinned ?? []) {
      const bar = key.indexOf('|');
      this.options.audit.append({
        actor: user,
        action: 'pin.removed',
        target: room,
        detail: { message: key.slice(0, bar), pinnedBy: key.slice(bar + 1) },
      });
    }
    return { ok: true };
  }

  /** Audits a refusal, quarantines the update's clientIDs and answers permission-denied. */
  private refuse(
    input: { principal: Principal; room: string },
    quarantine: number[],
    rule: string,
    path: string,
    message: string,
  ): UpdateVerdict {
    const user = input.principal.id;
    for (const id of quarantine) {
      const owner = this.clientIds.owner(input.room, id);
      if (owner === user || owner === null) {
        this.clientIds.quarantine(input.room, id, user, `${rule}: ${message}`);
      }
    }
    this.options.audit.append({
      actor: user,
      action: 'update.refused',
      target: input.room,
      detail: { room: input.room, user, clientIds: quarantine, rule, path, message },
    });
    return { ok: false, rule, reason: message };
  }
}

export { RELAY_USER };
