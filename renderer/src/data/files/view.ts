// What readers see of a file reference (api.ts FileView): the placeholder decoded from its
// ThumbHash into a data: URL, the waveform into 64 numbers 0..1.
import type * as Y from 'yjs';
import type { FileRef } from '../../../../core/src/model/files';
import * as page from '../../../../core/src/model/page';
import type { ConversationFile, FileView } from '../api';
import { decodeWave, thumbDataUrl } from './encode';

const placeholders = new Map<string, string | null>();

/** A ThumbHash decoded once per distinct value (a long conversation redraws rows often). */
function placeholderOf(thumb: string): string | null {
  let url = placeholders.get(thumb);
  if (url === undefined) {
    url = thumbDataUrl(thumb);
    if (placeholders.size > 2000) placeholders.clear();
    placeholders.set(thumb, url);
  }
  return url;
}

export function fileView(ref: FileRef): FileView {
  const v: FileView = { hash: ref.hash, name: ref.name, size: ref.size, type: ref.type, kind: ref.kind };
  if (ref.w !== undefined && ref.h !== undefined) {
    v.width = ref.w;
    v.height = ref.h;
  }
  if (ref.thumb !== undefined) {
    const url = placeholderOf(ref.thumb);
    if (url) v.placeholder = url;
  }
  if (ref.ms !== undefined) v.durationMs = ref.ms;
  if (ref.wave !== undefined) v.waveform = decodeWave(ref.wave);
  return v;
}

/** The files of these page documents' messages (not deleted), newest first (details panel). */
export function filesOfPages(docs: readonly Y.Doc[], nameOf: (user: string) => string): ConversationFile[] {
  const out: ConversationFile[] = [];
  for (const doc of docs) {
    for (const m of page.listMessages(doc)) {
      if (m.deleted || m.files.length === 0) continue;
      for (const ref of m.files) {
        out.push({ messageId: m.id, authorName: nameOf(m.author), at: m.createdAt, file: fileView(ref) });
      }
    }
  }
  return out.sort((a, b) => b.at - a.at || (a.messageId < b.messageId ? 1 : -1));
}
