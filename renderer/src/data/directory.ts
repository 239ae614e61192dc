// Reading the directory document `inbox/<userId>` (docs/accounts.md, The directory document):
// the relay alone writes it; the client reads conversations, members, people and room versions
// from it. Values are plain JSON; anything malformed is skipped, never trusted.
import type * as Y from 'yjs';
import { readDirectory as readCoreDirectory } from '../../../core/src/model/directory';
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
  /** Schema 3; '' when none. */
  topic: string;
  description: string;
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
  /** Only in a guest's directory: the relay copies them from the workspace guests cannot open. */
  status?: string;
  avatar?: string;
}

export interface Directory {
  me: { id: string; username: string; displayName: string; role: WorkspaceRole } | null;
  conversations: Map<string, DirConversation>;
  members: Map<string, Array<{ id: string; role: ConversationRole }>>;
  activity: Map<string, DirActivity>;
  people: Map<string, DirPerson>;
}

/**
 * Reads the whole directory (it is small: proportional to what it lists) with core's parser
 * (core/src/model/directory.ts: malformed entries are skipped), in the client's shape: each
 * conversation carries its id, a DM's title is '' (the app names it after the other member),
 * an unknown creator is ''.
 */
export function readDirectory(doc: Y.Doc): Directory {
  const d = readCoreDirectory(doc);
  const conversations = new Map<string, DirConversation>();
  for (const [id, c] of d.conversations) {
    conversations.set(id, {
      id,
      kind: c.kind,
      visibility: c.visibility,
      title: c.title ?? '',
      archived: c.archived,
      role: c.role,
      createdBy: c.createdBy ?? '',
      createdAt: c.createdAt,
      topic: c.topic ?? '',
      description: c.description ?? '',
    });
  }
  return { me: d.me, conversations, members: d.members, activity: d.activity, people: d.people };
}

/** The room of a `versions` key (`meta` or `p<period>`), or null for a key this client does not know. */
export function roomOfVersionKey(convId: string, key: string): { kind: 'meta' } | { kind: 'page'; period: number } | null {
  if (key === 'meta') return { kind: 'meta' };
  const m = /^p(0|[1-9][0-9]{0,14})$/.exec(key);
  return m ? { kind: 'page', period: Number(m[1]) } : null;
}
