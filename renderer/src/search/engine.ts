// The search engine: an in-memory index of messages. It runs in the search worker (or on the
// page where there are no workers) and knows nothing of IndexedDB: persistence takes its
// snapshot and segments (see store.ts and README.md).
//
// FlexSearch keeps the postings (term → internal numbers). Every indexed version of a message
// gets a new internal number (`seq`); an edit or a delete only drops the row, and the stale
// postings are skipped at query time until a compaction rebuilds the postings from the live
// rows. That keeps edits and deletes O(1) (FlexSearch's own remove scans the whole index when
// the index is importable) and lets a saved index be reused while newer rows are re-added.
import { Index } from 'flexsearch';
import { tokenize, terms as termsOf, fold, type Token } from './text';

/** A message as the search index sees it. */
export interface SearchDoc {
  /** Message id (an HLC string: sorts by time). */
  id: string;
  convId: string;
  /** Author user id. */
  author: string;
  authorName: string;
  text: string;
  /** Written at, ms since the epoch. */
  at: number;
  /** The page room it came from; rows are persisted per room (or per conversation without). */
  room?: string;
  /**
   * What is attached (issue 13), one letter each: `f` any file, `i` an image, `v` a voice
   * message; '' or absent for none. Matched by the `has:` filters.
   */
  has?: string;
}

/** A query after parsing and name resolution: plain data, it crosses to the worker. */
export interface EngineQuery {
  /** Folded free-text terms, in order. */
  terms: string[];
  /** Folded phrases, each as its terms in order. */
  phrases: string[][];
  /** Match the last free term as a prefix too (the user is still typing it). */
  prefixLast: boolean;
  /** Author ids; null: any author. An empty list matches nothing. */
  authors: string[] | null;
  /** Author names to match when no resolver knew them (folded, substring of the name). */
  authorNames: string[] | null;
  /** Conversation ids; null: any. An empty list matches nothing. */
  convIds: string[] | null;
  since: number | null;
  until: number | null;
  /** `has:` letters every match must carry (SearchDoc.has); null or absent: no filter. */
  has?: string[] | null;
  limit?: number;
  offset?: number;
}

export interface Snippet {
  /** Plain text around the first match (never HTML). */
  text: string;
  /** Matched ranges in `text`: [start, end) UTF-16 offsets, sorted, not overlapping. */
  ranges: [number, number][];
  /** The snippet starts after / ends before the message does. */
  cutStart: boolean;
  cutEnd: boolean;
}

export interface Hit {
  id: string;
  convId: string;
  author: string;
  authorName: string;
  at: number;
  score: number;
  snippet: Snippet;
}

export interface QueryResult {
  hits: Hit[];
  /** Matches in all, before limit and offset. */
  total: number;
  tookMs: number;
}

export interface EngineStats {
  docs: number;
  terms: number;
  /** Stale postings waiting for a compaction. */
  stale: number;
}

/** What a saved engine is made of: the FlexSearch export and the vocabulary. */
export interface Snapshot {
  /** Every seq below this one is in `index`. */
  nextSeq: number;
  /** How many seqs `index` holds (live and stale). */
  indexed: number;
  /**
   * FlexSearch's export parts. Stored as UTF-8 bytes: the export's strings are two-byte strings
   * in V8, which IndexedDB would store at two bytes per character.
   */
  index: [string, Uint8Array | string][];
  vocab: [string, number][];
}

/**
 * One persisted row: [seq, id, convId, author, authorName, text, at, has?]. `has` (issue 13) is
 * optional so rows stored before it (which cannot have files) still restore as they are.
 */
export type Row = [number, string, string, string, string, string, number, string?];

interface Live {
  seq: number;
  id: string;
  convId: string;
  author: string;
  authorName: string;
  text: string;
  at: number;
  seg: string;
  has: string;
}

const SNIPPET_CHARS = 160;
const ALL = 1 << 30;
const PREFIX_WEIGHT = 0.8;
const FUZZY_WEIGHT = 0.6;
const MAX_PREFIX = 60;
const MAX_FUZZY = 20;

