// Who may do what in a conversation: one pure function used by the relay's HTTP API, by its
// update checks and by the app to enable or hide controls (docs/accounts.md, "Identities and
// roles"; the table is in core/README.md).

/** A user's role in the workspace. */
export type WorkspaceRole = 'admin' | 'member' | 'guest';
export type ConversationKind = 'dm' | 'channel' | 'announcement';
/** `open`: any non-guest may join; `private`: by invitation. A DM's visibility is ignored. */
export type Visibility = 'open' | 'private';
export type ConversationRole = 'owner' | 'moderator' | 'member';

export type Action =
  /** Open the conversation's rooms (and see its members). */
  | 'read'
  /** Add a new message. */
  | 'post'
  /** Add or remove one's own reaction. */
  | 'react'
  /** Move one's own read marker. */
  | 'mark-read'
  | 'edit-own'
  | 'delete-own'
  /** Tombstone someone else's message (moderation). */
  | 'delete-others'
  | 'rename'
  | 'archive'
  | 'unarchive'
  /** Add members. */
  | 'invite'
  /** Remove another member; pass the target's role. */
  | 'remove-member'
  /** Change a member's role; pass the target's role. */
  | 'set-role'
  /** Leave oneself; see also `canLeave` for the last-owner rule. */
  | 'leave'
  /** Join an open channel one is not a member of. */
  | 'join'
  /** Pin a message (and remove one's own pin): whoever may post there. */
  | 'pin'
  /** Remove someone else's pin (moderation). */
  | 'unpin-others';

export const WORKSPACE_ROLES: readonly WorkspaceRole[] = ['admin', 'member', 'guest'];
export const CONVERSATION_KINDS: readonly ConversationKind[] = ['dm', 'channel', 'announcement'];
export const VISIBILITIES: readonly Visibility[] = ['open', 'private'];
export const CONVERSATION_ROLES: readonly ConversationRole[] = ['owner', 'moderator', 'member'];
export const ACTIONS: readonly Action[] = [
  'read',
  'post',
  'react',
  'mark-read',
  'edit-own',
  'delete-own',
  'delete-others',
  'rename',
  'archive',
  'unarchive',
  'invite',
  'remove-member',
  'set-role',
  'leave',
  'join',
  'pin',
  'unpin-others',
];

export interface Actor {
  workspaceRole: WorkspaceRole;
  /** The actor's role in this conversation; null when not a member. */
  convRole: ConversationRole | null;
}

export interface ConversationState {
  kind: ConversationKind;
  visibility: Visibility;
  archived: boolean;
}

/** The member an action is aimed at (`remove-member`, `set-role`). */
export interface Target {
  convRole: ConversationRole;
}

/** What an archived conversation still allows: reading, read markers, and unarchiving. */
const WHILE_ARCHIVED: ReadonlySet<Action> = new Set<Action>(['read', 'mark-read', 'unarchive']);

/**
 * Whether `actor` may do `action` in a conversation in `conv`'s state. Pure and total: any
 * combination gets an answer. `target` is the role of the member aimed at by
 * `remove-member` (a moderator may remove plain members only; without a target it may not)
 * and `set-role`. `leave` here ignores member counts: the relay must use `canLeave`.
 * A workspace admin who is not a member manages (rename, archive, invite, remove, set roles)
 * but does not read or write content; an admin who is a member also has their member rights.
 */
export function can(
  actor: Actor,
  action: Action,
  conv: ConversationState,
  target?: Target,
): boolean {
  if (conv.archived && !WHILE_ARCHIVED.has(action)) return false;
  const role = actor.convRole;
  const admin = actor.workspaceRole === 'admin';
  const dm = conv.kind === 'dm';
  const owner = role === 'owner';
  const moderator = role === 'owner' || role === 'moderator';
  const openChannel = !dm && conv.visibility === 'open';
  switch (action) {
    case 'read':
    case 'react':
    case 'mark-read':
    case 'edit-own':
    case 'delete-own':
      return role !== null;
    case 'post':
    case 'pin':
      return moderator || (role === 'member' && conv.kind !== 'announcement');
    case 'delete-others':
    case 'unpin-others':
      return moderator;
    case 'rename':
      return !dm && (owner || admin);
    case 'archive':
      return !dm && !conv.archived && (owner || admin);
    case 'unarchive':
      return !dm && conv.archived && (owner || admin);
    case 'invite':
      if (dm) return false;
      if (moderator || admin) return true;
      // A plain member may add people only where they could join anyway; a guest never.
      return role === 'member' && openChannel && actor.workspaceRole !== 'guest';
    case 'remove-member':
      if (dm) return false;
      if (owner || admin) return true;
      return role === 'moderator' && target?.convRole === 'member';
    case 'set-role':
      return !dm && (owner || admin);
    case 'leave':
      return !dm && role !== null;
    case 'join':
      return role === null && openChannel && actor.workspaceRole !== 'guest';
    default:
      return false;
  }
}

/** How many members and owners a conversation has, for `canLeave`. */
export interface MemberCounts {
  members: number;
  owners: number;
}

/**
 * `can(actor, 'leave', conv)` plus the last-owner rule: the last owner must hand over
 * (make someone else owner) before leaving, unless they are the only member left.
 */
export function canLeave(actor: Actor, conv: ConversationState, counts: MemberCounts): boolean {
  if (!can(actor, 'leave', conv)) return false;
  if (actor.convRole !== 'owner') return true;
  return counts.owners > 1 || counts.members <= 1;
}
