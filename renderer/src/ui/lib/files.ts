// Files in the UI, as plain logic (issue 13): sizes in words, executable types, the image grid,
// the waveform seek bar and the sync status text. Unit-tested (renderer/test/ui/files.test.ts).

import type { FileTransfer } from '../../data/api';
import { cleanFileName } from '../../../../core/src/model/files';

/** "0 B", "950 B", "1.2 KB", "14 MB", "1.5 GB" (1000-based, like the OS file managers). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1000) return `${Math.round(n)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  const digits = v < 10 ? 1 : 0;
  const text = v.toFixed(digits).replace(/\.0$/, '');
  return `${text} ${units[u]}`;
}

/** "0:07", "12:34", "1:02:03" for a voice message's duration or position. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor((Number.isFinite(ms) ? ms : 0) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Extensions that run something when opened (or render active content): Open asks first. */
const EXECUTABLE = new Set([
  'exe', 'msi', 'msp', 'com', 'bat', 'cmd', 'ps1', 'psm1', 'vbs', 'vbe', 'js', 'jse', 'mjs',
  'wsf', 'wsh', 'scr', 'pif', 'cpl', 'hta', 'lnk', 'reg', 'jar', 'sh', 'bash', 'zsh', 'command',
  'app', 'dmg', 'pkg', 'deb', 'rpm', 'appimage', 'run', 'bin', 'py', 'pl', 'rb', 'html', 'htm',
  'xhtml', 'shtml', 'svg', 'svgz', 'xml', 'url', 'desktop', 'apk', 'iso', 'docm', 'xlsm', 'pptm',
]); // prettier-ignore

const EXECUTABLE_TYPES =
  /^(text\/html|image\/svg\+xml|application\/(x-msdownload|x-msdos-program|x-sh|javascript|x-executable|java-archive|xhtml\+xml|x-apple-diskimage))/i;

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : '';
}

/** True when opening this file could run code: the person is asked first. */
export function isExecutable(name: string, type = ''): boolean {
  return EXECUTABLE.has(extensionOf(cleanFileName(name))) || EXECUTABLE_TYPES.test(type);
}

/** The name a Save uses: cleaned (no separators, controls, bidi overrides), never empty. */
export function saveName(name: string): string {
  return cleanFileName(name) || 'file';
}

export type FileIcon =
  'image' | 'audio' | 'video' | 'pdf' | 'archive' | 'code' | 'doc' | 'sheet' | 'exec' | 'file';

/** Which icon a file card shows, from its type and extension. */
export function fileIcon(name: string, type: string): FileIcon {
  const ext = extensionOf(name);
  if (isExecutable(name, type)) return 'exec';
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('audio/')) return 'audio';
  if (type.startsWith('video/')) return 'video';
  if (type === 'application/pdf' || ext === 'pdf') return 'pdf';
  if (/^(zip|7z|rar|gz|tgz|bz2|xz|tar|zst)$/.test(ext)) return 'archive';
  if (/^(csv|xls|xlsx|ods|tsv|numbers)$/.test(ext)) return 'sheet';
  if (/^(doc|docx|odt|rtf|txt|md|pages|ppt|pptx|odp|key)$/.test(ext)) return 'doc';
  if (/^(json|ts|c|h|cpp|java|go|rs|css|yaml|yml|toml|ini|sql)$/.test(ext)) return 'code';
  return 'file';
}

/** A short label of a file's type for its card ("PDF", "ZIP", "File"). */
export function typeLabel(name: string): string {
  const ext = extensionOf(name);
  return ext && ext.length <= 5 ? ext.toUpperCase() : 'File';
}

export interface Box {
  width: number;
  height: number;
}

/**
 * The box of one inline image: its aspect ratio kept, at most `max` wide and `maxH` tall,
 * never upscaled; a missing or broken size is a 4:3 box.
 */
export function imageBox(w: number | undefined, h: number | undefined, max = 360, maxH = 320): Box {
  const known = !!w && !!h && w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h);
  const width = known ? (w as number) : 320;
  const height = known ? (h as number) : 240;
  const scale = Math.min(1, max / width, maxH / height);
  return {
    width: Math.max(40, Math.round(width * scale)),
    height: Math.max(40, Math.round(height * scale)),
  };
}

/**
 * Several images: a tidy grid of square-ish cells. Returns the columns and each cell's size
 * (one image: its own box; 2: two columns; 3: three; 4: two by two; more: three columns).
 */
export function imageGrid(count: number, width = 360): { columns: number; cell: Box } {
  const columns = count <= 1 ? 1 : count === 2 || count === 4 ? 2 : 3;
  const gap = 4;
  const side = Math.floor((width - gap * (columns - 1)) / columns);
  return { columns, cell: { width: side, height: side } };
}

/** The waveform resampled to `n` bars (0..1): averages when shrinking, repeats when growing. */
export function resample(wave: readonly number[] | undefined, n: number): number[] {
  if (!wave || wave.length === 0 || n <= 0) return new Array<number>(Math.max(0, n)).fill(0.1);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * wave.length) / n);
    const to = Math.max(from + 1, Math.floor(((i + 1) * wave.length) / n));
    let sum = 0;
    for (let j = from; j < to; j++) sum += clamp01(wave[j] ?? 0);
    out.push(sum / (to - from));
  }
  return out;
}