function newIndex(): Index {
  // The terms come from our own tokenizer; FlexSearch only splits our space-joined terms.
  return new Index({
    tokenize: 'strict',
    resolution: 1,
    fastupdate: false,
    encode: (s: string) => s.split(' ').filter(Boolean),
  });
}

const ROW_A: number[] = [];
const ROW_B: number[] = [];

/** Edit distance up to `max`, or max + 1 when more. */
export function withinDistance(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  let prev = ROW_A;
  let cur = ROW_B;
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let best = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const del = (prev[j] as number) + 1;
      const ins = (cur[j - 1] as number) + 1;
      const sub = (prev[j - 1] as number) + cost;
      const v = del < ins ? (del < sub ? del : sub) : ins < sub ? ins : sub;
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb] as number;
}

/** Rank order: relevance (to two decimals), then newest first, then id for stability. */
function better(
  a: { score: number; at: number; id: string },
  b: { score: number; at: number; id: string },
): boolean {
  const sa = Math.round(a.score * 100);
  const sb = Math.round(b.score * 100);
  if (sa !== sb) return sa > sb;
  if (a.at !== b.at) return a.at > b.at;
  return a.id > b.id;
}

export class SearchEngine {
  private index = newIndex();
  /** Live rows by seq (a plain array: the query loop reads it for every candidate). */
  private rows: (Live | undefined)[] = [];
  private live = 0;
  /** Columns by seq for the query loop: time, interned author and conversation. */
  private atCol = new Float64Array(1024);
  private aliveCol = new Uint8Array(1024);
  private authorCol = new Int32Array(1024);
  private convCol = new Int32Array(1024);
  private authorIx = new Map<string, number>();
  private stampArr = new Uint32Array(0);
  private scoreArr = new Float64Array(0);
  private generation = 0;
  private convIx = new Map<string, number>();
  private byId = new Map<string, number>();
  private byConv = new Map<string, Set<number>>();
  private bySeg = new Map<string, Set<number>>();
  private vocab = new Map<string, number>();
  private sorted: string[] | null = null;
  /** Vocabulary by term length, for close-spelling lookups; rebuilt with `sorted`. */
  private byLength = new Map<number, string[]>();
  /** Variants of recent query terms; cleared whenever the vocabulary changes. */
  private variantCache = new Map<string, { term: string; weight: number }[]>();
  /** Terms added to the vocabulary since `sorted` was built. */
  private newTerms: string[] = [];
  private nextSeq = 1;
  /** Seqs in `index` (live or stale). */
  private indexed = 0;
  private folded = new Map<string, string>();
  /** Segments whose rows changed since `takeDirty()`. */
  private dirty = new Set<string>();
  /** Seqs added since the last snapshot. */
  sinceSnapshot = 0;

  get size(): number {
    return this.live;
  }

  stats(): EngineStats {
    return { docs: this.live, terms: this.vocab.size, stale: this.indexed - this.live };
  }

  private static segOf(doc: SearchDoc): string {
    return typeof doc.room === 'string' && doc.room ? doc.room : `conv:${doc.convId}`;
  }

  /** Adds or replaces a message. Returns false when it was already indexed as it is. */
  upsert(doc: SearchDoc): boolean {
    checkDoc(doc);
    const seg = SearchEngine.segOf(doc);
    const old = this.byId.get(doc.id);
    if (old !== undefined) {
      const r = this.rows[old] as Live;
      if (
        r.text === doc.text &&
        r.convId === doc.convId &&
        r.author === doc.author &&
        r.authorName === doc.authorName &&
        r.at === doc.at &&
        r.seg === seg &&
        r.has === (doc.has ?? '')
      )
        return false;
      this.drop(old);
    }
    const { id, convId, author, authorName, text, at } = doc;
    const has = doc.has ?? '';
    this.add({ seq: this.nextSeq++, id, convId, author, authorName, text, at, seg, has }, true);
    this.sinceSnapshot++;
    if (old !== undefined) this.maybeCompact();
    return true;
  }

  /** Removes a message (deleted or tombstoned). Returns whether it was indexed. */
  remove(id: string): boolean {
    const seq = this.byId.get(id);
    if (seq === undefined) return false;
    this.drop(seq);
    this.maybeCompact();
    return true;
  }

