// The membership tables of migration 3 (docs/accounts.md, "What the relay keeps"): plain SQL
// over the relay's database, no rules. The rules are in `service.ts`.
import type { SqlDb } from '../db/sql';
import type {
  ConversationKind,
  ConversationRole,
  Visibility,
} from '../../../core/src/authz/permissions';

export type { ConversationKind, ConversationRole, Visibility };

export interface ConversationRow {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  title: string | null;
  createdBy: string | null;
  createdAt: number;
  archivedAt: number | null;
  /** Migration 5: null when none (and on an insert, which leaves them unset). */
  topic?: string | null;
  description?: string | null;
}

export interface MemberRow {
  id: string;
  role: ConversationRole;
  joinedAt: number;
}

export interface PersonRow {
  id: string;
  username: string;
  displayName: string;
  role: 'admin' | 'member' | 'guest';
  disabled: boolean;
}

interface RawConversation {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  title: string | null;
  created_by: string | null;
  created_at: number;
  archived_at: number | null;
  topic?: string | null;
  description?: string | null;
}

const toConversation = (r: RawConversation): ConversationRow => ({
  id: r.id,
  kind: r.kind,
  visibility: r.visibility,
  title: r.title,
  createdBy: r.created_by,
  createdAt: r.created_at,
  archivedAt: r.archived_at,
  topic: r.topic ?? null,
  description: r.description ?? null,
});

interface RawPerson {
  id: string;
  username: string;
  display_name: string;
  role: 'admin' | 'member' | 'guest';
  disabled_at: number | null;
}

const toPerson = (r: RawPerson): PersonRow => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  role: r.role,
  disabled: r.disabled_at !== null,
});

/** Prepared statements over `conversations`, `members` and (read only) `users`. */
export class MembershipDb {
  private readonly s;

  constructor(readonly db: SqlDb) {
    this.s = {
      conv: db.prepare<[string], RawConversation>('SELECT * FROM conversations WHERE id = ?'),
      insertConv: db.prepare(
        `INSERT INTO conversations (id, kind, visibility, title, created_by, created_at, archived_at)
         VALUES (@id, @kind, @visibility, @title, @createdBy, @createdAt, @archivedAt)`,
      ),
      insertConvIgnore: db.prepare(
        `INSERT OR IGNORE INTO conversations (id, kind, visibility, title, created_by, created_at, archived_at)
         VALUES (@id, @kind, @visibility, @title, @createdBy, @createdAt, @archivedAt)`,
      ),
      setTitle: db.prepare<[string | null, string]>(
        'UPDATE conversations SET title = ? WHERE id = ?',
      ),
      setTopic: db.prepare<[string | null, string]>(
        'UPDATE conversations SET topic = ? WHERE id = ?',
      ),
      setDescription: db.prepare<[string | null, string]>(
        'UPDATE conversations SET description = ? WHERE id = ?',
      ),
      setArchived: db.prepare<[number | null, string]>(
        'UPDATE conversations SET archived_at = ? WHERE id = ?',
      ),
      role: db.prepare<[string, string], { role: ConversationRole }>(
        'SELECT role FROM members WHERE conversation = ? AND user = ?',
      ),
      members: db.prepare<[string], { user: string; role: ConversationRole; joined_at: number }>(
        'SELECT user, role, joined_at FROM members WHERE conversation = ? ORDER BY user',
      ),
      memberCount: db.prepare<[string], { n: number }>(
        'SELECT COUNT(*) AS n FROM members WHERE conversation = ?',
      ),
      ownerCount: db.prepare<[string], { n: number }>(
        "SELECT COUNT(*) AS n FROM members WHERE conversation = ? AND role = 'owner'",
      ),
      addMember: db.prepare<[string, string, ConversationRole, number]>(
        'INSERT OR IGNORE INTO members (conversation, user, role, joined_at) VALUES (?, ?, ?, ?)',
      ),
      setRole: db.prepare<[ConversationRole, string, string]>(
        'UPDATE members SET role = ? WHERE conversation = ? AND user = ?',
      ),
      removeMember: db.prepare<[string, string]>(
        'DELETE FROM members WHERE conversation = ? AND user = ?',
      ),
      ofUser: db.prepare<[string], RawConversation & { role: ConversationRole }>(
        `SELECT c.*, m.role AS role FROM members m JOIN conversations c ON c.id = m.conversation
         WHERE m.user = ? ORDER BY c.id`,
      ),
      open: db.prepare<[], RawConversation & { members: number }>(
        `SELECT c.*, (SELECT COUNT(*) FROM members m WHERE m.conversation = c.id) AS members
         FROM conversations c WHERE c.visibility = 'open' AND c.kind != 'dm' ORDER BY c.title, c.id`,
      ),
      shares: db.prepare<[string, string], { one: number }>(
        `SELECT 1 AS one FROM members a JOIN members b ON a.conversation = b.conversation
         WHERE a.user = ? AND b.user = ? LIMIT 1`,
      ),
      people: db.prepare<[string, string], RawPerson>(
        `SELECT u.id, u.username, u.display_name, u.role, u.disabled_at FROM users u
         WHERE u.id = ? OR u.id IN (SELECT b.user FROM members a JOIN members b
           ON a.conversation = b.conversation WHERE a.user = ?)
         ORDER BY u.id`,
      ),
      user: db.prepare<[string], RawPerson>(
        'SELECT id, username, display_name, role, disabled_at FROM users WHERE id = ?',
      ),
    };
  }

