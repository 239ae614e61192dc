// What the quick switcher and the forward dialog list (issue 12): conversations and people in
// one ranked list. A person I already have a DM with is that DM (listed once, as the
// conversation); anyone else is a person to start one with. Matching: the whole name or title
// starting with the query first, then a word of it, then anywhere; at each level conversations
// (unread, then recent) before people (online, away, then the rest, by name).
import type { ConversationSummary, DirectoryPerson } from '../../data/api';

export type Presence = 'online' | 'away' | 'offline';

export type SwitchItem =
  | { kind: 'conversation'; key: string; conversation: ConversationSummary }
  | { kind: 'person'; key: string; person: DirectoryPerson };

/** 0: starts with the query; 1: a word starts with it; 2: contains it; null: no match. */
export function matchLevel(text: string, q: string): 0 | 1 | 2 | null {
  if (q === '') return 0;
  const t = text.toLowerCase();
  if (t.startsWith(q)) return 0;
  const at = t.indexOf(q);
  if (at < 0) return null;
  // A word start: after a space, a dash, a dot, an underscore or @ / #.
  for (let i = at; i >= 0; i = t.indexOf(q, i + 1)) {
    if (/[\s\-._@#]/.test(t.charAt(i - 1))) return 1;
  }
  return 2;
}

function best(...levels: (0 | 1 | 2 | null)[]): 0 | 1 | 2 | null {
  const ok = levels.filter((l): l is 0 | 1 | 2 => l !== null);
  return ok.length === 0 ? null : (Math.min(...ok) as 0 | 1 | 2);
}

const PRESENCE_RANK: Record<Presence, number> = { online: 0, away: 1, offline: 2 };

export function switchItems(
  conversations: readonly ConversationSummary[],
  people: readonly DirectoryPerson[],
  query: string,
  opts: {
    me: string;
    presence?: ReadonlyMap<string, Presence>;
    /** Leave out conversations (e.g. the one a message is forwarded from, or read-only ones). */
    skip?: (c: ConversationSummary) => boolean;
    limit?: number;
  },
): SwitchItem[] {
  const q = query.trim().toLowerCase();
  const presence = opts.presence ?? new Map<string, Presence>();
  const dmWith = new Set(conversations.flatMap((c) => (c.dmWith ? [c.dmWith] : [])));
  const scored: {
    item: SwitchItem;
    level: number;
    group: number;
    a: number;
    b: number;
    name: string;
  }[] = [];
  for (const c of conversations) {
    if (opts.skip?.(c)) continue;
    const level = matchLevel(c.title, q);
    if (level === null) continue;
    scored.push({
      item: { kind: 'conversation', key: `c:${c.id}`, conversation: c },
      level,
      group: 0,
      a: c.unread > 0 ? 0 : 1,
      b: -(c.lastMessage?.at ?? c.createdAt),
      name: c.title,
    });
  }
  for (const p of people) {
    if (p.id === opts.me || dmWith.has(p.id)) continue;
    const level = best(matchLevel(p.displayName, q), matchLevel(p.username, q));
    if (level === null) continue;
    scored.push({
      item: { kind: 'person', key: `p:${p.id}`, person: p },
      level,
      group: 1,
      a: PRESENCE_RANK[presence.get(p.id) ?? 'offline'],
      b: 0,
      name: p.displayName,
    });
  }
  scored.sort(
    (x, y) =>
      x.level - y.level ||
      x.group - y.group ||
      x.a - y.a ||
      x.b - y.b ||
      x.name.localeCompare(y.name),
  );
  return scored.slice(0, opts.limit ?? 50).map((s) => s.item);
}
