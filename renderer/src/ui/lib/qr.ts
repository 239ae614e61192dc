// A QR code of a two-factor enrolment's otpauth:// URI, drawn here as SVG: the secret never
// leaves the device (no image service, no data: URL). `qrcode` (npm, 1.5.4) computes the
// modules; this turns them into one SVG path. Unit-tested (renderer/test/ui/qr.test.ts).
import { create } from 'qrcode';

export interface QrDrawing {
  /** Modules per side, the quiet zone included: the SVG's viewBox is 0 0 size size. */
  size: number;
  /** One `M x y h1 v1 h-1 z` square per dark module. */
  path: string;
}

/** Four modules of light margin, as the standard asks, so scanners find the code. */
export const QUIET_ZONE = 4;

export function qrDrawing(text: string): QrDrawing {
  const { modules } = create(text, { errorCorrectionLevel: 'M' });
  const n = modules.size;
  const parts: string[] = [];
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      if (modules.get(y, x)) parts.push(`M${x + QUIET_ZONE} ${y + QUIET_ZONE}h1v1h-1z`);
    }
  }
  return { size: n + 2 * QUIET_ZONE, path: parts.join('') };
}
