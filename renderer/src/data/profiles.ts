// People: their names (the directory's, kept when they leave), status and avatar (the
// workspace room's `people` map), presence on that room's awareness, and my own profile
// (README.md, "Profiles" and "Awareness of others"). A guest holds no workspace room
// (docs/accounts.md, "Guests and the workspace").
import { ModelError } from '../../../core/src/model/errors';
import { workspaceRoom } from '../../../core/src/model/rooms';
import * as workspace from '../../../core/src/model/workspace';
import type { ConversationRole, Member, Observe, Person, ProfileChange } from './api';
import { PresenceTracker, type Presence } from './awareness';
import type { ClientContext } from './context';
import type { Directory } from './directory';
import type { OpenDoc } from './docs';
import { observable } from './observable';

/** Meta record: every display name the directory has shown this device. */
const KNOWN_NAMES = 'names';

export interface ProfilesDeps {
  /** The directory (accounts), or null before it loads and in workspace mode. */
  directory(): Directory | null;
  /** Workspace mode: the catalogue document (names of its people), or null. */
  catalogue(): OpenDoc | null;
  /** Names kept from an earlier run were read: the list shows them. */
  onNamesLoaded(): void;
}

export interface ProfilesOptions {
  /** Where input and visibility events arrive (presence: away after idle time). */
  events: EventTarget | undefined;
  presence: { awayAfterMs?: number; hidden?: () => boolean } | undefined;
}

export class Profiles {
  /**
   * Every display name the directory has shown this device, kept when the person leaves: the
   * directory lists only people I share a conversation with now, but their messages and
   * reactions stay in history and keep their name (meta record `names`).
   */
  private readonly knownNames = new Map<string, string>();
  /**
   * The workspace room (presence, and everyone's status and avatar), open unless I am a guest:
   * guests may not see everyone (docs/accounts.md, "Guests and the workspace").
   */
  private room: OpenDoc | null = null;
  /** On the workspace room: null while signed in as a guest (no presence shown or published). */
  private tracker: PresenceTracker | null = null;
  private trackerOff: (() => void) | null = null;
  private readonly peopleObs: { observe: Observe<Person[]>; notify: () => void };
  private readonly myProfileObs: { observe: Observe<Person>; notify: () => void };
  private readonly presenceObs: { observe: Observe<Map<string, Presence>>; notify: () => void };
  readonly people: Observe<Person[]>;
  readonly myProfile: Observe<Person>;
  readonly presence: Observe<Map<string, Presence>>;

  constructor(
    private readonly ctx: ClientContext,
    private readonly opts: ProfilesOptions,
    private readonly deps: ProfilesDeps,
  ) {
    this.peopleObs = observable(() => this.list());
    this.myProfileObs = observable(() => this.profileOf(ctx.me));
    this.presenceObs = observable(() => this.tracker?.value() ?? new Map<string, Presence>());
    this.people = this.peopleObs.observe;
    this.myProfile = this.myProfileObs.observe;
    this.presence = this.presenceObs.observe;
    // Names seen in earlier runs, for people who have since left every shared conversation.
    void ctx.store.getMeta(KNOWN_NAMES).then(
      (kept) => {
        if (!kept || typeof kept !== 'object') return;
        for (const [id, name] of Object.entries(kept as Record<string, unknown>)) {
          if (typeof name === 'string' && !this.knownNames.has(id)) this.knownNames.set(id, name);
        }
        deps.onNamesLoaded();
      },
      () => undefined, // a cache: without it, former members read "Someone"
    );
  }

  /** Keeps the directory's names (for when those people leave), on disk when they changed. */
  learnNames(dir: Directory): void {
    let namesChanged = false;
    for (const [id, p] of dir.people) {
      if (this.knownNames.get(id) === p.displayName) continue;
      this.knownNames.set(id, p.displayName);
      namesChanged = true;
    }
    if (namesChanged) {
      this.ctx.store.putMeta(KNOWN_NAMES, Object.fromEntries(this.knownNames)).catch(() => undefined);
    }
  }

  /**
   * Keeps names the relay's people list gave (issue 12, people-directory.ts) for people the
   * directory does not list, so a DM started with one of them offline has their name.
   */
  rememberNames(names: Iterable<[string, string]>): void {
    let changed = false;
    const dir = this.deps.directory();
    for (const [id, name] of names) {
      if (dir?.people.has(id) || this.knownNames.get(id) === name) continue;
      this.knownNames.set(id, name);
      changed = true;
    }
    if (changed) {
      this.ctx.store.putMeta(KNOWN_NAMES, Object.fromEntries(this.knownNames)).catch(() => undefined);
    }
  }

  nameOf(user: string, fallback = 'Someone'): string {
    const p = this.deps.directory()?.people.get(user);
    if (p) return p.displayName;
    if (user === this.ctx.me) return this.ctx.session.displayName;
    const known = this.knownNames.get(user);
    if (known) return known;
    const cat = this.deps.catalogue();
    if (cat && cat.refs > 0) return workspace.profileName(cat.doc, user) || fallback;
    return fallback;
  }

