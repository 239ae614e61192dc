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
import type { SqlDb } from './db/sql';
import type { IncomingMessage } from 'node:http';
import * as Y from 'yjs';
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
  RelayRefusal,
  UpdateVerdict,
} from './hooks';
import {
  localLimiters,
  TokenBuckets,
  type BucketSpec,
  type Limiter,
  type LimiterFactory,
} from './limits';
import { ClientIds } from './client-ids';
import type { Logger } from './log';
import type { Metrics } from './metrics';
import { FrameError } from './messages';
import { RefusalAudit } from './refusals';

/**
 * Distinct Yjs clientIDs one update may write with. An honest client writes with its own
 * document's clientID, plus those of its earlier sessions after a long time offline; an
 * update with thousands is a flood (each new one would become a database row).
 */
export const MAX_CLIENT_IDS_PER_UPDATE = 64;

/** What the socket layer needs from the accounts service (relay-accounts' `Accounts`). */
export interface AccessVerifier {
  verifyAccess(token: string): Promise<
    | {
        userId: string;
        sessionId: string;
        role: 'admin' | 'member' | 'guest';
        exp: number;
        mustChangePassword?: boolean;
      }
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
  /** Bytes of updates per user. */
  updateBytesPerUser: BucketSpec;
  /** New clientID bindings per user. */
  clientIdsPerUser: BucketSpec;
}

export interface AuthzOptions {
  db: SqlDb;
  conversations: Conversations;
  audit: AuditSink;
  metrics: Metrics;
  log: Logger;
  accounts: AccessVerifier;
  limits: AuthzLimits;
  /**
   * Where the upgrade buckets live: this process (default) or Redis, shared by every node.
   * The in-socket budgets (updates, bytes, bindings) stay in this process: docs/scale-out.md.
   */
  limiters?: LimiterFactory;
  /** Called when a user opens their inbox, so the directory is complete before it syncs. */
  onInboxOpen?: (userId: string) => void;
  /**
   * The files reference index (files/service.ts): told which messages of a page an accepted
   * update changed, once it is applied; it writes their references with the commit.
   */
  files?: {
    noteMessages(room: string, conv: string, doc: Y.Doc, messageIds: Iterable<string>): void;
  };
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
  private readonly upgradesByAddress: Limiter;
  private readonly upgradesByUser: Limiter;
  private readonly updatesByUser: TokenBuckets;
  private readonly bytesByUser: TokenBuckets;
  private readonly bindingsByUser: TokenBuckets;
  readonly refusals: RefusalAudit;
  private control: RelayControl | null = null;
  private readonly detach: Array<() => void> = [];

  constructor(readonly options: AuthzOptions) {
    this.clientIds = new ClientIds(options.db);
    const limiters = options.limiters ?? localLimiters;
    this.upgradesByAddress = limiters('upgrades-address', options.limits.upgradesPerAddress);
    this.upgradesByUser = limiters('upgrades-user', options.limits.upgradesPerUser);
    this.updatesByUser = new TokenBuckets(options.limits.updatesPerUser);
    this.bytesByUser = new TokenBuckets(options.limits.updateBytesPerUser);
    this.bindingsByUser = new TokenBuckets(options.limits.clientIdsPerUser);
    // Each member's first refusals are entries of their own; past 60 (then 1/s) they are counted.
    this.refusals = new RefusalAudit(options.audit, { perSubject: { burst: 60, perSecond: 1 } });
  }

  /** The hooks to pass to `startRelay`. */
  hooks(): RelayHooks {
    return {
      authenticate: (req) => this.authenticate(req),
      reauthenticate: (principal, token) => this.reauthenticate(principal, token),
      authorizeRoom: (principal, room) => this.authorizeRoom(principal, room),
      checkUpdate: (input) => this.checkUpdate(input),
      refused: (r) => this.relayRefused(r),
      attach: (control) => this.attach(control),
      close: () => this.close(),
    };
  }

  // ---- sockets ----

  private limited(what: string): void {
    this.options.metrics.rateLimited.inc({ what });
  }

