// The engine against an oracle: for queries of short exact words (no prefix, no close
// spellings), the result set must be exactly the messages holding every word, through random
// upserts, edits, deletes, compactions and a save and restore.
import { describe, expect, it, vi } from 'vitest';
import {
  SearchEngine,
  type EngineQuery,
  type SearchDoc,
  type Snapshot,
} from '../../src/search/engine';
import { terms } from '../../src/search/text';
import { rng } from '../rng';

const WORDS = ['ab', 'cd', 'Éf', 'gh', 'ij', 'kl', 'mn', 'op', 'qr', 'st', 'çà', 'ñu'];

describe('engine against a linear oracle', () => {
  let compacted = 0;
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`seed ${seed}: same result sets through edits, deletes, compaction and restore`, async () => {
      const compactions = vi.spyOn(SearchEngine.prototype, 'compact');
      const rand = rng(seed);
      const pick = () => WORDS[Math.floor(rand() * WORDS.length)] as string;
      const sentence = () => Array.from({ length: 1 + Math.floor(rand() * 6) }, pick).join(' ');
      let e = new SearchEngine();
      let persisted: Snapshot | null = null;
      const truth = new Map<string, SearchDoc>();
      const check = () => {
        for (let k = 0; k < 20; k++) {
          const words = [
            ...new Set(terms(Array.from({ length: 1 + Math.floor(rand() * 2) }, pick).join(' '))),
          ];
          const convIds = rand() < 0.3 ? ['c1'] : null;
          const q: EngineQuery = {
            terms: words,
            phrases: [],
            prefixLast: false,
            authors: null,
            authorNames: null,
            convIds,
            since: null,
            until: null,
            limit: 1000,
          };
          const want = [...truth.values()]
            .filter(
              (d) =>
                (!convIds || convIds.includes(d.convId)) &&
                words.every((w) => terms(d.text).includes(w)),
            )
            .map((d) => d.id)
            .sort();
          const got = e.query(q);
          expect(got.hits.map((h) => h.id).sort()).toEqual(want);
          expect(got.total).toBe(want.length);
        }
      };
      for (let round = 0; round < 6; round++) {
        for (let i = 0; i < 800; i++) {
          const r = rand();
          const id = `m${Math.floor(rand() * 600)}`;
          if (r < 0.7) {
            const d: SearchDoc = {
              id,
              convId: rand() < 0.5 ? 'c1' : 'c2',
              author: 'u',
              authorName: 'U',
              text: sentence(),
              at: Math.floor(rand() * 1e6),
              room: `p${Math.floor(rand() * 8)}`,
            };
            e.upsert(d);
            truth.set(id, d);
          } else if (r < 0.95) {
            e.remove(id);
            truth.delete(id);
          } else {
            e.removeConversation('c2');
            for (const [k, d] of truth) if (d.convId === 'c2') truth.delete(k);
          }
        }
        check();
        // Save as the store does: a new snapshot only sometimes, the rows always; restore from
        // the last snapshot saved (maybe rounds old) plus the rows.
        if (rand() < 0.5) persisted = await e.snapshot();
        const segments = new Map<string, ReturnType<SearchEngine['segmentRows']>>();
        for (const seg of ['conv:c1', 'conv:c2', ...Array.from({ length: 8 }, (_, i) => `p${i}`)]) {
          const rows = e.segmentRows(seg);
          if (rows.length) segments.set(seg, rows);
        }
        e = SearchEngine.restore(persisted, segments);
        check();
      }
      compacted += compactions.mock.calls.length;
      compactions.mockRestore();
    });
  }

  it('the runs above went through compactions', () => {
    expect(compacted).toBeGreaterThan(0);
  });
});
