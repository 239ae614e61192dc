// Preload (sandboxed, context-isolated): exposes exactly one object, window.ferry.
import { contextBridge, ipcRenderer } from 'electron';
import type { FerryDesktopApi } from '../../core/src/desktop/api';
import { createPreloadApi } from './preload-api';

const api = createPreloadApi(ipcRenderer, {
  platform: process.platform,
  argv: process.argv,
}) satisfies FerryDesktopApi;

contextBridge.exposeInMainWorld('ferry', api);