  async authenticate(req: IncomingMessage): Promise<UserPrincipal | AuthRefusal | HttpRefusal> {
    const address = req.socket.remoteAddress ?? '';
    const byAddress = await this.upgradesByAddress.take(address);
    if (!byAddress.ok) {
      this.limited('upgrade_address');
      return { status: 429, retryAfterS: byAddress.retryAfterMs / 1000 };
    }
    const token = upgradeToken(req);
    if (!token) return { refused: 'not authenticated' };
    const result = await this.verify(token);
    if ('refused' in result) return result;
    const byUser = await this.upgradesByUser.take(result.id);
    if (!byUser.ok) {
      this.limited('upgrade_user');
      return { status: 429, retryAfterS: byUser.retryAfterMs / 1000 };
    }
    return result;
  }

  private async verify(token: string): Promise<UserPrincipal | AuthRefusal> {
    const info = await this.options.accounts.verifyAccess(token);
    if (typeof info === 'string') return { refused: info };
    // A session that must first change an admin-chosen password opens no room.
    if (info.mustChangePassword) return { refused: 'password change required' };
    return { id: info.userId, sessionId: info.sessionId, role: info.role, expiresAt: info.exp };
  }

  async reauthenticate(principal: Principal, token: string): Promise<Principal | AuthRefusal> {
    const next = await this.verify(token);
    if ('refused' in next) return next;
    if (next.id !== principal.id) return { refused: 'token belongs to another user' };
    return next;
  }

