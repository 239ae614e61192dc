import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SIZE,
  loadWindowState,
  parseWindowState,
  restoreBounds,
  trackWindowState,
} from '../src/windowstate';

const laptop = { x: 0, y: 0, width: 1440, height: 875 };
const monitor = { x: 1440, y: -200, width: 2560, height: 1400 };

describe('restoreBounds', () => {
  it('first start: default size on the primary display, centred by Electron', () => {
    expect(restoreBounds(null, [laptop])).toEqual({
      bounds: { ...DEFAULT_SIZE },
      maximized: false,
    });
  });
  it('keeps a position on a display that still exists', () => {
    const saved = { x: 1600, y: 0, width: 1200, height: 900, maximized: true };
    expect(restoreBounds(saved, [laptop, monitor])).toEqual({
      bounds: { x: 1600, y: 0, width: 1200, height: 900 },
      maximized: true,
    });
  });
  it('drops a position on a monitor that was unplugged, and fits the size to the screen', () => {
    const saved = { x: 1600, y: 0, width: 2000, height: 1300, maximized: false };
    expect(restoreBounds(saved, [laptop])).toEqual({
      bounds: { width: 1440, height: 875 },
      maximized: false,
    });
  });
  it('pulls a window hanging over an edge back inside', () => {
    const saved = { x: 1000, y: 100, width: 800, height: 600, maximized: false };
    expect(restoreBounds(saved, [laptop]).bounds).toEqual({
      x: 640,
      y: 100,
      width: 800,
      height: 600,
    });
  });
  it('never goes below the minimum size', () => {
    expect(restoreBounds({ width: 10, height: 10, maximized: false }, [laptop]).bounds).toEqual({
      width: 480,
      height: 360,
    });
  });
});

describe('window-state file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ferry-winstate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ignores damaged state', async () => {
    expect(parseWindowState({ width: 'wide' })).toBeNull();
    expect(parseWindowState({ width: 800, height: Number.NaN })).toBeNull();
    await writeFile(path.join(dir, 's.json'), '{"x":');
    expect(await loadWindowState(path.join(dir, 's.json'))).toBeNull();
  });

  it('saves normal bounds at close and reads them back; minimized/fullscreen states are not saved', async () => {
    const file = path.join(dir, 's.json');
    const win = Object.assign(new EventEmitter(), {
      bounds: { x: 10, y: 20, width: 900, height: 700 },
      max: false,
      min: false,
      full: false,
      getNormalBounds() {
        return this.bounds;
      },
      isMaximized() {
        return this.max;
      },
      isMinimized() {
        return this.min;
      },
      isFullScreen() {
        return this.full;
      },
    });
    const saveNow = trackWindowState(win, file, 10_000);
    win.max = true;
    await saveNow();
    expect(await loadWindowState(file)).toEqual({
      x: 10,
      y: 20,
      width: 900,
      height: 700,
      maximized: true,
    });
    win.min = true;
    win.bounds = { x: -32000, y: -32000, width: 160, height: 28 }; // what Windows reports when minimized
    await saveNow();
    expect(await loadWindowState(file)).toMatchObject({ x: 10, y: 20 });
  });
});
