// "Copy diagnostics": what support needs, with nothing secret in it (no tokens, no
// message content, no user paths beyond the config and log locations).
import type { DesktopPolicy, DesktopSettings } from '../../core/src/desktop/api';

export interface DiagnosticsInput {
  version: string;
  versions: Record<string, string | undefined>;
  platform: string;
  arch: string;
  osRelease: string;
  locale: string;
  isPackaged: boolean;
  policy: DesktopPolicy;
  settings: DesktopSettings;
  updates: string;
  secureStorage: string;
  logFile: string;
}

export function diagnosticsText(d: DiagnosticsInput): string {
  return [
    `Ferry ${d.version}${d.isPackaged ? '' : ' (development)'}`,
    `Electron ${d.versions['electron'] ?? '?'}, Chromium ${d.versions['chrome'] ?? '?'}, Node ${d.versions['node'] ?? '?'}`,
    `OS: ${d.platform} ${d.osRelease} ${d.arch}, locale ${d.locale}`,
    `Server preset: ${d.policy.serverUrl ?? 'none'}; locked: ${d.policy.locked.join(', ') || 'nothing'}`,
    `IT config files: ${d.policy.sources.join(', ') || 'none found'}`,
    ...d.policy.errors.map((e) => `IT config error: ${e}`),
    `Settings: ${JSON.stringify(d.settings)}`,
    `Updates: ${d.updates}`,
    `Secure storage: ${d.secureStorage}`,
    `Log file: ${d.logFile}`,
  ].join('\n');
}
