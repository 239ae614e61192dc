// The query mix of the search benchmark, shared by the Node run and the Chromium page.
import { rng, type Corpus } from './corpus';

export interface Case {
  kind: string;
  text: string;
}

/** `perKind` queries of each kind, seeded: the same mix for every engine in a run. */
export function queryMix(c: Corpus, perKind: number): Case[] {
  const rand = rng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)] as T;
  const v = c.vocabulary;
  const common = v.slice(0, 100);
  const mid = v.slice(100, 3000);
  const rare = v.slice(3000, 20_000);
  const long = mid.filter((w) => w.length >= 6);
  const day = (t: number) => {
    const d = new Date(t);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  const t0 = c.messages[0]?.at ?? 0;
  const t1 = c.messages[c.messages.length - 1]?.at ?? 0;
  const someDay = () => day(t0 + rand() * (t1 - t0));
  const cases: Case[] = [];
  for (let i = 0; i < perKind; i++) {
    cases.push({ kind: 'one word, common', text: `${pick(common)} ` });
    cases.push({ kind: 'one word, mid/rare', text: `${pick(rand() < 0.5 ? mid : rare)} ` });
    cases.push({ kind: 'two words', text: `${pick(common)} ${pick(mid)} ` });
    cases.push({ kind: 'prefix (typing)', text: pick(mid).slice(0, 3 + Math.floor(rand() * 2)) });
    const w = pick(long);
    const k = 1 + Math.floor(rand() * (w.length - 2));
    cases.push({ kind: 'typo', text: `${w.slice(0, k)}${w.slice(k + 1)} ` });
    const f = rand();
    const filter =
      f < 0.33
        ? `from:${pick(c.authors).username}`
        : f < 0.66
          ? `in:${pick(c.conversations).title}`
          : `after:${someDay()}`;
    cases.push({ kind: 'word + filter', text: `${pick(rand() < 0.5 ? common : mid)} ${filter}` });
  }
  return cases;
}
