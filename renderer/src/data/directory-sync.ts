// Accounts: my directory document `inbox/<me>` (directory.ts reads it) is the source of the
// conversation list, members, people and roles. Applying it updates the summaries, marks the
// conversations I was removed from, and follows my own profile.
import { inboxRoom } from '../../../core/src/model/rooms';
import type { ClientContext } from './context';
import { readDirectory, type Directory } from './directory';
import type { OpenDoc } from './docs';
import type { Profiles } from './profiles';
import type { SummaryRecord } from './store';
import type { Summaries } from './summaries';
import { yieldToMain } from './yield';

export interface DirectorySyncDeps {
  /** The directory's profile of me (name, role). */
  followMe(me: Directory['me']): void;
  /** A conversation the directory lists is registered: forget its offline record. */
  registered(convId: string): void;
  markRemoved(convId: string): void;
  /** The directory changed after it was first applied (catch-up follows it). */
  onUpdate(): void;
}

export class DirectorySync {
  /** The directory document `inbox/<me>`, held open while the client runs. */
  readonly inbox: OpenDoc;
  /** The directory as last read; null until it loads. */
  dir: Directory | null = null;

  constructor(
    private readonly ctx: ClientContext,
    private readonly summaries: Summaries,
    private readonly profiles: Profiles,
    private readonly deps: DirectorySyncDeps,
  ) {
    this.inbox = ctx.host.acquire(inboxRoom(ctx.me));
    this.inbox.loaded.then(
      () => this.onLoaded(),
      (e: unknown) => ctx.errors.set('inbox', e instanceof Error ? e : new Error(String(e))),
    );
  }

  private onLoaded(): void {
    if (this.ctx.closed) return;
    const doc = this.inbox.doc;
    this.apply();
    // Applied in a task of its own, once for the updates that came meanwhile: reading the
    // directory touches every conversation, and doing it inside the task that received the
    // update (a catch-up's whole directory at once) made one long task of both.
    let due = false;
    doc.on('update', () => {
      if (due) return;
      due = true;
      void yieldToMain().then(() => {
        due = false;
        if (this.ctx.closed) return;
        this.apply();
        this.deps.onUpdate();
      });
    });
  }

  /** The directory is the source of conversations, members, people and roles. */
  apply(): void {
    const { me, host } = this.ctx;
    const dir = readDirectory(this.inbox.doc);
    this.dir = dir;
    this.profiles.learnNames(dir);
    this.deps.followMe(dir.me);
    let unblocked = false;
    for (const [id, c] of dir.conversations) {
      const prev = this.summaries.get(id);
      const members = dir.members.get(id) ?? prev?.members ?? [];
      const act = dir.activity.get(id);
      const dmWith = c.kind === 'dm' ? (members.find((m) => m.id !== me)?.id ?? prev?.dmWith ?? null) : null;
      let lastMessage = prev?.lastMessage ?? null;
      const newestHeld = this.summaries.newestPageOpen(id, prev);
      if (act?.preview && !newestHeld && (!lastMessage || act.at >= lastMessage.at)) {
        lastMessage = {
          id: act.preview.id,
          text: act.preview.text,
          authorId: act.preview.author,
          authorName: this.profiles.nameOf(act.preview.author),
          at: act.at,
        };
      }
      if (prev?.removed || prev?.registered === false) unblocked = true;
      const next: SummaryRecord = {
        id,
        title: c.title || prev?.title || '',
        ...(c.topic ? { topic: c.topic } : {}),
        ...(c.description ? { description: c.description } : {}),
        createdAt: c.createdAt || prev?.createdAt || 0,
        lastMessage,
        // The counts are the pages' (summaries.ts): kept as they are, with what they came from.
        unread: prev?.unread ?? 0,
        ...(prev?.mentions !== undefined ? { mentions: prev.mentions } : {}),
        ...(prev?.pageCounts ? { pageCounts: prev.pageCounts } : {}),
        activity: Math.max(c.createdAt, act?.at ?? 0, lastMessage?.at ?? 0, prev?.activity ?? 0),
        ...(prev?.periods ? { periods: prev.periods } : {}),
        kind: c.kind,
        visibility: c.visibility,
        role: c.role,
        archived: c.archived,
        createdBy: c.createdBy,
        members,
        dmWith,
        registered: true,
        listed: true,
        removed: false,
        undelivered: 0,
      };
      if (prev?.error && !prev.error.startsWith('Not registered')) next.error = prev.error;
      this.summaries.put(next);
      this.deps.registered(id);
    }
    // Listed before and gone now: I was removed (or left from another device). Judged only
    // on a directory that has its profile: an empty document is one not synced yet.
    if (dir.me) {
      for (const s of this.summaries.values()) {
        if (s.listed && !s.removed && !dir.conversations.has(s.id)) this.deps.markRemoved(s.id);
      }
    }
    if (unblocked) host.reconsider();
    this.profiles.peopleChanged();
    this.summaries.changed();
    this.ctx.convChanged(null);
  }
}
