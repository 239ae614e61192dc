import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  MAX_AVATAR_CHARS,
  ModelError,
  BASE_VERSION,
  avatarProblem,
  checkUpdate,
  listConversations,
  listProfiles,
  profileName,
  peopleOf,
  readProfile,
  registerConversation,
  setAvatar,
  setProfile,
  setStatus,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const C1 = '0000000000000001';
const C2 = '0000000000000002';
const T = Date.UTC(2026, 10, 27, 9);

describe('workspace: conversations', () => {
  it('registers conversations once and lists them newest first', () => {
    const doc = new Y.Doc();
    registerConversation(doc, { id: C1, title: 'Deck', createdBy: ANN, createdAt: T });
    const c2 = registerConversation(doc, {
      id: C2,
      title: 'Galley',
      createdBy: BOB,
      createdAt: T + 1,
    });
    expect(c2).toEqual({
      id: C2,
      v: BASE_VERSION,
      title: 'Galley',
      createdBy: BOB,
      createdAt: T + 1,
      readOnly: false,
    });
    expect(listConversations(doc).map((c) => c.id)).toEqual([C2, C1]);
    expect(() =>
      registerConversation(doc, { id: C1, title: 'Other', createdBy: BOB, createdAt: T }),
    ).toThrow(ModelError);
    expect(listConversations(doc).find((c) => c.id === C1)?.title).toBe('Deck');
  });

  it('refuses bad input and writes nothing', () => {
    const doc = new Y.Doc();
    const ok = { id: C1, title: 'Deck', createdBy: ANN, createdAt: T };
    expect(() => registerConversation(doc, { ...ok, id: 'x' })).toThrow(/16-character id/);
    expect(() => registerConversation(doc, { ...ok, title: '' })).toThrow(/title is empty/);
    expect(() => registerConversation(doc, { ...ok, createdBy: 'ann' })).toThrow(/createdBy/);
    expect(() => registerConversation(doc, { ...ok, createdAt: NaN })).toThrow(/createdAt/);
    expect(listConversations(doc)).toEqual([]);
  });
});

describe('workspace: profiles', () => {
  it('sets and lists names; setting the same name again writes nothing', () => {
    const doc = new Y.Doc();
    setProfile(doc, { user: BOB, name: 'Bob', at: T });
    setProfile(doc, { user: ANN, name: 'Ann', at: T });
    let updates = 0;
    doc.on('update', () => updates++);
    expect(setProfile(doc, { user: ANN, name: 'Ann', at: T + 5 }).updatedAt).toBe(T);
    expect(updates).toBe(0);
    setProfile(doc, { user: ANN, name: 'Ann B.', at: T + 6 });
    expect(listProfiles(doc)).toEqual([
      { user: ANN, name: 'Ann B.', updatedAt: T + 6 },
      { user: BOB, name: 'Bob', updatedAt: T },
    ]);
    expect(profileName(doc, BOB)).toBe('Bob');
    expect(profileName(doc, '0000000000000009')).toBeUndefined();
    expect(() => setProfile(doc, { user: ANN, name: ' ', at: T })).toThrow(/name is empty/);
    expect(() => setProfile(doc, { user: 'x', name: 'X', at: T })).toThrow(/user id/);
  });
});

// A 1×1 PNG, base64.
const PNG =
  'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

