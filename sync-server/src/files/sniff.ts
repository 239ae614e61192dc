// The type a stored file is served with, sniffed from its first bytes (magic-bytes.js), never
// taken from its name or from what the uploader claimed (docs/attachments.md, serving). Only
// the image and audio types the app draws are served inline; everything else is an attachment.
import { open } from 'node:fs/promises';
import { filetypeinfo } from 'magic-bytes.js';

const INLINE: Record<string, string> = {
  png: 'image/png',
  apng: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
  ogg: 'audio/ogg',
  oga: 'audio/ogg',
  ogx: 'audio/ogg',
  opus: 'audio/ogg',
  webm: 'audio/webm',
  m4a: 'audio/mp4',
  mp4: 'audio/mp4',
};

/** The served type of these bytes (the first 4 KiB of a file). */
export function sniffType(head: Uint8Array): string {
  const guesses = filetypeinfo(head);
  for (const g of guesses) {
    const inline = INLINE[g.typename];
    if (inline) return inline;
  }
  const mime = guesses.find((g) => g.mime)?.mime;
  return mime ?? 'application/octet-stream';
}

/** Whether a sniffed type is drawn by the app and so served inline. */
export function isInlineType(type: string): boolean {
  return Object.values(INLINE).includes(type);
}

export async function sniffFile(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(4100);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return sniffType(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
