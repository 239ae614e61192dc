// What a reference needs before the bytes travel (docs/attachments.md): the type sniffed from the
// first bytes, an image's size and its ThumbHash placeholder (from a ≤100 px downscale with
// createImageBitmap and OffscreenCanvas, where the engine has them), a voice message's duration
// and waveform, and the clean name. Then the reference is checked as core will check it.
import { rgbaToThumbHash } from 'thumbhash';
import { cleanFileName, fileRefProblem, MAX_PREVIEW_BYTES, type FileRef } from '../../../../core/src/model/files';
import { ApiError, type Attachment } from '../api';
import { encodeWave, fileType, kindOf, sniffType, toBase64 } from './encode';
import type { Hasher } from './hash';

/** Longest side of the image ThumbHash is computed from (its own limit). */
const THUMB_SIDE = 100;

interface Measured {
  w: number;
  h: number;
  thumb?: string;
}

/** An image's size and placeholder, or null where it cannot be decoded here. */
export async function measureImage(blob: Blob): Promise<Measured | null> {
  if (typeof createImageBitmap !== 'function') return null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    return null; // not decodable by this engine (an AVIF on an old one): sent as it is
  }
  const w = bitmap.width;
  const h = bitmap.height;
  let thumb: string | undefined;
  try {
    if (typeof OffscreenCanvas === 'function' && w > 0 && h > 0) {
      const scale = Math.min(1, THUMB_SIDE / Math.max(w, h));
      const tw = Math.max(1, Math.round(w * scale));
      const th = Math.max(1, Math.round(h * scale));
      const canvas = new OffscreenCanvas(tw, th);
      const ctx = canvas.getContext('2d');
      if (ctx) {
        ctx.drawImage(bitmap, 0, 0, tw, th);
        const bytes = rgbaToThumbHash(tw, th, ctx.getImageData(0, 0, tw, th).data);
        if (bytes.length <= MAX_PREVIEW_BYTES) thumb = toBase64(bytes);
      }
    }
  } catch {
    thumb = undefined; // the size alone still avoids the layout jump
  } finally {
    bitmap.close();
  }
  if (w < 1 || h < 1 || w > 65535 || h > 65535) return null;
  return thumb ? { w, h, thumb } : { w, h };
}

/** An attachment ready to queue: its reference and its bytes. */
export interface Prepared {
  ref: FileRef;
  blob: Blob;
}

/** Hashes and measures one attachment; throws (plain words) when its reference would be refused. */
export async function prepare(a: Attachment, hash: Hasher): Promise<Prepared> {
  const blob = a.file;
  const given = a.name ?? (typeof File === 'function' && blob instanceof File ? blob.name : '');
  let head: Uint8Array;
  let digest: string;
  try {
    head = new Uint8Array(await blob.slice(0, 64).arrayBuffer());
    digest = await hash(blob);
  } catch (e) {
    // A picked file moved or changed on disk since (NotReadableError), or no WebAssembly here.
    console.warn(`[ferry] files: reading an attachment failed: ${e instanceof Error ? e.message : String(e)}`);
    const what = given ? `“${cleanFileName(given)}”` : 'this file';
    throw new ApiError('unreadable', `Ferry could not read ${what}. If it was moved or changed, attach it again.`);
  }
  const type = fileType(sniffType(head), blob.type);
  const kind = kindOf(type, a.voice !== undefined);
  const ref: FileRef = { hash: digest, name: cleanFileName(given || defaultName(kind)), size: blob.size, type, kind };
  if (kind === 'image') {
    const m = await measureImage(blob);
    if (m) Object.assign(ref, m);
  } else if (kind === 'voice' && a.voice) {
    ref.ms = Math.max(0, Math.round(a.voice.durationMs));
    const wave = encodeWave(a.voice.waveform);
    if (wave) ref.wave = wave;
  }
  const problem = fileRefProblem(ref);
  if (problem) throw new Error(`This file cannot be attached (${problem}).`);
  return { ref, blob };
}

function defaultName(kind: FileRef['kind']): string {
  return kind === 'voice' ? 'Voice message' : kind === 'image' ? 'Image' : 'file';
}
