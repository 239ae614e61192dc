// The files waiting in a composer (issue 13): added by the Attach button, a drop, a paste or
// the voice recorder; images previewed through object URLs revoked when removed or sent.

import type { Attachment } from '../../data/api';
import { cleanFileName } from '../../../../core/src/model/files';

export interface PendingFile {
  id: number;
  name: string;
  size: number;
  /** An object URL of an image's bytes, for its chip. */
  preview: string | null;
  voice?: { durationMs: number; waveform: number[] };
  attachment: Attachment;
}

const PREVIEWABLE = /^image\/(png|jpeg|gif|webp|avif)$/;

export class PendingFiles {
  list = $state.raw<PendingFile[]>([]);
  private next = 1;

  add(files: readonly File[]): void {
    const added = files.map((f) => this.item({ file: f, name: f.name }, f.name, f.type));
    this.list = [...this.list, ...added];
  }

  addVoice(blob: Blob, voice: { durationMs: number; waveform: number[] }): void {
    const ext = blob.type.includes('ogg') ? 'ogg' : 'webm';
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a one-off name, not state
    const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-');
    const name = `Voice message ${stamp}.${ext}`;
    this.list = [...this.list, { ...this.item({ file: blob, name, voice }, name, ''), voice }];
  }

  remove(id: number): void {
    const gone = this.list.find((f) => f.id === id);
    if (gone?.preview) URL.revokeObjectURL(gone.preview);
    this.list = this.list.filter((f) => f.id !== id);
  }

  /** Hands the attachments over (to send) and forgets them; `restore` puts them back. */
  take(): PendingFile[] {
    const taken = this.list;
    this.list = [];
    return taken;
  }

  restore(files: PendingFile[]): void {
    this.list = [...files, ...this.list];
  }

  /** Releases previews of files sent (or dropped). */
  release(files: readonly PendingFile[]): void {
    for (const f of files) if (f.preview) URL.revokeObjectURL(f.preview);
  }

  clear(): void {
    this.release(this.list);
    this.list = [];
  }

  private item(attachment: Attachment, name: string, type: string): PendingFile {
    return {
      id: this.next++,
      name: cleanFileName(name) || 'file',
      size: attachment.file.size,
      preview: PREVIEWABLE.test(type) ? URL.createObjectURL(attachment.file) : null,
      attachment,
    };
  }
}
