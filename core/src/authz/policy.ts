// The conversation's policy over a checked update (docs/accounts.md, "Enforced authorship",
// step 2): the checker says what an update changes and which schema rules it breaks; `judge`
// decides, from who sent it and the conversation's state, whether the relay applies it.
import type { RoomRef } from '../model/rooms';
import { RELAY_USER } from '../model/rooms';
import type { CheckResult, ProblemRule } from '../model/schema';
import { can, type ConversationKind, type ConversationRole } from './permissions';

export interface PolicyContext {
  room: RoomRef;
  /** The user the update's clientIDs are bound to (`RELAY_USER` for the relay's own writes). */
  sender: string;
  /** The sender's role in the conversation; null when not a member. Ignored outside conversations. */
  convRole: ConversationRole | null;
  /** The conversation's kind; null for rooms that are not a conversation's (workspace, inbox). */
  kind: ConversationKind | null;
  archived: boolean;
  /**
   * Who created the conversation, as the relay's database knows it (`conversations.created_by`).
   * When given, the meta document's `info` is that user's alone: an `info` entry owned by
   * anyone else (its `createdBy`) is refused as `creator`, so a member who syncs a new
   * channel before its creator's app does cannot claim it. Null or absent: not known (a
   * conversation imported without one), and `info` belongs to whoever wrote it first.
   */
  creator?: string | null;
}

/**
 * Why an update is refused: a schema rule from the checker, or one of the policy's:
 * `archived` (only read markers change in an archived conversation), `announcement` (only
 * owners and moderators add messages there), `not-a-member`, `creator` (the meta document's
 * `info` names someone other than the conversation's creator).
 */
export type PolicyRule = ProblemRule | 'archived' | 'announcement' | 'not-a-member' | 'creator';

export type Verdict =
  | {
      ok: true;
      /** Ids of the messages a moderator or owner deleted (tombstoned) in this update: audit them. */
      moderated: string[];
      /**
       * `pins` keys (`<messageId>|<userId>`) of other users' pins a moderator or owner removed
       * in this update: audit them. Present only when there are some.
       */
      unpinned?: string[];
    }
  | { ok: false; rule: PolicyRule; path: string; message: string };

const refuse = (rule: PolicyRule, path: string, message: string): Verdict => ({
  ok: false,
  rule,
  path,
  message,
});

/**
 * Judges one update, given `checker.inspect(update, sender)` (model/schema.ts) and the
 * context. Refused (first reason found, in this order):
 * - an inbox document: any problem (the checker reports every client change as `relay-only`);
 * - any problem other than `moderation`;
 * - a conversation room the sender is not a member of (unless it is the relay);
 * - `info` owned (`createdBy`) by anyone but `ctx.creator`, when the creator is known;
 * - an archived conversation: any change other than a read marker (`reads`);
 * - `moderation` (a tombstone in someone else's message) unless the sender is an owner or
 *   moderator;
 * - `unpin` (removing someone else's pin) unless the sender is an owner or moderator;
 * - an announcement: a new message (or a new page-index entry), or a new pin, unless the
 *   sender may post.
 * Otherwise accepted, with the ids of the messages deleted by moderation and the keys of the
 * pins removed by moderation. On a refusal it
 * calls `checked.discard()`, so the checker forgets the update it already tried.
 */
export function judge(checked: CheckResult, ctx: PolicyContext): Verdict {
  const verdict = decide(checked, ctx);
  // A refused update is not applied: the checker must forget it (its shadow holds it).
  if (!verdict.ok) checked.discard?.();
  return verdict;
}

function decide(checked: CheckResult, ctx: PolicyContext): Verdict {
  const { problems, changes } = checked;
  const { room, sender } = ctx;
  // A `self` document: its user's alone (the relay lets nobody else open it, and every
  // entry's owner is the room's user): any problem refuses.
  if (room.kind === 'inbox' || room.kind === 'workspace' || room.kind === 'self') {
    const p = problems[0];
    if (p) return refuse(p.rule, p.path, p.message);
    return { ok: true, moderated: [] };
  }
  const hard = problems.find((p) => p.rule !== 'moderation' && p.rule !== 'unpin');
  if (hard) return refuse(hard.rule, hard.path, hard.message);
  if (changes.length === 0 && problems.length === 0) return { ok: true, moderated: [] };
  if (sender !== RELAY_USER && ctx.convRole === null) {
    const c = changes[0];
    return refuse(
      'not-a-member',
      c ? `${c.root}/${c.key}` : '',
      `${sender} is not a member of this conversation`,
    );
  }
  if (room.kind === 'meta' && typeof ctx.creator === 'string' && sender !== RELAY_USER) {
    const c = changes.find((x) => x.root === 'info' && x.owner !== ctx.creator);
    if (c) {
      return refuse(
        'creator',
        `${c.root}/${c.key}`,
        `the conversation was created by ${ctx.creator}: only they write its info`,
      );
    }
  }
  const conv = { kind: ctx.kind ?? 'channel', visibility: 'private' as const, archived: false };
  const actor = { workspaceRole: 'member' as const, convRole: ctx.convRole };
  if (ctx.archived) {
    const c = changes.find((x) => x.root !== 'reads');
    if (c) {
      return refuse(
        'archived',
        `${c.root}/${c.key}`,
        'the conversation is archived: only read markers may change',
      );
    }
  }
  const moderated: string[] = [];
  const unpinned: string[] = [];
  for (const p of problems) {
    if (p.rule === 'unpin') {
      if (sender !== RELAY_USER && !can(actor, 'unpin-others', conv)) {
        return refuse('unpin', p.path, `only moderators and owners may remove others' pins`);
      }
      unpinned.push(p.path.slice(p.path.indexOf('/') + 1));
      continue;
    }
    if (sender !== RELAY_USER && !can(actor, 'delete-others', conv)) {
      return refuse(
        'owner',
        p.path,
        `only moderators and owners may delete others' messages (${p.path})`,
      );
    }
    moderated.push(p.path.slice(p.path.indexOf('/') + 1));
  }
  if (sender !== RELAY_USER && !can(actor, 'post', conv)) {
    const c = changes.find(
      (x) =>
        x.action === 'add' &&
        (x.root === 'messages' || (room.kind === 'meta' && x.root === 'pages')),
    );
    if (c) {
      return refuse(
        'announcement',
        `${c.root}/${c.key}`,
        'only owners and moderators post in an announcement channel',
      );
    }
  }
  if (sender !== RELAY_USER && !can(actor, 'pin', conv)) {
    const c = changes.find((x) => x.root === 'pins' && x.action !== 'delete');
    if (c) {
      return refuse(
        'announcement',
        `${c.root}/${c.key}`,
        'only owners and moderators pin in an announcement channel',
      );
    }
  }
  return unpinned.length > 0 ? { ok: true, moderated, unpinned } : { ok: true, moderated };
}
