import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import {
  ModelError,
  SCHEMA_VERSION,
  listConversations,
  listProfiles,
  profileName,
  registerConversation,
  setProfile,
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
      v: SCHEMA_VERSION,
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
