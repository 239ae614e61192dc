// Creating conversations, offline too: a channel or DM made on this device is kept as an
// "unregistered" record (meta `unregistered:<id>`) and its rooms stay local until the relay
// has registered it (POST /conversations), at the next connect or at once when online.
import { dmConversationId, newId, type RandomBytes } from '../../../core/src/ids';
import { ModelError } from '../../../core/src/model/errors';
import * as meta from '../../../core/src/model/meta';
import * as workspace from '../../../core/src/model/workspace';
import { ApiError, type ConversationKind, type ConversationRole, type NewConversation, type Visibility } from './api';
import type { Auth } from './auth';
import type { ClientContext } from './context';
import type { OpenDoc } from './docs';
import type { RelayApi } from './relay-api';
import type { Summaries } from './summaries';

/** Meta keys of conversations created on this device and not yet registered with the relay. */
export const UNREGISTERED = 'unregistered:';

export interface UnregisteredRecord {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  title: string;
  members: string[];
  createdAt: number;
  /** A final refusal (conflict, forbidden, invalid): not retried, shown on the conversation. */
  error?: string;
}

function asUnregistered(v: unknown): UnregisteredRecord | null {
  if (typeof v !== 'object' || v === null) return null;
  const r = v as Partial<UnregisteredRecord>;
  if (typeof r.id !== 'string' || (r.kind !== 'dm' && r.kind !== 'channel' && r.kind !== 'announcement')) return null;
  return {
    id: r.id,
    kind: r.kind,
    visibility: r.visibility === 'private' ? 'private' : 'open',
    title: typeof r.title === 'string' ? r.title : '',
    members: Array.isArray(r.members) ? r.members.filter((m): m is string => typeof m === 'string') : [],
    createdAt: typeof r.createdAt === 'number' ? r.createdAt : 0,
    ...(typeof r.error === 'string' ? { error: r.error } : {}),
  };
}

export interface RegistrationDeps {
  /** The session's tokens; none in workspace mode (no registration: the catalogue lists it). */
  auth: Auth | undefined;
  api: RelayApi;
  random: RandomBytes;
  /** Workspace mode: the catalogue a new conversation is written to. */
  catalogue(): OpenDoc | null;
  nameOf(user: string, fallback?: string): string;
}

export class Registration {
  private readonly pending = new Map<string, UnregisteredRecord>();
  private registering: Promise<void> | null = null;
  /** A conversation was created while a run was registering: run again after it. */
  private registerAgain = false;

  /** `stored`: the meta records `unregistered:*` read at start. */
  constructor(
    private readonly ctx: ClientContext,
    private readonly summaries: Summaries,
    private readonly deps: RegistrationDeps,
    stored: Map<string, unknown>,
  ) {
    for (const v of stored.values()) {
      const r = asUnregistered(v);
      if (r) this.pending.set(r.id, r);
    }
  }

  /** The relay's final refusal of a conversation created here, if any. */
  errorOf(convId: string): string | undefined {
    return this.pending.get(convId)?.error;
  }

  /** The directory lists the conversation: it is registered, its record goes. */
  registered(convId: string): void {
    if (!this.pending.has(convId)) return;
    this.pending.delete(convId);
    this.ctx.store.deleteMeta(UNREGISTERED + convId).catch(() => undefined);
  }

  /** Forgets the conversation's record (forget: the caller deletes the rest of its copy). */
  forget(convId: string): Promise<void> {
    this.pending.delete(convId);
    return this.ctx.store.deleteMeta(UNREGISTERED + convId);
  }

  /** Offline past the workspace's limit (offline-grace.ts): nothing new is created. */
  private assertWritable(): void {
    const blocked = this.ctx.accounts ? (this.ctx.writeBlocked?.() ?? null) : null;
    if (blocked) throw new ModelError('forbidden', blocked);
  }

  async create(input: NewConversation | string): Promise<string> {
    const { me, accounts } = this.ctx;
    const spec: NewConversation =
      typeof input === 'string' ? { kind: 'channel', title: input, visibility: 'open', members: [] } : input;
    const t = spec.title.trim();
    if (t.length === 0 || t.length > 200) throw new ModelError('invalid', 'A conversation title must be 1 to 200 characters.');
    if (spec.kind !== 'channel' && spec.kind !== 'announcement') {
      throw new ModelError('invalid', 'A new conversation is a channel or an announcement channel (use openDm for a DM).');
    }
    if (accounts && this.ctx.session.role === 'guest') {
      throw new ModelError('forbidden', 'Guests cannot create conversations.');
    }
    this.assertWritable();
    const id = newId(this.deps.random);
    const at = this.ctx.now();
    const catalogue = this.deps.catalogue();
    if (accounts) {
      const rec: UnregisteredRecord = {
        id,
        kind: spec.kind,
        visibility: spec.visibility === 'private' ? 'private' : 'open',
        title: t,
        members: [...new Set(spec.members.filter((m) => m !== me))],
        createdAt: at,
      };
      // Before any room is opened: the record makes them local until registered.
      await this.add(rec);
    } else if (catalogue) {
      await catalogue.loaded;
    }
    const m = this.summaries.holdMeta(id);
    try {
      await m.loaded;
      meta.initConversation(m.doc, { title: t, createdBy: me, createdAt: at });
      const writes = [m.lastWrite];
      if (catalogue) {
        workspace.registerConversation(catalogue.doc, { id, title: t, createdBy: me, createdAt: at });
        writes.push(catalogue.lastWrite);
      }
      await Promise.all(writes);
      this.summaries.update(id);
      await this.ctx.store.flush();
    } finally {
      this.ctx.host.release(m);
    }
    if (accounts) void this.registerPending();
    return id;
  }

