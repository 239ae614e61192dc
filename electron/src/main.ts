// Main process entry (bundled to dist/electron/main.cjs by scripts/build-electron.mjs).
import path from 'node:path';
import * as electron from 'electron';
import log from 'electron-log/main';
import { startFerry } from './app';
import type { Updater } from './updates';

log.transports.file.level = 'info';
log.transports.file.maxSize = 5 * 1024 * 1024;
log.errorHandler.startCatching({ showDialog: false });

const SERVER_ARG = '--server-url=';
const serverArg = process.argv.find((a) => a.startsWith(SERVER_ARG))?.slice(SERVER_ARG.length);

void startFerry(electron, {
  rendererDir: path.join(electron.app.getAppPath(), 'dist', 'renderer'),
  preloadPath: path.join(__dirname, 'preload.cjs'),
  assetsDir: path.join(__dirname, 'assets'),
  devServerUrl: process.env['FERRY_DEV_URL'] ?? null,
  defaultServerUrl: serverArg ?? process.env['FERRY_SERVER_URL'] ?? null,
  userDataDir: process.env['FERRY_USER_DATA_DIR'] ?? null,
  argv: process.argv,
  log,
  logFile: log.transports.file.getFile().path,
  loadUpdater: async () => {
    const { autoUpdater } = await import('electron-updater');
    autoUpdater.logger = log;
    // AppUpdater's typed emitter is wider than the two events Updater names.
    return autoUpdater as unknown as Updater;
  },
});
