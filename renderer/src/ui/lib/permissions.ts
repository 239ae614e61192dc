// Which controls the UI shows, from the permission matrix (docs/accounts.md). The matrix
// itself is core's `can()` (core/src/authz/permissions.ts); this file turns its answers into what a control needs: shown or
// not, and when shown, enabled or disabled with the reason (offline, archived, last owner).
// The relay decides for real; a control shown here can still be refused, and the UI then
// says why inline.

import { can as coreCan, type Action } from '../../../../core/src/authz/permissions';
import type {
  ConversationKind,
  ConversationRole,
  Member,
  Visibility,
  WorkspaceRole,
} from '../../data/api';

export type { Action };

/** Who I am, for the matrix: my workspace role and my role in the conversation. */
export interface Actor {
  role: WorkspaceRole;
  /** My role in the conversation, or null when I am not a member. */
  membership: ConversationRole | null;
}

export interface ConversationFacts {
  kind: ConversationKind;
  visibility: Visibility;
  archived: boolean;
}

function can(actor: Actor, action: Action, c: ConversationFacts, target?: Member): boolean {
  return coreCan(
    { workspaceRole: actor.role, convRole: actor.membership },
    action,
    c,
    target ? { convRole: target.role } : undefined,
  );
}

export interface Gate {
  show: boolean;
  /** Why a shown control is disabled, or null when it is enabled. */
  disabled: string | null;
}

const HIDDEN: Gate = { show: false, disabled: null };
export const OFFLINE_REASON = 'Not connected to the server right now: this needs it.';

function gate(allowed: boolean, online: boolean): Gate {
  if (!allowed) return HIDDEN;
  return { show: true, disabled: online ? null : OFFLINE_REASON };
}

export interface ConversationControls {
  rename: Gate;
  archive: Gate;
  invite: Gate;
  leave: Gate;
  /** Moderators and owners may delete other people's messages (works offline too). */
  deleteOthers: boolean;
  post: boolean;
}

export function conversationControls(
  actor: Actor,
  c: ConversationFacts,
  members: readonly Member[],
  myId: string,
  online: boolean,
): ConversationControls {
  let leave = gate(can(actor, 'leave', c), online);
  if (leave.show && !leave.disabled && actor.membership === 'owner') {
    const owners = members.filter((m) => m.role === 'owner').length;
    const others = members.filter((m) => m.id !== myId).length;
    if (owners <= 1 && others > 0) {
      leave = { show: true, disabled: 'Make someone else an owner first: you are the only one.' };
    }
  }
  return {
    rename: gate(can(actor, 'rename', c), online),
    archive: gate(can(actor, c.archived ? 'unarchive' : 'archive', c), online),
    invite: gate(can(actor, 'invite', c), online),
    leave,
    deleteOthers: can(actor, 'delete-others', c),
    post: can(actor, 'post', c),
  };
}

export interface MemberControls {
  remove: Gate;
  setRole: Gate;
}

/** What I may do to one member: moderators remove plain members only; owners and admins all. */
export function memberControls(
  actor: Actor,
  c: ConversationFacts,
  target: Member,
  myId: string,
  online: boolean,
): MemberControls {
  if (target.id === myId) return { remove: HIDDEN, setRole: HIDDEN };
  return {
    remove: gate(can(actor, 'remove-member', c, target), online),
    setRole: gate(can(actor, 'set-role', c, target), online),
  };
}

export { can };
