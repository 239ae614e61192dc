// File references on a message (schema 4; docs/attachments.md, docs/messaging.md "Files").
// A message's `files` field is a plain array of plain objects, one per attached file: the
// content's SHA-256 (its id on the relay), a display name, size, type and what a reader needs to
// draw it before the bytes arrive (image size, a tiny placeholder, a voice message's duration
// and waveform). Never the bytes. Like a forward, the list is written with the message and is
// final: only the message's deletion clears it (null), so readers never see a file swapped.
import { check } from './errors';
import { isWellFormed } from './checks';

/** The schema version that introduced `files`. */
export const FILES_VERSION = 4;
/** Most files on one message. */
export const MAX_FILES = 10;
/** Longest display name, in UTF-8 bytes (what common file systems take). */
export const MAX_FILE_NAME_BYTES = 255;
/** Largest size a reference may claim: the relay's own limit (`maxFileBytes`) is lower. */
export const MAX_FILE_BYTES_CEILING = 2 ** 40;
/** Longest voice message (4 hours). */
export const MAX_VOICE_MS = 4 * 60 * 60 * 1000;
/** Bytes of a placeholder (ThumbHash) or of a voice message's waveform, decoded. */
export const MAX_PREVIEW_BYTES = 64;
/** Longest MIME type. */
export const MAX_TYPE_CHARS = 100;

/** How readers draw a file. */
export type FileKind = 'image' | 'voice' | 'file';
export const FILE_KINDS: readonly FileKind[] = ['image', 'voice', 'file'];

/** One entry of a message's `files`: a plain object with exactly these keys (optional ones absent). */
export interface FileRef {
  /** SHA-256 of the bytes, 64 lower-case hex digits: the file's id. */
  hash: string;
  /** Display name, clean (`cleanFileName`): no path separators, controls or bidi overrides. */
  name: string;
  /** Bytes. */
  size: number;
  /** MIME type as the sender's device sniffed it (`type/subtype`). */
  type: string;
  kind: FileKind;
  /** An image's pixel width and height (both or neither). */
  w?: number;
  h?: number;
  /** A voice message's duration, ms. */
  ms?: number;
  /** A voice message's waveform: up to 64 amplitude buckets (0..255), base64. */
  wave?: string;
  /** A tiny placeholder (ThumbHash bytes, base64) of an image. */
  thumb?: string;
}

const FILE_KEYS = ['hash', 'name', 'size', 'type', 'kind', 'w', 'h', 'ms', 'wave', 'thumb'];
const HASH = /^[0-9a-f]{64}$/;
const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// Path separators, C0/C1 controls, DEL, and the invisible/direction-changing characters that
// make "invoice<U+202E>fdp.exe" read as "invoiceexe.pdf".
const NAME_FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced
  /[/\\\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** UTF-8 length of well-formed text (core runs where TextEncoder may not be typed). */
function utf8Bytes(s: string): number {
  let n = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
  }
  return n;
}

/** Whether `x` is a SHA-256 file id (64 lower-case hex digits). */
export function isFileHash(x: unknown): x is string {
  return typeof x === 'string' && HASH.test(x);
}

function base64Bytes(s: string): number | null {
  if (s.length % 4 !== 0 || !BASE64.test(s)) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return (s.length / 4) * 3 - pad;
}

/**
 * A file name safe to show and to save under: path separators, control, invisible and bidi
 * override characters become `_`, leading dots and surrounding spaces go (no hidden or
 * "`..`" names), and it is cut to MAX_FILE_NAME_BYTES of UTF-8 without splitting a character,
 * keeping the extension. Never empty ("file").
 */
export function cleanFileName(raw: string): string {
  let name = (isWellFormed(raw) ? raw : raw.replace(/[\uD800-\uDFFF]/g, '_'))
    .normalize('NFC')
    .replace(NAME_FORBIDDEN, '_')
    .trim()
    .replace(/^\.+/, '')
    .trim();
  if (name === '') return 'file';
  if (utf8Bytes(name) <= MAX_FILE_NAME_BYTES) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 16 ? name.slice(dot) : '';
  let stem = [...name.slice(0, name.length - ext.length)];
  while (stem.length > 0 && utf8Bytes(stem.join('') + ext) > MAX_FILE_NAME_BYTES) {
    stem = stem.slice(0, -1);
  }
  name = stem.join('') + ext;
  return name === '' ? 'file' : name;
}

const int = (x: unknown, min: number, max: number): boolean =>
  typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;

