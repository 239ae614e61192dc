// Native notifications raised from main. A click focuses the window and tells the
// renderer where to go: the conversation, at the message (docs/messaging.md, "Notification
// targets"). Live notifications are kept referenced until
// they close, otherwise they can be garbage-collected and their click is lost.
import type { DesktopNotification, NotificationTarget } from '../../core/src/desktop/api';
import { DESKTOP_LIMITS } from '../../core/src/desktop/api';
import { parseNotificationTarget } from '../../core/src/desktop/target';
import { isRecord } from './jsonfile';

export interface NativeNotification {
  on(event: 'click' | 'close' | 'failed', listener: () => void): unknown;
  show(): void;
}

export interface NotifierDeps {
  isSupported(): boolean;
  create(options: { title: string; body: string; silent: boolean }): NativeNotification;
  /** Show, restore and focus the main window. */
  focusWindow(): void;
  /** Send the notification-click event (the validated target) to the renderer. */
  openTarget(target: NotificationTarget): void;
}

const clip = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max - 1)}…` : text;

/** Validates renderer input; returns null (and shows nothing) when it is malformed. */
export function parseNotification(raw: unknown): DesktopNotification | null {
  if (!isRecord(raw)) return null;
  const { title, body } = raw;
  const target = parseNotificationTarget(raw);
  if (typeof title !== 'string' || typeof body !== 'string' || !target) return null;
  return {
    title: clip(title, DESKTOP_LIMITS.notificationTitleMax),
    body: clip(body, DESKTOP_LIMITS.notificationBodyMax),
    ...target,
  };
}

export function createNotifier(deps: NotifierDeps): {
  notify(raw: unknown): boolean;
  readonly live: number;
} {
  const live = new Set<NativeNotification>();
  return {
    notify(raw) {
      const n = parseNotification(raw);
      if (!n || !deps.isSupported()) return false;
      const native = deps.create({ title: n.title, body: n.body, silent: false });
      live.add(native);
      const forget = (): void => void live.delete(native);
      const { title: _title, body: _body, ...target } = n;
      native.on('click', () => {
        forget();
        deps.focusWindow();
        deps.openTarget(target);
      });
      native.on('close', forget);
      native.on('failed', forget);
      native.show();
      return true;
    },
    get live() {
      return live.size;
    },
  };
}
