// What message rows need to show files (issue 13), given by ConversationPane as a context so
// rows anywhere in the pane (list, thread) get the bytes without threading props through:
// the FilesApi, the conversation, my id, the shared object-URL cache and the image viewer.

import { getContext, setContext } from 'svelte';
import type { FileView, FilesApi, MessageView } from '../../data/api';
import { cleanFileName } from '../../../../core/src/model/files';

export interface FilesContext {
  readonly api: FilesApi;
  readonly conversationId: string;
  readonly me: string;
  readonly urls: FileUrls;
  /** Opens the viewer on this image (of this message). */
  openImage(messageId: string, file: FileView): void;
}

const KEY = Symbol('ferry.files');

export function provideFiles(ctx: FilesContext): void {
  setContext(KEY, ctx);
}
export function useFiles(): FilesContext | null {
  return getContext<FilesContext | undefined>(KEY) ?? null;
}

/**
 * Object URLs of files' bytes, shared by every view of the same file (a row and the viewer),
 * counted: the URL is revoked when the last view lets it go. `open` comes from the FilesApi.
 */
export class FileUrls {
  private entries = new Map<string, { url: Promise<string>; refs: number; made?: string }>();
  constructor(private readonly open: (file: FileView) => Promise<Blob>) {}

  acquire(file: FileView): Promise<string> {
    let e = this.entries.get(file.hash);
    if (!e) {
      const entry: { url: Promise<string>; refs: number; made?: string } = {
        refs: 0,
        url: Promise.resolve(''),
      };
      entry.url = this.open(file).then((blob) => {
        entry.made = URL.createObjectURL(blob);
        // Let go of while loading: revoke at once.
        if (entry.refs === 0) this.drop(file.hash, entry);
        return entry.made;
      });
      entry.url.catch(() => {
        if (this.entries.get(file.hash) === entry) this.entries.delete(file.hash);
      });
      this.entries.set(file.hash, entry);
      e = entry;
    }
    e.refs++;
    return e.url;
  }

  release(hash: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    e.refs--;
    if (e.refs <= 0 && e.made) this.drop(hash, e);
  }

  private drop(hash: string, e: { made?: string }) {
    if (e.made) URL.revokeObjectURL(e.made);
    if (this.entries.get(hash) === e) this.entries.delete(hash);
  }

  /** Everything let go (the pane closes). */
  clear(): void {
    for (const [hash, e] of this.entries) this.drop(hash, e);
  }
}

/** The conversation's loaded images, oldest first: the viewer's ←/→ order. */
export function imagesOf(
  messages: readonly MessageView[],
): { messageId: string; file: FileView }[] {
  const out: { messageId: string; file: FileView }[] = [];
  for (const m of messages) {
    if (m.deleted) continue;
    for (const f of m.files ?? []) if (f.kind === 'image') out.push({ messageId: m.id, file: f });
  }
  return out;
}

/**
 * Saves a file: its bytes through the cache, then a download link with the clean name. Never
 * opens or runs it. Rejects with the FilesApi's plain reason (offline, not uploaded yet…).
 */
export async function downloadFile(ctx: FilesContext, file: FileView): Promise<void> {
  const url = await ctx.urls.acquire(file);
  const a = document.createElement('a');
  a.href = url;
  a.download = cleanFileName(file.name) || 'file';
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own copy once started: let the URL go a moment later.
  setTimeout(() => ctx.urls.release(file.hash), 10_000);
}