  /** Removes every message of a conversation (forgotten, left). Returns how many. */
  removeConversation(convId: string): number {
    const seqs = [...(this.byConv.get(convId) ?? [])];
    for (const seq of seqs) this.drop(seq);
    this.maybeCompact();
    return seqs.length;
  }

  /** Makes a segment hold exactly `docs`: a re-read page replaces what was indexed from it. */
  replaceSegment(seg: string, docs: SearchDoc[]): { added: number; removed: number } {
    const keep = new Set(docs.map((d) => d.id));
    let removed = 0;
    for (const seq of [...(this.bySeg.get(seg) ?? [])]) {
      const r = this.rows[seq] as Live;
      if (!keep.has(r.id)) {
        this.drop(seq);
        removed++;
      }
    }
    let added = 0;
    for (const d of docs) if (this.upsert({ ...d, room: seg })) added++;
    this.dirty.add(seg);
    this.maybeCompact();
    return { added, removed };
  }

  private add(r: Live, fresh: boolean): void {
    const words = termsOf(r.text);
    if (fresh) {
      this.index.add(r.seq, words.join(' '));
      this.indexed++;
      for (const t of new Set(words)) {
        const n = this.vocab.get(t);
        if (n === undefined) this.newTerms.push(t);
        this.vocab.set(t, (n ?? 0) + 1);
      }
    }
    if (!this.rows[r.seq]) this.live++;
    this.rows[r.seq] = r;
    if (r.seq >= this.atCol.length) {
      const size = Math.max(r.seq + 1, this.atCol.length * 2);
      const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => (b.set(a), b);
      this.atCol = grow(this.atCol, new Float64Array(size));
      const alive = new Uint8Array(size);
      alive.set(this.aliveCol);
      this.aliveCol = alive;
      this.authorCol = grow(this.authorCol, new Int32Array(size));
      this.convCol = grow(this.convCol, new Int32Array(size));
    }
    this.atCol[r.seq] = r.at;
    this.aliveCol[r.seq] = 1;
    this.authorCol[r.seq] = intern(this.authorIx, r.author);
    this.convCol[r.seq] = intern(this.convIx, r.convId);
    this.byId.set(r.id, r.seq);
    let c = this.byConv.get(r.convId);
    if (!c) this.byConv.set(r.convId, (c = new Set()));
    c.add(r.seq);
    let s = this.bySeg.get(r.seg);
    if (!s) this.bySeg.set(r.seg, (s = new Set()));
    s.add(r.seq);
    this.dirty.add(r.seg);
  }

  private drop(seq: number): void {
    const r = this.rows[seq];
    if (!r) return;
    this.rows[seq] = undefined;
    this.aliveCol[seq] = 0;
    this.live--;
    this.byId.delete(r.id);
    const c = this.byConv.get(r.convId);
    c?.delete(seq);
    if (c?.size === 0) this.byConv.delete(r.convId);
    const s = this.bySeg.get(r.seg);
    s?.delete(seq);
    if (s?.size === 0) this.bySeg.delete(r.seg);
    this.dirty.add(r.seg);
  }

  /** Rebuilds the postings from the live rows once stale ones outnumber a quarter of them. */
  private maybeCompact(): void {
    const stale = this.indexed - this.live;
    if (stale > 1000 && stale > this.live / 4) this.compact();
  }

  compact(): void {
    this.index = newIndex();
    this.vocab.clear();
    this.sorted = null;
    this.newTerms = [];
    this.indexed = 0;
    for (const r of this.rows) {
      if (!r) continue;
      const words = termsOf(r.text);
      this.index.add(r.seq, words.join(' '));
      this.indexed++;
      for (const t of new Set(words)) this.vocab.set(t, (this.vocab.get(t) ?? 0) + 1);
    }
    // The saved snapshot still matches the live rows (its extra postings are skipped), but a
    // fresh one is smaller: ask for it.
    this.sinceSnapshot = Math.max(this.sinceSnapshot, 1);
  }

  dirtyCount(): number {
    return this.dirty.size;
  }

