// An in-memory FilesApi for the UI harness (issue 13): attachments become FileViews at once,
// their bytes kept in memory; uploads "finish" a moment later (or stay pending while the fake
// is offline). Seeded files draw from small generated images and a silent clip.

import {
  ApiError,
  type Attachment,
  type ConversationFile,
  type FileTransfer,
  type FileView,
  type FilesApi,
  type Observe,
} from '../../../src/data/api';

type Listener<T> = (v: T) => void;

function observable<T>(get: () => T) {
  const ls = new Set<Listener<T>>();
  return {
    observe: ((l: Listener<T>) => {
      ls.add(l);
      l(get());
      return () => ls.delete(l);
    }) as Observe<T>,
    notify: () => ls.forEach((l) => l(get())),
  };
}

const MAX_BYTES = 25_000_000;
let seq = 0;

export class FakeFiles implements FilesApi {
  private bytes = new Map<string, Blob>();
  private states = new Map<string, FileTransfer>();
  private subs = new Map<string, ReturnType<typeof observable<FileTransfer>>>();
  private kept = new Set<string>();
  private keptSubject = observable<ReadonlySet<string>>(() => new Set(this.kept));
  private cacheState = { bytes: 182_000_000, limit: 1_000_000_000 };
  private cacheSubject = observable(() => ({ ...this.cacheState }));
  readonly all: ConversationFile[] = [];
  private limitsSubject = observable<{ maxFileBytes: number } | null>(() => ({
    maxFileBytes: MAX_BYTES,
  }));
  constructor(
    private readonly onuploads: (u: { count: number; bytesLeft: number } | null) => void,
  ) {}

  limits = this.limitsSubject.observe;
  problem(files: readonly Blob[]): string | null {
    if (files.length > 10) return 'At most 10 files go in one message: remove some.';
    const big = files.find((f) => f.size > MAX_BYTES);
    if (big) return `A file is larger than this server's limit of 25 MB: it cannot be sent.`;
    return null;
  }

  transfer(hash: string): Observe<FileTransfer> {
    let s = this.subs.get(hash);
    if (!s) {
      s = observable(() => this.states.get(hash) ?? { state: 'remote' });
      this.subs.set(hash, s);
    }
    return s.observe;
  }

  set(hash: string, t: FileTransfer): void {
    this.states.set(hash, t);
    this.subs.get(hash)?.notify();
    this.reportUploads();
  }

  private reportUploads() {
    let count = 0;
    let left = 0;
    for (const [hash, t] of this.states) {
      if (t.state === 'queued' || t.state === 'uploading') {
        count++;
        left += t.total - t.sent;
        void hash;
      }
    }
    this.onuploads(count > 0 ? { count, bytesLeft: left } : null);
  }

  async open(_conv: string, file: FileView): Promise<Blob> {
    const t = this.states.get(file.hash);
    if (t?.state === 'waiting') throw new ApiError('waiting', 'Not uploaded by its sender yet.');
    if (t?.state === 'unavailable') throw new ApiError('unavailable', t.error);
    const b = this.bytes.get(file.hash);
    if (!b) throw new ApiError('unavailable', 'This file is not available.');
    return b;
  }

  async cancel(): Promise<void> {}
  retry(hash: string): void {
    this.set(hash, { state: 'local' });
  }
  async list(conversationId: string): Promise<ConversationFile[]> {
    void conversationId;
    return [...this.all].reverse();
  }
  keptOffline = this.keptSubject.observe;
  async keepOffline(conversationId: string, on: boolean): Promise<void> {
    if (on) this.kept.add(conversationId);
    else this.kept.delete(conversationId);
    this.keptSubject.notify();
  }
  cache = this.cacheSubject.observe;
  async setCacheLimit(bytes: number): Promise<void> {
    this.cacheState.limit = bytes;
    this.cacheSubject.notify();
  }

  /** Keeps the bytes and makes the reference, as the data layer would. */
  async attach(a: Attachment, online: boolean): Promise<FileView> {
    const hash = `fake${(++seq).toString(16).padStart(60, '0')}`;
    this.bytes.set(hash, a.file);
    const name = a.name ?? (a.file instanceof File ? a.file.name : 'file');
    const type = a.file.type;
    const view: FileView = a.voice
      ? { hash, name, size: a.file.size, type, kind: 'voice', ...a.voice }
      : { hash, name, size: a.file.size, type, kind: /^image\//.test(type) ? 'image' : 'file' };
    if (view.kind === 'image') Object.assign(view, await measure(a.file));
    this.set(
      hash,
      online
        ? { state: 'uploading', sent: 0, total: a.file.size }
        : { state: 'queued', sent: 0, total: a.file.size },
    );
    if (online) this.progress(hash, a.file.size, 0);
    return view;
  }

  /** A fake upload: a tenth more every 500 ms. */
  private progress(hash: string, total: number, step: number) {
    setTimeout(() => {
      if (step >= 10) this.set(hash, { state: 'local' });
      else {
        this.set(hash, { state: 'uploading', sent: Math.round((total * step) / 10), total });
        this.progress(hash, total, step + 1);
      }
    }, 500);
  }

  /** A seeded file with bytes (or a state only). */
  seed(view: FileView, bytes: Blob | null, t: FileTransfer = { state: 'remote' }): FileView {
    if (bytes) this.bytes.set(view.hash, bytes);
    this.states.set(view.hash, t);
    return view;
  }
}

async function measure(blob: Blob): Promise<{ width?: number; height?: number }> {
  try {
    const bmp = await createImageBitmap(blob);
    const r = { width: bmp.width, height: bmp.height };
    bmp.close();
    return r;
  } catch {
    return {};
  }
}

/** A generated image (a gradient with a shape) as PNG bytes, for the seeded messages. */
export async function pictureBlob(w: number, h: number, hue: number): Promise<Blob> {
  const c = new OffscreenCanvas(w, h);
  const g = c.getContext('2d');
  if (!g) return new Blob([], { type: 'image/png' });
  const grad = g.createLinearGradient(0, 0, w, h);
  grad.addColorStop(0, `hsl(${hue} 70% 60%)`);
  grad.addColorStop(1, `hsl(${(hue + 60) % 360} 70% 35%)`);
  g.fillStyle = grad;
  g.fillRect(0, 0, w, h);
  g.fillStyle = 'rgba(255,255,255,0.8)';
  g.beginPath();
  g.arc(w * 0.7, h * 0.35, Math.min(w, h) * 0.15, 0, Math.PI * 2);
  g.fill();
  g.fillStyle = `hsl(${(hue + 180) % 360} 40% 25%)`;
  g.beginPath();
  g.moveTo(0, h);
  g.lineTo(w * 0.35, h * 0.5);
  g.lineTo(w * 0.6, h * 0.8);
  g.lineTo(w, h * 0.45);
  g.lineTo(w, h);
  g.fill();
  return c.convertToBlob({ type: 'image/png' });
}

/** A tiny blurred placeholder data: URL of the same picture (what a ThumbHash decodes to). */
export async function placeholderOf(hue: number): Promise<string> {
  const b = await pictureBlob(8, 6, hue);
  const buf = new Uint8Array(await b.arrayBuffer());
  let s = '';
  for (const x of buf) s += String.fromCharCode(x);
  return `data:image/png;base64,${btoa(s)}`;
}

export function fakeHash(n: number): string {
  return n.toString(16).padStart(64, 'a');
}
