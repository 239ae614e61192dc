// Files in the UI (issue 13): the pure logic of lib/files.ts.
import { describe, expect, it } from 'vitest';
import {
  fileIcon,
  filesOf,
  formatBytes,
  formatDuration,
  frameLevel,
  imageBox,
  imageGrid,
  isExecutable,
  nextSpeed,
  recorderType,
  resample,
  saveName,
  seekAt,
  seekKey,
  transferLine,
  uploadsText,
  waveformOf,
} from '../../src/ui/lib/files';
import { imagesOf } from '../../src/ui/lib/files-context';
import type { MessageView } from '../../src/data/api';

describe('sizes and durations in words', () => {
  it('formats bytes 1000-based with one decimal below 10', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(950)).toBe('950 B');
    expect(formatBytes(1200)).toBe('1.2 KB');
    expect(formatBytes(14_000_000)).toBe('14 MB');
    expect(formatBytes(1_500_000_000)).toBe('1.5 GB');
    expect(formatBytes(2_000_000_000_000)).toBe('2 TB');
    expect(formatBytes(-1)).toBe('');
  });
  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(7_400)).toBe('0:07');
    expect(formatDuration(754_000)).toBe('12:34');
    expect(formatDuration(3_723_000)).toBe('1:02:03');
    expect(formatDuration(Number.NaN)).toBe('0:00');
  });
  it('says the uploads in the sync status', () => {
    expect(uploadsText(null)).toBeNull();
    expect(uploadsText({ count: 0, bytesLeft: 0 })).toBeNull();
    expect(uploadsText({ count: 2, bytesLeft: 14_000_000 })).toBe('2 files uploading · 14 MB left');
    expect(uploadsText({ count: 1, bytesLeft: 0 })).toBe('1 file uploading');
  });
});

describe('what may run', () => {
  it('asks first for executable and active types', () => {
    for (const n of ['setup.exe', 'a.MSI', 'run.bat', 'x.cmd', 'x.ps1', 'x.sh', 'X.app', 'x.dmg']) {
      expect(isExecutable(n), n).toBe(true);
    }
    for (const n of ['x.jar', 'x.js', 'x.vbs', 'x.scr', 'page.html', 'logo.svg']) {
      expect(isExecutable(n), n).toBe(true);
    }
    expect(isExecutable('report.pdf')).toBe(false);
    expect(isExecutable('photo.png')).toBe(false);
    expect(isExecutable('noext')).toBe(false);
    expect(isExecutable('x.txt', 'text/html')).toBe(true);
  });
  it('sees through a right-to-left override hiding .exe', () => {
    // "invoice\u202Efdp.exe" shows as "invoiceexe.pdf" when the override is kept.
    expect(isExecutable('invoice\u202Efdp.exe')).toBe(true);
    expect(saveName('invoice\u202Efdp.exe')).not.toContain('\u202E');
    expect(saveName('../../etc/passwd')).not.toContain('/');
    expect(saveName('')).toBe('file');
  });
  it('picks an icon by type and extension', () => {
    expect(fileIcon('a.pdf', 'application/pdf')).toBe('pdf');
    expect(fileIcon('a.zip', '')).toBe('archive');
    expect(fileIcon('a.exe', '')).toBe('exec');
    expect(fileIcon('a.xlsx', '')).toBe('sheet');
    expect(fileIcon('a', 'audio/ogg')).toBe('audio');
    expect(fileIcon('a.bin2', '')).toBe('file');
  });
});

describe('image boxes and grid', () => {
  it('keeps the aspect ratio, never upscales, and reserves a box without a size', () => {
    expect(imageBox(1200, 800)).toEqual({ width: 360, height: 240 });
    expect(imageBox(800, 1600)).toEqual({ width: 160, height: 320 });
    expect(imageBox(100, 50)).toEqual({ width: 100, height: 50 });
    expect(imageBox(undefined, undefined)).toEqual({ width: 320, height: 240 });
    expect(imageBox(10_000, 10)).toEqual({ width: 360, height: 40 });
  });
  it('lays several images out in a tidy grid', () => {
    expect(imageGrid(2).columns).toBe(2);
    expect(imageGrid(3).columns).toBe(3);
    expect(imageGrid(4).columns).toBe(2);
    expect(imageGrid(7).columns).toBe(3);
    const g = imageGrid(3, 360);
    expect(g.cell.width * 3 + 4 * 2).toBeLessThanOrEqual(360);
    expect(g.cell.width).toBe(g.cell.height);
  });
  it("lists the conversation's images in order for the viewer, not deleted ones", () => {
    const f = (hash: string, kind: 'image' | 'file') => ({
      hash,
      name: hash,
      size: 1,
      type: '',
      kind,
    });
    const ms = [
      { id: 'a', deleted: false, files: [f('1', 'image'), f('2', 'file')] },
      { id: 'b', deleted: true, files: [f('3', 'image')] },
      { id: 'c', deleted: false, files: [f('4', 'image')] },
    ] as unknown as MessageView[];
    expect(imagesOf(ms).map((i) => `${i.messageId}${i.file.hash}`)).toEqual(['a1', 'c4']);
  });
});