  /** Marks a segment to be written again (its last write failed). */
  markDirty(seg: string): void {
    this.dirty.add(seg);
  }

  /** Segments changed since the last call, with their rows (empty: the segment is gone). */
  takeDirty(): Map<string, Row[]> {
    const out = new Map<string, Row[]>();
    for (const seg of this.dirty) out.set(seg, this.segmentRows(seg));
    this.dirty.clear();
    return out;
  }

  segmentRows(seg: string): Row[] {
    const rows: Row[] = [];
    for (const seq of this.bySeg.get(seg) ?? []) {
      const r = this.rows[seq] as Live;
      rows.push(
        r.has
          ? [r.seq, r.id, r.convId, r.author, r.authorName, r.text, r.at, r.has]
          : [r.seq, r.id, r.convId, r.author, r.authorName, r.text, r.at],
      );
    }
    return rows;
  }

  async snapshot(): Promise<Snapshot> {
    const parts: [string, Uint8Array][] = [];
    const utf8 = new TextEncoder();
    await this.index.export((key: string, data: string) => {
      parts.push([key, utf8.encode(data)]);
    });
    this.sinceSnapshot = 0;
    return { nextSeq: this.nextSeq, indexed: this.indexed, index: parts, vocab: [...this.vocab] };
  }

  /**
   * Restores from a snapshot (or none) and the persisted segments. Rows the snapshot already
   * holds are only registered; newer ones are indexed again. Throws on malformed data: the
   * caller drops the store and starts empty.
   */
  static restore(snapshot: Snapshot | null, segments: Iterable<[string, Row[]]>): SearchEngine {
    const e = new SearchEngine();
    if (snapshot) {
      if (
        !Number.isInteger(snapshot.nextSeq) ||
        !Number.isInteger(snapshot.indexed) ||
        !Array.isArray(snapshot.index) ||
        !Array.isArray(snapshot.vocab)
      )
        throw new Error('snapshot: bad shape');
      const utf8 = new TextDecoder();
      for (const [key, data] of snapshot.index) {
        e.index.import(key, typeof data === 'string' ? data : utf8.decode(data));
      }
      e.vocab = new Map(snapshot.vocab);
      e.nextSeq = snapshot.nextSeq;
      e.indexed = snapshot.indexed;
    }
    const later: Live[] = [];
    for (const [seg, rows] of segments) {
      if (!Array.isArray(rows)) throw new Error(`segment ${seg}: bad shape`);
      for (const row of rows) {
        if (!Array.isArray(row) || (row.length !== 7 && row.length !== 8))
          throw new Error(`segment ${seg}: bad row`);
        const [seq, id, convId, author, authorName, text, at, has = ''] = row;
        if (typeof has !== 'string') throw new Error(`segment ${seg}: bad row`);
        const r: Live = { seq, id, convId, author, authorName, text, at, seg, has };
        checkDoc(r);
        if (!Number.isInteger(seq) || seq < 1) throw new Error(`segment ${seg}: bad seq`);
        if (e.byId.has(id)) throw new Error(`segment ${seg}: ${id} twice`);
        if (snapshot && seq < snapshot.nextSeq) e.add(r, false);
        else later.push(r);
      }
    }
    later.sort((a, b) => a.seq - b.seq);
    for (const r of later) {
      e.add(r, true);
      e.nextSeq = Math.max(e.nextSeq, r.seq + 1);
      e.sinceSnapshot++;
    }
    e.dirty.clear();
    return e;
  }

  // ---- queries ----

  private sortedVocab(): string[] {
    if (this.sorted && this.newTerms.length > 0 && this.newTerms.length < 2000) {
      // A few new words since the last query: insert them in place, no full sort.
      for (const t of this.newTerms) {
        insertSorted(this.sorted, t);
        let b = this.byLength.get(t.length);
        if (!b) this.byLength.set(t.length, (b = []));
        b.push(t);
      }
      this.newTerms = [];
      this.variantCache.clear();
    } else if (this.newTerms.length > 0) this.sorted = null;
    if (!this.sorted) {
      this.newTerms = [];
      this.sorted = [...this.vocab.keys()].sort();
      this.byLength = new Map();
      for (const t of this.sorted) {
        let b = this.byLength.get(t.length);
        if (!b) this.byLength.set(t.length, (b = []));
        b.push(t);
      }
      this.variantCache.clear();
    }
    return this.sorted;
  }

