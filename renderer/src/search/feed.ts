// Feeding the search from the data layer: page documents in, search documents out, and a
// catch-up that reads only the pages whose mark changed since they were indexed.
import * as Y from 'yjs';
import type { Message } from '../../../core/src/model/page';
import type { SearchDoc } from './engine';
import type { Search } from './index';

/** The searchable messages of one page: deleted (tombstoned) and empty ones left out. */
export function toSearchDocs(
  convId: string,
  room: string,
  messages: readonly Message[],
  nameOf: (userId: string) => string,
): SearchDoc[] {
  const out: SearchDoc[] = [];
  for (const m of messages) {
    // A forward is found by its comment and by the text it forwards; a message with files by
    // its caption and the files' names (issue 13).
    const files = m.files ?? [];
    const parts = [m.text, m.forward?.text ?? '', ...files.map((f) => f.name)];
    const text = parts.filter((t) => t !== '').join('\n');
    if (m.deleted || text.trim() === '') continue;
    let has = files.length > 0 ? 'f' : '';
    if (files.some((f) => f.kind === 'image')) has += 'i';
    if (files.some((f) => f.kind === 'voice')) has += 'v';
    out.push({
      id: m.id,
      convId,
      author: m.author,
      authorName: nameOf(m.author),
      text,
      at: m.createdAt,
      room,
      ...(has ? { has } : {}),
    });
  }
  return out;
}

/** A page's mark: its state vector, which changes whenever anything is added to the page. */
export function stateMark(doc: Y.Doc): string {
  const sv = Y.encodeStateVector(doc);
  let s = '';
  for (let i = 0; i < sv.length; i++) s += String.fromCharCode(sv[i] as number);
  return btoa(s);
}

export interface PageRef {
  convId: string;
  room: string;
  /** The page's current mark (e.g. `stateMark(doc)` or its version in the directory). */
  mark: string | number;
}

export interface CatchUp {
  checked: number;
  indexed: number;
  /** Pages whose load or indexing failed: they keep their old mark and are tried next time. */
  failed: { room: string; error: string }[];
}

/**
 * Indexes every page whose mark differs from the one the search holds, one page at a time,
 * giving the event loop a turn between pages. `load` reads a page's messages (only called for
 * changed pages). Stops early, with what it did so far, when `signal` aborts.
 */
export async function catchUp(
  search: Search,
  pages: readonly PageRef[],
  load: (page: PageRef) => Promise<readonly Message[]>,
  nameOf: (userId: string) => string,
  signal?: AbortSignal,
): Promise<CatchUp> {
  const out: CatchUp = { checked: 0, indexed: 0, failed: [] };
  const marks = await search.marks();
  if (!marks.ok) {
    out.failed.push({ room: '*', error: `${marks.error.code}: ${marks.error.message}` });
    return out;
  }
  for (const page of pages) {
    if (signal?.aborted) break;
    out.checked++;
    if (marks.value[page.room] === page.mark) continue;
    try {
      const messages = await load(page);
      const docs = toSearchDocs(page.convId, page.room, messages, nameOf);
      const r = await search.indexPage({
        convId: page.convId,
        room: page.room,
        docs,
        mark: page.mark,
      });
      if (r.ok) out.indexed++;
      else out.failed.push({ room: page.room, error: `${r.error.code}: ${r.error.message}` });
    } catch (err) {
      out.failed.push({ room: page.room, error: (err as Error)?.message ?? String(err) });
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  return out;
}
