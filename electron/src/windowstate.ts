// Window size and position, kept in userData/window-state.json and restored on a screen
// that still exists (a laptop undocked from its second monitor must not open off-screen).
import type { Rectangle } from 'electron';
import { isRecord, readJson, writeJsonAtomic } from './jsonfile';

export interface WindowState {
  x?: number;
  y?: number;
  width: number;
  height: number;
  maximized: boolean;
}

export const DEFAULT_SIZE = { width: 1100, height: 760 } as const;
const MIN = { width: 480, height: 360 } as const;
/** How much of the title bar must be on a display for a position to be kept. */
const VISIBLE = { width: 120, height: 40 } as const;

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : undefined;
}

export function parseWindowState(raw: unknown): WindowState | null {
  if (!isRecord(raw)) return null;
  const width = int(raw['width']);
  const height = int(raw['height']);
  if (width === undefined || height === undefined) return null;
  const x = int(raw['x']);
  const y = int(raw['y']);
  return {
    ...(x !== undefined && y !== undefined ? { x, y } : {}),
    width,
    height,
    maximized: raw['maximized'] === true,
  };
}

function overlap(a: Rectangle, b: Rectangle): { width: number; height: number } {
  return {
    width: Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x),
    height: Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y),
  };
}

/**
 * Bounds to open the window with, given the saved state and the displays' work areas
 * (primary first). Size is clamped to the work area it lands on; a position whose title
 * bar is not visible on any display is dropped, so the window is centred on the primary.
 */
export function restoreBounds(
  saved: WindowState | null,
  workAreas: readonly Rectangle[],
): { bounds: Partial<Rectangle>; maximized: boolean } {
  const primary = workAreas[0];
  const state = saved ?? { ...DEFAULT_SIZE, maximized: false };
  const fit = (area: Rectangle | undefined): { width: number; height: number } => ({
    width: Math.max(MIN.width, area ? Math.min(state.width, area.width) : state.width),
    height: Math.max(MIN.height, area ? Math.min(state.height, area.height) : state.height),
  });
  if (state.x !== undefined && state.y !== undefined) {
    const titleBar = { x: state.x, y: state.y, width: state.width, height: VISIBLE.height };
    const home = workAreas.find((area) => {
      const o = overlap(titleBar, area);
      return o.width >= Math.min(VISIBLE.width, state.width) && o.height >= VISIBLE.height;
    });
    if (home) {
      const size = fit(home);
      // Pull the window fully inside its display if it hangs over an edge.
      const x = Math.min(Math.max(state.x, home.x), home.x + home.width - size.width);
      const y = Math.min(Math.max(state.y, home.y), home.y + home.height - size.height);
      return { bounds: { x, y, ...size }, maximized: state.maximized };
    }
  }
  return { bounds: fit(primary), maximized: state.maximized };
}

export interface TrackedWindow {
  getNormalBounds(): Rectangle;
  isMaximized(): boolean;
  isMinimized(): boolean;
  isFullScreen(): boolean;
  on(event: 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close', listener: () => void): unknown;
}

export async function loadWindowState(file: string): Promise<WindowState | null> {
  return parseWindowState(await readJson(file));
}

/** Saves the state on changes (debounced) and at close. Returns a function that saves now. */
export function trackWindowState(
  win: TrackedWindow,
  file: string,
  debounceMs = 500,
): () => Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: WindowState | null = null;
  const save = async (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (win.isMinimized() || win.isFullScreen()) return; // keep the last normal state
    const b = win.getNormalBounds();
    last = { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() };
    await writeJsonAtomic(file, last).catch(() => undefined);
  };
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void save(), debounceMs);
  };
  for (const event of ['resize', 'move', 'maximize', 'unmaximize'] as const) win.on(event, later);
  win.on('close', () => void save());
  return save;
}