describe('workspace: status and avatar (schema 2)', () => {
  it('sets, keeps and clears status and avatar; other fields stay', () => {
    const doc = new Y.Doc();
    setProfile(doc, { user: ANN, name: 'Ann', at: T });
    setStatus(doc, { user: ANN, status: '  On deck until 6  ', at: T + 1 });
    setAvatar(doc, { user: ANN, avatar: PNG, at: T + 2 });
    expect(listProfiles(doc)).toEqual([
      { user: ANN, name: 'Ann', updatedAt: T + 2, status: 'On deck until 6', avatar: PNG },
    ]);
    // Renaming (what the app does on every start) keeps status and avatar.
    setProfile(doc, { user: ANN, name: 'Ann B.', at: T + 3 });
    expect(readProfile(ANN, peopleOf(doc).get(ANN))).toMatchObject({
      name: 'Ann B.',
      status: 'On deck until 6',
      avatar: PNG,
    });
    // The same values again write nothing.
    let updates = 0;
    doc.on('update', () => updates++);
    setStatus(doc, { user: ANN, status: 'On deck until 6', at: T + 4 });
    setAvatar(doc, { user: ANN, avatar: PNG, at: T + 4 });
    expect(updates).toBe(0);
    // null (or a blank status) clears; the key is gone from the stored entry.
    setStatus(doc, { user: ANN, status: '   ', at: T + 5 });
    setAvatar(doc, { user: ANN, avatar: null, at: T + 6 });
    expect(peopleOf(doc).get(ANN)).toEqual({ name: 'Ann B.', updatedAt: T + 6 });
  });

  it('needs a name for someone with no profile yet', () => {
    const doc = new Y.Doc();
    expect(() => setStatus(doc, { user: BOB, status: 'Hi', at: T })).toThrow(/no profile yet/);
    setStatus(doc, { user: BOB, status: 'Hi', at: T, name: 'Bob' });
    expect(listProfiles(doc)).toEqual([{ user: BOB, name: 'Bob', updatedAt: T, status: 'Hi' }]);
  });

  it('refuses bad statuses with a clear message and writes nothing', () => {
    const doc = new Y.Doc();
    setProfile(doc, { user: ANN, name: 'Ann', at: T, status: 'Fine' });
    const bad: Array<[unknown, RegExp]> = [
      ['x'.repeat(101), /status is 101 characters, the limit is 100/],
      ['two\nlines', /one line/],
      ['tab\there', /one line/],
      ['\uD800 broken', /lone UTF-16 surrogate/],
      [42, /status must be a string or null/],
    ];
    for (const [status, err] of bad) {
      expect(() => setStatus(doc, { user: ANN, status: status as string, at: T + 1 })).toThrow(err);
    }
    expect(setStatus(doc, { user: ANN, status: 'x'.repeat(100), at: T + 2 }).status).toHaveLength(
      100,
    );
    expect(() => setStatus(doc, { user: ANN, status: 'x'.repeat(101), at: T + 3 })).toThrow(
      ModelError,
    );
    expect(listProfiles(doc)[0]?.status).toBe('x'.repeat(100));
  });

  it('refuses every avatar that is not an inline PNG, JPEG or WebP picture', () => {
    const doc = new Y.Doc();
    setProfile(doc, { user: ANN, name: 'Ann', at: T, avatar: PNG });
    const long = `data:image/png;base64,${'A'.repeat(MAX_AVATAR_CHARS)}`;
    const bad: Array<[string, RegExp]> = [
      ['http://tracker.example/ann.png', /must be a data:image\/png, image\/jpeg or image\/webp/],
      ['https://tracker.example/ann.png', /must be a data:image/],
      ['javascript:alert(1)', /must be a data:image/],
      ['data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=', /must be a data:image/],
      ['data:text/html;base64,PGI+PC9iPg==', /must be a data:image/],
      ['data:image/png,not-base64', /must be a data:image/],
      ['data:image/png;base64,abc', /not valid base64/],
      ['data:image/png;base64,', /not valid base64/],
      ['data:image/png;base64,ab c=', /must be a data:image/],
      [' data:image/png;base64,iVBORw0K', /must be a data:image/],
      [long, /the limit is 48000/],
    ];
    for (const [avatar, err] of bad) {
      expect(avatarProblem(avatar)).toMatch(err);
      expect(() => setAvatar(doc, { user: ANN, avatar, at: T + 1 })).toThrow(err);
    }
    expect(avatarProblem('data:image/jpeg;base64,/9j/4AAQ')).toBeNull();
    expect(avatarProblem('data:image/webp;base64,UklGRg==')).toBeNull();
    expect(listProfiles(doc)[0]?.avatar).toBe(PNG);
  });

  it('reads past a hostile entry: a bad status or avatar is left out, the name stays', () => {
    const doc = new Y.Doc();
    peopleOf(doc).set(ANN, {
      name: 'Ann',
      updatedAt: T,
      status: 'a\nb',
      avatar: 'https://tracker.example/pixel.png',
    });
    expect(listProfiles(doc)).toEqual([{ user: ANN, name: 'Ann', updatedAt: T }]);
  });

  it('the schema (the relay) refuses a hostile profile written by hand, and accepts a good one', () => {
    const WS = { kind: 'workspace' } as const;
    const base = new Y.Doc();
    const write = (entry: Record<string, unknown>) => {
      const replica = new Y.Doc();
      Y.applyUpdate(replica, Y.encodeStateAsUpdate(base));
      const updates: Uint8Array[] = [];
      replica.on('update', (u: Uint8Array) => updates.push(u));
      replica.getMap('people').set(ANN, entry);
      return checkUpdate(WS, base, Y.mergeUpdates(updates), ANN).map(
        (p) => `${p.rule}: ${p.message}`,
      );
    };
    const ok = { name: 'Ann', updatedAt: T };
    expect(write({ ...ok, status: 'Here', avatar: PNG })).toEqual([]);
    expect(write({ ...ok, avatar: 'http://tracker.example/a.png' })).toEqual([
      expect.stringMatching(/^bad-value: .*data:image/),
    ]);
    expect(write({ ...ok, avatar: 'data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=' })).toHaveLength(1);
    expect(write({ ...ok, status: 'x'.repeat(101) })).toEqual([
      expect.stringMatching(/^bad-value: .*limit is 100/),
    ]);
    expect(write({ ...ok, status: null })).toHaveLength(1);
  });
});
