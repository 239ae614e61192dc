// The permission matrix of docs/accounts.md, checked for every combination against a table
// written out by hand from the contract (not derived from the implementation).
import { describe, it, expect } from './harness';
import {
  ACTIONS,
  CONVERSATION_KINDS,
  CONVERSATION_ROLES,
  VISIBILITIES,
  WORKSPACE_ROLES,
  can,
  canLeave,
  type Action,
  type Actor,
  type ConversationKind,
  type ConversationRole,
  type ConversationState,
  type Visibility,
  type WorkspaceRole,
} from '../src/index';

// Columns of every row, in this order, first live then archived:
//   channel/open channel/private announcement/open announcement/private dm/open dm/private
const COLUMNS: Array<[ConversationKind, Visibility]> = [
  ['channel', 'open'],
  ['channel', 'private'],
  ['announcement', 'open'],
  ['announcement', 'private'],
  ['dm', 'open'],
  ['dm', 'private'],
];

// Rows: `<conversation role or "-" for none>/<workspace role>`. Y = allowed.
// `remove-member` has one block per target role (`remove-member>member` etc.).
const EXPECTED: Record<string, Record<string, string>> = {
  read: {
    'owner/admin': 'YYYYYY YYYYYY',
    'owner/member': 'YYYYYY YYYYYY',
    'owner/guest': 'YYYYYY YYYYYY',
    'moderator/admin': 'YYYYYY YYYYYY',
    'moderator/member': 'YYYYYY YYYYYY',
    'moderator/guest': 'YYYYYY YYYYYY',
    'member/admin': 'YYYYYY YYYYYY',
    'member/member': 'YYYYYY YYYYYY',
    'member/guest': 'YYYYYY YYYYYY',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  post: {
    'owner/admin': 'YYYYYY NNNNNN',
    'owner/member': 'YYYYYY NNNNNN',
    'owner/guest': 'YYYYYY NNNNNN',
    'moderator/admin': 'YYYYYY NNNNNN',
    'moderator/member': 'YYYYYY NNNNNN',
    'moderator/guest': 'YYYYYY NNNNNN',
    'member/admin': 'YYNNYY NNNNNN',
    'member/member': 'YYNNYY NNNNNN',
    'member/guest': 'YYNNYY NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  react: {
    'owner/admin': 'YYYYYY NNNNNN',
    'owner/member': 'YYYYYY NNNNNN',
    'owner/guest': 'YYYYYY NNNNNN',
    'moderator/admin': 'YYYYYY NNNNNN',
    'moderator/member': 'YYYYYY NNNNNN',
    'moderator/guest': 'YYYYYY NNNNNN',
    'member/admin': 'YYYYYY NNNNNN',
    'member/member': 'YYYYYY NNNNNN',
    'member/guest': 'YYYYYY NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'mark-read': {
    'owner/admin': 'YYYYYY YYYYYY',
    'owner/member': 'YYYYYY YYYYYY',
    'owner/guest': 'YYYYYY YYYYYY',
    'moderator/admin': 'YYYYYY YYYYYY',
    'moderator/member': 'YYYYYY YYYYYY',
    'moderator/guest': 'YYYYYY YYYYYY',
    'member/admin': 'YYYYYY YYYYYY',
    'member/member': 'YYYYYY YYYYYY',
    'member/guest': 'YYYYYY YYYYYY',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'edit-own': {
    'owner/admin': 'YYYYYY NNNNNN',
    'owner/member': 'YYYYYY NNNNNN',
    'owner/guest': 'YYYYYY NNNNNN',
    'moderator/admin': 'YYYYYY NNNNNN',
    'moderator/member': 'YYYYYY NNNNNN',
    'moderator/guest': 'YYYYYY NNNNNN',
    'member/admin': 'YYYYYY NNNNNN',
    'member/member': 'YYYYYY NNNNNN',
    'member/guest': 'YYYYYY NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'delete-own': {
    'owner/admin': 'YYYYYY NNNNNN',
    'owner/member': 'YYYYYY NNNNNN',
    'owner/guest': 'YYYYYY NNNNNN',
    'moderator/admin': 'YYYYYY NNNNNN',
    'moderator/member': 'YYYYYY NNNNNN',
    'moderator/guest': 'YYYYYY NNNNNN',
    'member/admin': 'YYYYYY NNNNNN',
    'member/member': 'YYYYYY NNNNNN',
    'member/guest': 'YYYYYY NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'delete-others': {
    'owner/admin': 'YYYYYY NNNNNN',
    'owner/member': 'YYYYYY NNNNNN',
    'owner/guest': 'YYYYYY NNNNNN',
    'moderator/admin': 'YYYYYY NNNNNN',
    'moderator/member': 'YYYYYY NNNNNN',
    'moderator/guest': 'YYYYYY NNNNNN',
    'member/admin': 'NNNNNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  // Pinning: whoever may post there (docs/messaging.md, "Pins").
  pin: {
    'owner/admin': 'YYYYYY NNNNNN',
    'owner/member': 'YYYYYY NNNNNN',
    'owner/guest': 'YYYYYY NNNNNN',
    'moderator/admin': 'YYYYYY NNNNNN',
    'moderator/member': 'YYYYYY NNNNNN',
    'moderator/guest': 'YYYYYY NNNNNN',
    'member/admin': 'YYNNYY NNNNNN',
    'member/member': 'YYNNYY NNNNNN',
    'member/guest': 'YYNNYY NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  // Removing someone else's pin: moderators and owners, as for their messages.
  'unpin-others': {
    'owner/admin': 'YYYYYY NNNNNN',
    'owner/member': 'YYYYYY NNNNNN',
    'owner/guest': 'YYYYYY NNNNNN',
    'moderator/admin': 'YYYYYY NNNNNN',
    'moderator/member': 'YYYYYY NNNNNN',
    'moderator/guest': 'YYYYYY NNNNNN',
    'member/admin': 'NNNNNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  rename: {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'NNNNNN NNNNNN',
    'moderator/guest': 'NNNNNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YYYYNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  archive: {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'NNNNNN NNNNNN',
    'moderator/guest': 'NNNNNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YYYYNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  unarchive: {
    'owner/admin': 'NNNNNN YYYYNN',
    'owner/member': 'NNNNNN YYYYNN',
    'owner/guest': 'NNNNNN YYYYNN',
    'moderator/admin': 'NNNNNN YYYYNN',
    'moderator/member': 'NNNNNN NNNNNN',
    'moderator/guest': 'NNNNNN NNNNNN',
    'member/admin': 'NNNNNN YYYYNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'NNNNNN YYYYNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  invite: {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'YYYYNN NNNNNN',
    'moderator/guest': 'YYYYNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'YNYNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YYYYNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'remove-member>member': {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'YYYYNN NNNNNN',
    'moderator/guest': 'YYYYNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YYYYNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'remove-member>moderator': {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'NNNNNN NNNNNN',
    'moderator/guest': 'NNNNNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YYYYNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'remove-member>owner': {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'NNNNNN NNNNNN',
    'moderator/guest': 'NNNNNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YYYYNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  'set-role': {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'NNNNNN NNNNNN',
    'moderator/guest': 'NNNNNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YYYYNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  leave: {
    'owner/admin': 'YYYYNN NNNNNN',
    'owner/member': 'YYYYNN NNNNNN',
    'owner/guest': 'YYYYNN NNNNNN',
    'moderator/admin': 'YYYYNN NNNNNN',
    'moderator/member': 'YYYYNN NNNNNN',
    'moderator/guest': 'YYYYNN NNNNNN',
    'member/admin': 'YYYYNN NNNNNN',
    'member/member': 'YYYYNN NNNNNN',
    'member/guest': 'YYYYNN NNNNNN',
    '-/admin': 'NNNNNN NNNNNN',
    '-/member': 'NNNNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
  join: {
    'owner/admin': 'NNNNNN NNNNNN',
    'owner/member': 'NNNNNN NNNNNN',
    'owner/guest': 'NNNNNN NNNNNN',
    'moderator/admin': 'NNNNNN NNNNNN',
    'moderator/member': 'NNNNNN NNNNNN',
    'moderator/guest': 'NNNNNN NNNNNN',
    'member/admin': 'NNNNNN NNNNNN',
    'member/member': 'NNNNNN NNNNNN',
    'member/guest': 'NNNNNN NNNNNN',
    '-/admin': 'YNYNNN NNNNNN',
    '-/member': 'YNYNNN NNNNNN',
    '-/guest': 'NNNNNN NNNNNN',
  },
};

/** The table's answer for one combination. */
function expected(
  action: string,
  convRole: ConversationRole | null,
  workspaceRole: WorkspaceRole,
  conv: ConversationState,
): boolean {
  const block = EXPECTED[action];
  if (!block) throw new Error(`no expectation for ${action}`);
  const row = block[`${convRole ?? '-'}/${workspaceRole}`];
  if (!row) throw new Error(`no row for ${action} ${convRole}/${workspaceRole}`);
  const col = COLUMNS.findIndex(([k, v]) => k === conv.kind && v === conv.visibility);
  const cell = row.replace(' ', '')[col + (conv.archived ? 6 : 0)];
  if (cell !== 'Y' && cell !== 'N') throw new Error(`bad cell in ${action}`);
  return cell === 'Y';
}

describe('can(): the permission matrix', () => {
  it('covers every action the table names, and the table every action', () => {
    const inTable = new Set(Object.keys(EXPECTED).map((k) => k.split('>')[0]));
    expect([...inTable].sort()).toEqual([...ACTIONS].sort());
  });

  it('matches the table for every role × kind × visibility × archived × action (× target)', () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (const workspaceRole of WORKSPACE_ROLES) {
      for (const convRole of [...CONVERSATION_ROLES, null]) {
        for (const kind of CONVERSATION_KINDS) {
          for (const visibility of VISIBILITIES) {
            for (const archived of [false, true]) {
              const conv = { kind, visibility, archived };
              const actor: Actor = { workspaceRole, convRole };
              for (const action of ACTIONS) {
                const targets: Array<ConversationRole | undefined> =
                  action === 'remove-member' || action === 'set-role'
                    ? [...CONVERSATION_ROLES]
                    : [undefined];
                for (const target of targets) {
                  const key = action === 'remove-member' ? `${action}>${target}` : action;
                  const want = expected(key, convRole, workspaceRole, conv);
                  const got = can(actor, action, conv, target ? { convRole: target } : undefined);
                  checked++;
                  if (got !== want) {
                    mismatches.push(
                      `${key} ${convRole ?? '-'}/${workspaceRole} ${kind}/${visibility}` +
                        `${archived ? ' archived' : ''}: got ${got}, table says ${want}`,
                    );
                  }
                }
              }
            }
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    // 3 workspace roles × 4 conversation roles × 12 conversation states × (15 + 2 × 3) actions
    expect(checked).toBe(3 * 4 * 12 * (15 + 2 * 3));
  });
});

describe('can(): targeted cases', () => {
  const channel = { kind: 'channel', visibility: 'open', archived: false } as const;
  const announcement = { kind: 'announcement', visibility: 'private', archived: false } as const;
  const dm = { kind: 'dm', visibility: 'private', archived: false } as const;
  const member: Actor = { workspaceRole: 'member', convRole: 'member' };
  const moderator: Actor = { workspaceRole: 'member', convRole: 'moderator' };
  const admin: Actor = { workspaceRole: 'admin', convRole: null };

  it('announcements: members read, react and mark read, only moderators and owners post', () => {
    expect(can(member, 'post', announcement)).toBe(false);
    expect(can(member, 'react', announcement)).toBe(true);
    expect(can(member, 'mark-read', announcement)).toBe(true);
    expect(can(moderator, 'post', announcement)).toBe(true);
  });

  it('admins manage but do not read or write content unless they are members', () => {
    expect(can(admin, 'read', channel)).toBe(false);
    expect(can(admin, 'post', channel)).toBe(false);
    expect(can(admin, 'rename', channel)).toBe(true);
    expect(can(admin, 'set-role', channel)).toBe(true);
    expect(can(admin, 'rename', dm)).toBe(false);
    expect(can({ workspaceRole: 'admin', convRole: 'member' }, 'post', channel)).toBe(true);
  });

  it('archived: only reading, read markers and unarchiving', () => {
    const archived = { ...channel, archived: true };
    const owner: Actor = { workspaceRole: 'member', convRole: 'owner' };
    const allowed = (
      [
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
      ] as Action[]
    ).filter((a) => can(owner, a, archived, { convRole: 'member' }));
    expect(allowed).toEqual(['read', 'mark-read', 'unarchive']);
  });

  it('a moderator removes plain members only, and nobody without naming the target', () => {
    expect(can(moderator, 'remove-member', channel, { convRole: 'member' })).toBe(true);
    expect(can(moderator, 'remove-member', channel, { convRole: 'moderator' })).toBe(false);
    expect(can(moderator, 'remove-member', channel)).toBe(false);
  });

  it('guests join nothing and invite nobody as plain members', () => {
    const guest: Actor = { workspaceRole: 'guest', convRole: null };
    expect(can(guest, 'join', channel)).toBe(false);
    expect(can({ workspaceRole: 'member', convRole: null }, 'join', channel)).toBe(true);
    expect(can({ workspaceRole: 'guest', convRole: 'member' }, 'invite', channel)).toBe(false);
    expect(can({ workspaceRole: 'guest', convRole: 'member' }, 'post', channel)).toBe(true);
  });

  it('refuses an action it does not know', () => {
    expect(can(member, 'teleport' as Action, channel)).toBe(false);
  });
});

describe('canLeave(): the last owner hands over first, unless alone', () => {
  const channel = { kind: 'channel', visibility: 'private', archived: false } as const;
  const owner: Actor = { workspaceRole: 'member', convRole: 'owner' };
  const member: Actor = { workspaceRole: 'member', convRole: 'member' };

  it('lets members and moderators leave whatever the counts', () => {
    expect(canLeave(member, channel, { members: 5, owners: 1 })).toBe(true);
    expect(canLeave({ ...member, convRole: 'moderator' }, channel, { members: 2, owners: 0 })).toBe(
      true,
    );
  });

  it('keeps the last owner of a conversation with others in it', () => {
    expect(canLeave(owner, channel, { members: 3, owners: 1 })).toBe(false);
    expect(canLeave(owner, channel, { members: 3, owners: 2 })).toBe(true);
    expect(canLeave(owner, channel, { members: 1, owners: 1 })).toBe(true);
  });

  it('never lets anyone leave a DM, an archived conversation, or one they are not in', () => {
    const dm = { kind: 'dm', visibility: 'private', archived: false } as const;
    expect(canLeave(member, dm, { members: 2, owners: 0 })).toBe(false);
    expect(canLeave(member, { ...channel, archived: true }, { members: 2, owners: 0 })).toBe(false);
    expect(
      canLeave({ workspaceRole: 'admin', convRole: null }, channel, { members: 2, owners: 1 }),
    ).toBe(false);
  });
});
