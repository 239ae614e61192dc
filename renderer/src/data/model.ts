// Helpers over core's meta document that only the data layer needs: the page counts that
// catch-up compares to decide which held pages changed.
import type * as Y from 'yjs';
import { pagesOf } from '../../../core/src/model/meta';

/** Owner key -> messages on one page, from the meta document's page index. */
export function pageCounts(meta: Y.Doc, period: number): Record<string, number> {
  const out: Record<string, number> = {};
  const prefix = `p${period}|`;
  pagesOf(meta).forEach((n, key) => {
    if (key.startsWith(prefix) && typeof n === 'number') out[key.slice(prefix.length)] = n;
  });
  return out;
}

export function sameCounts(a: Record<string, number> | undefined, b: Record<string, number>): boolean {
  if (!a) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
