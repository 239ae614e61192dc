// The workspace document as core/README.md describes it (`conversations`, `people`), until
// `core/src/model/workspace.ts` lands; and the page counts the catch-up compares. Every key
// belongs to one author (the README's "no shared mutable keys").
import type * as Y from 'yjs';
import { pagesOf } from '../../../core/src/model/meta';

export interface ConvInfo {
  title: string;
  createdBy: string;
  createdAt: number;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

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

// Workspace document.

export function conversations(ws: Y.Doc): Map<string, ConvInfo> {
  const out = new Map<string, ConvInfo>();
  ws.getMap<unknown>('conversations').forEach((v, id) => {
    if (isObj(v) && typeof v.title === 'string') {
      out.set(id, {
        title: v.title,
        createdBy: typeof v.createdBy === 'string' ? v.createdBy : '',
        createdAt: typeof v.createdAt === 'number' ? v.createdAt : 0,
      });
    }
  });
  return out;
}

export function addConversation(ws: Y.Doc, id: string, info: ConvInfo): void {
  ws.getMap<unknown>('conversations').set(id, { ...info });
}

export function personName(ws: Y.Doc, user: string): string | null {
  const v = ws.getMap<unknown>('people').get(user);
  return isObj(v) && typeof v.name === 'string' ? v.name : null;
}

export function setPerson(ws: Y.Doc, user: string, name: string, at: number): void {
  const people = ws.getMap<unknown>('people');
  const v = people.get(user);
  if (isObj(v) && v.name === name) return;
  people.set(user, { name, updatedAt: at });
}