  /** Keeps a conversation created here as not registered yet: local until the relay has it. */
  async add(rec: UnregisteredRecord): Promise<void> {
    const me = this.ctx.me;
    this.pending.set(rec.id, rec);
    const members = [
      { id: me, role: 'owner' as const },
      ...rec.members.map((id) => ({ id, role: (rec.kind === 'dm' ? 'owner' : 'member') as ConversationRole })),
    ].sort((a, b) => (a.id < b.id ? -1 : 1));
    this.summaries.put({
      id: rec.id,
      title: rec.title,
      createdAt: rec.createdAt,
      lastMessage: null,
      unread: 0,
      activity: rec.createdAt,
      kind: rec.kind,
      visibility: rec.visibility,
      role: 'owner',
      archived: false,
      createdBy: me,
      members,
      dmWith: rec.kind === 'dm' ? (rec.members[0] ?? null) : null,
      registered: false,
      listed: false,
      removed: false,
      undelivered: 0,
    });
    await this.ctx.store.putMeta(UNREGISTERED + rec.id, rec);
  }

  async openDm(userId: string): Promise<string> {
    const me = this.ctx.me;
    if (!this.ctx.accounts) throw new ApiError('unauthenticated', 'Direct messages need an account on the server.');
    if (userId === me) throw new ModelError('invalid', 'A direct message needs another person.');
    const id = dmConversationId(me, userId);
    const s = this.summaries.get(id);
    if (s && !s.removed) return id;
    this.assertWritable();
    if (!s) {
      await this.add({
        id,
        kind: 'dm',
        visibility: 'private',
        title: this.deps.nameOf(userId, 'Direct message'),
        members: [userId],
        createdAt: this.ctx.now(),
      });
      void this.registerPending();
    }
    return id;
  }

  /** POST /conversations for each conversation created offline (before its rooms open). */
  registerPending(): Promise<void> {
    const auth = this.deps.auth;
    if (!auth || auth.ended) return Promise.resolve();
    if (this.registering) {
      this.registerAgain = true;
      return this.registering;
    }
    this.registerAgain = false;
    this.registering = (async () => {
      const tried = new Set<string>();
      // Conversations created while this runs are registered by this run too.
      for (;;) {
        const rec = [...this.pending.values()].find((r) => !r.error && !tried.has(r.id));
        if (!rec || this.ctx.closed) return;
        tried.add(rec.id);
        const body: Record<string, unknown> = { id: rec.id, kind: rec.kind, members: rec.members };
        if (rec.kind !== 'dm') {
          body.title = rec.title;
          body.visibility = rec.visibility;
        }
        try {
          await this.deps.api('POST', '/conversations', body);
        } catch (e) {
          // Closed meanwhile: the record stays as it is on disk and the next start registers it.
          if (this.ctx.closed) return;
          if (!(e instanceof ApiError)) throw e;
          if (['offline', 'unreachable', 'rate-limited', 'session-ended', 'error', 'unauthenticated'].includes(e.code)) return;
          // conflict, forbidden, invalid...: final; kept locally with the reason, nothing dropped.
          const failed = { ...rec, error: `The server did not accept this conversation: ${e.message}` };
          this.pending.set(rec.id, failed);
          await this.ctx.store.putMeta(UNREGISTERED + rec.id, failed);
          this.ctx.convChanged(rec.id);
          continue;
        }
        // Closed meanwhile: the next start registers it again, which the relay answers as done.
        if (this.ctx.closed) return;
        this.pending.delete(rec.id);
        await this.ctx.store.deleteMeta(UNREGISTERED + rec.id);
        const s = this.summaries.get(rec.id);
        if (s) this.summaries.put({ ...s, registered: true });
        this.ctx.host.reconsider();
      }
    })().finally(() => {
      this.registering = null;
      if (this.registerAgain && !this.ctx.closed) void this.registerPending();
    });
    return this.registering;
  }
}
