// The membership service (docs/accounts.md): conversations, members and roles, kept by the
// relay. Every action goes through `can()` (the matrix shared with core and the app), is
// audited, and is announced to listeners (the directory writer, the socket layer that closes
// a removed member's rooms).
import { dmConversationId, isId } from '../../../core/src/ids';
import { checkLabel } from '../../../core/src/model/checks';
import { ModelError } from '../../../core/src/model/errors';
import {
  descriptionProblem,
  normalizeDescription,
  normalizeTopic,
  topicProblem,
  type SystemEvent,
} from '../../../core/src/model/events';
import type { AuditInput } from '../audit';
import { ApiError, conflict, forbidden, notFound } from '../http/errors';
import {
  can,
  canLeave,
  type Action,
  type ConversationState,
  type Target,
  type WorkspaceRole,
} from '../../../core/src/authz/permissions';
import type { MembershipDb } from './db';
import {
  type ConversationKind,
  type ConversationRole,
  type ConversationRow,
  type MemberRow,
  type Visibility,
} from './db';

/** Who asks: the authenticated user, with their workspace role. */
export interface Caller {
  id: string;
  role: WorkspaceRole;
  ip?: string | null;
}

export interface ConversationView {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  title: string | null;
  /** Schema 3: '' when none. */
  topic: string;
  description: string;
  archived: boolean;
  archivedAt: number | null;
  createdBy: string | null;
  createdAt: number;
  /** The caller's role, null when not a member. */
  role: ConversationRole | null;
  members: Array<{ id: string; role: ConversationRole }>;
}

export interface CreateInput {
  id: string;
  kind: ConversationKind;
  title?: string | undefined;
  visibility?: Visibility | undefined;
  members?: string[] | undefined;
}

/** What changed, for the directory writer and the socket layer. */
export interface MembershipEvent {
  convId: string;
  /** Users who became members. */
  added: string[];
  /** Users who stopped being members, and why. */
  removed: Array<{ user: string; reason: 'removed' | 'left' }>;
  /**
   * What the conversation's timeline shows as quiet system lines (joined, left, added,
   * removed, renamed, topic): written into its meta document by the relay (events.ts).
   */
  events?: Array<Omit<SystemEvent, 'id'>>;
}

export interface AuditSink {
  append(input: AuditInput): unknown;
}

const invalid = (message: string) => new ApiError(400, 'invalid', message);

export class Conversations {
  readonly db: MembershipDb;
  private readonly listeners = new Set<(e: MembershipEvent) => void>();

  constructor(
    db: MembershipDb,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
  ) {
    this.db = db;
  }

