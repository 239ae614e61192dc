// Profiles in the UI (docs/messaging.md, "Profiles"): which avatar may be drawn, the colour of
// the initials fallback, turning a picked file into a small data URL, and the context that
// lets any avatar or name find a person's profile and open their card.
import { getContext, setContext } from 'svelte';
import type { Person } from '../../data/api';
import {
  MAX_AVATAR_CHARS,
  MAX_STATUS_CHARS,
  isAvatar,
  statusProblem,
} from '../../../../core/src/model/workspace';

export { MAX_AVATAR_CHARS, MAX_STATUS_CHARS };

/**
 * The picture to draw, or null. Checked again here even though the data layer already
 * checked it: only an inline PNG, JPEG or WebP in base64 is ever put in an `<img src>`, so no
 * profile can make this app fetch a remote URL (a tracking pixel) or run an SVG.
 */
export function safeAvatar(src: string | null | undefined): string | null {
  return typeof src === 'string' && isAvatar(src) ? src : null;
}

/** Why a status cannot be saved (blank is fine: it clears), or null. */
export function statusError(text: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  const p = statusProblem(t);
  if (!p) return null;
  if (t.length > MAX_STATUS_CHARS) {
    return `Keep it to ${MAX_STATUS_CHARS} characters (this is ${t.length}).`;
  }
  return p.charAt(0).toUpperCase() + p.slice(1) + '.';
}

// ---- the initials fallback ----

/** Hues spread around the wheel; the same user id gets the same one on every device. */
export const AVATAR_HUES = [221, 262, 292, 330, 12, 32, 152, 178, 198, 245] as const;

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function avatarHue(id: string): number {
  return AVATAR_HUES[hash(id) % AVATAR_HUES.length] ?? 221;
}

/** One or two letters from a name ("Ada Lovelace" → "AL"); "?" for a blank name. */
export function initialsOf(name: string): string {
  return (
    name
      .trim()
      .split(/\s+/)
      .slice(0, 2)
      .map((w) => Array.from(w)[0] ?? '')
      .join('')
      .toUpperCase() || '?'
  );
}

/** Text and background of the initials, as HSL triples [h, s%, l%], per colour scheme. */
export function avatarColours(hue: number, dark: boolean): { fg: number[]; bg: number[] } {
  return dark ? { fg: [hue, 75, 82], bg: [hue, 30, 26] } : { fg: [hue, 60, 26], bg: [hue, 70, 90] };
}

function hslToRgb(h: number, s: number, l: number): [number, number, number] {
  const S = s / 100;
  const L = l / 100;
  const k = (n: number) => (n + h / 30) % 12;
  const a = S * Math.min(L, 1 - L);
  const f = (n: number) => L - a * Math.max(-1, Math.min(k(n) - 3, Math.min(9 - k(n), 1)));
  return [f(0), f(8), f(4)];
}

function luminance([r, g, b]: [number, number, number]): number {
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two HSL colours. */
export function contrast(a: number[], b: number[]): number {
  const la = luminance(hslToRgb(a[0] ?? 0, a[1] ?? 0, a[2] ?? 0));
  const lb = luminance(hslToRgb(b[0] ?? 0, b[1] ?? 0, b[2] ?? 0));
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

// ---- picking a picture ----

/** Largest file accepted before scaling (a phone photo fits). */
export const MAX_PICTURE_BYTES = 15 * 1024 * 1024;
export const AVATAR_PX = 128;

export class PictureError extends Error {}

/**
 * A picked file → a 128×128 WebP (else JPEG) data URL, centre-cropped to a square, small
 * enough for a profile. Throws PictureError with a sentence for the person on a file that is
 * not a picture, is too big, or cannot be made small enough.
 */
export async function pictureToAvatar(file: File): Promise<string> {
  if (!file.type.startsWith('image/') || file.type === 'image/svg+xml') {
    throw new PictureError(`“${file.name}” is not a picture. Choose a PNG, JPEG, WebP or GIF.`);
  }
  if (file.size > MAX_PICTURE_BYTES) {
    const mb = (file.size / 1024 / 1024).toFixed(1);
    throw new PictureError(`“${file.name}” is ${mb} MB; choose a picture under 15 MB.`);
  }
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new PictureError(`“${file.name}” could not be read as a picture.`);
  }
  try {
    const canvas = document.createElement('canvas');
    canvas.width = AVATAR_PX;
    canvas.height = AVATAR_PX;
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new PictureError('This device cannot scale pictures.');
    const side = Math.min(bitmap.width, bitmap.height);
    const sx = (bitmap.width - side) / 2;
    const sy = (bitmap.height - side) / 2;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, sx, sy, side, side, 0, 0, AVATAR_PX, AVATAR_PX);
    for (const quality of [0.85, 0.7, 0.5]) {
      for (const type of ['image/webp', 'image/jpeg']) {
        const url = canvas.toDataURL(type, quality);
        if (url.startsWith(`data:${type};`) && url.length <= MAX_AVATAR_CHARS && isAvatar(url)) {
          return url;
        }
      }
    }
    throw new PictureError('That picture stays too large even when scaled down; try another.');
  } finally {
    bitmap.close();
  }
}

// ---- context: find a person's profile, open their card ----

export interface Profiles {
  /** The person with this id, if known on this device. */
  get(id: string): Person | undefined;
  /** Opens the profile card of this person (focus returns to `from` when it closes). */
  open(id: string, from?: HTMLElement | null): void;
}

const KEY = Symbol('ferry.profiles');

export function provideProfiles(p: Profiles): void {
  setContext(KEY, p);
}

/** Null outside the workspace (sign-in, the screenshot harness's bare components). */
export function useProfiles(): Profiles | null {
  return getContext<Profiles | undefined>(KEY) ?? null;
}
