// Seeded generator of realistic chat messages for the search benchmark: several authors,
// conversations, words drawn from a Zipf-like vocabulary (a few very common words, a long tail
// of rare ones), some words with diacritics, some numbers and punctuation. Same seed, same corpus.
import { rng } from '../../renderer/test/rng';

export interface CorpusMessage {
  id: string;
  convId: string;
  author: string;
  authorName: string;
  text: string;
  at: number;
}

export interface Corpus {
  messages: CorpusMessage[];
  authors: { id: string; name: string; username: string }[];
  conversations: { id: string; title: string }[];
  /** Words of the vocabulary by rank (0 = most common). */
  vocabulary: string[];
}

// mulberry32, the tests' seeded generator: the same seed gives the same corpus.
export { rng };

const COMMON = (
  'the to and a of i you it is that in we for on this be have with not are can just will do ' +
  'but so at if my me was what all about from an or get up out there one they your like know ' +
  'think yes no ok thanks need now time see when good yeah sure let check today tomorrow meeting ' +
  'build release deploy review issue fix test branch merge server client update error bug'
).split(' ');
const ACCENTED = [
  'café',
  'résumé',
  'naïve',
  'señor',
  'mañana',
  'über',
  'straße',
  'déjà',
  'crème',
  'façade',
  'jalapeño',
  'smörgåsbord',
  'fiancée',
  'coördinate',
  'piñata',
  'Zürich',
  'São',
  'Kraków',
  'Ångström',
  'élan',
];
const SYLLABLES = 'ka ri to ne mo sa lu vi de po ra ti ko ma le su ba fi go ne xa ze qu'.split(' ');

function tailWord(rand: () => number): string {
  const n = 2 + Math.floor(rand() * 3);
  let w = '';
  for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
  return w;
}

/** Builds a vocabulary by rank and a sampler with P(rank r) ∝ 1 / (r + 1)^s. */
function zipf(vocabulary: string[], s: number, rand: () => number): () => string {
  const cdf = new Float64Array(vocabulary.length);
  let sum = 0;
  for (let r = 0; r < vocabulary.length; r++) {
    sum += 1 / Math.pow(r + 1, s);
    cdf[r] = sum;
  }
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return vocabulary[lo] as string;
  };
}

export function generateCorpus(options: {
  messages: number;
  conversations?: number;
  authors?: number;
  seed?: number;
  vocabulary?: number;
}): Corpus {
  const rand = rng(options.seed ?? 42);
  const convCount = options.conversations ?? 50;
  const authorCount = options.authors ?? 40;
  const vocabSize = options.vocabulary ?? 30_000;
  const seen = new Set<string>(COMMON);
  const vocabulary = [...COMMON];
  for (const w of ACCENTED) {
    // Spread the accented words over the ranks, not all in the head.
    vocabulary.splice(Math.floor(rand() * vocabulary.length * 4) + 20, 0, w);
    seen.add(w);
  }
  while (vocabulary.length < vocabSize) {
    const w = tailWord(rand);
    if (seen.has(w)) continue;
    seen.add(w);
    vocabulary.push(w);
  }
  const word = zipf(vocabulary, 1.07, rand);
  const FIRST = [
    'Ana',
    'Björn',
    'Chloé',
    'Dmitri',
    'Eva',
    'François',
    'Gita',
    'Hiro',
    'Inés',
    'Jon',
  ];
  const LAST = [
    'Martínez',
    'Berg',
    'Dubois',
    'Ivanov',
    'Novák',
    'Müller',
    'Rao',
    'Sato',
    'López',
    'Kim',
  ];
  const authors = Array.from({ length: authorCount }, (_, i) => {
    const name = `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length) % LAST.length]}`;
    const username = name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/\s+/g, '.');
    return { id: `u${String(i).padStart(4, '0')}`, name, username: `${username}${i}` };
  });
  const conversations = Array.from({ length: convCount }, (_, i) => ({
    id: `c${String(i).padStart(4, '0')}`,
    title: `${['general', 'dev', 'ops', 'design', 'random', 'support', 'sales', 'infra'][i % 8]}-${i}`,
  }));
  const start = Date.UTC(2025, 0, 1);
  const span = 365 * 24 * 3600_000;
  const messages: CorpusMessage[] = [];
  for (let i = 0; i < options.messages; i++) {
    const at = Math.floor(start + (span * i) / options.messages + rand() * 60_000);
    const author = authors[
      Math.floor(Math.pow(rand(), 1.6) * authors.length)
    ] as Corpus['authors'][0];
    const conv = conversations[
      Math.floor(Math.pow(rand(), 1.3) * convCount)
    ] as Corpus['conversations'][0];
    const len = 3 + Math.floor(Math.pow(rand(), 2) * 40);
    const words: string[] = [];
    for (let k = 0; k < len; k++) {
      let w = word();
      if (k === 0) w = w.charAt(0).toUpperCase() + w.slice(1);
      if (rand() < 0.02) w = String(Math.floor(rand() * 1000));
      words.push(w);
    }
    let text = words.join(' ');
    const p = rand();
    text += p < 0.6 ? '' : p < 0.8 ? '.' : p < 0.9 ? '?' : '!';
    // HLC-like sortable id: wall time (base36, fixed width), counter, node.
    const id = `${at.toString(36).padStart(9, '0')}-${(i % 1296).toString(36).padStart(2, '0')}-${author.id}`;
    messages.push({ id, convId: conv.id, author: author.id, authorName: author.name, text, at });
  }
  return { messages, authors, conversations, vocabulary };
}
