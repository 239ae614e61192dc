// The parts of files (issue 13, docs/attachments.md) that need no relay: hashing in slices,
// the waveform and ThumbHash encodings, type sniffing, the queue and cache records across a
// restart of the store, LRU eviction, how relay answers map to what the person sees.
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { IDBFactory } from 'fake-indexeddb';
import { rgbaToThumbHash } from 'thumbhash';
import { describe, expect, it } from 'vitest';
import { fileRefProblem } from '../../../core/src/model/files';
import { toEvict } from '../../src/data/files/cache';
import { decodeWave, encodeWave, fileType, kindOf, sniffType, thumbDataUrl, toBase64 } from '../../src/data/files/encode';
import { filesProblem, formatBytes } from '../../src/data/files/files';
import { HASH_CHUNK, sha256Blob } from '../../src/data/files/hash';
import { prepare } from '../../src/data/files/measure';
import { FileRecords } from '../../src/data/files/records';
import { outcomeOf } from '../../src/data/files/uploader';
import { fileView } from '../../src/data/files/view';
import { LocalStore } from '../../src/data/store';

const PNG_HEAD = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52];

describe('files: hashing', () => {
  it('hashes in slices exactly as one pass does, across slice boundaries', async () => {
    const bytes = new Uint8Array(HASH_CHUNK * 2 + 12345);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 8)) & 0xff;
    const seen: number[] = [];
    const got = await sha256Blob(new Blob([bytes]), (n) => seen.push(n));
    expect(got).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(seen).toEqual([HASH_CHUNK, HASH_CHUNK * 2, bytes.length]);
    expect(await sha256Blob(new Blob([]))).toBe(createHash('sha256').digest('hex'));
  });
});

describe('files: encodings', () => {
  it('a waveform of any length becomes 64 peak buckets of 0..255 and back to 0..1', () => {
    const values = Array.from({ length: 640 }, (_, i) => (i % 10 === 0 ? 1 : 0.2));
    const wave = encodeWave(values) as string;
    const back = decodeWave(wave);
    expect(back).toHaveLength(64);
    expect(back.every((v) => v === 1)).toBe(true);
    expect(decodeWave(encodeWave([0, 0.5, 2, -1, Number.NaN]) as string)).toEqual([0, 128 / 255, 1, 0, 0]);
    expect(encodeWave([])).toBeNull();
    expect(fileRefProblem({ hash: 'a'.repeat(64), name: 'v', size: 1, type: 'audio/ogg', kind: 'voice', wave })).toBeNull();
  });

  it('a ThumbHash decodes to a PNG data: URL; a broken one to nothing', () => {
    const w = 8;
    const h = 6;
    const rgba = new Uint8Array(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 7) & 0xff));
    const thumb = toBase64(rgbaToThumbHash(w, h, rgba));
    expect(thumbDataUrl(thumb)).toMatch(/^data:image\/png;base64,/);
    expect(thumbDataUrl('AAA=')).toBeNull();
    const v = fileView({ hash: 'b'.repeat(64), name: 'p.png', size: 9, type: 'image/png', kind: 'image', w: 640, h: 480, thumb });
    expect(v).toMatchObject({ width: 640, height: 480, kind: 'image' });
    expect(v.placeholder).toMatch(/^data:image\/png/);
  });

  it('sniffs the type from the bytes, not the name or the declared type', () => {
    expect(sniffType(new Uint8Array(PNG_HEAD))).toBe('image/png');
    expect(sniffType(new TextEncoder().encode('%PDF-1.7\n'))).toBe('application/pdf');
    expect(sniffType(new TextEncoder().encode('<svg onload=alert(1)>'))).toBeNull();
    // An HTML payload declared as an image is not an image.
    expect(fileType(sniffType(new TextEncoder().encode('<html>')), 'image/png')).toBe('application/octet-stream');
    expect(kindOf(fileType(null, 'text/html; charset=utf-8'), false)).toBe('file');
    expect(fileType(null, 'Not A Type')).toBe('application/octet-stream');
    expect(fileType('video/webm', 'audio/webm;codecs=opus')).toBe('audio/webm');
    expect(kindOf('image/svg+xml', false)).toBe('file');
    expect(kindOf('audio/webm', true)).toBe('voice');
  });

  it('prepares an attachment: hash, clean name, sniffed type, voice duration and waveform', async () => {
    const png = new File([new Uint8Array([...PNG_HEAD, 1, 2, 3])], 'shot\u202Egnp.exe', { type: 'text/plain' });
    const hash = (b: Blob) => sha256Blob(b);
    const p = await prepare({ file: png }, hash);
    expect(p.ref).toMatchObject({ name: 'shot_gnp.exe', type: 'image/png', kind: 'image', size: 19 });
    expect(p.ref.hash).toMatch(/^[0-9a-f]{64}$/);
    const voice = await prepare(
      { file: new Blob([new Uint8Array([0x1a, 0x45, 0xdf, 0xa3, 9])], { type: 'audio/webm;codecs=opus' }), voice: { durationMs: 1234.4, waveform: [0.1, 0.9] } },
      hash,
    );
    expect(voice.ref).toMatchObject({ name: 'Voice message', type: 'audio/webm', kind: 'voice', ms: 1234 });
    expect(decodeWave(voice.ref.wave as string)).toHaveLength(2);
  });

  it('a file that cannot be read is refused in words, naming it', async () => {
    const broken = () => Promise.reject(new Error('NotReadableError'));
    await expect(prepare({ file: new File(['x'], 'notes.txt') }, broken)).rejects.toMatchObject({
      code: 'unreadable',
      message: 'Ferry could not read “notes.txt”. If it was moved or changed, attach it again.',
    });
  });

  it('says the limit in plain words; more than 10 files is refused', () => {
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GB');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(filesProblem([new Blob([new Uint8Array(11)])], 10)).toBe('Files can be up to 10 bytes on this relay.');
    expect(filesProblem([new File(['x'.repeat(2048)], 'big.bin')], 1024)).toBe('“big.bin” is 2 KB. Files can be up to 1 KB on this relay.');
    expect(filesProblem(Array.from({ length: 11 }, () => new Blob(['x'])), null)).toMatch(/up to 10 files/);
    expect(filesProblem([new Blob(['x'])], null)).toBeNull();
  });
});

