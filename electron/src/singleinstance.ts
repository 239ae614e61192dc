// One Ferry per user session. A second start hands its command line (which may hold a
// ferry:// link) to the first one and quits.
export interface SingleInstanceApp {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  on(
    event: 'second-instance',
    listener: (event: unknown, argv: string[], cwd: string) => void,
  ): unknown;
}

/**
 * Returns false when another instance holds the lock (this one quits). Otherwise calls
 * `onSecondInstance` with the second start's argv each time one happens.
 */
export function claimSingleInstance(
  app: SingleInstanceApp,
  onSecondInstance: (argv: string[]) => void,
): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', (_event, argv) => onSecondInstance(Array.isArray(argv) ? argv : []));
  return true;
}
