// The people directory (issue 12): everyone in the workspace this device knows of, for the quick
// switcher and the People view. Offline it is what the device already has: the people I share a
// conversation with (the directory document) and the last list the relay gave (kept in this
// user's database). Online, `refresh` asks the relay (`GET /users`), which lists only the people
// a guest may see for a guest (docs/accounts.md, "Guests and the workspace"), so a guest's copy
// never holds anyone else; a copy made under another role is not used.
import type { DirectoryPerson, Observe, Person, WorkspaceRole } from './api';
import type { ClientContext } from './context';
import { observable } from './observable';
import type { Profiles } from './profiles';
import type { RelayApi } from './relay-api';

/** Meta record: `{ role, at, people: [{ id, username, displayName, role }] }`. */
const KEPT = 'people-directory';
/** Most people kept (the relay answers at most 50 per query; searches add to the copy). */
const MAX_KEPT = 2000;

interface Kept {
  id: string;
  username: string;
  displayName: string;
  role: WorkspaceRole | null;
}

const ROLES: readonly WorkspaceRole[] = ['admin', 'member', 'guest'];

function readKept(x: unknown): Kept | null {
  const o = x as Record<string, unknown> | null;
  if (!o || typeof o.id !== 'string' || typeof o.displayName !== 'string') return null;
  return {
    id: o.id,
    username: typeof o.username === 'string' ? o.username : '',
    displayName: o.displayName,
    role: ROLES.includes(o.role as WorkspaceRole) ? (o.role as WorkspaceRole) : null,
  };
}

export class PeopleDirectory {
  private readonly kept = new Map<string, Kept>();
  private readonly obs: { observe: Observe<DirectoryPerson[]>; notify: () => void };
  readonly observe: Observe<DirectoryPerson[]>;
  private known: Person[] = [];
  private readonly off: () => void;

  constructor(
    private readonly ctx: ClientContext,
    private readonly profiles: Profiles,
    private readonly api: RelayApi,
  ) {
    this.obs = observable(() => this.list());
    this.observe = this.obs.observe;
    this.off = profiles.people((p) => {
      this.known = p;
      this.obs.notify();
    });
    void ctx.store.getMeta(KEPT).then(
      (v) => {
        const rec = v as { role?: unknown; people?: unknown } | null;
        if (!rec || rec.role !== ctx.session.role || !Array.isArray(rec.people)) return;
        for (const x of rec.people.slice(0, MAX_KEPT)) {
          const k = readKept(x);
          if (k && !this.kept.has(k.id)) this.kept.set(k.id, k);
        }
        this.obs.notify();
      },
      () => undefined, // a cache: without it, the known people still show
    );
  }

  /** Everyone known, by name; status and avatar from the workspace (none for a guest). */
  list(): DirectoryPerson[] {
    const out = new Map<string, DirectoryPerson>();
    for (const p of this.known) out.set(p.id, { ...p, role: this.kept.get(p.id)?.role ?? null });
    for (const k of this.kept.values()) {
      if (out.has(k.id)) continue;
      out.set(k.id, { ...k, ...this.profiles.extrasOf(k.id) });
    }
    return [...out.values()].sort(
      (a, b) => a.displayName.localeCompare(b.displayName) || (a.id < b.id ? -1 : 1),
    );
  }

  /**
   * Asks the relay for people matching `query` ('' for the first of everyone) and keeps them on
   * this device. Online only (ApiError 'offline' otherwise). Resolves with how many it found.
   */
  async refresh(query = ''): Promise<number> {
    const v = await this.api<unknown>('GET', `/users?q=${encodeURIComponent(query.trim())}`);
    const list = Array.isArray(v) ? v : ((v as { users?: unknown } | null)?.users ?? []);
    const found = (Array.isArray(list) ? list : []).flatMap((x) => {
      const k = readKept(x);
      return k ? [k] : [];
    });
    if (query.trim() === '') {
      // The whole first page: people no longer listed (disabled, or out of a guest's sight) go.
      const ids = new Set(found.map((k) => k.id));
      for (const id of [...this.kept.keys()]) if (!ids.has(id) && found.length < 50) this.kept.delete(id);
    }
    for (const k of found) this.kept.set(k.id, k);
    this.profiles.rememberNames(found.map((k) => [k.id, k.displayName]));
    while (this.kept.size > MAX_KEPT) this.kept.delete(this.kept.keys().next().value as string);
    this.obs.notify();
    await this.ctx.store
      .putMeta(KEPT, { role: this.ctx.session.role, at: Date.now(), people: [...this.kept.values()] })
      .catch(() => undefined);
    return found.length;
  }

  close(): void {
    this.off();
  }
}