  /** People changed (the directory, or the workspace room was rebuilt): emit them again. */
  changed(): void {
    this.peopleObs.notify();
    this.myProfileObs.notify();
  }

  /** Only the list of people changed. */
  peopleChanged(): void {
    this.peopleObs.notify();
  }

  private get isGuest(): boolean {
    return this.ctx.accounts && this.ctx.session.role === 'guest';
  }

  /** Opens the workspace room for an admin or member; a guest closes it and deletes its copy. */
  followAccess(): void {
    if (this.ctx.closed) return;
    if (this.isGuest) this.close(true);
    else this.open();
  }

  private readonly onPeople = (): void => {
    this.peopleObs.notify();
    this.myProfileObs.notify();
    this.ctx.convChanged(null);
  };

  private open(): void {
    if (this.room) return;
    // Presence on the workspace room's awareness: awareness.ts. Its `people` map holds
    // everyone's status and avatar (docs/messaging.md, "Profiles").
    const od = this.ctx.host.acquire(workspaceRoom);
    this.room = od;
    workspace.peopleOf(od.doc).observe(this.onPeople);
    this.tracker = new PresenceTracker(
      this.ctx.host,
      od,
      this.ctx.me,
      () => this.list().map((p) => p.id),
      { events: this.opts.events, ...this.opts.presence },
    );
    this.trackerOff = this.tracker.observe(() => this.presenceObs.notify());
    this.onPeople();
  }

  /**
   * Stops presence and closes the workspace room; `forget`: deletes this device's copy of it
   * (a guest keeps nothing of people they may not see, also from before they were one).
   */
  close(forget: boolean): void {
    const od = this.room;
    this.room = null;
    this.trackerOff?.();
    this.trackerOff = null;
    this.tracker?.close();
    this.tracker = null;
    if (od) {
      workspace.peopleOf(od.doc).unobserve(this.onPeople);
      this.ctx.host.release(od);
    }
    if (forget) {
      // After the load (whose compaction would write the copy back), else at once.
      const forgetCopy = () =>
        this.ctx.closed ? undefined : this.ctx.store.deleteDocs([workspaceRoom]).catch(() => undefined);
      if (!od || od.isLoaded) void forgetCopy();
      else void od.loaded.then(forgetCopy, forgetCopy);
    }
    this.presenceObs.notify();
    this.onPeople();
  }

  /** Why I cannot set my status and picture now, or null (guests: no workspace). */
  unavailable(): string | null {
    return this.isGuest ? workspace.GUEST_PROFILE_REASON : null;
  }

  /**
   * Status and avatar from the workspace `people` map; for a guest, from the directory, where
   * the relay copies those of the people a guest may see. Invalid values read as null (core).
   */
  extrasOf(user: string): { status: string | null; avatar: string | null } {
    const p = this.room
      ? workspace.readProfile(user, workspace.peopleOf(this.room.doc).get(user))
      : this.deps.directory()?.people.get(user);
    return { status: p?.status ?? null, avatar: p?.avatar ?? null };
  }

  profileOf(user: string): Person {
    const p = this.deps.directory()?.people.get(user);
    if (p) return { id: user, username: p.username, displayName: p.displayName, ...this.extrasOf(user) };
    const session = this.ctx.session;
    if (user === this.ctx.me) {
      return { id: user, username: session.username, displayName: session.displayName, ...this.extrasOf(user) };
    }
    return { id: user, username: '', displayName: this.nameOf(user), ...this.extrasOf(user) };
  }

  /** A conversation's member as its view lists them. */
  member(id: string, role: ConversationRole): Member {
    const p = this.deps.directory()?.people.get(id);
    return {
      id,
      role,
      username: p?.username ?? '',
      displayName: p?.displayName ?? this.nameOf(id),
      ...this.extrasOf(id),
    };
  }

  async setMine(change: ProfileChange): Promise<void> {
    const unavailable = this.unavailable();
    if (unavailable) throw new ModelError('forbidden', unavailable);
    this.open();
    const profiles = this.room as OpenDoc | null;
    if (!profiles) throw new ModelError('forbidden', workspace.GUEST_PROFILE_REASON);
    await profiles.loaded;
    workspace.setProfile(profiles.doc, {
      user: this.ctx.me,
      name: this.ctx.session.displayName,
      at: this.ctx.now(),
      ...(change.status !== undefined ? { status: change.status } : {}),
      ...(change.avatar !== undefined ? { avatar: change.avatar } : {}),
    });
    await profiles.lastWrite;
  }

  list(): Person[] {
    const out = new Map<string, Person>();
    const dir = this.deps.directory();
    if (dir) {
      for (const [id, p] of dir.people) {
        out.set(id, { id, username: p.username, displayName: p.displayName, ...this.extrasOf(id) });
      }
    }
    const me = this.ctx.me;
    if (!out.has(me)) out.set(me, this.profileOf(me));
    return [...out.values()].sort((a, b) => a.displayName.localeCompare(b.displayName) || (a.id < b.id ? -1 : 1));
  }
}