  onChange(listener: (e: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: MembershipEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  private record(caller: Caller, action: AuditInput['action'], target: string, detail: object) {
    this.audit.append({
      actor: caller.id,
      action,
      target,
      ip: caller.ip ?? null,
      detail: detail as Record<string, unknown>,
    });
  }

  // ---- reads ----

  view(c: ConversationRow, caller: string | null): ConversationView {
    const members = this.db.members(c.id).map((m) => ({ id: m.id, role: m.role }));
    return {
      id: c.id,
      kind: c.kind,
      visibility: c.visibility,
      title: c.title,
      topic: c.topic ?? '',
      description: c.description ?? '',
      archived: c.archivedAt !== null,
      archivedAt: c.archivedAt,
      createdBy: c.createdBy,
      createdAt: c.createdAt,
      role: caller ? (members.find((m) => m.id === caller)?.role ?? null) : null,
      members,
    };
  }

  /** A conversation the caller may see: a member, an admin, or an open channel for non-guests. */
  get(caller: Caller, id: string): ConversationView {
    const c = this.mustExist(id);
    const role = this.db.roleOf(id, caller.id);
    const visible =
      role !== null ||
      caller.role === 'admin' ||
      (c.kind !== 'dm' && c.visibility === 'open' && caller.role !== 'guest');
    if (!visible) throw notFound(`no conversation ${id}`);
    return this.view(c, caller.id);
  }

  /** The caller's conversations. */
  mine(caller: Caller): ConversationView[] {
    return this.db.conversationsOf(caller.id).map((c) => this.view(c, caller.id));
  }

  /** Open channels any non-guest may join. */
  browseOpen(caller: Caller) {
    if (caller.role === 'guest') throw forbidden('guests cannot browse open channels');
    return this.db.openChannels().map((c) => ({
      id: c.id,
      kind: c.kind,
      visibility: c.visibility,
      title: c.title,
      topic: c.topic ?? '',
      description: c.description ?? '',
      archived: c.archivedAt !== null,
      createdBy: c.createdBy,
      createdAt: c.createdAt,
      memberCount: c.memberCount,
      role: this.db.roleOf(c.id, caller.id),
    }));
  }

  // ---- changes ----

  /**
   * Registers a conversation the client minted (maybe offline). Idempotent: the same creator
   * with the same body gets the existing one back (200); a DM for a pair that exists answers
   * 200 with it, whoever created it. Returns `created` false in those cases.
   */
  create(caller: Caller, input: CreateInput): { created: boolean; conversation: ConversationView } {
    if (caller.role === 'guest') throw forbidden('guests cannot create conversations');
    if (!isId(input.id)) throw invalid('id must be a 16-character id (core newId)');
    const others = [...new Set(input.members ?? [])].filter((u) => u !== caller.id);
    for (const u of others) {
      if (!isId(u)) throw invalid(`member ${JSON.stringify(u)} is not a user id`);
    }
    if (input.kind === 'dm') return this.createDm(caller, input, others);
    if (input.kind !== 'channel' && input.kind !== 'announcement') {
      throw invalid('kind must be dm, channel or announcement');
    }
    const title = this.title(input.title);
    const visibility = input.visibility ?? 'private';
    const existing = this.db.conversation(input.id);
    if (existing) {
      const same =
        existing.createdBy === caller.id &&
        existing.kind === input.kind &&
        existing.visibility === visibility &&
        existing.title === title;
      if (!same) throw conflict(`conversation ${input.id} already exists`);
      const missing = others.filter((u) => this.db.roleOf(input.id, u) === null);
      if (missing.length > 0) this.addMembers(caller, input.id, missing, 'member');
      return { created: false, conversation: this.view(this.mustExist(input.id), caller.id) };
    }
    this.checkUsers(others);
    const at = this.now();
    const row: ConversationRow = {
      id: input.id,
      kind: input.kind,
      visibility,
      title,
      createdBy: caller.id,
      createdAt: at,
      archivedAt: null,
    };
    this.db.transaction(() => {
      this.db.insertConversation(row);
      this.db.addMember(row.id, caller.id, 'owner', at);
      for (const u of others) this.db.addMember(row.id, u, 'member', at);
    });
    this.record(caller, 'conv.created', row.id, {
      kind: row.kind,
      visibility,
      title,
      members: [caller.id, ...others],
    });
    this.emit({ convId: row.id, added: [caller.id, ...others], removed: [] });
    return { created: true, conversation: this.view(row, caller.id) };
  }

  private createDm(caller: Caller, input: CreateInput, others: string[]) {
    const other = others[0];
    if (others.length !== 1 || other === undefined) {
      throw invalid('a DM has exactly two members: give the other one in members');
    }
    if (input.title !== undefined) throw invalid('a DM has no title');
    if (input.visibility !== undefined && input.visibility !== 'private') {
      throw invalid('a DM is private');
    }
    const expected = dmConversationId(caller.id, other);
    if (input.id !== expected) {
      throw invalid(`a DM's id is dmConversationId of its two members: ${expected}`);
    }
    const existing = this.db.conversation(input.id);
    if (existing) {
      if (this.db.roleOf(input.id, caller.id) === null) {
        throw conflict(`conversation ${input.id} exists and is not this DM`);
      }
      return { created: false, conversation: this.view(existing, caller.id) };
    }
    this.checkUsers([other]);
    const at = this.now();
    const row: ConversationRow = {
      id: input.id,
      kind: 'dm',
      visibility: 'private',
      title: null,
      createdBy: caller.id,
      createdAt: at,
      archivedAt: null,
    };
    this.db.transaction(() => {
      this.db.insertConversation(row);
      this.db.addMember(row.id, caller.id, 'member', at);
      this.db.addMember(row.id, other, 'member', at);
    });
    this.record(caller, 'conv.created', row.id, { kind: 'dm', members: [caller.id, other] });
    this.emit({ convId: row.id, added: [caller.id, other], removed: [] });
    return { created: true, conversation: this.view(row, caller.id) };
  }

  /** Rename, set the topic or description (the rename permission), and/or archive/unarchive. */
  update(
    caller: Caller,
    id: string,
    patch: {
      title?: string | undefined;
      archived?: boolean | undefined;
      topic?: string | undefined;
      description?: string | undefined;
    },
  ): ConversationView {
    const c = this.mustSee(caller, id);
    if (
      patch.title === undefined &&
      patch.archived === undefined &&
      patch.topic === undefined &&
      patch.description === undefined
    ) {
      throw invalid('nothing to change: give title, topic, description and/or archived');
    }
    const changes: Record<string, unknown> = {};
    const facts = this.facts(c);
    if (patch.archived !== undefined && patch.archived !== (c.archivedAt !== null)) {
      this.allow(caller, c, patch.archived ? 'archive' : 'unarchive', facts);
      changes.archived = patch.archived;
    }
    if (patch.title !== undefined) {
      const title = this.title(patch.title);
      if (title !== c.title) {
        // Renaming an archived conversation is refused; unarchiving in the same call first.
        const archivedAfter = patch.archived ?? c.archivedAt !== null;
        this.allow(caller, c, 'rename', { ...facts, archived: archivedAfter });
        changes.title = title;
      }
    }
    const archivedAfter = patch.archived ?? c.archivedAt !== null;
    if (patch.topic !== undefined) {
      const topic = this.text(patch.topic, topicProblem, normalizeTopic);
      if (topic !== (c.topic ?? '')) {
        this.allow(caller, c, 'rename', { ...facts, archived: archivedAfter });
        changes.topic = topic;
      }
    }
    if (patch.description !== undefined) {
      const description = this.text(patch.description, descriptionProblem, normalizeDescription);
      if (description !== (c.description ?? '')) {
        this.allow(caller, c, 'rename', { ...facts, archived: archivedAfter });
        changes.description = description;
      }
    }
    if (Object.keys(changes).length === 0) return this.view(c, caller.id);
    this.db.transaction(() => {
      if (changes.title !== undefined) this.db.setTitle(id, changes.title as string);
      if (changes.topic !== undefined) this.db.setTopic(id, (changes.topic as string) || null);
      if (changes.description !== undefined) {
        this.db.setDescription(id, (changes.description as string) || null);
      }
      if (changes.archived !== undefined) {
        this.db.setArchived(id, changes.archived ? this.now() : null);
      }
    });
    this.record(caller, 'conv.updated', id, changes);
    const at = this.now();
    const events: Array<Omit<SystemEvent, 'id'>> = [];
    if (changes.title !== undefined) {
      events.push({ kind: 'renamed', actor: caller.id, text: changes.title as string, at });
    }
    if (changes.topic !== undefined) {
      events.push({ kind: 'topic', actor: caller.id, text: changes.topic as string, at });
    }
    this.emit({ convId: id, added: [], removed: [], events });
    return this.view(this.mustExist(id), caller.id);
  }

  /** Invites users (as members, or with `role` when the caller may set roles). */
  addMembers(caller: Caller, id: string, userIds: string[], role: ConversationRole = 'member') {
    const c = this.mustSee(caller, id);
    this.allow(caller, c, 'invite');
    if (role !== 'member') this.allow(caller, c, 'set-role');
    const users = [...new Set(userIds)];
    if (users.length === 0) throw invalid('userIds is empty');
    for (const u of users) if (!isId(u)) throw invalid(`${JSON.stringify(u)} is not a user id`);
    this.checkUsers(users);
    const at = this.now();
    const added = this.db.transaction(() =>
      users.filter((u) => this.db.addMember(id, u, role, at)),
    );
    for (const u of added) this.record(caller, 'conv.member_added', id, { user: u, role });
    const events = added.map((u) => ({ kind: 'added' as const, actor: caller.id, user: u, at }));
    if (added.length > 0) this.emit({ convId: id, added, removed: [], events });
    return { added, conversation: this.view(this.mustExist(id), caller.id) };
  }

  setRole(caller: Caller, id: string, user: string, role: ConversationRole): ConversationView {
    const c = this.mustSee(caller, id);
    const current = this.db.roleOf(id, user);
    if (current === null) throw notFound(`${user} is not a member of ${id}`);
    this.allow(caller, c, 'set-role', this.facts(c), { convRole: current });
    if (current === role) return this.view(c, caller.id);
    if (current === 'owner' && this.db.ownerCount(id) === 1 && this.db.memberCount(id) > 1) {
      throw conflict('the last owner cannot step down: make someone else owner first');
    }
    this.db.setRole(id, user, role);
    this.record(caller, 'conv.role_changed', id, { user, from: current, to: role });
    this.emit({ convId: id, added: [], removed: [] });
    return this.view(this.mustExist(id), caller.id);
  }

  /** Removes a member (moderators: plain members only; owners and admins: anyone). */
  remove(caller: Caller, id: string, user: string): ConversationView {
    if (user === caller.id) return this.leave(caller, id);
    const c = this.mustSee(caller, id);
    const target = this.db.roleOf(id, user);
    if (target === null) throw notFound(`${user} is not a member of ${id}`);
    this.allow(caller, c, 'remove-member', this.facts(c), { convRole: target });
    if (target === 'owner' && this.db.ownerCount(id) === 1 && this.db.memberCount(id) > 1) {
      throw conflict('cannot remove the last owner: make someone else owner first');
    }
    this.db.removeMember(id, user);
    this.record(caller, 'conv.member_removed', id, { user, role: target });
    this.emit({
      convId: id,
      added: [],
      removed: [{ user, reason: 'removed' }],
      events: [{ kind: 'removed', actor: caller.id, user, at: this.now() }],
    });
    return this.view(this.mustExist(id), caller.id);
  }

  join(caller: Caller, id: string): ConversationView {
    const c = this.mustExist(id);
    if (this.db.roleOf(id, caller.id) !== null) return this.view(c, caller.id);
    const visible = c.kind !== 'dm' && c.visibility === 'open' && caller.role !== 'guest';
    if (!visible) throw notFound(`no conversation ${id}`);
    this.allow(caller, c, 'join');
    this.db.addMember(id, caller.id, 'member', this.now());
    this.record(caller, 'conv.member_added', id, { user: caller.id, role: 'member', joined: true });
    this.emit({
      convId: id,
      added: [caller.id],
      removed: [],
      events: [{ kind: 'joined', actor: caller.id, at: this.now() }],
    });
    return this.view(c, caller.id);
  }

  /** Leaves; the last owner must hand over first unless alone. */
  leave(caller: Caller, id: string): ConversationView {
    const c = this.mustExist(id);
    const role = this.db.roleOf(id, caller.id);
    if (role === null) throw notFound(`you are not a member of ${id}`);
    this.allow(caller, c, 'leave');
    const counts = { members: this.db.memberCount(id), owners: this.db.ownerCount(id) };
    if (!canLeave({ workspaceRole: caller.role, convRole: role }, this.facts(c), counts)) {
      throw conflict('you are the last owner: make someone else owner before leaving');
    }
    this.db.removeMember(id, caller.id);
    this.record(caller, 'conv.member_left', id, { user: caller.id, role });
    this.emit({
      convId: id,
      added: [],
      removed: [{ user: caller.id, reason: 'left' }],
      events: [{ kind: 'left', actor: caller.id, at: this.now() }],
    });
    return this.view(c, caller.id);
  }

  // ---- helpers ----

  private title(title: string | undefined): string {
    if (title === undefined) throw invalid('a channel needs a title');
    try {
      checkLabel(title, 'title', 'conversations');
    } catch (e) {
      throw invalid(e instanceof ModelError ? e.message : String(e));
    }
    return title.trim();
  }

  /** A topic or description: checked by core's rule, stored normalized ('' for none). */
  private text(
    value: string,
    problem: (x: unknown) => string | null,
    normalize: (x: string) => string,
  ): string {
    const normalized = normalize(value);
    const p = problem(normalized);
    if (p) throw invalid(p);
    return normalized;
  }

  private checkUsers(users: string[]): void {
    for (const u of users) {
      const p = this.db.user(u);
      if (!p) throw new ApiError(400, 'invalid', `no user ${u}`);
      if (p.disabled) throw new ApiError(400, 'invalid', `user ${p.username} is disabled`);
    }
  }

  private mustExist(id: string): ConversationRow {
    const c = isId(id) ? this.db.conversation(id) : null;
    if (!c) throw notFound(`no conversation ${id}`);
    return c;
  }

  /** Exists and the caller may know it exists (member or admin); else 404. */
  private mustSee(caller: Caller, id: string): ConversationRow {
    const c = this.mustExist(id);
    if (caller.role !== 'admin' && this.db.roleOf(id, caller.id) === null) {
      const open = c.kind !== 'dm' && c.visibility === 'open' && caller.role !== 'guest';
      if (!open) throw notFound(`no conversation ${id}`);
    }
    return c;
  }

  facts(c: ConversationRow): ConversationState {
    return { kind: c.kind, visibility: c.visibility, archived: c.archivedAt !== null };
  }

  private allow(
    caller: Caller,
    c: ConversationRow,
    action: Action,
    facts = this.facts(c),
    target?: Target,
  ): void {
    const actor = { workspaceRole: caller.role, convRole: this.db.roleOf(c.id, caller.id) };
    if (!can(actor, action, facts, target)) {
      const why = facts.archived ? ' (the conversation is archived)' : '';
      throw forbidden(`you may not ${action.replace('-', ' ')} in this conversation${why}`);
    }
  }
}

export type { MemberRow };