/** Why `value` is not a valid file reference, or null. */
export function fileRefProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'a file must be a plain object';
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return 'a file must be a plain object';
  const f = value as Record<string, unknown>;
  for (const k of Object.keys(f)) if (!FILE_KEYS.includes(k)) return 'a file has an unknown key';
  if (!isFileHash(f.hash)) return 'file.hash must be a SHA-256 (64 lower-case hex digits)';
  if (typeof f.name !== 'string' || f.name === '' || cleanFileName(f.name) !== f.name) {
    return 'file.name must be a clean file name';
  }
  if (!int(f.size, 0, MAX_FILE_BYTES_CEILING)) return 'file.size must be a byte count';
  if (typeof f.type !== 'string' || f.type.length > MAX_TYPE_CHARS || !MIME.test(f.type)) {
    return 'file.type must be a MIME type';
  }
  if (!(FILE_KINDS as readonly unknown[]).includes(f.kind)) {
    return 'file.kind must be image, voice or file';
  }
  if (('w' in f || 'h' in f) && !(int(f.w, 1, 65535) && int(f.h, 1, 65535))) {
    return 'file.w and file.h are an image size (both, 1..65535)';
  }
  if (('w' in f || 'thumb' in f) && f.kind !== 'image') return 'only an image has a size or thumb';
  if (('ms' in f || 'wave' in f) && f.kind !== 'voice') return 'only a voice message has ms/wave';
  if ('ms' in f && !int(f.ms, 0, MAX_VOICE_MS)) return 'file.ms must be a duration up to 4 hours';
  for (const k of ['wave', 'thumb'] as const) {
    if (!(k in f)) continue;
    const v = f[k];
    const n = typeof v === 'string' ? base64Bytes(v) : null;
    if (n === null || n > MAX_PREVIEW_BYTES) return `file.${k} must be base64 of at most 64 bytes`;
  }
  return null;
}

/** Why `value` is not a valid `files` list, or null. */
export function filesProblem(value: unknown): string | null {
  if (!Array.isArray(value) || Object.getPrototypeOf(value) !== Array.prototype) {
    return 'files must be an array';
  }
  if (value.length === 0) return 'files is never empty (leave it out)';
  if (value.length > MAX_FILES) return `at most ${MAX_FILES} files on a message`;
  for (const f of value) {
    const p = fileRefProblem(f);
    if (p) return p;
  }
  return null;
}

function copyRef(f: FileRef): FileRef {
  const out: FileRef = { hash: f.hash, name: f.name, size: f.size, type: f.type, kind: f.kind };
  if (f.w !== undefined && f.h !== undefined) {
    out.w = f.w;
    out.h = f.h;
  }
  if (f.ms !== undefined) out.ms = f.ms;
  if (f.wave !== undefined) out.wave = f.wave;
  if (f.thumb !== undefined) out.thumb = f.thumb;
  return out;
}

/** Checks a `files` list for a writer (throws `ModelError` 'invalid'); returns clean copies. */
export function checkFiles(value: unknown, fn: string): FileRef[] {
  const problem = filesProblem(value);
  check(problem === null, `${fn}: ${problem ?? ''}`);
  return (value as FileRef[]).map(copyRef);
}

/** Reads a stored `files` (empty when absent, cleared or not valid: readers never show a bad one). */
export function readFiles(value: unknown): FileRef[] {
  if (value === undefined || value === null) return [];
  return filesProblem(value) === null ? (value as FileRef[]).map(copyRef) : [];
}

/** m:ss of a duration (a voice message's length in words). */
function clock(ms: number): string {
  const total = Math.round(ms / 1000);
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

/**
 * A message's files in a few words, where its text would show (the conversation list's preview,
 * a notification) when it has no caption: "Voice message (0:12)", "Image: harbour.png",
 * "File: report.pdf", "3 files: harbour.png, report.pdf, …". Empty for none.
 */
export function filesSummary(files: readonly FileRef[]): string {
  const [first] = files;
  if (!first) return '';
  if (files.length === 1) {
    if (first.kind === 'voice') return `Voice message (${clock(first.ms ?? 0)})`;
    return `${first.kind === 'image' ? 'Image' : 'File'}: ${first.name}`;
  }
  const names = files.slice(0, 2).map((f) => f.name);
  return `${files.length} files: ${names.join(', ')}${files.length > 2 ? ', …' : ''}`;
}

/** Every hash a stored message's `files` references (what the relay's `blob_refs` index keeps). */
export function referencedHashes(value: unknown): string[] {
  return [...new Set(readFiles(value).map((f) => f.hash))];
}
