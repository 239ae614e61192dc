// The fake client's search: the real engine (renderer/src/search) in memory on the page, fed
// with the fake's messages before each query, so the UI shows real snippets and ranges.
import { createSearch, type SearchDoc } from '../../../src/search';
import { resolveConversations, resolvePeople } from '../../../src/data/search';
import type {
  ConversationSummary,
  MessageView,
  Person,
  SearchResults,
} from '../../../src/data/api';

export interface FakeSearchSource {
  convs(): { id: string; title: string; messages: MessageView[] }[];
  people(): Person[];
  summaries(): ConversationSummary[];
}

export function fakeSearch(src: FakeSearchSource): (query: string) => Promise<SearchResults> {
  const search = createSearch({
    dbName: null,
    worker: false,
    resolveUser: (name) => resolvePeople(src.people(), name),
    resolveConversation: (title) => resolveConversations(src.summaries(), title),
  });
  return async (query) => {
    const convs = src.convs();
    for (const c of convs) {
      const docs: SearchDoc[] = c.messages
        .filter((m) => !m.deleted && m.text.trim() !== '')
        .map((m) => ({
          id: m.id,
          convId: c.id,
          author: m.authorId,
          authorName: m.authorName,
          text: m.text,
          at: m.createdAt,
          room: c.id,
        }));
      await search.indexPage({
        convId: c.id,
        room: c.id,
        docs,
        mark: `${docs.length}:${docs.map((d) => d.text.length).join(',')}`,
      });
    }
    const r = await search.query(query, { limit: 50 });
    if (!r.ok) {
      if (r.error.code === 'cancelled')
        return { hits: [], total: 0, notes: [], tookMs: 0, cancelled: true, indexing: false };
      throw new Error(r.error.message);
    }
    const title = new Map(convs.map((c) => [c.id, c.title]));
    return {
      hits: r.value.hits.map((h) => ({
        conversationId: h.convId,
        conversationTitle: title.get(h.convId) ?? 'Conversation',
        messageId: h.id,
        authorId: h.author,
        authorName: h.authorName,
        at: h.at,
        snippet: h.snippet.text,
        ranges: h.snippet.ranges,
        cutStart: h.snippet.cutStart,
        cutEnd: h.snippet.cutEnd,
      })),
      total: r.value.total,
      notes: r.value.query.notes,
      tookMs: r.value.tookMs,
      cancelled: false,
      indexing: false,
    };
  };
}
