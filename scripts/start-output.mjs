// What `npm start` prints (issue 12): only what the person who ran it needs. Where the app is,
// the relay's address, and while the relay has no accounts, how to create the first admin (in
// the app on this machine, or from another machine with the relay's one-time setup code, which
// the relay writes only to its JSON log). The relay's log stays out of sight unless
// FERRY_VERBOSE=1; a relay that fails to start shows its first lines.

/**
 * @param {{
 *   url: string,
 *   dataDir: string,
 *   desktop: { running: true } | { running: false, reason: string },
 *   setupRequired: boolean,
 *   setupCode: string | null,
 * }} s
 * @returns {string[]}
 */
export function readyLines(s) {
  const relay = s.url.replace(/\/$/, '');
  const lines = [''];
  if (s.desktop.running) {
    lines.push('Ferry is running in its desktop window.');
    lines.push(`  Web app:  ${s.url}  (the same app in a browser)`);
  } else {
    lines.push(`Ferry is running: open ${s.url} in a browser.`);
    lines.push(`  (${s.desktop.reason}: no desktop window.)`);
  }
  lines.push(`  Relay:    ${relay}  (the server address people sign in to; data in ${s.dataDir})`);
  if (s.setupRequired) {
    lines.push('');
    lines.push('No accounts yet. Create the first admin account:');
    lines.push('  - on this computer: open the app, it offers "Create the first admin account";');
    if (s.setupCode) {
      lines.push(
        `  - from another machine: open the app there, enter the relay address above and this setup code: ${s.setupCode}`,
      );
    }
  }
  lines.push('');
  lines.push('Ctrl+C stops Ferry.');
  return lines;
}

/**
 * The relay's setup code from one of its JSON log lines (the "NO USERS YET" warning), or null.
 * @param {string} line
 * @returns {string | null}
 */
export function setupCodeOf(line) {
  try {
    const entry = JSON.parse(line);
    return typeof entry?.setupCode === 'string' && entry.setupCode !== '' ? entry.setupCode : null;
  } catch {
    return null;
  }
}