  /**
   * `workspace`: any active admin or member, never a guest (it holds everyone's profile and
   * presence; the role is read now, not from the token: docs/accounts.md, "Guests and the
   * workspace"); `inbox/<id>` and `self/<id>`: that user; conversation rooms: members.
   */
  authorizeRoom(principal: Principal, room: string): true | string {
    const ref = parseRoom(room);
    if (!ref) return 'no such room';
    if (ref.kind === 'workspace') {
      const role = this.options.conversations.db.user(principal.id)?.role;
      return role === 'admin' || role === 'member' ? true : 'guests do not open the workspace';
    }
    if (ref.kind === 'inbox') {
      if (ref.userId !== principal.id) return 'not your inbox';
      this.options.onInboxOpen?.(principal.id);
      return true;
    }
    // Schema 3: a person's own document (saved, unread marks, reminders), a guest's too.
    if (ref.kind === 'self') return ref.userId === principal.id ? true : 'not your document';
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
    this.refusals.close();
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
    // Bytes first: decoding a large update is what costs memory, so the budget is taken before.
    const bytes = this.bytesByUser.take(user, update.byteLength);
    if (!bytes.ok) return this.limitedUpdate(input, 'update_bytes', 'byte budget');
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
    if (!limit.ok) return this.limitedUpdate(input, 'updates', 'update rate');
    if (ids.structs.length > MAX_CLIENT_IDS_PER_UPDATE) {
      return this.refuse(
        input,
        [],
        'client-ids',
        '',
        `${ids.structs.length} clientIDs in one update (at most ${MAX_CLIENT_IDS_PER_UPDATE})`,
      );
    }
    const unbound: number[] = [];
    for (const id of ids.structs) {
      const held = this.clientIds.lookup(room, id);
      if (held.quarantinedFor === user) {
        return this.refuse(input, [], 'quarantined', '', `clientID ${id} is quarantined`);
      }
      if (held.user === null) unbound.push(id);
      else if (held.user !== user) {
        return this.refuse(input, [], 'client-id', '', `clientID ${id} belongs to another user`);
      }
    }
    if (unbound.length > 0 && !this.bindingsByUser.take(user, unbound.length).ok) {
      return this.limitedUpdate(input, 'client_ids', 'new clientIDs');
    }
    const ref = parseRoom(room);
    if (!ref) return this.refuse(input, ids.structs, 'unknown-room', '', 'no such room');

    let checked;
    try {
      checked = this.checkerFor(ref, doc).inspect(update, user, { now: Date.now() });
    } catch (error) {
      // The checker must never take the relay down: whatever broke it is refused and audited.
      this.checkers.get(doc)?.destroy();
      this.checkers.delete(doc);
      this.options.log.error({ room, user, err: error }, 'update checker failed; update refused');
      return this.refuse(input, ids.structs, 'checker', '', 'the update could not be checked');
    }
    if (checked.problems.some((p) => p.rule === 'pending')) {
      // Builds on changes the relay lacks (e.g. typed before the offline changes were sent):
      // dropped, and the sender re-sends everything missing with the relay's state vector.
      // Nothing is bound: an update that is not applied reserves no clientID.
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
      creator: conv?.createdBy ?? null,
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
    // The files a page's changed messages reference (docs/attachments.md), read back once the
    // update is applied and written with the commit that stores it.
    const files = this.options.files;
    const changedMessages =
      files && ref.kind === 'page'
        ? [...new Set(checked.changes.filter((c) => c.root === 'messages').map((c) => c.key))]
        : [];
    const noteFiles = () => {
      if (files && ref.kind === 'page' && changedMessages.length > 0) {
        files.noteMessages(room, ref.convId, doc, changedMessages);
      }
    };
    if (unbound.length === 0)
      return changedMessages.length > 0 ? { ok: true, applied: noteFiles } : { ok: true };
    // Bound after the document applied the update, and only the clientIDs whose structs it
    // took in (a Skip, or a range the document had already, adds nothing and binds nothing).
    const before = unbound.map((id) => Y.getState(doc.store, id));
    return {
      ok: true,
      applied: () => {
        const used = unbound.filter((id, i) => Y.getState(doc.store, id) > (before[i] ?? 0));
        this.clientIds.bindAll(room, used, user);
        noteFiles();
      },
    };
  }

  /** Dropped without quarantine: the client re-sends it on its next sync. Audited, coalesced. */
  private limitedUpdate(
    input: { principal: Principal; room: string },
    what: string,
    budget: string,
  ): UpdateVerdict {
    this.limited(what);
    this.refusals.refused({
      actor: input.principal.id,
      action: 'update.refused',
      target: input.room,
      reason: `rate-limited:${what}`,
      detail: { room: input.room, rule: 'rate-limited', message: `over the ${budget} limit` },
    });
    return { ok: false, rule: 'rate-limited', reason: 'rate limited' };
  }

  /**
   * Audits a refusal (coalesced per user and rule, see refusals.ts), quarantines those of the
   * update's clientIDs that are bound to the sender, and answers permission-denied.
   */
  private refuse(
    input: { principal: Principal; room: string },
    quarantine: number[],
    rule: string,
    path: string,
    message: string,
  ): UpdateVerdict {
    const user = input.principal.id;
    for (const id of quarantine) {
      // A new quarantine row costs what a binding does: the same per-user budget bounds both.
      const held = this.clientIds.lookup(input.room, id);
      if (held.user === null && !this.bindingsByUser.take(user).ok) continue;
      this.clientIds.quarantine(input.room, id, user, `${rule}: ${message}`);
    }
    this.refusals.refused({
      actor: user,
      action: 'update.refused',
      target: input.room,
      reason: rule,
      detail: {
        room: input.room,
        user,
        clientIds: quarantine.slice(0, 16),
        ...(quarantine.length > 16 ? { clientIdCount: quarantine.length } : {}),
        rule,
        path: path.slice(0, 300),
        message: message.slice(0, 500),
      },
    });
    return { ok: false, rule, reason: message };
  }

  /** The relay's own refusals (awareness, frames, rooms, sockets): audited, coalesced. */
  relayRefused(r: RelayRefusal): void {
    this.refusals.refused({
      actor: r.principal.id,
      action: `${r.what}.refused`,
      target: r.room ?? null,
      reason: r.rule,
      detail: { rule: r.rule, reason: r.reason.slice(0, 500), ...(r.room ? { room: r.room } : {}) },
    });
  }
}

export { RELAY_USER };
