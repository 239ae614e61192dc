// File references on a message (schema 4, docs/attachments.md): the model writes and reads
// them; the checker refuses malformed, oversized and later-changed references, whoever sends
// them; names are cleaned of path separators, controls and bidi overrides.
import * as Y from 'yjs';
import { describe, it, expect } from './harness';
import { change } from './replica';
import {
  FILES_VERSION,
  MAX_FILES,
  MAX_FILE_NAME_BYTES,
  SCHEMA_VERSION,
  addMessage,
  cleanFileName,
  createUpdateChecker,
  deleteMessage,
  encodeHlc,
  filesSummary,
  getMessage,
  judge,
  lastMessage,
  messagesOf,
  periodOfMessage,
  referencedHashes,
  validateDoc,
  type FileRef,
  type RoomRef,
  type Verdict,
} from '../src/index';

const ANN = 'ANNANNANNANNANN0';
const BOB = 'B0BB0BB0BB0BB0B0';
const MOD = 'M0DM0DM0DM0DM0D0';
const CONV = '0123456789ABCDEF';
const T = Date.UTC(2026, 11, 7, 9);
const NOW = T + 60_000;
const id = (wall: number, node = 'DEV1') => encodeHlc({ wall, counter: 0, node });
const PAGE: RoomRef = { kind: 'page', convId: CONV, period: periodOfMessage(id(T)) };
const HASH = 'a'.repeat(64);

const image = (over: Partial<FileRef> = {}): FileRef => ({
  hash: HASH,
  name: 'whiteboard.png',
  size: 123_456,
  type: 'image/png',
  kind: 'image',
  w: 1600,
  h: 900,
  thumb: 'AAAA',
  ...over,
});
const voice: FileRef = {
  hash: 'b'.repeat(64),
  name: 'Voice message.ogg',
  size: 40_000,
  type: 'audio/ogg',
  kind: 'voice',
  ms: 12_300,
  wave: 'AAECAwQF',
};

function verdict(live: Y.Doc, update: Uint8Array, sender: string, role = 'member'): string {
  const checker = createUpdateChecker(PAGE, live);
  try {
    const v: Verdict = judge(checker.inspect(update, sender, { now: NOW }), {
      room: PAGE,
      sender,
      convRole: role as 'member' | 'moderator',
      kind: 'channel',
      archived: false,
      creator: null,
    });
    return v.ok ? 'accepted' : `${v.rule}: ${v.message ?? ''}`;
  } finally {
    checker.destroy();
  }
}

function withFiles(text = '', files: FileRef[] = [image(), voice]): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = 100;
  addMessage(doc, { id: id(T), author: ANN, text, createdAt: T, files });
  return doc;
}

describe('files on a message: the model', () => {
  it('writes schema 4 with the references, caption optional, and reads them back', () => {
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(FILES_VERSION);
    const doc = withFiles('');
    const m = getMessage(doc, id(T));
    expect(m).toMatchObject({ v: FILES_VERSION, text: '', files: [image(), voice] });
    expect(validateDoc(PAGE, doc)).toEqual([]);
    expect(referencedHashes((messagesOf(doc).get(id(T)) as Y.Map<unknown>).get('files'))).toEqual([
      HASH,
      'b'.repeat(64),
    ]);
    // A message without files keeps the lowest version that fits.
    const plain = new Y.Doc();
    addMessage(plain, { id: id(T), author: ANN, text: 'hi', createdAt: T });
    expect(getMessage(plain, id(T))).toMatchObject({ v: 1, files: [] });
  });

  it('refuses bad references and writes nothing', () => {
    const doc = new Y.Doc();
    const add = (files: unknown) =>
      addMessage(doc, {
        id: id(T),
        author: ANN,
        text: '',
        createdAt: T,
        files: files as FileRef[],
      });
    expect(() => add([])).toThrow(/never empty/);
    expect(() => add(Array.from({ length: MAX_FILES + 1 }, () => image()))).toThrow(/at most 10/);
    expect(() => add([image({ hash: 'A'.repeat(64) })])).toThrow(/SHA-256/);
    expect(() => add([image({ name: '../../etc/passwd' })])).toThrow(/clean file name/);
    expect(() => add([image({ size: -1 })])).toThrow(/byte count/);
    expect(() => add([image({ type: 'text/html; charset=utf-8' })])).toThrow(/MIME/);
    expect(() => add([{ ...image(), html: '<img onerror>' }])).toThrow(/unknown key/);
    expect(() => add([image({ thumb: 'A'.repeat(200) })])).toThrow(/at most 64 bytes/);
    expect(() => add([{ ...voice, w: 10, h: 10 }])).toThrow(/only an image/);
    expect(messagesOf(doc).size).toBe(0);
  });

  it('deletion clears the references, by the author and by a moderator', () => {
    for (const [by, moderator] of [
      [ANN, false],
      [MOD, true],
    ] as const) {
      const live = withFiles('look');
      const del = change(live, (d) => deleteMessage(d, id(T), by, T + 10, { moderator }), 7);
      expect(verdict(live, del, by, moderator ? 'moderator' : 'member')).toBe('accepted');
      Y.applyUpdate(live, del);
      expect(getMessage(live, id(T))).toMatchObject({ deleted: true, text: '', files: [] });
      expect((messagesOf(live).get(id(T)) as Y.Map<unknown>).get('files')).toBeNull();
    }
  });
});