describe('files: the queue and the cache on disk', () => {
  it('an upload record (Blob included) survives closing and reopening the store', async () => {
    const idb = new IDBFactory();
    const s1 = await LocalStore.open(idb, 'q');
    const blob = new Blob([new Uint8Array([1, 2, 3])], { type: 'application/pdf' });
    const ref = { hash: 'c'.repeat(64), name: 'a.pdf', size: 3, type: 'application/pdf', kind: 'file' as const };
    await new FileRecords(s1.db).putUpload({
      hash: ref.hash,
      conv: 'conv1',
      messages: [['conv1', 'm1']],
      ref,
      blob,
      url: 'http://relay/api/v1/files/uploads/abc',
      state: 'queued',
      error: null,
      retryable: true,
      mismatches: 0,
      nextAt: 0,
      createdAt: 1,
    });
    await s1.close();
    const s2 = await LocalStore.open(idb, 'q');
    const [rec] = await new FileRecords(s2.db).uploads();
    expect(rec?.url).toBe('http://relay/api/v1/files/uploads/abc');
    expect([...new Uint8Array(await (rec?.blob as Blob).arrayBuffer())]).toEqual([1, 2, 3]);
    await s2.close();
  });

  it('evicts the least recently used first, never a file of a conversation kept offline', () => {
    const e = (hash: string, size: number, usedAt: number, convs: string[] = ['x']) => ({ hash, size, usedAt, convs });
    const entries = [e('old', 40, 1), e('kept', 40, 0, ['pinned']), e('mid', 40, 2), e('new', 40, 3)];
    expect(toEvict(entries, 100, new Set(['pinned']))).toEqual(['old', 'mid']);
    expect(toEvict(entries, 200, new Set())).toEqual([]);
    expect(toEvict(entries, 0, new Set(), 'new')).toEqual(['kept', 'old', 'mid']);
  });
});

describe('files: relay answers as the person sees them', () => {
  it('maps statuses and codes to states and plain words', () => {
    expect(outcomeOf(460, 'hash-mismatch', 0)).toMatchObject({ state: 'queued', restart: true, wait: 0 });
    expect(outcomeOf(460, 'hash-mismatch', 1)).toMatchObject({ state: 'failed', retryable: true, restart: true });
    expect(outcomeOf(507, 'disk-full', 0)).toMatchObject({ state: 'failed', retryable: true, wait: 3_600_000 });
    expect(outcomeOf(507, 'quota', 0).error).toMatch(/space for files this relay allows/);
    expect(outcomeOf(403, 'not-member', 0)).toMatchObject({ state: 'failed', retryable: false });
    expect(outcomeOf(0, null, 0)).toMatchObject({ state: 'queued' });
    expect(outcomeOf(429, 'too-many-uploads', 0)).toMatchObject({ state: 'queued' });
    for (const s of [403, 413, 460, 507, 400]) expect(outcomeOf(s, null, 1).error).toMatch(/^[A-Z].*\.$/);
  });
});
