// Which rooms may sync, and what the client does with the relay's refusals (docs.ts asks
// through DocHost.policy): a refused conversation room means I was removed; a refused change
// is rebuilt and re-sent by docs.ts, and said on the conversation (README.md, "Recovering
// from a refused update").
import { parseRoom, workspaceRoom } from '../../../core/src/model/rooms';
import * as workspace from '../../../core/src/model/workspace';
import type { ClientContext } from './context';
import type { Summaries } from './summaries';

/** The conversation a meta or page room belongs to, or null for any other room. */
export function convOfRoom(room: string): string | null {
  const ref = parseRoom(room);
  return ref && (ref.kind === 'meta' || ref.kind === 'page') ? ref.convId : null;
}

export interface RoomRulesDeps {
  /** The relay refused a conversation room: I am no longer a member. */
  markRemoved(convId: string): void;
  /** Made a guest while the workspace room was open: close it and forget its copy. */
  closeWorkspace(): void;
  /** The workspace room was rebuilt: profiles read from the new document. */
  profilesChanged(): void;
}

export class RoomRules {
  constructor(
    private readonly ctx: ClientContext,
    private readonly summaries: Summaries,
    private readonly deps: RoomRulesDeps,
  ) {}

  /** Rooms of conversations not registered yet, or that I was removed from, stay local. */
  blocked(room: string): boolean {
    const convId = convOfRoom(room);
    if (!convId) return false;
    const s = this.summaries.get(convId);
    return s?.removed === true || s?.registered === false;
  }

  refused(room: string, code: number, reason: string): void {
    // Made a guest while the workspace was open: no error, the directory brings the role.
    if (room === workspaceRoom && reason === workspace.GUEST_WORKSPACE_REFUSAL) return this.deps.closeWorkspace();
    const convId = convOfRoom(room);
    if (!convId) {
      this.ctx.errors.set(room, new Error(`The relay refused ${room} (${code}: ${reason}).`));
      return;
    }
    if (code === 4403) this.deps.markRemoved(convId);
  }

  /**
   * The relay refused a change of this device (docs.ts rebuilds the document and resends, see
   * README "Recovering from a refused update"); `held`: refused again after that, kept here.
   */
  denied(room: string, reason: string, held: boolean): void {
    const convId = convOfRoom(room);
    if (!convId) {
      if (held) this.ctx.errors.set(room, new Error(`The server refused changes from this device in ${room} (${reason}); they are kept on this device and no longer sent.`));
      return;
    }
    console.warn(`[ferry] relay denied a change in ${room}${held ? ' again' : ''}: ${reason}`);
    const s = this.summaries.get(convId);
    if (s) {
      this.summaries.put({
        ...s,
        // Words for people (issue 12); the relay's reason goes to the log.
        error: held
          ? `The server refused your changes here again${deniedWhy(reason)}. They are kept on this device, marked not delivered; export the conversation to keep a copy. New messages still arrive.`
          : `The server refused a change from this device${deniedWhy(reason)}. Ferry is sending it again.`,
      });
    }
    this.ctx.syncChanged();
    this.ctx.convChanged(convId);
  }

  recovered(room: string, reason: string, rewritten: { messages: number; entries: number }): void {
    const kept = this.ctx.records.get(room);
    if (kept) delete kept.denied; // rebuilt: the open document's record is current
    this.ctx.syncChanged();
    const convId = convOfRoom(room);
    if (!convId) {
      this.ctx.errors.delete(room);
      this.deps.profilesChanged(); // the workspace room: profiles read from the rebuilt document
      return;
    }
    const n = rewritten.messages;
    const what =
      n > 0
        ? `Ferry re-sent your ${n === 1 ? 'unsent message' : `${n} unsent messages`}.`
        : rewritten.entries > 0
          ? 'Ferry re-sent your unsent changes.'
          : 'Nothing of yours was waiting to be sent.';
    const s = this.summaries.get(convId);
    if (s) this.summaries.put({ ...s, error: `The server refused a change from this device (${reason}). ${what}` });
    this.ctx.convChanged(convId);
  }
}

/**
 * The relay's reason for refusing a change (core/src/authz/policy.ts: it names users and paths)
 * as a few words for people, or nothing.
 */
export function deniedWhy(reason: string): string {
  if (/archived/i.test(reason)) return ' (the conversation is archived)';
  if (/announcement/i.test(reason)) return ' (only owners and moderators post here)';
  if (/not a member/i.test(reason)) return ' (you are no longer a member)';
  if (/moderators and owners/i.test(reason)) return ' (only moderators and owners may do that)';
  return '';
}
