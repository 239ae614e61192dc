// Unread count: dock badge (macOS), launcher badge (Linux, Unity-style launchers),
// taskbar overlay (Windows), and the tray icon and tooltip everywhere.
import { DESKTOP_LIMITS } from '../../core/src/desktop/api';

/** A count from the renderer: an integer in [0, badgeMax]; anything else becomes 0. */
export function normalizeCount(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return 0;
  return Math.min(Math.floor(value), DESKTOP_LIMITS.badgeMax);
}

/** What a badge shows: "" for none, the number up to 99, then "99+". */
export function badgeLabel(count: number): string {
  if (count <= 0) return '';
  return count > 99 ? '99+' : String(count);
}

export interface BadgeTargets<Image> {
  platform: NodeJS.Platform;
  /** app.setBadgeCount (macOS dock, Linux launchers). */
  setAppBadge(count: number): void;
  /** BrowserWindow.setOverlayIcon (Windows taskbar). */
  setOverlay?(image: Image | null, description: string): void;
  tray?: { setImage(image: Image): void; setToolTip(text: string): void } | null;
  images: { normal: Image; unread: Image };
}

/** Returns `set(count)`; it only touches the OS when the shown value changes. */
export function createBadge<Image>(targets: BadgeTargets<Image>): (count: unknown) => number {
  let shown = -1;
  return (raw) => {
    const count = normalizeCount(raw);
    if (count === shown) return count;
    shown = count;
    const label = badgeLabel(count);
    if (targets.platform === 'win32') {
      targets.setOverlay?.(
        count > 0 ? targets.images.unread : null,
        label ? `${label} unread` : '',
      );
    } else {
      targets.setAppBadge(count);
    }
    targets.tray?.setImage(count > 0 ? targets.images.unread : targets.images.normal);
    targets.tray?.setToolTip(count > 0 ? `Ferry — ${label} unread` : 'Ferry');
    return count;
  };
}
