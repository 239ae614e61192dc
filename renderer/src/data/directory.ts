// Reading the directory document `inbox/<userId>` (docs/accounts.md, The directory document):
// the relay alone writes it; the client reads conversations, members, people and room versions
// from it. Values are plain JSON; anything malformed is skipped, never trusted.
import type * as Y from 'yjs';
import type { ConversationKind, ConversationRole, Visibility, WorkspaceRole } from './api';

export interface DirConversation {
  id: string;
  kind: ConversationKind;
  visibility: Visibility;
  title: string;
  archived: boolean;
  role: ConversationRole;
  createdBy: string;
  createdAt: number;
}

export interface DirActivity {
  at: number;
  preview: { id: string; author: string; text: string } | null;
  /** Room key (`meta`, `p<period>`) → version. */
  versions: Record<string, number>;
}

export interface DirPerson {
  username: string;
  displayName: string;
}

export interface Directory {
  me: { id: string; username: string; displayName: string; role: WorkspaceRole } | null;
  conversations: Map<string, DirConversation>;
  members: Map<string, Array<{ id: string; role: ConversationRole }>>;
  activity: Map<string, DirActivity>;
  people: Map<string, DirPerson>;
}

const KINDS: readonly string[] = ['dm', 'channel', 'announcement'];
const ROLES: readonly string[] = ['owner', 'moderator', 'member'];
const obj = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

function conversationOf(id: string, v: unknown): DirConversation | null {
  const o = obj(v);
  if (!o || typeof o.kind !== 'string' || !KINDS.includes(o.kind)) return null;
  return {
    id,
    kind: o.kind as ConversationKind,
    visibility: o.visibility === 'private' ? 'private' : 'open',
    title: typeof o.title === 'string' ? o.title : '',
    archived: o.archived === true,
    role: typeof o.role === 'string' && ROLES.includes(o.role) ? (o.role as ConversationRole) : 'member',
    createdBy: typeof o.createdBy === 'string' ? o.createdBy : '',
    createdAt: typeof o.createdAt === 'number' ? o.createdAt : 0,
  };
}

function activityOf(v: unknown): DirActivity | null {
  const o = obj(v);
  if (!o) return null;
  const p = obj(o.preview);
  const versions: Record<string, number> = {};
  const vs = obj(o.versions);
  if (vs) {
    for (const [k, n] of Object.entries(vs)) if (typeof n === 'number' && Number.isFinite(n)) versions[k] = n;
  }
  return {
    at: typeof o.at === 'number' ? o.at : 0,
    preview:
      p && typeof p.id === 'string' && typeof p.author === 'string' && typeof p.text === 'string'
        ? { id: p.id, author: p.author, text: p.text }
        : null,
    versions,
  };
}

/** Reads the whole directory (it is small: proportional to what it lists). */
export function readDirectory(doc: Y.Doc): Directory {
  const dir: Directory = {
    me: null,
    conversations: new Map(),
    members: new Map(),
    activity: new Map(),
    people: new Map(),
  };
  const me = obj(doc.getMap('me').get('profile'));
  if (me && typeof me.id === 'string') {
    dir.me = {
      id: me.id,
      username: typeof me.username === 'string' ? me.username : '',
      displayName: typeof me.displayName === 'string' ? me.displayName : '',
      role: me.role === 'admin' || me.role === 'guest' ? me.role : 'member',
    };
  }
  doc.getMap('conversations').forEach((v, id) => {
    const c = conversationOf(id, v);
    if (c) dir.conversations.set(id, c);
  });
  doc.getMap('members').forEach((v, id) => {
    if (!Array.isArray(v)) return;
    const list: Array<{ id: string; role: ConversationRole }> = [];
    for (const m of v as unknown[]) {
      const o = obj(m);
      if (o && typeof o.id === 'string') {
        list.push({ id: o.id, role: typeof o.role === 'string' && ROLES.includes(o.role) ? (o.role as ConversationRole) : 'member' });
      }
    }
    dir.members.set(id, list);
  });
  doc.getMap('activity').forEach((v, id) => {
    const a = activityOf(v);
    if (a) dir.activity.set(id, a);
  });
  doc.getMap('people').forEach((v, id) => {
    const o = obj(v);
    if (o && typeof o.displayName === 'string') {
      dir.people.set(id, { username: typeof o.username === 'string' ? o.username : '', displayName: o.displayName });
    }
  });
  return dir;
}

/** The room of a `versions` key (`meta` or `p<period>`), or null for a key this client does not know. */
export function roomOfVersionKey(convId: string, key: string): { kind: 'meta' } | { kind: 'page'; period: number } | null {
  if (key === 'meta') return { kind: 'meta' };
  const m = /^p(0|[1-9][0-9]{0,14})$/.exec(key);
  return m ? { kind: 'page', period: Number(m[1]) } : null;
}
