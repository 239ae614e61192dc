// Topic, description and system events (docs/messaging.md, "Topic, description and system
// lines"): bounds, the relay's writer and its cap, the reader that skips what is malformed,
// and the schema's rule that only the relay owns an event.
import * as Y from 'yjs';
import { describe, expect, it } from 'vitest';
import {
  EVENTS_ROOT,
  descriptionProblem,
  eventKey,
  normalizeDescription,
  readEvents,
  topicProblem,
  writeEvent,
} from '../src/model/events';
import { parseConversation } from '../src/model/directory';
import { createUpdateChecker } from '../src/model/schema';
import { RELAY_USER } from '../src/model/rooms';

const A = '0123456789ABCDEF';
const B = '0123456789ABCDEG';

describe('topic and description', () => {
  it('bounds a topic to one line of 250 characters', () => {
    expect(topicProblem('Ship it')).toBeNull();
    expect(topicProblem('')).toBeNull();
    expect(topicProblem('x'.repeat(251))).toMatch(/longer than 250/);
    expect(topicProblem('a\nb')).toMatch(/line breaks/);
    expect(topicProblem('\u0007')).toMatch(/control/);
    expect(topicProblem(3)).toMatch(/string/);
  });

  it('allows line breaks in a description, not other control characters', () => {
    expect(descriptionProblem('one\ntwo')).toBeNull();
    expect(descriptionProblem('tab\there')).toMatch(/control/);
    expect(descriptionProblem('x'.repeat(1001))).toMatch(/longer than 1000/);
    expect(normalizeDescription(' a\r\n\r\n\r\n\nb ')).toBe('a\n\nb');
  });

  it('reads them from a directory entry, optional, refusing bad ones', () => {
    const base = {
      v: 1,
      kind: 'channel',
      visibility: 'open',
      title: 'T',
      archived: false,
      role: 'member',
      createdBy: A,
      createdAt: 1,
    };
    expect(parseConversation(base)).toMatchObject({ ok: true });
    const ok = parseConversation({ ...base, topic: 'Hi', description: 'A\nB' });
    expect(ok.ok && ok.value.topic).toBe('Hi');
    expect(ok.ok && ok.value.description).toBe('A\nB');
    expect(parseConversation({ ...base, topic: 'a\nb' }).ok).toBe(false);
  });
});

describe('system events', () => {
  it('writes, reads in time order and keeps only the newest', () => {
    const doc = new Y.Doc();
    writeEvent(doc, { kind: 'joined', actor: A, at: 20 }, 'b', 2);
    writeEvent(doc, { kind: 'added', actor: A, user: B, at: 10 }, 'a', 2);
    expect(readEvents(doc).map((e) => e.kind)).toEqual(['added', 'joined']);
    writeEvent(doc, { kind: 'topic', actor: A, text: 'New', at: 30 }, 'c', 2);
    expect(readEvents(doc).map((e) => e.kind)).toEqual(['joined', 'topic']);
    expect(() => writeEvent(doc, { kind: 'removed', actor: A, at: 1 }, 'd')).toThrow(/user/);
    expect(() => writeEvent(doc, { kind: 'renamed', actor: A, at: 1 }, 'd')).toThrow(/title/);
  });

  it('skips malformed entries', () => {
    const doc = new Y.Doc();
    const map = doc.getMap(EVENTS_ROOT);
    map.set(eventKey(1, 'a'), { v: 3, kind: 'joined', actor: A, at: 1, extra: 1 });
    map.set('nope', { v: 3, kind: 'joined', actor: A, at: 1 });
    map.set(eventKey(2, 'b'), { v: 3, kind: 'boom', actor: A, at: 2 });
    expect(readEvents(doc)).toEqual([]);
  });

  it('is the relay’s alone: a member’s event breaks the owner rule', () => {
    const live = new Y.Doc();
    const room = { kind: 'meta' as const, convId: A };
    const checker = createUpdateChecker(room, live);
    const forger = new Y.Doc();
    forger.getMap(EVENTS_ROOT).set(eventKey(5, 'x'), { v: 3, kind: 'joined', actor: B, at: 5 });
    const update = Y.encodeStateAsUpdate(forger);
    expect(checker.check(update, B).map((p) => p.rule)).toContain('owner');
    expect(checker.check(update, RELAY_USER)).toEqual([]);
  });
});
