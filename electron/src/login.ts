// Start at login. Windows and macOS through app.setLoginItemSettings; Linux has no such
// API, so an XDG autostart entry (~/.config/autostart/ferry.desktop) is written or removed.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const HIDDEN_ARG = '--hidden';

export interface LoginItemApi {
  setLoginItemSettings(settings: {
    openAtLogin: boolean;
    openAsHidden?: boolean;
    args?: string[];
  }): void;
}

export interface LoginContext {
  platform: NodeJS.Platform;
  /** The executable to start: process.execPath, or $APPIMAGE when running as an AppImage. */
  exePath: string;
  /** $XDG_CONFIG_HOME or ~/.config */
  configHome: string;
}

export function autostartEntry(exePath: string, hidden: boolean): string {
  const quoted = `"${exePath.replace(/(["`$\\])/g, '\\$1')}"`;
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Ferry',
    'Comment=Team messenger',
    `Exec=${quoted}${hidden ? ` ${HIDDEN_ARG}` : ''}`,
    'Icon=ferry',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export async function applyStartAtLogin(
  app: LoginItemApi,
  ctx: LoginContext,
  enabled: boolean,
  hidden: boolean,
): Promise<void> {
  if (ctx.platform === 'linux') {
    const file = path.join(ctx.configHome, 'autostart', 'ferry.desktop');
    if (enabled) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, autostartEntry(ctx.exePath, hidden));
    } else {
      await rm(file, { force: true });
    }
    return;
  }
  app.setLoginItemSettings({
    openAtLogin: enabled,
    ...(ctx.platform === 'darwin' ? { openAsHidden: hidden } : {}),
    args: hidden ? [HIDDEN_ARG] : [],
  });
}
