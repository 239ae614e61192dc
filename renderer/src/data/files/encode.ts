// Pure encodings of what a file reference carries (core/src/model/files.ts, docs/attachments.md):
// base64, a voice message's 64-bucket waveform, the ThumbHash placeholder as a data: URL, the
// type sniffed from the first bytes, and the kind readers draw. No I/O, no DOM: tested under Node.
import { thumbHashToDataURL } from 'thumbhash';
import { MAX_PREVIEW_BYTES, MAX_TYPE_CHARS, type FileKind } from '../../../../core/src/model/files';

export function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Buckets of a waveform on a message. */
export const WAVE_BUCKETS = 64;

/**
 * A recorder's amplitudes (any count, 0..1; out of range clamped, NaN as 0) as 64 buckets of
 * 0..255, base64: each bucket is the peak of the values it covers. Null when there are none.
 */
export function encodeWave(values: readonly number[]): string | null {
  if (values.length === 0) return null;
  const n = Math.min(WAVE_BUCKETS, values.length);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * values.length) / n);
    const to = Math.max(from + 1, Math.floor(((i + 1) * values.length) / n));
    let peak = 0;
    for (let j = from; j < to; j++) {
      const v = values[j] as number;
      if (Number.isFinite(v)) peak = Math.max(peak, Math.min(1, Math.max(0, v)));
    }
    out[i] = Math.round(peak * 255);
  }
  return toBase64(out);
}

/** A stored waveform as values 0..1 (empty when it is not valid base64). */
export function decodeWave(b64: string): number[] {
  try {
    return [...fromBase64(b64).slice(0, MAX_PREVIEW_BYTES)].map((b) => b / 255);
  } catch {
    return [];
  }
}

/** A stored ThumbHash as a small PNG data: URL (thumbhash's own decoder); null when broken. */
export function thumbDataUrl(b64: string): string | null {
  try {
    const bytes = fromBase64(b64);
    return bytes.length >= 5 ? thumbHashToDataURL(bytes) : null;
  } catch {
    return null;
  }
}

const startsWith = (b: Uint8Array, sig: readonly number[], at = 0): boolean =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (b: Uint8Array, at: number, n: number): string =>
  String.fromCharCode(...b.subarray(at, Math.min(b.length, at + n)));

/** Images readers draw inline (the relay serves these inline too). */
export const INLINE_IMAGES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'image/avif'];

/**
 * The type of a file from its first bytes (at least 16), or null when not recognised. Only what
 * Ferry draws or commonly sees; the relay sniffs again from what it stores and serves that.
 */
export function sniffType(b: Uint8Array): string | null {
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'image/webp';
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WAVE') return 'audio/wav';
  if (ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (brand === 'avif' || brand === 'avis') return 'image/avif';
    if (brand === 'M4A ') return 'audio/mp4';
    return 'video/mp4';
  }
  if (ascii(b, 0, 4) === 'OggS') return 'audio/ogg';
  if (startsWith(b, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  if (ascii(b, 0, 5) === '%PDF-') return 'application/pdf';
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return 'application/zip';
  if (ascii(b, 0, 3) === 'ID3' || startsWith(b, [0xff, 0xfb])) return 'audio/mpeg';
  return null;
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;

/**
 * The type a reference carries: sniffed from the bytes when recognised; else the one the
 * browser declared (lower-cased, parameters dropped) when it is a plain MIME type; else
 * application/octet-stream (never an image type the bytes do not show). A recorded voice message declared audio/webm sniffs as video/webm
 * (the same container): the declared audio type is kept then.
 */
export function fileType(sniffed: string | null, declared: string): string {
  const d = declared.split(';')[0]?.trim().toLowerCase() ?? '';
  const ok = d.length <= MAX_TYPE_CHARS && MIME.test(d);
  if (sniffed === 'video/webm' && ok && d === 'audio/webm') return d;
  if (sniffed) return sniffed;
  // An image type the bytes do not bear out (an HTML page named .png) is not believed.
  return ok && !INLINE_IMAGES.includes(d) ? d : 'application/octet-stream';
}

/** How readers draw it: a recorded voice message, an image Ferry draws inline, or a file. */
export function kindOf(type: string, voice: boolean): FileKind {
  if (voice) return 'voice';
  return INLINE_IMAGES.includes(type) ? 'image' : 'file';
}