describe('files on a message: hostile writes the relay refuses', () => {
  const raw = (fields: Record<string, unknown>) => (d: Y.Doc) => {
    messagesOf(d).set(
      id(T),
      new Y.Map<unknown>(
        Object.entries({ v: 4, id: id(T), author: ANN, text: '', createdAt: T, ...fields }),
      ),
    );
  };
  const empty = () => {
    const d = new Y.Doc();
    d.clientID = 100;
    return d;
  };

  it('accepts honest files from their author only', () => {
    const live = empty();
    const honest = change(live, raw({ files: [image()] }));
    expect(verdict(live, honest, ANN)).toBe('accepted');
    expect(verdict(live, honest, BOB)).toMatch(/^owner/);
  });

  it('refuses malformed references and old schemas carrying them', () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ['schema 3 with files', { v: 3, files: [image()] }, /needs schema 4/],
      ['a name with a path', { files: [image({ name: 'a/b.png' })] }, /clean file name/],
      ['a bidi override', { files: [image({ name: 'cod\u202Egnp.exe' })] }, /clean file name/],
      ['a string', { files: HASH }, /array/],
      ['an object', { files: { 0: image() } }, /array/],
      ['too many', { files: Array.from({ length: 11 }, () => image()) }, /at most 10/],
      ['half a size', { files: [image({ h: undefined })] }, /both/],
      ['cleared but not deleted', { text: 'hi', files: null }, /cleared only by a deletion/],
      ['no caption, no files', { files: undefined }, /text is empty/],
    ];
    for (const [what, fields, expected] of cases) {
      const live = empty();
      const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
      const f = (clean.files as FileRef[] | undefined)?.map?.((x) =>
        Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)),
      );
      if (f) clean.files = f;
      expect(verdict(live, change(live, raw(clean)), ANN), what).toMatch(expected);
    }
  });

  it('refuses swapping, clearing or adding files later', () => {
    const live = withFiles('FYI');
    const map = (d: Y.Doc) => messagesOf(d).get(id(T)) as Y.Map<unknown>;
    const swap = change(live, (d) => map(d).set('files', [image({ hash: 'c'.repeat(64) })]));
    expect(verdict(live, swap, ANN)).toMatch(/transition/);
    expect(
      verdict(
        live,
        change(live, (d) => map(d).set('files', null)),
        ANN,
      ),
    ).not.toBe('accepted');
    expect(
      verdict(
        live,
        change(live, (d) => map(d).delete('files')),
        ANN,
      ),
    ).not.toBe('accepted');
    const plain = empty();
    addMessage(plain, { id: id(T), author: ANN, text: 'hi', createdAt: T });
    const add = change(plain, (d) => map(d).set('files', [image()]));
    expect(verdict(plain, add, ANN)).not.toBe('accepted');
  });
});

describe('cleanFileName', () => {
  it('replaces separators, controls and direction overrides, and drops leading dots', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('_.._etc_passwd');
    expect(cleanFileName('C:\\Windows\\evil.exe')).toBe('C:_Windows_evil.exe');
    expect(cleanFileName('invoice\u202Efdp.exe')).toBe('invoice_fdp.exe');
    expect(cleanFileName('line\nbreak\u0000.txt')).toBe('line_break_.txt');
    expect(cleanFileName('.bashrc')).toBe('bashrc');
    expect(cleanFileName('   ')).toBe('file');
    expect(cleanFileName('Résumé 2026.pdf')).toBe('Résumé 2026.pdf');
  });

  it('cuts a long name to 255 UTF-8 bytes, keeping the extension and whole characters', () => {
    const long = cleanFileName('é'.repeat(300) + '.tar.gz');
    expect(unescape(encodeURIComponent(long)).length).toBeLessThanOrEqual(MAX_FILE_NAME_BYTES);
    expect(long.endsWith('é.gz')).toBe(true);
    expect(cleanFileName('😀'.repeat(100))).toBe('😀'.repeat(63));
  });
});

describe('filesSummary: a caption-less message in the conversation list', () => {
  it('says what was sent in a few words', () => {
    expect(filesSummary([])).toBe('');
    expect(filesSummary([voice])).toBe('Voice message (0:12)');
    expect(filesSummary([image()])).toBe('Image: whiteboard.png');
    expect(filesSummary([{ ...voice, kind: 'file', ms: undefined, wave: undefined }])).toBe(
      'File: Voice message.ogg',
    );
    expect(filesSummary([image(), voice, image({ name: 'b.png' })])).toBe(
      '3 files: whiteboard.png, Voice message.ogg, …',
    );
  });

  it('is the preview of the newest message when it has no caption', () => {
    const doc = withFiles('', [image()]);
    expect(lastMessage(doc)?.text).toBe('Image: whiteboard.png');
    expect(lastMessage(withFiles('Look', [image()]))?.text).toBe('Look');
  });
});
