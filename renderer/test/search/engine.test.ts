import { describe, expect, it } from 'vitest';
import {
  SearchEngine,
  decodeSegment,
  encodeSegment,
  snippet,
  withinDistance,
  type EngineQuery,
  type Row,
  type SearchDoc,
} from '../../src/search/engine';
import { terms } from '../../src/search/text';

const T0 = Date.UTC(2026, 0, 10, 12);
const H = 3600_000;
let n = 0;
function doc(text: string, more: Partial<SearchDoc> = {}): SearchDoc {
  n++;
  return {
    id: more.id ?? `m${String(n).padStart(4, '0')}`,
    convId: 'general',
    author: 'u-ana',
    authorName: 'Ana Martínez',
    text,
    at: T0 + n * H,
    ...more,
  };
}

function q(text: string, more: Partial<EngineQuery> = {}): EngineQuery {
  return {
    terms: terms(text),
    phrases: [],
    prefixLast: false,
    authors: null,
    authorNames: null,
    convIds: null,
    since: null,
    until: null,
    ...more,
  };
}

const ids = (e: SearchEngine, query: EngineQuery) => e.query(query).hits.map((h) => h.id);

describe('SearchEngine', () => {
  it('finds messages by any word, case and diacritics folded, all words required', () => {
    const e = new SearchEngine();
    e.upsert(doc('Meet at the Café at noon', { id: 'a' }));
    e.upsert(doc('cafe closed today', { id: 'b' }));
    e.upsert(doc('Noon deploy', { id: 'c' }));
    expect(ids(e, q('CAFÉ')).sort()).toEqual(['a', 'b']);
    expect(ids(e, q('cafe noon'))).toEqual(['a']);
    expect(ids(e, q('cafe missing'))).toEqual([]);
    expect(e.query(q('noon')).total).toBe(2);
  });

  it('an edit replaces the text; a remove drops the message; removeConversation drops a room', () => {
    const e = new SearchEngine();
    e.upsert(doc('first draft', { id: 'x' }));
    e.upsert(doc('other draft', { id: 'y', convId: 'random' }));
    expect(e.upsert(doc('first draft', { id: 'x', at: e.query(q('first')).hits[0]!.at }))).toBe(
      false,
    );
    e.upsert(doc('final version', { id: 'x' }));
    expect(ids(e, q('first'))).toEqual([]);
    expect(ids(e, q('final'))).toEqual(['x']);
    expect(ids(e, q('draft'))).toEqual(['y']);
    expect(e.remove('x')).toBe(true);
    expect(e.remove('x')).toBe(false);
    expect(ids(e, q('final'))).toEqual([]);
    expect(e.removeConversation('random')).toBe(1);
    expect(e.size).toBe(0);
  });

  it('rejects a malformed document with a clear error and keeps the index as it was', () => {
    const e = new SearchEngine();
    e.upsert(doc('kept', { id: 'k' }));
    expect(() => e.upsert({ id: 'z', text: 5 } as unknown as SearchDoc)).toThrow(
      /not a message document/,
    );
    expect(ids(e, q('kept'))).toEqual(['k']);
  });

  it('matches the last word as a prefix while typing, and long words with a typo', () => {
    const e = new SearchEngine();
    e.upsert(doc('deployment finished', { id: 'a' }));
    e.upsert(doc('we deploy on friday', { id: 'b' }));
    e.upsert(doc('the relase is out', { id: 'c' }));
    expect(ids(e, q('depl'))).toEqual([]);
    expect(ids(e, q('depl', { prefixLast: true })).sort()).toEqual(['a', 'b']);
    // exact beats the prefix completion
    expect(ids(e, q('deploy', { prefixLast: true }))).toEqual(['b', 'a']);
    // one edit on a word of 5+ letters; short words must be exact
    expect(ids(e, q('release'))).toEqual(['c']);
    expect(ids(e, q('thw'))).toEqual([]);
    // an edit at either end of the word, or in its middle
    e.upsert(doc('planet', { id: 'p' }));
    for (const typo of [
      'flanet',
      'plane',
      'planets',
      'plXXet'.replace('XX', 'a'),
      'plamet',
      'lanet',
    ])
      expect(ids(e, q(typo))).toContain('p');
  });

  it('filters by author, author name, conversation and dates', () => {
    const e = new SearchEngine();
    e.upsert(doc('status update', { id: 'a', author: 'u-ana', at: T0 }));
    e.upsert(
      doc('status update', { id: 'b', author: 'u-bo', authorName: 'Bo Berg', at: T0 + 24 * H }),
    );
    e.upsert(doc('status update', { id: 'c', convId: 'dev', at: T0 + 48 * H }));
    expect(ids(e, q('status', { authors: ['u-bo'] }))).toEqual(['b']);
    expect(ids(e, q('status', { authors: [] }))).toEqual([]);
    expect(ids(e, q('status', { authorNames: ['berg'] }))).toEqual(['b']);
    expect(ids(e, q('status', { authorNames: ['MARTINEZ'] }))).toEqual(['c', 'a']);
    expect(ids(e, q('status', { convIds: ['dev'] }))).toEqual(['c']);
    expect(ids(e, q('status', { since: T0 + 1, until: T0 + 48 * H }))).toEqual(['b']);
    // filters alone list the matching messages, newest first
    expect(ids(e, q('', { convIds: ['general'] }))).toEqual(['b', 'a']);
    // nothing at all asks for nothing
    expect(e.query(q('')).total).toBe(0);
  });

  it('ranks by relevance, then newest first', () => {
    const e = new SearchEngine();
    e.upsert(doc('pizza', { id: 'old', at: T0 }));
    e.upsert(doc('pizza', { id: 'new', at: T0 + H }));
    e.upsert(doc('pizzas', { id: 'prefix', at: T0 + 2 * H }));
    for (let i = 0; i < 20; i++) e.upsert(doc(`filler ${i}`));
    expect(ids(e, q('pizza', { prefixLast: true }))).toEqual(['new', 'old', 'prefix']);
    // a rarer word weighs more than a common one
    e.upsert(doc('filler rare', { id: 'r1', at: T0 }));
    e.upsert(doc('filler', { id: 'r0', at: T0 + 100 * H }));
    const hits = e.query(q('filler rare')).hits;
    expect(hits.map((h) => h.id)).toEqual(['r1']);
    expect(e.query(q('pizza')).hits[0]!.score).toBeGreaterThan(0);
  });

  it('limit and offset page through results; total counts them all', () => {
    const e = new SearchEngine();
    for (let i = 0; i < 30; i++)
      e.upsert(doc(`report ${i}`, { id: `r${String(i).padStart(2, '0')}`, at: T0 + i }));
    const first = e.query(q('report', { limit: 10 }));
    const second = e.query(q('report', { limit: 10, offset: 10 }));
    expect(first.total).toBe(30);
    expect(first.hits.map((h) => h.id)[0]).toBe('r29');
    expect(second.hits.map((h) => h.id)[0]).toBe('r19');
  });

  it('phrases match words in order', () => {
    const e = new SearchEngine();
    e.upsert(doc('the build is green', { id: 'a' }));
    e.upsert(doc('green is the build', { id: 'b' }));
    expect(ids(e, q('', { phrases: [['build', 'is', 'green']] }))).toEqual(['a']);
    expect(ids(e, q('the', { phrases: [['is', 'the']] }))).toEqual(['b']);
  });

  it('gives the same answers query after query (scratch arrays reused)', () => {
    const e = new SearchEngine();
    for (let i = 0; i < 200; i++)
      e.upsert(doc(`${i % 2 ? 'odd' : 'even'} ${i % 3 ? 'x' : 'three'} common`));
    const totals = () =>
      [q('odd'), q('even three'), q('common'), q('odd three common')].map((x) => e.query(x).total);
    const first = totals();
    expect(first).toEqual([100, 34, 200, 33]);
    for (let i = 0; i < 300; i++) expect(totals()).toEqual(first);
  });

  it('compacts stale postings once edits pile up, with the same answers', () => {
    const e = new SearchEngine();
    for (let i = 0; i < 1500; i++) e.upsert(doc(`alpha ${i}`, { id: `e${i}` }));
    for (let i = 0; i < 1500; i++) e.upsert(doc(`beta ${i}`, { id: `e${i}` }));
    expect(e.stats().stale).toBeLessThan(1500);
    expect(e.query(q('alpha')).total).toBe(0);
    expect(e.query(q('beta')).total).toBe(1500);
  });
});