describe('voice: waveform, seek and speed', () => {
  it('resamples a waveform to the bars drawn', () => {
    expect(resample([0, 1, 0, 1], 2)).toEqual([0.5, 0.5]);
    expect(resample([0.2, 0.8], 4)).toEqual([0.2, 0.2, 0.8, 0.8]);
    expect(resample(undefined, 3)).toEqual([0.1, 0.1, 0.1]);
    expect(resample([2, -1], 2)).toEqual([1, 0]);
  });
  it('makes 64 buckets 0..1 from levels, the loudest at 1', () => {
    const w = waveformOf(Array.from({ length: 300 }, (_, i) => (i % 10) / 20));
    expect(w).toHaveLength(64);
    expect(Math.max(...w)).toBe(1);
    expect(w.every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(waveformOf([])).toEqual(new Array(64).fill(0));
  });
  it('measures a frame level (128 is silence)', () => {
    expect(frameLevel(new Uint8Array(64).fill(128))).toBe(0);
    expect(frameLevel(new Uint8Array([0, 255, 0, 255]))).toBe(1);
  });
  it('seeks by click and by key', () => {
    expect(seekAt(50, 200, 20_000)).toBe(5000);
    expect(seekAt(-5, 200, 20_000)).toBe(0);
    expect(seekAt(500, 200, 20_000)).toBe(20_000);
    expect(seekKey('ArrowRight', 18_000, 20_000)).toBe(20_000);
    expect(seekKey('ArrowLeft', 3000, 20_000)).toBe(0);
    expect(seekKey('End', 0, 20_000)).toBe(20_000);
    expect(seekKey('Home', 9000, 20_000)).toBe(0);
    expect(seekKey('PageUp', 0, 100_000)).toBe(10_000);
    expect(seekKey('a', 0, 1000)).toBeNull();
  });
  it('cycles 1× → 1.5× → 2× → 1×', () => {
    expect([nextSpeed(1), nextSpeed(1.5), nextSpeed(2)]).toEqual([1.5, 2, 1]);
  });
  it('records Opus in WebM, else Ogg, else the default', () => {
    expect(recorderType(() => true)).toBe('audio/webm;codecs=opus');
    expect(recorderType((t) => t.startsWith('audio/ogg'))).toBe('audio/ogg;codecs=opus');
    expect(recorderType(() => false)).toBe('');
  });
});

describe('transfer states in words', () => {
  it('offers cancel on my queued and uploading files, retry when it can help', () => {
    expect(transferLine({ state: 'queued', sent: 0, total: 10 }, true)).toMatchObject({
      text: 'Waiting to upload',
      cancel: true,
    });
    expect(transferLine({ state: 'uploading', sent: 5, total: 10 }, true)).toMatchObject({
      text: 'Uploading 50%',
      progress: 0.5,
      cancel: true,
    });
    expect(
      transferLine({ state: 'failed', error: 'Disk full', retryable: true }, true),
    ).toMatchObject({
      text: 'Disk full',
      retry: true,
      cancel: true,
    });
    expect(transferLine({ state: 'failed', error: 'x', retryable: false }, true).retry).toBe(false);
  });
  it("says uploading… for others' files not stored yet and unavailable plainly", () => {
    expect(transferLine({ state: 'waiting' }, false)).toMatchObject({
      text: 'uploading…',
      loadable: false,
    });
    expect(transferLine({ state: 'unavailable', error: 'Deleted.' }, false)).toMatchObject({
      text: 'Deleted.',
      loadable: false,
    });
    expect(transferLine({ state: 'remote' }, false)).toMatchObject({ text: '', loadable: true });
  });
});

describe('pasted files', () => {
  it('names an unnamed screenshot and keeps named files', () => {
    const named = new File(['x'], 'notes.txt', { type: 'text/plain' });
    const shot = new File(['x'], 'image.png', { type: 'image/png' });
    const out = filesOf([named, shot], Date.UTC(2026, 11, 7, 10, 30, 0));
    expect(out[0]).toBe(named);
    expect(out[1]?.name).toBe('Pasted 2026-12-07-10-30-00-2.png');
  });
});
