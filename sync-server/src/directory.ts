// The relay's writer of directory documents (docs/accounts.md, "The directory document"):
// one `inbox/<userId>` room per user that only the relay writes, through the relay's own
// rooms (`Relay.applyAsRelay`), so each write is stored, versioned and forwarded like any
// update. Entries are rewritten whole and only when their JSON changes.
//
// Guests do not open the workspace (docs/accounts.md, "Guests and the workspace"): the status
// and picture of the people a guest shares a conversation with are copied from the workspace's
// `people` into the guest's directory, and follow profile, membership and role changes.
import type * as Y from 'yjs';
import {
  removeDirectoryEntry,
  removePerson,
  writeActivity,
  writeDirectoryEntry,
  writeMe,
  writeMembers,
  writePerson,
  type DirectoryActivity,
  type DirectoryPerson,
  type DirectoryPreview,
} from '../../core/src/model/directory';
import { CloseCode } from '../../core/src/protocol/messages';
import { GUEST_WORKSPACE_REFUSAL, peopleOf, readProfile } from '../../core/src/model/workspace';
import { lastMessage } from '../../core/src/model/meta';
import { inboxRoom, periodOfMessage, RELAY_USER, workspaceRoom } from '../../core/src/model/rooms';
import type { ClientIds } from './client-ids';
import type { ConversationRole, ConversationRow, PersonRow } from './conversations/db';
import type { Conversations, MembershipEvent } from './conversations/service';
import type { RelayRooms } from './hooks';
import type { Logger } from './log';

type Preview = DirectoryPreview;
type ActivityEntry = DirectoryActivity;

/** Activity is written at most this often per conversation. */
export const ACTIVITY_INTERVAL_MS = 1000;

const CONV_ROOM = /^conv\/([0-9A-HJKMNP-TV-Z]{16})(?:\/p(\d+))?$/;

export class Directory {
  private readonly relayDocs = new WeakSet<Y.Doc>();
  /** Conversations with stored updates not yet described in `activity`, and when. */
  private readonly dirty = new Map<string, number>();
  private readonly lastWrite = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly previews = new Map<string, Preview | null>();
  private readonly versionsOf;
  private readonly detach: Array<() => void> = [];
  /** Workspace documents whose `people` changes are followed (one per load of the room). */
  private readonly watchedWorkspaces = new WeakSet<Y.Doc>();
  /** Users whose workspace profile changed since it was last copied to guests. */
  private readonly changedProfiles = new Set<string>();
  /**
   * A workspace document was (re)loaded and is followed from now on: the next stored change
   * copies every guest's people whole, since changes before it was followed are not listed.
   */
  private copyAll = false;
  private readonly guests;

  constructor(
    private readonly relay: RelayRooms,
    private readonly conversations: Conversations,
    private readonly clientIds: ClientIds,
    private readonly log: Logger,
  ) {
    const db = conversations.db.db;
    const stmt = db.prepare<[string, string, string], { room: string; version: number }>(
      'SELECT room, version FROM room_versions WHERE room = ? OR (room >= ? AND room < ?)',
    );
    this.versionsOf = (convId: string): Record<string, number> => {
      const out: Record<string, number> = {};
      const meta = `conv/${convId}`;
      for (const r of stmt.all(meta, `${meta}/`, `${meta}0`)) {
        out[r.room === meta ? 'meta' : r.room.slice(meta.length + 1)] = r.version;
      }
      return out;
    };
    const guests = db.prepare<[], { id: string }>("SELECT id FROM users WHERE role = 'guest'");
    this.guests = (): string[] => guests.all().map((r) => r.id);
    this.detach.push(
      conversations.onChange((e) => this.onMembership(e)),
      relay.onStored((stored) => this.onStored(stored)),
    );
  }

