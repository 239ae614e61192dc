import { describe, expect, it } from 'vitest';
import type { ConversationRole, Member, WorkspaceRole } from '../../src/data/api';
import {
  OFFLINE_REASON,
  conversationControls,
  memberControls,
  type ConversationFacts,
} from '../../src/ui/lib/permissions';

const open: ConversationFacts = { kind: 'channel', visibility: 'open', archived: false };
const priv: ConversationFacts = { ...open, visibility: 'private' };
const news: ConversationFacts = { ...open, kind: 'announcement' };
const dm: ConversationFacts = { kind: 'dm', visibility: 'private', archived: false };
const m = (id: string, role: ConversationRole = 'member'): Member => ({
  id,
  username: id,
  displayName: id,
  status: null,
  avatar: null,
  role,
});
const members = [m('me', 'owner'), m('mod', 'moderator'), m('bo'), m('cy', 'owner')];
const actor = (membership: ConversationRole | null, role: WorkspaceRole = 'member') => ({
  role,
  membership,
});

describe('conversation controls', () => {
  it('a plain member of a private channel sees only leave', () => {
    const c = conversationControls(actor('member'), priv, members, 'bo', true);
    expect([c.rename.show, c.archive.show, c.invite.show, c.leave.show]).toEqual([
      false,
      false,
      false,
      true,
    ]);
    expect(c.deleteOthers).toBe(false);
    expect(c.post).toBe(true);
  });
  it('a plain member may invite to an open channel, not post in an announcement one', () => {
    expect(conversationControls(actor('member'), open, members, 'bo', true).invite.show).toBe(true);
    expect(conversationControls(actor('member'), news, members, 'bo', true).post).toBe(false);
    expect(conversationControls(actor('moderator'), news, members, 'mod', true).post).toBe(true);
  });
  it('owners get everything; moderators invite and moderate but do not rename or archive', () => {
    const o = conversationControls(actor('owner'), priv, members, 'me', true);
    expect([o.rename.show, o.archive.show, o.invite.show, o.leave.show, o.deleteOthers]).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    const mod = conversationControls(actor('moderator'), priv, members, 'mod', true);
    expect([mod.rename.show, mod.archive.show, mod.invite.show, mod.deleteOthers]).toEqual([
      false,
      false,
      true,
      true,
    ]);
  });
  it('a workspace admin who is not a member manages but does not read, post or leave', () => {
    const a = conversationControls(actor(null, 'admin'), priv, members, 'root', true);
    expect([a.rename.show, a.archive.show, a.invite.show, a.leave.show, a.post]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
  it('a DM has no controls at all', () => {
    const c = conversationControls(actor('member'), dm, [m('me'), m('bo')], 'me', true);
    expect([c.rename.show, c.archive.show, c.invite.show, c.leave.show, c.deleteOthers]).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(c.post).toBe(true);
  });
  it('archived: read-only; only unarchive (owner or admin) remains', () => {
    const archived = { ...priv, archived: true };
    const o = conversationControls(actor('owner'), archived, members, 'me', true);
    expect([o.rename.show, o.archive.show, o.invite.show, o.leave.show]).toEqual([
      false,
      true,
      false,
      false,
    ]);
    expect([o.post, o.deleteOthers]).toEqual([false, false]);
    expect(conversationControls(actor('member'), archived, members, 'bo', true).archive.show).toBe(
      false,
    );
  });
  it('offline: shown controls are disabled with the reason', () => {
    const o = conversationControls(actor('owner'), priv, members, 'me', false);
    expect(o.rename).toEqual({ show: true, disabled: OFFLINE_REASON });
    expect(o.invite.disabled).toBe(OFFLINE_REASON);
    expect(o.deleteOthers).toBe(true); // a deletion is a local write: works offline
  });
  it('the only owner cannot leave while others remain; alone, they can', () => {
    const only = [m('me', 'owner'), m('bo')];
    expect(conversationControls(actor('owner'), priv, only, 'me', true).leave.disabled).toMatch(
      /owner first/,
    );
    expect(
      conversationControls(actor('owner'), priv, [m('me', 'owner')], 'me', true).leave.disabled,
    ).toBeNull();
    expect(
      conversationControls(actor('owner'), priv, members, 'me', true).leave.disabled,
    ).toBeNull();
  });
});

describe('member controls', () => {
  it('moderators remove plain members only and set no roles', () => {
    const mod = actor('moderator');
    expect(memberControls(mod, priv, m('bo'), 'mod', true).remove.show).toBe(true);
    expect(memberControls(mod, priv, m('cy', 'owner'), 'mod', true).remove.show).toBe(false);
    expect(memberControls(mod, priv, m('x', 'moderator'), 'mod', true).remove.show).toBe(false);
    expect(memberControls(mod, priv, m('bo'), 'mod', true).setRole.show).toBe(false);
  });
  it('owners and admins remove anyone and set roles; nobody acts on themselves here', () => {
    expect(memberControls(actor('owner'), priv, m('cy', 'owner'), 'me', true)).toEqual({
      remove: { show: true, disabled: null },
      setRole: { show: true, disabled: null },
    });
    expect(memberControls(actor(null, 'admin'), priv, m('bo'), 'root', true).setRole.show).toBe(
      true,
    );
    expect(memberControls(actor('owner'), priv, m('me', 'owner'), 'me', true).remove.show).toBe(
      false,
    );
  });
  it('plain members, DMs and archived conversations: no member controls', () => {
    expect(memberControls(actor('member'), open, m('bo'), 'me', true).remove.show).toBe(false);
    expect(memberControls(actor('owner'), dm, m('bo'), 'me', true).remove.show).toBe(false);
    const archived = { ...priv, archived: true };
    expect(memberControls(actor('owner'), archived, m('bo'), 'me', true).remove.show).toBe(false);
    expect(memberControls(actor('owner'), priv, m('bo'), 'me', false).remove.disabled).toBe(
      OFFLINE_REASON,
    );
  });
});
