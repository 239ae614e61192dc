// Which URLs Ferry hands to the system browser. Message text is turned into links by
// lib/markdown.ts (safeLinkHref); this is the last check before a URL leaves the app.

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/** True for URLs Ferry may hand to the system browser: http, https and mailto only. */
export function isSafeExternalUrl(url: string): boolean {
  try {
    return SAFE_PROTOCOLS.has(new URL(url).protocol);
  } catch {
    return false;
  }
}