  /** A term and the indexed terms it also matches, best first, with their weights. */
  variants(term: string, prefix: boolean): { term: string; weight: number }[] {
    const v = this.sortedVocab();
    const key = `${prefix ? 'p' : 'x'}${term}`;
    const cached = this.variantCache.get(key);
    if (cached) return cached;
    const out: { term: string; weight: number }[] = [];
    if (this.vocab.has(term)) out.push({ term, weight: 1 });
    if (prefix) {
      let lo = 0;
      let hi = v.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((v[mid] as string) < term) lo = mid + 1;
        else hi = mid;
      }
      const found: string[] = [];
      for (let i = lo; i < v.length && (v[i] as string).startsWith(term); i++) {
        if (v[i] !== term) found.push(v[i] as string);
      }
      found.sort((a, b) => (this.vocab.get(b) ?? 0) - (this.vocab.get(a) ?? 0));
      for (const t of found.slice(0, MAX_PREFIX)) out.push({ term: t, weight: PREFIX_WEIGHT });
    }
    // Close spellings for words only: 12345 is not a typo of 12346.
    if (term.length >= 5 && !/\d/.test(term)) {
      const max = term.length >= 9 ? 2 : 1;
      const seen = new Set(out.map((o) => o.term));
      const fuzzy: string[] = [];
      // One edit in a word of 5+ letters leaves its first two or its last two letters as
      // they were: a cheap test that skips most of the vocabulary before the real distance.
      const head = term.slice(0, 2);
      const tail = term.slice(-2);
      for (let len = term.length - max; len <= term.length + max; len++) {
        for (const t of this.byLength.get(len) ?? []) {
          if (max === 1 && !t.startsWith(head) && !t.endsWith(tail)) continue;
          if (!seen.has(t) && withinDistance(term, t, max) <= max) fuzzy.push(t);
        }
      }
      fuzzy.sort((a, b) => (this.vocab.get(b) ?? 0) - (this.vocab.get(a) ?? 0));
      for (const t of fuzzy.slice(0, MAX_FUZZY)) out.push({ term: t, weight: FUZZY_WEIGHT });
    }
    if (this.variantCache.size >= 256) this.variantCache.clear();
    this.variantCache.set(key, out);
    return out;
  }

  private scratch(): { stamp: Uint32Array; scores: Float64Array; base: number } {
    if (this.stampArr.length < this.nextSeq) {
      const size = Math.max(this.nextSeq, Math.ceil(this.stampArr.length * 1.5), 1024);
      this.stampArr = new Uint32Array(size);
      this.scoreArr = new Float64Array(size);
      this.generation = 0;
    }
    this.generation++;
    // 256 stamps per query (groups are capped below 250); wrap before 2^32.
    if (this.generation >= 0xffffff) {
      this.stampArr.fill(0);
      this.generation = 1;
    }
    return { stamp: this.stampArr, scores: this.scoreArr, base: this.generation * 256 };
  }

  private postings(term: string): number[] {
    return this.index.search(term, { limit: ALL }) as number[];
  }

  private foldedName(name: string): string {
    let f = this.folded.get(name);
    if (f === undefined) {
      f = fold(name);
      if (this.folded.size > 10_000) this.folded.clear();
      this.folded.set(name, f);
    }
    return f;
  }

  query(q: EngineQuery): QueryResult {
    const t0 = performance.now();
    const limit = Math.max(0, Math.min(q.limit ?? 50, 1000));
    const offset = Math.max(0, q.offset ?? 0);
    const authors = q.authors ? new Set(q.authors) : null;
    const convs = q.convIds ? new Set(q.convIds) : null;
    const names = q.authorNames?.map((n) => fold(n).trim()).filter(Boolean) ?? null;
    const hasAll = q.has && q.has.length > 0 ? q.has : null;
    const passes = (r: Live): boolean => {
      if (authors && !authors.has(r.author)) {
        if (!names) return false;
      }
      if (names && !(authors?.has(r.author) ?? false)) {
        const f = this.foldedName(r.authorName);
        if (!names.some((n) => f.includes(n) || r.author === n)) return false;
      }
      if (convs && !convs.has(r.convId)) return false;
      if (q.since !== null && r.at < q.since) return false;
      if (q.until !== null && r.at >= q.until) return false;
      if (hasAll && !hasAll.every((h) => r.has.includes(h))) return false;
      return true;
    };

    // Each free term, then each phrase word, must match (AND); a free term may match through
    // a prefix completion (the last one, while typing) or a close spelling (long terms).
    const groups: { term: string; variants: { term: string; weight: number }[] }[] = [];
    q.terms.forEach((t, i) =>
      groups.push({
        term: t,
        variants: this.variants(t, q.prefixLast && i === q.terms.length - 1),
      }),
    );
    for (const phrase of q.phrases)
      for (const t of phrase)
        groups.push({ term: t, variants: this.vocab.has(t) ? [{ term: t, weight: 1 }] : [] });

    const top: { seq: number; score: number; at: number; id: string }[] = [];
    const want = offset + limit;
    let total = 0;
    let floorScore = -Infinity;
    let floorAt = -Infinity;
    const consider = (r: Live, score: number) => {
      total++;
      if (want === 0) return;
      if (top.length === want) {
        // Cheap rejection with numbers before building anything.
        const sq = Math.round(score * 100);
        if (sq < floorScore || (sq === floorScore && r.at < floorAt)) return;
      }
      const c = { seq: r.seq, score, at: r.at, id: r.id };
      if (top.length === want && !better(c, top[top.length - 1] as typeof c)) return;
      let lo = 0;
      let hi = top.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (better(top[mid] as typeof c, c)) lo = mid + 1;
        else hi = mid;
      }
      top.splice(lo, 0, c);
      if (top.length > want) top.pop();
      if (top.length === want) {
        const last = top[top.length - 1] as typeof c;
        floorScore = Math.round(last.score * 100);
        floorAt = last.at;
      }
    };

    if (groups.length === 0) {
      const filtered = authors || convs || names || hasAll || q.since !== null || q.until !== null;
      if (filtered) for (const r of this.rows) if (r && passes(r)) consider(r, 0);
    } else if (groups.length < 250 && groups.every((g) => g.variants.length > 0)) {
      const n = Math.max(1, this.live);
      const idf = (t: string) => Math.log(1 + n / Math.max(1, this.vocab.get(t) ?? 1));
      // Smallest group first: its postings are the candidates; each later group only counts
      // the candidates that matched every group before it (typed arrays, no maps).
      const sized = groups.map((g) => ({
        g,
        size: g.variants.reduce((s, v) => s + (this.vocab.get(v.term) ?? 0), 0),
      }));
      sized.sort((a, b) => a.size - b.size);
      // Scratch arrays reused across queries (no 2 MB of garbage per keystroke): `stamp` holds
      // this query's base plus how many groups a seq matched so far, so nothing is cleared.
      const { stamp, scores, base } = this.scratch();
      const first: number[] = [];
      const alive = this.aliveCol;
      sized.forEach(({ g }, gi) => {
        const w = idf(g.term);
        for (const v of g.variants) {
          const add = v.weight * w;
          const post = this.postings(v.term);
          for (let i = 0; i < post.length; i++) {
            const seq = post[i] as number;
            if (gi === 0) {
              if ((stamp[seq] as number) >= base || alive[seq] !== 1) continue;
              first.push(seq);
              stamp[seq] = base + 1;
              scores[seq] = add;
            } else if (stamp[seq] === base + gi) {
              stamp[seq] = base + gi + 1;
              scores[seq] = (scores[seq] as number) + add;
            }
          }
        }
      });
      // Newest seqs first: they are mostly the newest messages, so the top fills with them
      // early and most older candidates are rejected on two numbers.
      first.sort((a, b) => b - a);
      const all = groups.length;
      // Filters on the columns first; Live rows are read only for what may make the top.
      const authorOk = authors && !names ? flags(this.authorIx, [...authors]) : null;
      const convOk = convs ? flags(this.convIx, [...convs]) : null;
      const since = q.since ?? -Infinity;
      const until = q.until ?? Infinity;
      const exact = !names && !hasAll && q.phrases.length === 0;
      for (let i = 0; i < first.length; i++) {
        const seq = first[i] as number;
        if (stamp[seq] !== base + all) continue;
        const at = this.atCol[seq] as number;
        if (at < since || at >= until) continue;
        if (authorOk && authorOk[this.authorCol[seq] as number] !== 1) continue;
        if (convOk && convOk[this.convCol[seq] as number] !== 1) continue;
        const score = scores[seq] as number;
        if (exact && top.length === want) {
          const sq = Math.round(score * 100);
          if (sq < floorScore || (sq === floorScore && at < floorAt)) {
            total++;
            continue;
          }
        }
        const r = this.rows[seq] as Live;
        if (!exact) {
          if (!passes(r)) continue;
          if (q.phrases.length > 0 && !q.phrases.every((p) => hasPhrase(termsOf(r.text), p)))
            continue;
        }
        consider(r, score);
      }
    }

    const hits: Hit[] = top.slice(offset).map(({ seq, score }) => {
      const r = this.rows[seq] as Live;
      return {
        id: r.id,
        convId: r.convId,
        author: r.author,
        authorName: r.authorName,
        at: r.at,
        score: Math.round(score * 1000) / 1000,
        snippet: snippet(r.text, matchSet(groups), q.phrases),
      };
    });
    return { hits, total, tookMs: performance.now() - t0 };
  }
}