describe('snippet', () => {
  const hi = (s: { text: string; ranges: [number, number][] }) =>
    s.ranges.map(([a, b]) => s.text.slice(a, b));

  it('gives plain ranges of the matched words in the original text', () => {
    const s = snippet('Meet at the Café, café AU lait', new Set(['cafe', 'au']));
    expect(s.text).toBe('Meet at the Café, café AU lait');
    expect(hi(s)).toEqual(['Café', 'café AU']);
    expect(s.cutStart || s.cutEnd).toBe(false);
  });

  it('cuts long messages around the first match, at word boundaries', () => {
    const text = `${'lorem ipsum '.repeat(40)}the NEEDLE is here ${'dolor sit '.repeat(40)}`;
    const s = snippet(text, new Set(['needle']));
    expect(s.text.length).toBeLessThanOrEqual(170);
    expect(s.cutStart && s.cutEnd).toBe(true);
    expect(hi(s)).toEqual(['NEEDLE']);
    expect(s.text.startsWith(' ')).toBe(false);
  });

  it('highlights a phrase as one range and never splits a surrogate pair', () => {
    const s = snippet('we shipped the build today', new Set(), [['the', 'build']]);
    expect(hi(s)).toEqual(['the build']);
    const emoji = '😀'.repeat(100) + ' target ' + '😀'.repeat(100);
    const t = snippet(emoji, new Set(['target']));
    expect(hi(t)).toEqual(['target']);
    expect(t.text).not.toMatch(/^[\uDC00-\uDFFF]|[\uD800-\uDBFF]$/);
  });
});

describe('withinDistance', () => {
  it('bounds the edit distance', () => {
    expect(withinDistance('release', 'relase', 1)).toBe(1);
    expect(withinDistance('release', 'realese', 1)).toBe(2);
    expect(withinDistance('kitten', 'sitting', 2)).toBe(3);
    expect(withinDistance('same', 'same', 1)).toBe(0);
  });
});

describe('stored segments', () => {
  it('round-trip rows through columns, names stored once', () => {
    const rows: Row[] = [
      [1, 'a', 'c1', 'u1', 'Ann', 'hello', 10],
      [2, 'b', 'c1', 'u2', 'Bo', 'hi', 11],
      [3, 'c', 'c1', 'u1', 'Ann', 'again', 12],
    ];
    const s = encodeSegment(rows);
    expect(s.refs).toEqual(['c1', 'u1', 'Ann', 'c1', 'u2', 'Bo']);
    expect(decodeSegment(s)).toEqual(rows);
    expect(decodeSegment(rows)).toBe(rows);
    expect(() => decodeSegment({ ...s, ref: new Uint32Array([0, 0, 7]) })).toThrow(/bad reference/);
    expect(() => decodeSegment('junk')).toThrow(/bad shape/);
  });
});