  close(): void {
    for (const d of this.detach.splice(0)) d();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  /** Writes into a user's inbox as the relay (its clientID bound to the reserved `relay`). */
  private write(userId: string, fn: (doc: Y.Doc) => void): void {
    const room = inboxRoom(userId);
    this.relay.applyAsRelay(room, (doc) => {
      if (!this.relayDocs.has(doc)) {
        this.clientIds.bind(room, doc.clientID, RELAY_USER);
        this.relayDocs.add(doc);
      }
      try {
        fn(doc);
      } catch (error) {
        // A value core's writers refuse (they write nothing then): log it, keep the rest.
        this.log.error({ err: error, user: userId }, 'directory write refused');
      }
    });
  }

  private conversationEntry(c: ConversationRow, role: ConversationRole) {
    return {
      kind: c.kind,
      visibility: c.visibility,
      title: c.title,
      archived: c.archivedAt !== null,
      role,
      createdBy: c.createdBy,
      createdAt: c.createdAt,
      ...(c.topic ? { topic: c.topic } : {}),
      ...(c.description ? { description: c.description } : {}),
    };
  }

  private membersEntry(convId: string) {
    return this.conversations.db.members(convId).map((m) => ({ id: m.id, role: m.role }));
  }

  /**
   * Runs `fn` on the workspace document once the relay has it loaded (it loads at once from
   * the store), following its `people` changes from then on.
   */
  private withWorkspace(fn: (ws: Y.Doc) => void): void {
    this.relay.applyAsRelay(workspaceRoom, (ws) => {
      if (!this.watchedWorkspaces.has(ws)) {
        this.watchedWorkspaces.add(ws);
        this.copyAll = true;
        peopleOf(ws).observe((event) => {
          for (const key of event.keysChanged) this.changedProfiles.add(key);
        });
      }
      fn(ws);
    });
  }

  /**
   * A person's `people` entry for a reader's directory: name for everyone; status and picture
   * (the workspace's, checked by core's reader) only for a guest reader, who has no workspace.
   */
  private personEntry(p: PersonRow, ws: Y.Doc | null): DirectoryPerson {
    const entry: DirectoryPerson = { username: p.username, displayName: p.displayName };
    if (!ws) return entry;
    const profile = readProfile(p.id, peopleOf(ws).get(p.id));
    if (profile?.status !== undefined) entry.status = profile.status;
    if (profile?.avatar !== undefined) entry.avatar = profile.avatar;
    return entry;
  }

  /** `fn` with the workspace document if `reader` is a guest, else with null. */
  private forReader(reader: PersonRow, fn: (ws: Y.Doc | null) => void): void {
    if (reader.role === 'guest') this.withWorkspace(fn);
    else fn(null);
  }

  /** Rewrites a user's whole directory from the database, deleting what no longer holds. */
  syncUser(userId: string): void {
    const db = this.conversations.db;
    const me = db.user(userId);
    if (!me) return;
    this.forReader(me, (ws) => this.syncUserWith(me, ws));
  }

  private syncUserWith(me: PersonRow, ws: Y.Doc | null): void {
    const db = this.conversations.db;
    const userId = me.id;
    const convs = db.conversationsOf(userId);
    const people = db.peopleOf(userId);
    const activity = new Map(convs.map((c) => [c.id, this.activityEntry(c.id)]));
    this.write(userId, (doc) => {
      writeMe(doc, {
        id: me.id,
        username: me.username,
        displayName: me.displayName,
        role: me.role,
      });
      const act = doc.getMap('activity');
      const keep = new Set(convs.map((c) => c.id));
      for (const c of convs) {
        writeDirectoryEntry(doc, c.id, this.conversationEntry(c, c.role));
        writeMembers(doc, c.id, this.membersEntry(c.id));
        const a = activity.get(c.id);
        if (a) writeActivity(doc, c.id, this.keepPreview(act.get(c.id), a));
      }
      const listed = new Set<string>();
      for (const root of ['conversations', 'members', 'activity']) {
        for (const key of doc.getMap(root).keys()) listed.add(key);
      }
      for (const key of listed) if (!keep.has(key)) removeDirectoryEntry(doc, key);
      const known = new Set(people.map((p) => p.id));
      for (const p of people) writePerson(doc, p.id, this.personEntry(p, ws));
      for (const key of [...doc.getMap('people').keys()]) {
        if (!known.has(key)) removePerson(doc, key);
      }
    });
  }

  /**
   * A user's name or workspace role changed: their own directory (whole: a guest's carries
   * statuses and pictures, a member's does not), and their entry in the directory of everyone
   * who shares a conversation with them. Made a guest: their workspace room is closed and their
   * status and picture leave the workspace (a guest can no longer change or clear them).
   */
  onUserChanged(userId: string): void {
    const db = this.conversations.db;
    const u = db.user(userId);
    if (!u) return;
    this.syncUser(userId);
    for (const p of db.peopleOf(userId)) {
      if (p.id === userId) continue;
      this.forReader(p, (ws) =>
        this.write(p.id, (doc) => writePerson(doc, userId, this.personEntry(u, ws))),
      );
    }
    if (u.role !== 'guest') return;
    const n = this.relay.closeRooms(
      userId,
      (room) => room === workspaceRoom,
      CloseCode.forbidden,
      GUEST_WORKSPACE_REFUSAL,
    );
    // Deleted, not rewritten: the entry stays theirs to write again if they become a member
    // (a relay-written value would be an item their next write could not replace).
    this.withWorkspace((ws) => {
      if (peopleOf(ws).has(userId)) peopleOf(ws).delete(userId);
    });
    if (n > 0) this.log.info({ user: userId, sockets: n }, 'made a guest; workspace closed');
  }

  /** Copies changed workspace profiles into the directories of the guests who may see them. */
  private onWorkspaceStored(): void {
    this.withWorkspace((ws) => {
      const db = this.conversations.db;
      if (this.copyAll) {
        this.copyAll = false;
        this.changedProfiles.clear();
        for (const guest of this.guests()) {
          const people = db.peopleOf(guest);
          this.write(guest, (doc) => {
            for (const p of people) writePerson(doc, p.id, this.personEntry(p, ws));
          });
        }
        return;
      }
      const changed = [...this.changedProfiles];
      this.changedProfiles.clear();
      for (const userId of changed) {
        const u = db.user(userId);
        if (!u) continue;
        for (const reader of db.peopleOf(userId)) {
          if (reader.role !== 'guest') continue;
          this.write(reader.id, (doc) => writePerson(doc, userId, this.personEntry(u, ws)));
        }
      }
    });
  }

  private onMembership(e: MembershipEvent): void {
    const db = this.conversations.db;
    const c = db.conversation(e.convId);
    for (const { user } of e.removed) this.syncUser(user);
    if (!c) return;
    const members = db.members(e.convId);
    const added = new Set(e.added);
    const entry = this.membersEntry(e.convId);
    const people = members.map((m) => db.user(m.id)).filter((p) => p !== null);
    for (const m of members) {
      if (added.has(m.id)) {
        // A new member gets their whole directory (people, activity, their own profile).
        this.syncUser(m.id);
        continue;
      }
      const reader = people.find((p) => p.id === m.id);
      if (!reader) continue;
      this.forReader(reader, (ws) =>
        this.write(m.id, (doc) => {
          writeDirectoryEntry(doc, c.id, this.conversationEntry(c, m.role));
          writeMembers(doc, c.id, entry);
          for (const p of people) writePerson(doc, p.id, this.personEntry(p, ws));
        }),
      );
    }
    if (e.removed.length > 0) {
      // Someone left: people they no longer share a conversation with drop out.
      for (const m of members) if (!added.has(m.id)) this.syncPeople(m.id);
    }
  }

  private syncPeople(userId: string): void {
    const people = this.conversations.db.peopleOf(userId);
    const known = new Set(people.map((p) => p.id));
    this.write(userId, (doc) => {
      for (const key of [...doc.getMap('people').keys()]) {
        if (!known.has(key)) removePerson(doc, key);
      }
    });
  }

  // ---- activity ----

  private onStored(stored: Map<string, number>): void {
    if (stored.has(workspaceRoom)) this.onWorkspaceStored();
    const now = Date.now();
    for (const room of stored.keys()) {
      const m = CONV_ROOM.exec(room);
      if (!m) continue;
      const convId = m[1] as string;
      this.dirty.set(convId, now);
      this.schedule(convId);
    }
  }

  private schedule(convId: string): void {
    if (this.timers.has(convId)) return;
    const wait = Math.max(0, (this.lastWrite.get(convId) ?? 0) + ACTIVITY_INTERVAL_MS - Date.now());
    const timer = setTimeout(() => {
      this.timers.delete(convId);
      this.flushActivity(convId);
    }, wait);
    timer.unref();
    this.timers.set(convId, timer);
  }

  /** The conversation's activity now: room versions, and the newest page's last message. */
  private activityEntry(convId: string): ActivityEntry {
    const versions = this.versionsOf(convId);
    let newest = -1;
    for (const key of Object.keys(versions)) {
      if (key.startsWith('p')) newest = Math.max(newest, Number(key.slice(1)));
    }
    if (newest >= 0) {
      const page = this.relay.loadedDoc(`conv/${convId}/p${newest}`);
      if (page) {
        const last = lastMessage(page);
        this.previews.set(
          convId,
          last && periodOfMessage(last.id) === newest
            ? { id: last.id, author: last.author, text: last.text }
            : null,
        );
      }
    }
    return {
      at: this.dirty.get(convId) ?? this.lastWrite.get(convId) ?? Date.now(),
      preview: this.previews.get(convId) ?? null,
      versions,
    };
  }

  /**
   * What to store over a user's existing entry. Keeps the stored preview when the relay does
   * not have the newest page loaded. Keeps the stored `at` unless the newest message changed:
   * `at` orders the app's conversation list, and reading a conversation (a read marker), a
   * reaction or an edit is not news for the other members; only a new message is.
   */
  private keepPreview(existing: unknown, next: ActivityEntry): ActivityEntry {
    if (typeof existing !== 'object' || existing === null) return next;
    const old = existing as { preview?: unknown; at?: unknown };
    const oldPreview =
      old.preview && typeof old.preview === 'object' ? (old.preview as Preview) : null;
    const settled = next.preview === null && oldPreview ? { ...next, preview: oldPreview } : next;
    const sameNewest = (settled.preview?.id ?? null) === (oldPreview?.id ?? null);
    return sameNewest && typeof old.at === 'number' && Number.isFinite(old.at)
      ? { ...settled, at: old.at }
      : settled;
  }

  private flushActivity(convId: string): void {
    if (!this.dirty.has(convId)) return;
    const entry = this.activityEntry(convId);
    this.dirty.delete(convId);
    this.lastWrite.set(convId, Date.now());
    const members = this.conversations.db.members(convId);
    for (const m of members) {
      this.write(m.id, (doc) => {
        writeActivity(doc, convId, this.keepPreview(doc.getMap('activity').get(convId), entry));
      });
    }
    this.log.debug({ conv: convId, members: members.length }, 'activity written');
  }
}