  conversation(id: string): ConversationRow | null {
    const r = this.s.conv.get(id);
    return r ? toConversation(r) : null;
  }

  insertConversation(c: ConversationRow, ignoreExisting = false): boolean {
    const stmt = ignoreExisting ? this.s.insertConvIgnore : this.s.insertConv;
    return stmt.run(c).changes > 0;
  }

  setTitle(id: string, title: string | null): void {
    this.s.setTitle.run(title, id);
  }

  setTopic(id: string, topic: string | null): void {
    this.s.setTopic.run(topic, id);
  }

  setDescription(id: string, description: string | null): void {
    this.s.setDescription.run(description, id);
  }

  setArchived(id: string, at: number | null): void {
    this.s.setArchived.run(at, id);
  }

  roleOf(conversation: string, user: string): ConversationRole | null {
    return this.s.role.get(conversation, user)?.role ?? null;
  }

  members(conversation: string): MemberRow[] {
    return this.s.members
      .all(conversation)
      .map((r) => ({ id: r.user, role: r.role, joinedAt: r.joined_at }));
  }

  memberCount(conversation: string): number {
    return this.s.memberCount.get(conversation)?.n ?? 0;
  }

  ownerCount(conversation: string): number {
    return this.s.ownerCount.get(conversation)?.n ?? 0;
  }

  /** Adds a member; false if they already were one (their role is left as it is). */
  addMember(conversation: string, user: string, role: ConversationRole, at: number): boolean {
    return this.s.addMember.run(conversation, user, role, at).changes > 0;
  }

  setRole(conversation: string, user: string, role: ConversationRole): void {
    this.s.setRole.run(role, conversation, user);
  }

  removeMember(conversation: string, user: string): boolean {
    return this.s.removeMember.run(conversation, user).changes > 0;
  }

  /** The user's conversations with their role in each. */
  conversationsOf(user: string): Array<ConversationRow & { role: ConversationRole }> {
    return this.s.ofUser.all(user).map((r) => ({ ...toConversation(r), role: r.role }));
  }

  openChannels(): Array<ConversationRow & { memberCount: number }> {
    return this.s.open.all().map((r) => ({ ...toConversation(r), memberCount: r.members }));
  }

  /** True when the two users are members of at least one common conversation. */
  shareAConversation(a: string, b: string): boolean {
    return this.s.shares.get(a, b) !== undefined;
  }

  /** The user and everyone sharing a conversation with them, by id. */
  peopleOf(user: string): PersonRow[] {
    return this.s.people.all(user, user).map(toPerson);
  }

  user(id: string): PersonRow | null {
    const r = this.s.user.get(id);
    return r ? toPerson(r) : null;
  }

  /** Runs fn in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
