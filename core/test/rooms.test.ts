import { describe, it, expect } from './harness';
import {
  ModelError,
  PAGE_SPAN_MS,
  encodeHlc,
  inboxRoom,
  metaRoom,
  pageRoom,
  parseRoom,
  periodOf,
  periodOfMessage,
  periodStart,
  workspaceRoom,
} from '../src/index';

const CONV = '0123456789ABCDEF';

describe('rooms', () => {
  it('names the workspace, meta and page documents', () => {
    expect(workspaceRoom).toBe('workspace');
    expect(metaRoom(CONV)).toBe(`conv/${CONV}`);
    expect(pageRoom(CONV, 2930)).toBe(`conv/${CONV}/p2930`);
    expect(inboxRoom(CONV)).toBe(`inbox/${CONV}`);
    expect(() => inboxRoom('relay')).toThrow(ModelError);
  });

  it('parses what it names, and nothing else', () => {
    expect(parseRoom('workspace')).toEqual({ kind: 'workspace' });
    expect(parseRoom(metaRoom(CONV))).toEqual({ kind: 'meta', convId: CONV });
    expect(parseRoom(inboxRoom(CONV))).toEqual({ kind: 'inbox', userId: CONV });
    expect(parseRoom(pageRoom(CONV, 0))).toEqual({ kind: 'page', convId: CONV, period: 0 });
    expect(parseRoom(pageRoom(CONV, 2930))).toEqual({ kind: 'page', convId: CONV, period: 2930 });
    for (const other of [
      '',
      '_mux',
      'inbox',
      'inbox/',
      `inbox/${CONV.toLowerCase()}`,
      `inbox/${CONV}/p1`,
      'inbox/relay',
      `conv/${CONV}/p007`, // not canonical: one document, one name
      `conv/${CONV}/p-1`,
      `conv/${CONV}/`,
      `conv/${CONV.toLowerCase()}`,
      `conv/${CONV}/p1/x`,
      `conv/${CONV}/p99999999999999999999`,
    ]) {
      expect(parseRoom(other)).toBeNull();
    }
  });

  it('refuses bad conversation ids and periods', () => {
    expect(() => metaRoom('nope')).toThrow(ModelError);
    expect(() => metaRoom('../../etc')).toThrow(/conversation id/);
    expect(() => pageRoom(CONV, -1)).toThrow(/period/);
    expect(() => pageRoom(CONV, 1.5)).toThrow(/period/);
    expect(() => pageRoom(CONV, NaN)).toThrow(/period/);
  });

  it('buckets time into 7-day periods', () => {
    expect(PAGE_SPAN_MS).toBe(604_800_000);
    const t = Date.UTC(2026, 10, 27);
    const p = periodOf(t);
    expect(periodStart(p) <= t && t < periodStart(p + 1)).toBe(true);
    expect(periodOf(periodStart(p))).toBe(p);
    expect(periodOf(periodStart(p) - 1)).toBe(p - 1);
    expect(periodOfMessage(encodeHlc({ wall: t, counter: 0, node: 'A' }))).toBe(p);
    expect(() => periodOf(-1)).toThrow(ModelError);
    expect(() => periodOf(Infinity)).toThrow(ModelError);
  });
});
