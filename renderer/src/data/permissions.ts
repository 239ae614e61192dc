// What I may do in a conversation: core's rules (core/src/authz/permissions.ts) over my
// workspace role and the directory's conversation role, checked before writing so an honest
// client never makes an update the relay would refuse. Workspace mode has no roles: all allowed.
import { can, type Action } from '../../../core/src/authz/permissions';
import { ModelError } from '../../../core/src/model/errors';
import type { ConversationRole, Member } from './api';
import type { ClientContext } from './context';
import type { ConvState } from './conversation-host';
import type { Profiles } from './profiles';
import type { Registration } from './registration';
import type { Summaries } from './summaries';

export class Permissions {
  constructor(
    private readonly ctx: ClientContext,
    private readonly summaries: Summaries,
    private readonly profiles: Profiles,
    private readonly registration: Registration,
  ) {}

  /** What a conversation view shows about the conversation and what I may do in it. */
  convState(convId: string): ConvState {
    const accounts = this.ctx.accounts;
    const s = this.summaries.get(convId);
    const kind = s?.kind ?? 'channel';
    const role: ConversationRole = s?.role ?? (accounts ? 'member' : 'owner');
    const archived = s?.archived ?? false;
    const removed = s?.removed ?? false;
    const blocked = accounts ? (this.ctx.writeBlocked?.() ?? null) : null;
    const may = (action: Action) =>
      !removed &&
      blocked === null &&
      (!accounts ||
        can(
          { workspaceRole: this.ctx.session.role, convRole: s ? role : null },
          action,
          { kind, visibility: s?.visibility ?? 'open', archived },
        ));
    const members: Member[] = (s?.members ?? []).map((m) => this.profiles.member(m.id, m.role));
    let error: string | null = s?.error ?? null;
    const unregError = this.registration.errorOf(convId);
    if (unregError) error = unregError;
    return {
      kind,
      role,
      archived,
      removed,
      readOnly: removed ? null : blocked,
      canPost: may('post'),
      canModerate: accounts ? may('delete-others') : false,
      members,
      error,
    };
  }

  /** Throws ModelError('forbidden') unless I may do `action` here (the relay would refuse it). */
  assertMay(convId: string, action: Action): void {
    if (!this.ctx.accounts) return;
    const st = this.convState(convId);
    if (st.removed) {
      throw new ModelError('forbidden', 'You are no longer a member of this conversation; nothing can be sent to it.');
    }
    if (st.readOnly) throw new ModelError('forbidden', st.readOnly);
    const s = this.summaries.get(convId);
    const ok = can(
      { workspaceRole: this.ctx.session.role, convRole: s ? st.role : null },
      action,
      { kind: st.kind, visibility: s?.visibility ?? 'open', archived: st.archived },
    );
    if (ok) return;
    if (st.archived) throw new ModelError('forbidden', 'This conversation is archived: it is read-only.');
    if (action === 'post' && st.kind === 'announcement') {
      throw new ModelError('forbidden', 'Only owners and moderators post in an announcement channel.');
    }
    if (action === 'delete-others') throw new ModelError('forbidden', "Only owners and moderators delete others' messages.");
    if (action === 'pin' && st.kind === 'announcement') {
      throw new ModelError('forbidden', 'Only owners and moderators pin in an announcement channel.');
    }
    if (action === 'unpin-others') throw new ModelError('forbidden', "Only owners and moderators remove others' pins.");
    throw new ModelError('forbidden', 'You are not allowed to do that in this conversation.');
  }
}
