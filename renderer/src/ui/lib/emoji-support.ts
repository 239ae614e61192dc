// Which emoji this system can draw: the newest Emoji versions (16, 17) reach fonts years after
// the data, and an emoji the font lacks is a blank cell in the picker. One emoji of each recent
// version is drawn on a canvas: a colour emoji font gives coloured pixels, a missing glyph gives
// nothing or a grey box. Loaded with the emoji data (lib/emoji.ts `loadEmoji`).

const FONT = "'Apple Color Emoji', 'Segoe UI Emoji', 'Noto Color Emoji', emoji, sans-serif";
const SIZE = 20;
/** An emoji every colour emoji font has (Emoji 1.0): if it is not drawn in colour, judge nothing. */
const BASELINE = '😀';

function drawsInColour(ctx: CanvasRenderingContext2D, char: string): boolean {
  ctx.clearRect(0, 0, SIZE * 2, SIZE * 2);
  ctx.fillText(char, 0, 0);
  const d = ctx.getImageData(0, 0, SIZE * 2, SIZE * 2).data;
  for (let i = 0; i < d.length; i += 4) {
    if ((d[i + 3] ?? 0) > 0 && (d[i] !== d[i + 1] || d[i + 1] !== d[i + 2])) return true;
  }
  return false;
}

/**
 * The newest Emoji version whose sample (and every newer-but-failing one's elders) is drawn;
 * Infinity when this cannot be judged (no canvas, no colour emoji font at all).
 */
export function drawableVersion(samples: readonly [number, string][]): number {
  let ctx: CanvasRenderingContext2D | null;
  try {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = SIZE * 2;
    ctx = canvas.getContext('2d', { willReadFrequently: true });
  } catch {
    return Infinity;
  }
  if (!ctx) return Infinity;
  ctx.font = `${SIZE}px ${FONT}`;
  ctx.textBaseline = 'top';
  ctx.fillStyle = '#000';
  if (!drawsInColour(ctx, BASELINE)) return Infinity;
  // Newest first: the first drawn is the answer (fonts add versions in order).
  for (const [version, char] of samples) if (drawsInColour(ctx, char)) return version;
  return (samples.at(-1)?.[0] ?? Infinity) - 0.1;
}