/** A flag per interned index: 1 for the given keys. */
function flags(map: Map<string, number>, keys: string[]): Uint8Array {
  const out = new Uint8Array(map.size);
  for (const k of keys) {
    const i = map.get(k);
    if (i !== undefined) out[i] = 1;
  }
  return out;
}

function intern(map: Map<string, number>, key: string): number {
  let i = map.get(key);
  if (i === undefined) map.set(key, (i = map.size));
  return i;
}

function insertSorted(list: string[], t: string): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as string) < t) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, t);
}

function matchSet(groups: { variants: { term: string }[] }[]): Set<string> {
  const s = new Set<string>();
  for (const g of groups) for (const v of g.variants) s.add(v.term);
  return s;
}

function hasPhrase(words: string[], phrase: string[]): boolean {
  if (phrase.length === 0) return true;
  outer: for (let i = 0; i + phrase.length <= words.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (words[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

/** The text around the first match, with every match's range in the snippet. */
export function snippet(text: string, matched: Set<string>, phrases: string[][] = []): Snippet {
  const tokens = tokenize(text);
  const hits: Token[] = [];
  const inPhrase = new Set<number>();
  for (const p of phrases) {
    if (p.length === 0) continue;
    outer: for (let i = 0; i + p.length <= tokens.length; i++) {
      for (let j = 0; j < p.length; j++) if (tokens[i + j]?.term !== p[j]) continue outer;
      for (let j = 0; j < p.length; j++) inPhrase.add(i + j);
    }
  }
  tokens.forEach((t, i) => {
    if (matched.has(t.term) || inPhrase.has(i)) hits.push(t);
  });
  let from = 0;
  let to = text.length;
  if (text.length > SNIPPET_CHARS) {
    const first = hits[0]?.start ?? 0;
    from = Math.max(0, first - Math.floor(SNIPPET_CHARS / 3));
    // Start at a word boundary.
    if (from > 0) {
      const space = text.lastIndexOf(' ', from);
      from = space >= 0 && first - space <= SNIPPET_CHARS / 2 ? space + 1 : from;
    }
    to = Math.min(text.length, from + SNIPPET_CHARS);
    if (to < text.length) {
      const space = text.lastIndexOf(' ', to);
      if (space > first) to = space;
    }
    // Never cut a surrogate pair in half.
    if (from > 0 && isLow(text.charCodeAt(from))) from--;
    if (to < text.length && isLow(text.charCodeAt(to))) to++;
  }
  const ranges: [number, number][] = [];
  for (const h of hits) {
    if (h.end <= from || h.start >= to) continue;
    const s = Math.max(h.start, from) - from;
    const e = Math.min(h.end, to) - from;
    const prev = ranges[ranges.length - 1];
    // Matched words with only spaces between them read better as one highlight.
    if (prev && text.slice(prev[1] + from, s + from).trim() === '') {
      prev[1] = e;
    } else ranges.push([s, e]);
  }
  return { text: text.slice(from, to), ranges, cutStart: from > 0, cutEnd: to < text.length };
}

function isLow(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function checkDoc(d: Omit<SearchDoc, 'room'>): void {
  const str = (v: unknown) => typeof v === 'string';
  if (
    typeof d !== 'object' ||
    d === null ||
    !str(d.id) ||
    d.id === '' ||
    !str(d.convId) ||
    !str(d.author) ||
    !str(d.authorName) ||
    !str(d.text) ||
    typeof d.at !== 'number' ||
    !Number.isFinite(d.at)
  ) {
    throw new TypeError(`search: not a message document: ${JSON.stringify(d)?.slice(0, 200)}`);
  }
}

/**
 * A segment as stored: columns instead of one array per message, and each message's
 * (conversation, author, author name) as an index into a small table. Far fewer objects to
 * clone into and out of IndexedDB than Row[], and each name is stored once per page.
 */
export interface StoredSegment {
  seq: Float64Array;
  at: Float64Array;
  /** Index of the message's triple in `refs` (3 strings per triple). */
  ref: Uint32Array;
  refs: string[];
  id: string[];
  text: string[];
  /** Row `has` letters (issue 13); absent in segments stored before, and when no row has any. */
  has?: string[];
}

export function encodeSegment(rows: readonly Row[]): StoredSegment {
  const n = rows.length;
  const out: StoredSegment = {
    seq: new Float64Array(n),
    at: new Float64Array(n),
    ref: new Uint32Array(n),
    refs: [],
    id: new Array<string>(n),
    text: new Array<string>(n),
  };
  const table = new Map<string, number>();
  if (rows.some((r) => r[7])) out.has = rows.map((r) => r[7] ?? '');
  rows.forEach(([seq, id, convId, author, authorName, text, at], i) => {
    const key = `${convId}\u0000${author}\u0000${authorName}`;
    let r = table.get(key);
    if (r === undefined) {
      r = table.size;
      table.set(key, r);
      out.refs.push(convId, author, authorName);
    }
    out.seq[i] = seq;
    out.at[i] = at;
    out.ref[i] = r;
    out.id[i] = id;
    out.text[i] = text;
  });
  return out;
}

/** Rows of a stored segment (either layout). Throws on anything else: the caller drops the store. */
export function decodeSegment(value: unknown): Row[] {
  if (Array.isArray(value)) return value as Row[];
  const s = value as Partial<StoredSegment> | null;
  if (
    typeof s !== 'object' ||
    s === null ||
    !(s.seq instanceof Float64Array) ||
    !(s.at instanceof Float64Array) ||
    !(s.ref instanceof Uint32Array) ||
    !Array.isArray(s.refs) ||
    !Array.isArray(s.id) ||
    !Array.isArray(s.text)
  )
    throw new Error('segment: bad shape');
  const n = s.seq.length;
  if (
    s.at.length !== n ||
    s.ref.length !== n ||
    s.id.length !== n ||
    s.text.length !== n ||
    (s.has !== undefined && (!Array.isArray(s.has) || s.has.length !== n)) ||
    s.refs.length % 3 !== 0
  )
    throw new Error('segment: columns of different lengths');
  const rows: Row[] = new Array<Row>(n);
  for (let i = 0; i < n; i++) {
    const r = (s.ref[i] as number) * 3;
    if (r + 2 >= s.refs.length) throw new Error('segment: bad reference');
    const row: Row = [
      s.seq[i] as number,
      s.id[i] as string,
      s.refs[r] as string,
      s.refs[r + 1] as string,
      s.refs[r + 2] as string,
      s.text[i] as string,
      s.at[i] as number,
    ];
    const has = s.has?.[i];
    if (has) row.push(has);
    rows[i] = row;
  }
  return rows;
}
