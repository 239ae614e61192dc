// The data layer's entry point for the UI: the API types and the factories.
export type * from './api';
export { ApiError } from './api';
export { browserBackend, type BrowserEnv } from './browser-backend';
export {
  createFerryClient,
  loadSession,
  saveSession,
  relaySocketUrl,
  type ClientExtras,
  type FerryClientOptions,
} from './client';
export type { ConversationViewExt } from './conversation';
export type { Transport } from './docs';
export { CorruptRecordError, StoreError } from './store';