export function clamp01(v: number): number {
  return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
}

/** Where a click at `x` on a seek bar `width` wide lands, in ms of `durationMs`. */
export function seekAt(x: number, width: number, durationMs: number): number {
  if (width <= 0 || durationMs <= 0) return 0;
  return Math.round(clamp01(x / width) * durationMs);
}

/** A key on the seek bar: ←/→ 5 s, Home/End, PageUp/PageDown 10%. null: not a seek key. */
export function seekKey(key: string, posMs: number, durationMs: number): number | null {
  const step = 5000;
  const page = Math.max(step, durationMs / 10);
  const to =
    key === 'ArrowLeft' || key === 'ArrowDown'
      ? posMs - step
      : key === 'ArrowRight' || key === 'ArrowUp'
        ? posMs + step
        : key === 'PageDown'
          ? posMs - page
          : key === 'PageUp'
            ? posMs + page
            : key === 'Home'
              ? 0
              : key === 'End'
                ? durationMs
                : null;
  return to === null ? null : Math.min(durationMs, Math.max(0, to));
}

/** The next playback speed: 1× → 1.5× → 2× → 1×. */
export function nextSpeed(rate: number): number {
  return rate < 1.5 ? 1.5 : rate < 2 ? 2 : 1;
}

/**
 * 64 buckets 0..1 from the recorder's level samples (RMS of each AnalyserNode frame): averages
 * into buckets, then scales so the loudest is 1 (a quiet voice still draws a shape).
 */
export function waveformOf(levels: readonly number[], buckets = 64): number[] {
  if (levels.length === 0) return new Array<number>(buckets).fill(0);
  const out = resample(levels, buckets);
  const peak = Math.max(...out);
  return out.map((v) => (peak > 0 ? Math.round((v / peak) * 100) / 100 : 0));
}

/** RMS level 0..1 of a time-domain frame (AnalyserNode.getByteTimeDomainData, 128 = silence). */
export function frameLevel(frame: ArrayLike<number>): number {
  if (frame.length === 0) return 0;
  let sum = 0;
  for (let i = 0; i < frame.length; i++) {
    const v = ((frame[i] ?? 128) - 128) / 128;
    sum += v * v;
  }
  return clamp01(Math.sqrt(sum / frame.length) * 2);
}

/** The sync status's files part: "2 files uploading · 14 MB left", or null when none. */
export function uploadsText(
  u: { count: number; bytesLeft: number } | null | undefined,
): string | null {
  if (!u || u.count <= 0) return null;
  const files = u.count === 1 ? '1 file uploading' : `${u.count} files uploading`;
  return u.bytesLeft > 0 ? `${files} · ${formatBytes(u.bytesLeft)} left` : files;
}

/** A recorder's MIME type: Opus in WebM, else Opus in Ogg, else the browser's default (''). */
export function recorderType(isSupported: (t: string) => boolean): string {
  for (const t of ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm', 'audio/ogg']) {
    if (isSupported(t)) return t;
  }
  return '';
}

/** The files a DataTransfer carries (a drop or a paste), screenshots named when unnamed. */
export function filesOf(items: readonly File[], now = Date.now()): File[] {
  return items.map((f, i) => {
    if (f.name && f.name !== 'image.png') return f;
    const ext = f.type.split('/')[1]?.replace(/[^a-z0-9]/gi, '') || 'bin';
    const stamp = new Date(now).toISOString().slice(0, 19).replace(/[:T]/g, '-');
    return new File([f], `Pasted ${stamp}${i ? `-${i + 1}` : ''}.${ext}`, { type: f.type });
  });
}

export interface TransferLine {
  /** Plain words, or '' when there is nothing to say (the bytes are here or can be had). */
  text: string;
  /** 0..1 while moving. */
  progress: number | null;
  cancel: boolean;
  retry: boolean;
  /** The bytes can be asked for (from this device or the relay). */
  loadable: boolean;
}

/** What a file's transfer state says to the person looking at it (mine: I sent it). */
export function transferLine(t: FileTransfer, mine: boolean): TransferLine {
  const none = { progress: null, cancel: false, retry: false };
  const pct = (a: number, b: number) => (b > 0 ? Math.min(1, a / b) : 0);
  switch (t.state) {
    case 'local':
    case 'remote':
      return { ...none, text: '', loadable: true };
    case 'queued':
      return { ...none, text: 'Waiting to upload', cancel: mine, loadable: true };
    case 'uploading':
      return {
        text: `Uploading ${Math.round(pct(t.sent, t.total) * 100)}%`,
        progress: pct(t.sent, t.total),
        cancel: mine,
        retry: false,
        loadable: true,
      };
    case 'failed':
      return { ...none, text: t.error, cancel: mine, retry: mine && t.retryable, loadable: true };
    case 'downloading':
      return {
        ...none,
        text: `Downloading ${Math.round(pct(t.received, t.total) * 100)}%`,
        progress: pct(t.received, t.total),
        loadable: true,
      };
    case 'waiting':
      return { ...none, text: 'uploading…', loadable: false };
    case 'unavailable':
      return { ...none, text: t.error || 'This file is not available.', loadable: false };
  }
}

/** The download cache limits offered in Settings (the default is 1 GB). */
export const CACHE_LIMITS: readonly number[] = [250e6, 500e6, 1e9, 2e9, 5e9, 10e9];
